#include "kvd/protocol/capture.hpp"

#include "kvd/util/numbers.hpp"

namespace kvd::protocol {

reply& capture::leaf(reply::kind k) {
  if (pending_close_) close_full();
  reply r;
  r.k = k;
  if (stack_.empty()) {
    done_.push_back(std::move(r));
    return done_.back();
  }
  auto& top = stack_.back();
  top.r.elems.push_back(std::move(r));
  reply& ref = top.r.elems.back();
  // The leaf's fields are filled by the caller before the next event, so closing a full
  // frame here would move it; close lazily on the next event instead.
  pending_close_ = true;
  return ref;
}

void capture::open(reply::kind k, std::size_t n) {
  close_full();
  reply r;
  r.k = k;
  r.elems.reserve(n);
  stack_.push_back({std::move(r), n});
  close_full();
}

void capture::close_full() {
  pending_close_ = false;
  while (!stack_.empty() && stack_.back().r.elems.size() == stack_.back().want) {
    reply r = std::move(stack_.back().r);
    stack_.pop_back();
    if (stack_.empty()) done_.push_back(std::move(r));
    else stack_.back().r.elems.push_back(std::move(r));
  }
}

std::vector<reply>& capture::replies() {
  if (pending_close_) close_full();
  return done_;
}

reply capture::take() {
  auto& d = replies();
  if (d.empty()) return {};
  reply r = std::move(d.front());
  d.erase(d.begin());
  return r;
}

void replay(const reply& r, reply_builder& out) {
  using k = reply::kind;
  switch (r.k) {
    case k::simple: return out.simple(r.str);
    case k::error: return out.error(r.str);
    case k::integer: return out.integer(r.num);
    case k::bulk: return out.bulk(r.str);
    case k::null: return out.null();
    case k::null_array: return out.null_array();
    case k::dbl: return out.dbl(r.dbl);
    case k::boolean: return out.boolean(r.num != 0);
    case k::verbatim: return out.verbatim(r.format, r.str);
    case k::array: out.array(r.elems.size()); break;
    case k::set: out.set(r.elems.size()); break;
    case k::push: out.push(r.elems.size()); break;
    case k::map: out.map(r.elems.size() / 2); break;
  }
  for (auto& e : r.elems) replay(e, out);
}

std::string reply::debug_string() const {
  using K = reply::kind;
  switch (k) {
    case K::simple: return "+" + str;
    case K::error: return "-" + str;
    case K::integer: return std::to_string(num);
    case K::bulk: return "\"" + str + "\"";
    case K::null: case K::null_array: return "nil";
    case K::dbl: return util::format_double(dbl);
    case K::boolean: return num ? "true" : "false";
    case K::verbatim: return format + ":" + str;
    default: break;
  }
  std::string s = k == K::map ? "{" : "[";
  for (std::size_t i = 0; i < elems.size(); ++i) {
    if (i) s += k == K::map && i % 2 ? ":" : ",";
    s += elems[i].debug_string();
  }
  s += k == K::map ? "}" : "]";
  return s;
}

}  // namespace kvd::protocol
