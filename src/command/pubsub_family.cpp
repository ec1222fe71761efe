// Pub/Sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH SSUBSCRIBE
// SUNSUBSCRIBE SPUBLISH PUBSUB (CHANNELS NUMSUB NUMPAT SHARDCHANNELS SHARDNUMSUB HELP) and
// MONITOR. Source: Redis 7.0 src/pubsub.c, replication.c (monitorCommand). The registry and
// delivery are kvd/pubsub/pubsub.hpp; sessions receive through client_context::subscriber.
#include <mutex>
#include <string>
#include <vector>

#include "kvd/acl/acl.hpp"
#include "kvd/command/command_table.hpp"
#include "kvd/command/dispatcher.hpp"
#include "kvd/command/error.hpp"
#include "kvd/pubsub/pubsub.hpp"

namespace kvd::command {
namespace {

using pubsub::client_subscriptions;

// ---- ops ------------------------------------------------------------------------------

void sync_counts(client_subscriptions& s) {
  s.n_channels.store(static_cast<int>(s.channels.size()), std::memory_order_relaxed);
  s.n_patterns.store(static_cast<int>(s.patterns.size()), std::memory_order_relaxed);
  s.n_shard.store(static_cast<int>(s.shard_channels.size()), std::memory_order_relaxed);
}

/// Redis leaves pub/sub mode once the client has no subscription of any kind left.
void maybe_leave_pubsub(client_subscriptions& s) {
  if (s.channels.empty() && s.patterns.empty() && s.shard_channels.empty()) s.pubsub_mode = false;
}

/// The subscription ack/nack frame: [kind, name or nil, count] (push in RESP3).
void reply_frame(protocol::reply_builder& rb, std::string_view kind, const std::string_view* name, std::int64_t n) {
  rb.push(3);
  rb.bulk(kind);
  if (name) rb.bulk(*name);
  else rb.null();
  rb.integer(n);
}

/// The receiving end of this client, or an error reply (Redis CLIENT_DENY_BLOCKING clients:
/// here an HTTP request, which has no connection to stream to).
std::shared_ptr<pubsub::subscriber> receiver(command_context& c, std::string_view what) {
  auto s = c.client.subscriber.lock();
  if (!s) c.rb.error(std::string(what) + " isn't allowed for a DENY BLOCKING client");
  return s;
}

enum class sub_kind { channel, pattern, shard };

struct kind_info {
  std::string_view sub, unsub;
};
constexpr kind_info names[] = {{"subscribe", "unsubscribe"}, {"psubscribe", "punsubscribe"},
                               {"ssubscribe", "sunsubscribe"}};

pubsub::name_set& set_of(client_subscriptions& s, sub_kind k) {
  return k == sub_kind::channel ? s.channels : k == sub_kind::pattern ? s.patterns : s.shard_channels;
}

std::int64_t count_of(const client_subscriptions& s, sub_kind k) {
  return k == sub_kind::shard ? static_cast<std::int64_t>(s.shard_channels.size()) : s.count();
}

bool reg_add(server_state& st, sub_kind k, std::string_view name, std::uint64_t id, std::weak_ptr<pubsub::subscriber> s) {
  switch (k) {
    case sub_kind::channel: return st.pubsub.subscribe(name, id, std::move(s));
    case sub_kind::pattern: return st.pubsub.psubscribe(name, id, std::move(s));
    case sub_kind::shard: return st.pubsub_shard.subscribe(name, id, std::move(s));
  }
  return false;
}

void reg_remove(server_state& st, sub_kind k, std::string_view name, std::uint64_t id) {
  switch (k) {
    case sub_kind::channel: st.pubsub.unsubscribe(name, id); break;
    case sub_kind::pattern: st.pubsub.punsubscribe(name, id); break;
    case sub_kind::shard: st.pubsub_shard.unsubscribe(name, id); break;
  }
}

/// Removes one subscription of `c` (if present); replies its frame when `rb` is given.
void remove_one(server_state& st, client_context& c, sub_kind k, std::string_view name, protocol::reply_builder* rb) {
  auto& set = set_of(c.subs, k);
  if (auto it = set.find(name); it != set.end()) {
    reg_remove(st, k, name, c.id);
    std::lock_guard lk(c.subs.names_mu);
    set.erase(it);
    sync_counts(c.subs);
  }
  if (rb) reply_frame(*rb, names[static_cast<int>(k)].unsub, &name, count_of(c.subs, k));
}

/// Removes every subscription of kind `k`; one frame per removed name (or one nil frame).
void remove_all(server_state& st, client_context& c, sub_kind k, protocol::reply_builder* rb) {
  auto& set = set_of(c.subs, k);
  if (set.empty()) {
    if (rb) reply_frame(*rb, names[static_cast<int>(k)].unsub, nullptr, count_of(c.subs, k));
    return;
  }
  std::vector<std::string> all(set.begin(), set.end());
  for (auto& n : all) remove_one(st, c, k, n, rb);
}

/// The dispatcher checked the channels against the client's user as it was then. An ACL
/// SETUSER on another thread may have replaced that user since, and its scan of the clients
/// (acl::kill_pubsub_clients_if_needed) may have run before the names above were inserted.
/// When the user changed and now denies the command, the client is closed, as that scan would
/// have closed it. The names and counts are stored before the registry is read, so either the
/// scan saw them or this read sees the new user.
void close_if_rules_changed(command_context& c) {
  const auto& was = c.client.user;
  if (!was) return;
  auto now = c.server.acl.find(was->name);
  if (now == was) return;
  if (now && (acl::unrestricted(*now) || acl::check(*now, c.cmd, c.args).what == acl::denial::none)) return;
  c.client.close_after_reply = true;
}

// ---- handlers -------------------------------------------------------------------------

void do_subscribe(command_context& c, sub_kind k, std::string_view upper) {
  auto s = receiver(c, upper);
  if (!s) return;
  auto& set = set_of(c.client.subs, k);
  for (std::size_t i = 1; i < c.argc(); ++i) {
    auto name = c.arg(i);
    if (!set.contains(name)) {
      {
        std::lock_guard lk(c.client.subs.names_mu);
        set.emplace(name);
      }
      reg_add(c.server, k, name, c.client.id, s);
      sync_counts(c.client.subs);
    }
    reply_frame(c.rb, names[static_cast<int>(k)].sub, &name, count_of(c.client.subs, k));
  }
  c.client.subs.pubsub_mode = true;
  close_if_rules_changed(c);
}

void do_unsubscribe(command_context& c, sub_kind k) {
  if (c.argc() == 1) {
    remove_all(c.server, c.client, k, &c.rb);
  } else {
    for (std::size_t i = 1; i < c.argc(); ++i) remove_one(c.server, c.client, k, c.arg(i), &c.rb);
  }
  maybe_leave_pubsub(c.client.subs);
}

void cmd_subscribe(command_context& c) { do_subscribe(c, sub_kind::channel, "SUBSCRIBE"); }
void cmd_psubscribe(command_context& c) { do_subscribe(c, sub_kind::pattern, "PSUBSCRIBE"); }
void cmd_ssubscribe(command_context& c) { do_subscribe(c, sub_kind::shard, "SSUBSCRIBE"); }
void cmd_unsubscribe(command_context& c) { do_unsubscribe(c, sub_kind::channel); }
void cmd_punsubscribe(command_context& c) { do_unsubscribe(c, sub_kind::pattern); }
void cmd_sunsubscribe(command_context& c) { do_unsubscribe(c, sub_kind::shard); }

void cmd_publish(command_context& c) { c.rb.integer(c.server.pubsub.publish(c.arg(1), c.arg(2))); }

void cmd_spublish(command_context& c) {
  c.rb.integer(c.server.pubsub_shard.publish(c.arg(1), c.arg(2), pubsub::message::kind::smessage));
}

void reply_channels(command_context& c, const pubsub::registry& r) {
  if (c.argc() > 3)
    return c.rb.error("ERR unknown subcommand or wrong number of arguments for '" + std::string(c.arg(1)) +
                      "'. Try PUBSUB HELP.");
  std::string pat;
  if (c.argc() == 3) pat = c.arg(2);
  auto list = r.channels(c.argc() == 3 ? &pat : nullptr);
  c.rb.array(list.size());
  for (auto& ch : list) c.rb.bulk(ch);
}

void reply_numsub(command_context& c, const pubsub::registry& r) {
  // Redis 7.0 answers a flat array (not a map) in both protocols.
  c.rb.array((c.argc() - 2) * 2);
  for (std::size_t i = 2; i < c.argc(); ++i) {
    c.rb.bulk(c.arg(i));
    c.rb.integer(r.numsub(c.arg(i)));
  }
}

void cmd_pubsub_channels(command_context& c) { reply_channels(c, c.server.pubsub); }
void cmd_pubsub_shardchannels(command_context& c) { reply_channels(c, c.server.pubsub_shard); }
void cmd_pubsub_numsub(command_context& c) { reply_numsub(c, c.server.pubsub); }
void cmd_pubsub_shardnumsub(command_context& c) { reply_numsub(c, c.server.pubsub_shard); }
void cmd_pubsub_numpat(command_context& c) { c.rb.integer(c.server.pubsub.numpat()); }

void cmd_pubsub_help(command_context& c) {
  static constexpr std::string_view lines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Prints this help.",
  };
  reply_help(c.rb, lines);
}

void cmd_monitor(command_context& c) {
  auto s = c.client.subscriber.lock();
  if (!s) return c.rb.error("MONITOR isn't allowed for DENY BLOCKING client");
  // Redis ignores MONITOR from a client already monitoring: no reply at all.
  if (c.client.subs.monitor.load(std::memory_order_relaxed)) return;
  c.client.subs.monitor.store(true, std::memory_order_relaxed);
  c.server.monitors.add(c.client.id, s);
  c.rb.simple("OK");
}

}  // namespace

void pubsub_reset_client(client_context& c, server_state& s) {
  remove_all(s, c, sub_kind::channel, nullptr);
  remove_all(s, c, sub_kind::pattern, nullptr);
  remove_all(s, c, sub_kind::shard, nullptr);
  c.subs.pubsub_mode = false;
  if (c.subs.monitor.exchange(false)) s.monitors.remove(c.id);
}

void register_pubsub_family(command_table& t) {
  constexpr auto sub = f_pubsub | f_noscript | f_loading | f_stale;
  t.add({"subscribe", -2, sub, 0, 0, 0, cmd_subscribe, "pubsub slow"});
  t.add({"unsubscribe", -1, sub, 0, 0, 0, cmd_unsubscribe, "pubsub slow"});
  t.add({"psubscribe", -2, sub, 0, 0, 0, cmd_psubscribe, "pubsub slow"});
  t.add({"punsubscribe", -1, sub, 0, 0, 0, cmd_punsubscribe, "pubsub slow"});
  t.add({"publish", 3, f_pubsub | f_loading | f_stale | f_fast, 0, 0, 0, cmd_publish, "pubsub fast"});
  t.add({"ssubscribe", -2, sub, 1, -1, 1, cmd_ssubscribe, "pubsub slow"});
  t.add({"sunsubscribe", -1, sub, 1, -1, 1, cmd_sunsubscribe, "pubsub slow"});
  t.add({"spublish", 3, f_pubsub | f_loading | f_stale | f_fast, 1, 1, 1, cmd_spublish, "pubsub fast"});
  auto& ps = t.add({"pubsub", -2, 0, 0, 0, 0, nullptr, "slow"});
  constexpr auto pf = f_pubsub | f_loading | f_stale;
  t.add_sub(ps, {"channels", -2, pf, 0, 0, 0, cmd_pubsub_channels, "pubsub slow"});
  t.add_sub(ps, {"numsub", -2, pf, 0, 0, 0, cmd_pubsub_numsub, "pubsub slow"});
  t.add_sub(ps, {"numpat", 2, pf, 0, 0, 0, cmd_pubsub_numpat, "pubsub slow"});
  t.add_sub(ps, {"shardchannels", -2, pf, 0, 0, 0, cmd_pubsub_shardchannels, "pubsub slow"});
  t.add_sub(ps, {"shardnumsub", -2, pf, 0, 0, 0, cmd_pubsub_shardnumsub, "pubsub slow"});
  t.add_sub(ps, {"help", 2, f_loading | f_stale, 0, 0, 0, cmd_pubsub_help, "slow"});
  t.add({"monitor", 1, f_admin | f_noscript | f_loading | f_stale, 0, 0, 0, cmd_monitor, "admin slow dangerous"});
}

}  // namespace kvd::command
