// Glob-style pattern matching as Redis 7.0's stringmatchlen() (src/util.c): `*`, `?`,
// `[abc]`, `[^a]`, `[a-z]`, `\x` escapes. Used by KEYS, SCAN MATCH, CONFIG GET, PSUBSCRIBE.
#pragma once
#include <string_view>

namespace kvd::util {

/// Returns true when `subject` matches `pattern`. `nocase` folds ASCII case.
/// Recursion on '*' is bounded (Redis nesting limit), so hostile patterns cannot blow the stack.
bool glob_match(std::string_view pattern, std::string_view subject, bool nocase = false) noexcept;

}  // namespace kvd::util
