#define BOOST_TEST_MODULE resp_parser
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "kvd/protocol/resp_parser.hpp"

using namespace kvd::protocol;

namespace {

struct result {
  parse_status status;
  std::vector<std::string> args;
  std::size_t consumed;
  std::string error;
};

result parse_once(std::string_view in, parser_limits lim = {}) {
  resp_parser p(lim);
  std::vector<std::string_view> args;
  std::size_t consumed = 0;
  auto st = p.parse(in.data(), in.size(), args, consumed);
  return {st, {args.begin(), args.end()}, consumed, p.error()};
}

/// Feeds `in` one byte at a time, as a session would with a growing buffer; returns every
/// command parsed.
std::vector<std::vector<std::string>> parse_bytewise(std::string_view in) {
  resp_parser p;
  std::string buf;
  std::vector<std::vector<std::string>> out;
  std::vector<std::string_view> args;
  for (char ch : in) {
    buf.push_back(ch);
    for (;;) {
      std::size_t consumed = 0;
      auto st = p.parse(buf.data(), buf.size(), args, consumed);
      if (st == parse_status::incomplete) break;
      BOOST_REQUIRE(st != parse_status::error);
      if (st == parse_status::complete) out.emplace_back(args.begin(), args.end());
      buf.erase(0, consumed);
    }
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(multibulk_whole_frame) {
  auto r = parse_once("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n");
  BOOST_TEST((r.status == parse_status::complete));
  BOOST_TEST(r.args == (std::vector<std::string>{"SET", "k", "hello"}), boost::test_tools::per_element());
  BOOST_TEST(r.consumed == 31u);
}

BOOST_AUTO_TEST_CASE(multibulk_binary_payload_with_crlf_and_nul) {
  std::string payload("a\r\nb\0c", 6);
  std::string frame = "*2\r\n$3\r\nGET\r\n$6\r\n" + payload + "\r\n";
  auto r = parse_once(frame);
  BOOST_TEST((r.status == parse_status::complete));
  BOOST_TEST(r.args[1] == payload);
}

BOOST_AUTO_TEST_CASE(byte_by_byte_pipeline) {
  std::string in = "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\nGET k\r\n\r\n*0\r\n";
  auto cmds = parse_bytewise(in);
  BOOST_REQUIRE(cmds.size() == 3u);
  BOOST_TEST(cmds[0][0] == "PING");
  BOOST_TEST(cmds[1][1] == "");
  BOOST_TEST(cmds[2] == (std::vector<std::string>{"GET", "k"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(incomplete_frames_consume_nothing) {
  for (std::string in : {"*", "*2\r", "*2\r\n$3\r\nGE", "*2\r\n$3\r\nGET\r\n", "*1\r\n$4\r\nPING\r", "GET k"}) {
    auto r = parse_once(in);
    BOOST_TEST((r.status == parse_status::incomplete), in);
    BOOST_TEST(r.consumed == 0u);
  }
}

BOOST_AUTO_TEST_CASE(malformed_frames_have_redis_errors) {
  struct c {
    std::string in, err;
  } cases[] = {
      {"*abc\r\n", "Protocol error: invalid multibulk length"},
      {"*-\r\n", "Protocol error: invalid multibulk length"},
      {"*3000000000\r\n", "Protocol error: invalid multibulk length"},
      {"*1\r\n+foo\r\n", "Protocol error: expected '$', got '+'"},
      {"*1\r\n:1\r\n", "Protocol error: expected '$', got ':'"},
      {"*1\r\n$-5\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$x\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$999999999999\r\n", "Protocol error: invalid bulk length"},
      {"SET \"a b\r\n", "Protocol error: unbalanced quotes in request"},
      {"SET 'a\r\n", "Protocol error: unbalanced quotes in request"},
      {"SET \"a\"b\r\n", "Protocol error: unbalanced quotes in request"},
  };
  for (auto& tc : cases) {
    auto r = parse_once(tc.in);
    BOOST_TEST((r.status == parse_status::error), tc.in);
    BOOST_TEST(r.error == tc.err, tc.in);
  }
}

BOOST_AUTO_TEST_CASE(oversized_headers_and_inline_lines) {
  std::string big_inline(64 * 1024 + 1, 'a');
  BOOST_TEST(parse_once(big_inline).error == "Protocol error: too big inline request");
  std::string big_count = "*" + std::string(64 * 1024 + 1, '1');
  BOOST_TEST(parse_once(big_count).error == "Protocol error: too big mbulk count string");
  std::string big_bulk = "*1\r\n$" + std::string(64 * 1024 + 1, '1');
  BOOST_TEST(parse_once(big_bulk).error == "Protocol error: too big bulk count string");
}

BOOST_AUTO_TEST_CASE(proto_max_bulk_len_is_enforced) {
  parser_limits lim;
  lim.proto_max_bulk_len = 10;
  BOOST_TEST(parse_once("*1\r\n$11\r\n", lim).error == "Protocol error: invalid bulk length");
  BOOST_TEST((parse_once("*1\r\n$10\r\n0123456789\r\n", lim).status == parse_status::complete));
}

BOOST_AUTO_TEST_CASE(empty_and_null_multibulk_are_skipped) {
  for (std::string in : {"*0\r\n", "*-1\r\n", "\r\n", "\n", "   \r\n"}) {
    auto r = parse_once(in);
    BOOST_TEST((r.status == parse_status::empty), in);
    BOOST_TEST(r.consumed == in.size());
  }
}

BOOST_AUTO_TEST_CASE(inline_quoting_follows_sdssplitargs) {
  auto r = parse_once("SET a \"hello world\"\r\n");
  BOOST_TEST(r.args == (std::vector<std::string>{"SET", "a", "hello world"}), boost::test_tools::per_element());
  r = parse_once("SET \"\\x41\\n\\t\\\\\" 'it\\'s'\n");
  BOOST_TEST(r.args == (std::vector<std::string>{"SET", "A\n\t\\", "it's"}), boost::test_tools::per_element());
  r = parse_once("  ECHO   \"\"  \r\n");
  BOOST_TEST(r.args == (std::vector<std::string>{"ECHO", ""}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(pending_bulk_bytes_reports_room_needed) {
  resp_parser p;
  std::string in = "*1\r\n$100000\r\nabc";
  std::vector<std::string_view> args;
  std::size_t consumed;
  BOOST_TEST((p.parse(in.data(), in.size(), args, consumed) == parse_status::incomplete));
  BOOST_TEST(p.pending_bulk_bytes(in.size()) == 100000u + 2 - 3);
}
