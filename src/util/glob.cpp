#include "kvd/util/glob.hpp"

#include <cctype>
#include <utility>

namespace kvd::util {
namespace {

int lower(char c) { return std::tolower(static_cast<unsigned char>(c)); }

// Same algorithm and results as Redis's stringmatchlen_impl (util.c), bounded by lengths.
bool match(const char* p, long plen, const char* s, long slen, bool nocase, bool& skip_longer, int nesting) {
  if (nesting > 1000) return false;
  while (plen && slen) {
    switch (p[0]) {
      case '*':
        while (plen > 1 && p[1] == '*') {
          ++p;
          --plen;
        }
        if (plen == 1) return true;
        while (slen) {
          if (match(p + 1, plen - 1, s, slen, nocase, skip_longer, nesting + 1)) return true;
          if (skip_longer) return false;
          ++s;
          --slen;
        }
        skip_longer = true;
        return false;
      case '?':
        ++s;
        --slen;
        break;
      case '[': {
        ++p;
        --plen;
        bool neg = plen > 0 && p[0] == '^';
        if (neg) {
          ++p;
          --plen;
        }
        bool hit = false;
        for (;;) {
          if (plen == 0) {
            --p;
            ++plen;
            break;
          }
          if (p[0] == '\\' && plen >= 2) {
            ++p;
            --plen;
            if (p[0] == s[0]) hit = true;
          } else if (p[0] == ']') {
            break;
          } else if (plen >= 3 && p[1] == '-') {
            int start = static_cast<signed char>(p[0]), end = static_cast<signed char>(p[2]);
            int c = static_cast<signed char>(s[0]);
            if (start > end) std::swap(start, end);
            if (nocase) {
              start = std::tolower(start);
              end = std::tolower(end);
              c = std::tolower(c);
            }
            p += 2;
            plen -= 2;
            if (c >= start && c <= end) hit = true;
          } else if (nocase ? lower(p[0]) == lower(s[0]) : p[0] == s[0]) {
            hit = true;
          }
          ++p;
          --plen;
        }
        if (neg) hit = !hit;
        if (!hit) return false;
        ++s;
        --slen;
        break;
      }
      case '\\':
        if (plen >= 2) {
          ++p;
          --plen;
        }
        [[fallthrough]];
      default:
        if (nocase ? lower(p[0]) != lower(s[0]) : p[0] != s[0]) return false;
        ++s;
        --slen;
        break;
    }
    ++p;
    --plen;
    if (slen == 0) {
      while (plen > 0 && *p == '*') {
        ++p;
        --plen;
      }
      break;
    }
  }
  return plen == 0 && slen == 0;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view subject, bool nocase) noexcept {
  bool skip = false;
  return match(pattern.data(), static_cast<long>(pattern.size()), subject.data(),
               static_cast<long>(subject.size()), nocase, skip, 0);
}

}  // namespace kvd::util
