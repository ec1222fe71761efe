// kvd-cli argument hints from `COMMAND DOCS` (Redis 7 reply shape: name -> {summary, since,
// group, complexity, arguments: [{name, type, token, flags: [optional, multiple], arguments}],
// subcommands: {...}}), rendered like redis-cli's hints: "key value [NX|XX] [GET]".
#pragma once

#include <map>
#include <string>
#include <vector>

#include "reply.hpp"

namespace kvd::cli {

/// Hint text per command: keys are lower-case names ("set", "config get" for subcommands).
class command_hints {
 public:
  /// Fills the table from a COMMAND DOCS reply (RESP3 map or RESP2 flat array); ignores
  /// entries it cannot read. Returns the number of commands loaded.
  std::size_t load(const reply& docs);

  /// The hint for a typed line split into words: the argument summary of the longest known
  /// command prefix ("config get" before "config"), minus one leading hint word per argument
  /// typed after the name (the word being typed counts); past the end, a trailing optional
  /// part keeps showing. Empty when the command is unknown.
  std::string hint_for(const std::vector<std::string>& words, bool trailing_space) const;

  /// "SET key value [NX|XX] ...  summary: Sets the string value of a key..." for `help CMD`.
  std::string describe(const std::string& name) const;

  std::size_t size() const noexcept { return args_.size(); }

 private:
  std::map<std::string, std::string> args_;     // name -> argument summary
  std::map<std::string, std::string> summary_;  // name -> one-line summary
};

/// Splits a line into arguments like redis-cli (sdssplitargs): spaces separate, "..." with
/// \n \r \t \b \a \\ \" \xHH escapes, '...' with \' only. nullopt-like: `ok` false on
/// unbalanced quotes.
std::vector<std::string> split_args(const std::string& line, bool& ok);

}  // namespace kvd::cli
