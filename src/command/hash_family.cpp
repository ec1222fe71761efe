// The hash command family (Redis 7.0 src/t_hash.c).
#include "kvd/command/command_table.hpp"

namespace kvd::command {

void register_hash_family(command_table& t) { (void)t; }

}  // namespace kvd::command
