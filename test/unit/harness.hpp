// In-process test harness: a keyspace, config, command table and dispatcher, and a
// client; run({"SET","k","v"}) executes one command and returns its captured reply.
// resp2()/resp3() return the exact wire bytes. Model: dragonfly string_family_test.cc.
#pragma once
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kvd/command/dispatcher.hpp"
#include "kvd/protocol/capture.hpp"
#include "kvd/protocol/resp_writer.hpp"
#include "kvd/util/clock.hpp"

namespace kvd::test {

class harness {
 public:
  harness() : ks_(16), reg_(cfg_), state_(ks_, cfg_, reg_, table_), disp_(state_) {
    cfg_.enable_debug_command = "yes";  // tests drive DEBUG; the default "no" is tested on its own
    command::register_all_families(table_);
    client_ = std::make_shared<command::client_context>();
    client_->id = state_.clients.next_id();
    state_.clients.add(client_);
    state_.run_id = std::string(40, 'a');
  }

  /// Executes one command; returns its reply tree (protocol as the client's `resp`).
  protocol::reply run(std::vector<std::string> args) {
    std::vector<std::string_view> v(args.begin(), args.end());
    protocol::capture cap(client_->resp);
    disp_.execute(*client_, v, cap);
    return cap.take();
  }
  /// Executes one command for another client `c` (e.g. a second connection).
  protocol::reply run_as(command::client_context& c, std::vector<std::string> args) {
    std::vector<std::string_view> v(args.begin(), args.end());
    protocol::capture cap(c.resp);
    disp_.execute(c, v, cap);
    return cap.take();
  }
  /// Executes one command; returns the exact RESP bytes (2 or 3 as the client's `resp`).
  std::string wire(std::vector<std::string> args) {
    std::vector<std::string_view> v(args.begin(), args.end());
    std::string out;
    protocol::resp_writer w(&out, client_->resp);
    disp_.execute(*client_, v, w);
    return out;
  }

  command::client_context& client() { return *client_; }
  command::server_state& state() { return state_; }
  store::keyspace& keyspace() { return ks_; }

 private:
  config::server_config cfg_;
  store::keyspace ks_;
  config::registry reg_;
  command::command_table table_;
  command::server_state state_;
  command::dispatcher disp_;
  std::shared_ptr<command::client_context> client_;
};

/// One expected command-table row (Redis 7.0 COMMAND INFO values) for a family's row test.
struct expected_row {
  const char* name;
  int arity;
  std::uint32_t flags;
  int first, last, step;
  const char* acl;  ///< ACL categories without '@', space-separated, in the table's order
};

/// Checks every expected row against table `t` (Boost.Test assertions, context = name).
inline void check_rows(const command::command_table& t, std::span<const expected_row> rows) {
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto* c = t.find(r.name);
      BOOST_TEST_REQUIRE(c != nullptr);
      BOOST_TEST(c->arity == r.arity);
      BOOST_TEST(c->flags == r.flags);
      BOOST_TEST(c->first_key == r.first);
      BOOST_TEST(c->last_key == r.last);
      BOOST_TEST(c->key_step == r.step);
      BOOST_TEST(c->acl_categories == r.acl);
      BOOST_TEST(c->handler != nullptr);
    }
  }
}

/// Freezes the clock for a test's lifetime.
struct frozen_clock {
  explicit frozen_clock(std::int64_t ms = 1'700'000'000'000) { util::set_clock_for_test(ms); }
  ~frozen_clock() { util::clear_clock_for_test(); }
  void advance(std::int64_t ms) { util::advance_clock_for_test(ms); }
};

}  // namespace kvd::test
