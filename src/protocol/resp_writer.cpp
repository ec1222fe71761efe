#include "kvd/protocol/resp_writer.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "kvd/util/numbers.hpp"

namespace kvd::protocol {

void resp_writer::header(char c, std::int64_t n) {
  char buf[24];
  buf[0] = c;
  auto r = std::to_chars(buf + 1, buf + sizeof buf - 2, n);
  *r.ptr++ = '\r';
  *r.ptr++ = '\n';
  out_->append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void resp_writer::simple(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n", 2);
}

void resp_writer::error(std::string_view s) {
  // Redis (addReplyErrorLength) turns CR/LF inside an error into spaces: one line, always.
  out_->push_back('-');
  std::size_t start = out_->size();
  out_->append(s);
  for (std::size_t i = start; i < out_->size(); ++i)
    if ((*out_)[i] == '\r' || (*out_)[i] == '\n') (*out_)[i] = ' ';
  out_->append("\r\n", 2);
}

void resp_writer::integer(std::int64_t v) { header(':', v); }

void resp_writer::bulk(std::string_view s) {
  header('$', static_cast<std::int64_t>(s.size()));
  out_->append(s);
  out_->append("\r\n", 2);
}

void resp_writer::null() { proto_ == 3 ? (void)out_->append("_\r\n", 3) : (void)out_->append("$-1\r\n", 5); }
void resp_writer::null_array() { proto_ == 3 ? (void)out_->append("_\r\n", 3) : (void)out_->append("*-1\r\n", 5); }
void resp_writer::array(std::size_t n) { header('*', static_cast<std::int64_t>(n)); }
void resp_writer::map(std::size_t n) {
  proto_ == 3 ? header('%', static_cast<std::int64_t>(n)) : header('*', static_cast<std::int64_t>(2 * n));
}
void resp_writer::set(std::size_t n) { header(proto_ == 3 ? '~' : '*', static_cast<std::int64_t>(n)); }
void resp_writer::push(std::size_t n) { header(proto_ == 3 ? '>' : '*', static_cast<std::int64_t>(n)); }

void resp_writer::dbl(double v) {
  std::string s = util::format_double(v);
  if (proto_ == 3) {
    out_->push_back(',');
    out_->append(s);
    out_->append("\r\n", 2);
  } else {
    bulk(s);
  }
}

void resp_writer::boolean(bool v) {
  if (proto_ == 3) out_->append(v ? "#t\r\n" : "#f\r\n", 4);
  else integer(v ? 1 : 0);
}

void resp_writer::verbatim(std::string_view format, std::string_view text) {
  if (proto_ != 3) return bulk(text);
  header('=', static_cast<std::int64_t>(text.size() + 4));
  out_->append(format.substr(0, 3));
  out_->push_back(':');
  out_->append(text);
  out_->append("\r\n", 2);
}

}  // namespace kvd::protocol
