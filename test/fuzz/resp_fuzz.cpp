// Fuzz target: the RESP request parser (src/protocol/resp_parser.cpp), multibulk and inline.
// The first input byte picks a chunk size (1..16); the rest is fed to one parser in chunks,
// as a socket delivers it, and to another in one piece. Invariants: no crash, `consumed`
// never past the data, and the two parsers produce the same commands and the same error,
// except where Redis's own limits depend on how much is buffered ("too big ..." errors).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_harness.hpp"
#include "kvd/protocol/resp_parser.hpp"

namespace {

using kvd::protocol::parse_status;

struct outcome {
  std::vector<std::vector<std::string>> commands;
  std::string error;  // "" when the input ended without a protocol error
};

outcome parse_all(std::string_view input, std::size_t chunk) {
  kvd::protocol::parser_limits lim;
  lim.proto_max_bulk_len = 4096;  // small limits so short inputs reach the limit paths
  lim.max_inline_len = 512;
  lim.max_multibulk_len = 1024;
  kvd::protocol::resp_parser p(lim);
  outcome out;
  std::string buf;
  std::size_t fed = 0;
  std::vector<std::string_view> args;
  for (;;) {
    std::size_t consumed = 0;
    args.clear();
    auto st = p.parse(buf.data(), buf.size(), args, consumed);
    if (st == parse_status::error) {
      out.error = p.error();
      kvd::fuzz::check(!out.error.empty(), "error status without text");
      return out;
    }
    if (st == parse_status::complete || st == parse_status::empty) {
      kvd::fuzz::check(consumed > 0 && consumed <= buf.size(), "consumed outside the buffer");
      if (st == parse_status::complete) {
        kvd::fuzz::check(!args.empty(), "complete command without arguments");
        out.commands.emplace_back(args.begin(), args.end());
      }
      buf.erase(0, consumed);
      continue;
    }
    kvd::fuzz::check(consumed == 0 || consumed <= buf.size(), "incomplete consumed outside the buffer");
    if (fed == input.size()) return out;
    std::size_t n = std::min(chunk, input.size() - fed);
    buf.append(input.substr(fed, n));
    fed += n;
  }
}

bool size_dependent(const std::string& e) { return e.find("too big") != std::string::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t chunk = 1 + (data[0] % 16);
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto a = parse_all(input, chunk);
  auto b = parse_all(input, input.empty() ? 1 : input.size());
  if (size_dependent(a.error) || size_dependent(b.error)) {
    // The one that saw fewer bytes at a time may stop earlier; what both produced agrees.
    std::size_t n = std::min(a.commands.size(), b.commands.size());
    for (std::size_t i = 0; i < n; ++i) kvd::fuzz::check(a.commands[i] == b.commands[i], "chunked != whole (prefix)");
    return 0;
  }
  kvd::fuzz::check(a.error == b.error, "chunked and whole parse end with different errors");
  kvd::fuzz::check(a.commands == b.commands, "chunked and whole parse give different commands");
  return 0;
}
