// Fuzz target: telnet-style inline commands (resp_parser's inline path and
// split_inline_args, Redis sds.c sdssplitargs). The input is taken as lines; a line that
// starts with '*' would be a multibulk frame, so it is prefixed with a space. Invariants: no
// crash; a line with a NUL byte stays incomplete (Redis uses strchr); a line that
// split_inline_args accepts parses to exactly its arguments (or to nothing
// when it has none); one it rejects gives "Protocol error: unbalanced quotes in request".
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_harness.hpp"
#include "kvd/protocol/resp_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using kvd::protocol::parse_status;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  kvd::protocol::resp_parser parser;
  std::size_t start = 0;
  while (start < input.size()) {
    auto nl = input.find('\n', start);
    if (nl == std::string_view::npos) break;
    std::string line(input.substr(start, nl - start));
    start = nl + 1;
    if (!line.empty() && line[0] == '*') line.insert(line.begin(), ' ');
    // Redis splits at "\n" and drops one trailing "\r".
    std::string_view text(line);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    std::vector<std::string> expect;
    bool balanced = kvd::protocol::split_inline_args(text, expect);
    std::string frame = line + "\n";
    std::vector<std::string_view> args;
    std::size_t consumed = 0;
    auto st = parser.parse(frame.data(), frame.size(), args, consumed);
    if (line.find('\0') != std::string::npos) {
      // Redis looks for the newline with strchr(): a NUL hides it, the line never ends.
      kvd::fuzz::check(st == parse_status::incomplete, "a line with a NUL byte was parsed");
      parser = kvd::protocol::resp_parser();
      continue;
    }
    if (!balanced) {
      kvd::fuzz::check(st == parse_status::error, "unbalanced quotes accepted");
      kvd::fuzz::check(parser.error() == "Protocol error: unbalanced quotes in request", "unexpected error text");
      parser = kvd::protocol::resp_parser();
      continue;
    }
    if (st == parse_status::error) {
      kvd::fuzz::check(parser.error().find("too big") != std::string::npos, "balanced line rejected");
      parser = kvd::protocol::resp_parser();
      continue;
    }
    kvd::fuzz::check(consumed == frame.size(), "inline line not consumed whole");
    if (expect.empty()) {
      kvd::fuzz::check(st == parse_status::empty, "blank line gave a command");
    } else {
      kvd::fuzz::check(st == parse_status::complete, "inline command not complete");
      kvd::fuzz::check(std::vector<std::string>(args.begin(), args.end()) == expect, "parser and split_inline_args differ");
    }
  }
  return 0;
}
