// A reply captured as a tree: used by unit tests (compare replies structurally), by HTTP
// (the dispatcher runs into a capture, then the tree is rendered as JSON) and by MULTI/EXEC.
// Model: dragonfly src/facade/reply_capture.h.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kvd/protocol/reply_builder.hpp"

namespace kvd::protocol {

/// One reply node. `str` holds simple/error/bulk/verbatim text (and the verbatim format in
/// `format`), `num` integers and booleans, `dbl` doubles, `elems` aggregate children
/// (a map's children alternate key, value).
struct reply {
  enum class kind : std::uint8_t {
    simple, error, integer, bulk, null, null_array, array, map, set, push, dbl, boolean, verbatim
  };
  kind k = kind::null;
  std::string str;
  std::string format;
  std::int64_t num = 0;
  double dbl = 0;
  std::vector<reply> elems;

  /// A compact human-readable rendering for test failure messages, e.g. `["a",1,nil]`.
  [[nodiscard]] std::string debug_string() const;
};

/// Builds a list of top-level reply trees from reply events.
class capture final : public reply_builder {
 public:
  explicit capture(int protocol = 3) noexcept : proto_(protocol) {}
  void simple(std::string_view s) override { leaf(reply::kind::simple).str = s; }
  void error(std::string_view s) override { leaf(reply::kind::error).str = s; }
  void integer(std::int64_t v) override { leaf(reply::kind::integer).num = v; }
  void bulk(std::string_view s) override { leaf(reply::kind::bulk).str = s; }
  void null() override { leaf(reply::kind::null); }
  void null_array() override { leaf(reply::kind::null_array); }
  void array(std::size_t n) override { open(reply::kind::array, n); }
  void map(std::size_t n) override { open(reply::kind::map, n * 2); }
  void set(std::size_t n) override { open(reply::kind::set, n); }
  void push(std::size_t n) override { open(reply::kind::push, n); }
  void dbl(double v) override { leaf(reply::kind::dbl).dbl = v; }
  void boolean(bool v) override { leaf(reply::kind::boolean).num = v; }
  void verbatim(std::string_view format, std::string_view text) override {
    auto& r = leaf(reply::kind::verbatim);
    r.format = format;
    r.str = text;
  }
  [[nodiscard]] int protocol() const noexcept override { return proto_; }

  /// Completed top-level replies, in order.
  [[nodiscard]] std::vector<reply>& replies();
  /// Removes and returns the first completed reply (a null reply when there is none).
  reply take();

 private:
  reply& leaf(reply::kind k);
  void open(reply::kind k, std::size_t n);
  void close_full();

  struct frame {
    reply r;
    std::size_t want;
  };
  std::vector<frame> stack_;
  std::vector<reply> done_;
  int proto_;
  bool pending_close_ = false;
};

/// Replays a captured reply into another builder (EXEC, HTTP to RESP, tests).
void replay(const reply& r, reply_builder& out);

}  // namespace kvd::protocol
