// The sorted set command family (Redis 7.0 src/t_zset.c).
#include "kvd/command/command_table.hpp"

namespace kvd::command {

void register_zset_family(command_table& t) { (void)t; }

}  // namespace kvd::command
