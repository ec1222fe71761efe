// Pub/Sub: the channel and pattern registry behind SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and
// PUBLISH, MONITOR's list of monitors, and keyspace notifications (notify-keyspace-events).
// Follows Redis 7.0 src/pubsub.c, src/notify.c and replicationFeedMonitors (replication.c).
// No networking: subscribers are sessions that implement `subscriber::deliver` by posting to
// their own strand, so a publisher never writes on another connection's socket and never
// waits for it (DESIGN.md / STYLE.md, sessions reached only via asio::post).
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

namespace kvd::pubsub {

/// Transparent string hashing, so that lookups by std::string_view do not allocate.
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
/// A set of names (channels, patterns) searchable by std::string_view.
using name_set = boost::unordered_flat_set<std::string, string_hash, std::equal_to<>>;

/// One message on its way to subscribers; shared (immutable) by every receiver.
struct message {
  enum class kind : std::uint8_t { message, pmessage, smessage, monitor };
  kind type = kind::message;
  std::string pattern;  ///< the matching pattern (pmessage only)
  std::string channel;  ///< the channel published to (monitor: unused)
  std::string payload;  ///< the published bytes (monitor: the whole line without '+' and CRLF)
};

/// Something that receives messages: RESP sessions and HTTP SSE streams.
class subscriber {
 public:
  virtual ~subscriber() = default;
  /// Thread-safe and non-blocking: queues `m` for this client (sessions post to their own
  /// strand and apply client-output-buffer-limit there). Called with registry locks held:
  /// must not call back into the registry.
  virtual void deliver(std::shared_ptr<const message> m) = 0;
};

/// Subscriptions of one client, owned by its strand (read by CLIENT LIST via the counters).
struct client_subscriptions {
  name_set channels, patterns, shard_channels;
  /// Guards the three name sets for readers on other threads (ACL SETUSER checking them
  /// against the new rules); the owning strand takes it only while it changes them.
  mutable std::mutex names_mu;
  std::atomic<int> n_channels{0}, n_patterns{0}, n_shard{0};  ///< sizes, for other threads
  std::atomic<bool> monitor{false};                            ///< MONITOR mode
  /// Redis CLIENT_PUBSUB: the client has (or had, until it unsubscribed from all) a subscription.
  bool pubsub_mode = false;
  /// Channels + patterns (Redis clientSubscriptionsCount): the count in (P)(UN)SUBSCRIBE replies.
  [[nodiscard]] std::int64_t count() const noexcept {
    return static_cast<std::int64_t>(channels.size() + patterns.size());
  }
};

/// Channel → subscribers, sharded by channel hash under reader/writer locks so that
/// PUBLISH (readers) on different channels never contend and a PUBLISH to a channel
/// nobody listens to costs one shared lock and one hash probe. Patterns are one list with
/// an atomic count checked before its lock. Thread-safe.
class registry {
 public:
  /// Adds client `id` (reached through `s`) to `channel`; false when it was already there.
  bool subscribe(std::string_view channel, std::uint64_t id, std::weak_ptr<subscriber> s);
  /// Removes client `id` from `channel`; false when it was not subscribed.
  bool unsubscribe(std::string_view channel, std::uint64_t id);
  /// Adds client `id` to glob `pattern` (util/glob.hpp); false when already there.
  bool psubscribe(std::string_view pattern, std::uint64_t id, std::weak_ptr<subscriber> s);
  /// Removes client `id` from `pattern`; false when it was not subscribed.
  bool punsubscribe(std::string_view pattern, std::uint64_t id);
  /// Delivers `payload` to every subscriber of `channel` ("message", or `smessage_kind` for
  /// the shard registry) and of every matching pattern ("pmessage"). Returns the number of
  /// receivers (PUBLISH's reply). Never blocks on a subscriber.
  std::int64_t publish(std::string_view channel, std::string_view payload,
                       message::kind channel_kind = message::kind::message);
  /// Channels with at least one subscriber, optionally only those matching glob `pattern`
  /// (PUBSUB CHANNELS); unordered.
  [[nodiscard]] std::vector<std::string> channels(const std::string* pattern) const;
  /// Subscribers of `channel` (PUBSUB NUMSUB).
  [[nodiscard]] std::int64_t numsub(std::string_view channel) const;
  /// Distinct patterns with subscribers (PUBSUB NUMPAT, INFO pubsub_patterns).
  [[nodiscard]] std::int64_t numpat() const noexcept { return n_patterns_.load(std::memory_order_relaxed); }
  /// Channels with subscribers (INFO pubsub_channels).
  [[nodiscard]] std::int64_t numchannels() const noexcept { return n_channels_.load(std::memory_order_relaxed); }

 private:
  struct entry {
    std::uint64_t id;
    std::weak_ptr<subscriber> sub;
  };
  static constexpr std::size_t shard_count = 16;
  struct shard {
    mutable std::shared_mutex mu;
    boost::unordered_flat_map<std::string, std::vector<entry>, string_hash, std::equal_to<>> channels;
  };
  shard& shard_of(std::string_view channel) const noexcept;

  mutable std::array<shard, shard_count> shards_;
  mutable std::shared_mutex pmu_;
  std::vector<std::pair<std::string, std::vector<entry>>> patterns_;  ///< in subscription order
  std::atomic<std::int64_t> n_channels_{0}, n_patterns_{0};
};

/// Clients in MONITOR mode. Thread-safe; count() is one atomic load for the dispatcher.
class monitor_list {
 public:
  /// Adds a monitor (MONITOR); idempotent per id.
  void add(std::uint64_t id, std::weak_ptr<subscriber> s);
  /// Removes monitor `id` (RESET, disconnect); unknown ids are ignored.
  void remove(std::uint64_t id);
  /// Number of monitors.
  [[nodiscard]] std::size_t count() const noexcept { return n_.load(std::memory_order_relaxed); }
  /// Sends `line` (the text after '+') to every monitor.
  void feed(std::string line);

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::uint64_t, std::weak_ptr<subscriber>>> monitors_;
  std::atomic<std::size_t> n_{0};
};

/// The MONITOR line for a command of client `addr` on `db` executed at `now_us` (Unix µs):
/// `1700000000.123456 [0 127.0.0.1:5000] "set" "k" "v"` (Redis replicationFeedMonitors,
/// arguments quoted as sdscatrepr), without the leading '+' and CRLF.
[[nodiscard]] std::string monitor_line(std::int64_t now_us, int db, std::string_view addr,
                                       const std::string_view* args, std::size_t argc);
/// `s` quoted and escaped as Redis sdscatrepr: "..." with \\ \" \n \r \t \a \b and \xHH.
void append_repr(std::string& out, std::string_view s);

// ---- keyspace notifications ---------------------------------------------------------------

/// notify-keyspace-events classes (Redis 7.0 server.h NOTIFY_*).
enum notify_flag : int {
  notify_keyspace = 1 << 0,   // K
  notify_keyevent = 1 << 1,   // E
  notify_generic = 1 << 2,    // g
  notify_string = 1 << 3,     // $
  notify_list = 1 << 4,       // l
  notify_set = 1 << 5,        // s
  notify_hash = 1 << 6,       // h
  notify_zset = 1 << 7,       // z
  notify_expired = 1 << 8,    // x
  notify_evicted = 1 << 9,    // e
  notify_stream = 1 << 10,    // t
  notify_key_miss = 1 << 11,  // m (not part of A)
  notify_module = 1 << 13,    // d
  notify_new = 1 << 14,       // n (not part of A)
  notify_all = notify_generic | notify_string | notify_list | notify_set | notify_hash | notify_zset |
               notify_expired | notify_evicted | notify_stream | notify_module,  // A
};

/// Parses notify-keyspace-events classes ("KEA", "Kx", "") as Redis
/// keyspaceEventsStringToFlags; -1 on an unknown character.
[[nodiscard]] int parse_notify_flags(std::string_view classes) noexcept;
/// Redis's canonical text for `flags` (keyspaceEventsFlagsToString), e.g. "AKE".
[[nodiscard]] std::string format_notify_flags(int flags);

/// Where notifications go: the registry and the configured classes.
struct notifier {
  registry* channels = nullptr;
  std::atomic<int>* flags = nullptr;  ///< notify-keyspace-events, parsed
};

/// Publishes `__keyspace@<db>__:<key>` → `event` and `__keyevent@<db>__:<event>` → `key` as
/// the configured classes select (Redis notifyKeyspaceEvent). Slow path of notify().
void notify_slow(const notifier& n, int type, std::string_view event, std::string_view key, int db);

/// Keyspace notification of class `type` (one notify_flag); one relaxed atomic load when
/// the class is off.
inline void notify(const notifier& n, int type, std::string_view event, std::string_view key, int db) {
  if (!n.flags || !(n.flags->load(std::memory_order_relaxed) & type)) return;
  notify_slow(n, type, event, key, db);
}

}  // namespace kvd::pubsub
