// Bit operations on strings (Redis 7.0 src/bitops.c).
#include "kvd/command/command_table.hpp"

namespace kvd::command {

void register_bitops_family(command_table& t) { (void)t; }

}  // namespace kvd::command
