// The list command family (Redis 7.0 src/t_list.c).
#include "kvd/command/command_table.hpp"

namespace kvd::command {

void register_list_family(command_table& t) { (void)t; }

}  // namespace kvd::command
