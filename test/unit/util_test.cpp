#define BOOST_TEST_MODULE util
#include <boost/test/unit_test.hpp>

#include "kvd/util/glob.hpp"
#include "kvd/util/numbers.hpp"
#include "kvd/util/small_string.hpp"

using namespace kvd::util;

BOOST_AUTO_TEST_CASE(glob_matches_like_redis) {
  BOOST_TEST(!glob_match("*", ""));  // as stringmatchlen; KEYS special-cases "*"
  BOOST_TEST(glob_match("h?llo", "hello"));
  BOOST_TEST(glob_match("h*llo", "heeeello"));
  BOOST_TEST(glob_match("h[ae]llo", "hallo"));
  BOOST_TEST(!glob_match("h[ae]llo", "hillo"));
  BOOST_TEST(glob_match("h[^e]llo", "hallo"));
  BOOST_TEST(!glob_match("h[^e]llo", "hello"));
  BOOST_TEST(glob_match("h[a-b]llo", "hbllo"));
  BOOST_TEST(glob_match("h[b-a]llo", "hallo"));  // reversed range
  BOOST_TEST(glob_match("h\\*llo", "h*llo"));
  BOOST_TEST(!glob_match("h\\*llo", "hello"));
  BOOST_TEST(glob_match("*a*b*c", "xxaxxbxxc"));
  BOOST_TEST(glob_match("[abc", "a"));  // unterminated class
  BOOST_TEST(glob_match("HELLO", "hello", true));
  BOOST_TEST(!glob_match("HELLO", "hello", false));
  BOOST_TEST(glob_match("key:*", "key:000000000001"));
  BOOST_TEST(!glob_match("a*", ""));
}

BOOST_AUTO_TEST_CASE(glob_hostile_pattern_terminates) {
  std::string pat(200, '*');
  pat += "b";
  std::string subject(5000, 'a');
  BOOST_TEST(!glob_match(pat, subject));
}

BOOST_AUTO_TEST_CASE(parse_int64_is_string2ll) {
  BOOST_TEST(*parse_int64("0") == 0);
  BOOST_TEST(*parse_int64("-9223372036854775808") == INT64_MIN);
  BOOST_TEST(*parse_int64("9223372036854775807") == INT64_MAX);
  for (auto bad : {"", "-", "+1", " 1", "1 ", "01", "-0", "1.0", "9223372036854775808", "abc", "1e3"})
    BOOST_TEST(!parse_int64(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(float_formats) {
  BOOST_TEST(format_long_double_human(10.5L) == "10.5");
  BOOST_TEST(format_long_double_human(3.0L) == "3");
  BOOST_TEST(format_long_double_human(-0.0L) == "0");
  BOOST_TEST(format_long_double_human(5.0e3L) == "5000");
  BOOST_TEST(format_double(1.5) == "1.5");
  BOOST_TEST(format_double(0.1) == "0.10000000000000001");
  BOOST_TEST(!parse_long_double(" 1").has_value());
  BOOST_TEST(!parse_long_double("nan").has_value());
  BOOST_TEST(*parse_double("inf") > 1e308);
  BOOST_TEST(!parse_double("1x").has_value());
}

BOOST_AUTO_TEST_CASE(small_string_inline_and_heap) {
  small_string s("short");
  BOOST_TEST(s.is_inline());
  BOOST_TEST(s.view() == "short");
  small_string e(std::string(23, 'x'));
  BOOST_TEST(e.is_inline());
  small_string h(std::string(24, 'y'));
  BOOST_TEST(!h.is_inline());
  BOOST_TEST(h.size() == 24u);
  s.append(std::string(30, 'z'));
  BOOST_TEST(s.size() == 35u);
  BOOST_TEST(s.view().substr(0, 5) == "short");
  s.resize(40);
  BOOST_TEST(s.view()[39] == '\0');
  small_string m(std::move(h));
  BOOST_TEST(m.size() == 24u);
  BOOST_TEST(h.empty());
}
