// string commands. (Placeholder registration until the family is written.)
#include "kvd/command/command_table.hpp"

namespace kvd::command {
void register_string_family(command_table& t) { (void)t; }
}  // namespace kvd::command
