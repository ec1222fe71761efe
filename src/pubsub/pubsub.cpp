#include "kvd/pubsub/pubsub.hpp"

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "kvd/util/glob.hpp"
#include "kvd/util/hash.hpp"

namespace kvd::pubsub {

registry::shard& registry::shard_of(std::string_view channel) const noexcept {
  return shards_[util::hash_bytes(channel) % shard_count];
}

namespace {
template <class Entries>
bool add_entry(Entries& v, std::uint64_t id, std::weak_ptr<subscriber>&& s) {
  for (auto& e : v)
    if (e.id == id) return false;
  v.push_back({id, std::move(s)});
  return true;
}
template <class Entries>
bool remove_entry(Entries& v, std::uint64_t id) {
  auto it = std::find_if(v.begin(), v.end(), [id](auto& e) { return e.id == id; });
  if (it == v.end()) return false;
  v.erase(it);  // keeps subscription order (delivery order as Redis's list)
  return true;
}
}  // namespace

bool registry::subscribe(std::string_view channel, std::uint64_t id, std::weak_ptr<subscriber> s) {
  auto& sh = shard_of(channel);
  std::unique_lock lk(sh.mu);
  auto it = sh.channels.find(channel);
  if (it == sh.channels.end()) {
    it = sh.channels.emplace(std::string(channel), std::vector<entry>{}).first;
    n_channels_.fetch_add(1, std::memory_order_relaxed);
  }
  return add_entry(it->second, id, std::move(s));
}

bool registry::unsubscribe(std::string_view channel, std::uint64_t id) {
  auto& sh = shard_of(channel);
  std::unique_lock lk(sh.mu);
  auto it = sh.channels.find(channel);
  if (it == sh.channels.end() || !remove_entry(it->second, id)) return false;
  if (it->second.empty()) {
    sh.channels.erase(it);
    n_channels_.fetch_sub(1, std::memory_order_relaxed);
  }
  return true;
}

bool registry::psubscribe(std::string_view pattern, std::uint64_t id, std::weak_ptr<subscriber> s) {
  std::unique_lock lk(pmu_);
  auto it = std::find_if(patterns_.begin(), patterns_.end(), [&](auto& p) { return p.first == pattern; });
  if (it == patterns_.end()) {
    patterns_.emplace_back(std::string(pattern), std::vector<entry>{});
    it = patterns_.end() - 1;
    n_patterns_.fetch_add(1, std::memory_order_relaxed);
  }
  return add_entry(it->second, id, std::move(s));
}

bool registry::punsubscribe(std::string_view pattern, std::uint64_t id) {
  std::unique_lock lk(pmu_);
  auto it = std::find_if(patterns_.begin(), patterns_.end(), [&](auto& p) { return p.first == pattern; });
  if (it == patterns_.end() || !remove_entry(it->second, id)) return false;
  if (it->second.empty()) {
    patterns_.erase(it);
    n_patterns_.fetch_sub(1, std::memory_order_relaxed);
  }
  return true;
}

std::int64_t registry::publish(std::string_view channel, std::string_view payload, message::kind channel_kind) {
  std::int64_t receivers = 0;
  {
    auto& sh = shard_of(channel);
    std::shared_lock lk(sh.mu);
    auto it = sh.channels.find(channel);
    if (it != sh.channels.end()) {
      auto m = std::make_shared<message>();
      m->type = channel_kind;
      m->channel = channel;
      m->payload = payload;
      for (auto& e : it->second) {
        if (auto s = e.sub.lock()) {
          s->deliver(m);
          ++receivers;
        }
      }
    }
  }
  if (n_patterns_.load(std::memory_order_relaxed) == 0) return receivers;
  std::shared_lock lk(pmu_);
  for (auto& [pattern, subs] : patterns_) {
    if (!util::glob_match(pattern, channel)) continue;
    auto m = std::make_shared<message>();
    m->type = message::kind::pmessage;
    m->pattern = pattern;
    m->channel = channel;
    m->payload = payload;
    for (auto& e : subs) {
      if (auto s = e.sub.lock()) {
        s->deliver(m);
        ++receivers;
      }
    }
  }
  return receivers;
}

std::vector<std::string> registry::channels(const std::string* pattern) const {
  std::vector<std::string> out;
  for (auto& sh : shards_) {
    std::shared_lock lk(sh.mu);
    for (auto& [name, subs] : sh.channels)
      if (!pattern || util::glob_match(*pattern, name)) out.push_back(name);
  }
  return out;
}

std::int64_t registry::numsub(std::string_view channel) const {
  auto& sh = shard_of(channel);
  std::shared_lock lk(sh.mu);
  auto it = sh.channels.find(channel);
  return it == sh.channels.end() ? 0 : static_cast<std::int64_t>(it->second.size());
}

void monitor_list::add(std::uint64_t id, std::weak_ptr<subscriber> s) {
  std::lock_guard lk(mu_);
  for (auto& [i, w] : monitors_)
    if (i == id) return;
  monitors_.emplace_back(id, std::move(s));
  n_.store(monitors_.size(), std::memory_order_relaxed);
}

void monitor_list::remove(std::uint64_t id) {
  std::lock_guard lk(mu_);
  std::erase_if(monitors_, [id](auto& p) { return p.first == id; });
  n_.store(monitors_.size(), std::memory_order_relaxed);
}

void monitor_list::feed(std::string line) {
  auto m = std::make_shared<message>();
  m->type = message::kind::monitor;
  m->payload = std::move(line);
  std::lock_guard lk(mu_);
  for (auto& [id, w] : monitors_)
    if (auto s = w.lock()) s->deliver(m);
}

void append_repr(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char ch : s) {
    switch (ch) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      default:
        if (ch >= 0x20 && ch < 0x7f) {  // isprint in the C locale
          out.push_back(static_cast<char>(ch));
        } else {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", ch);
          out += buf;
        }
    }
  }
  out.push_back('"');
}

std::string monitor_line(std::int64_t now_us, int db, std::string_view addr, const std::string_view* args,
                         std::size_t argc) {
  char head[64];
  std::snprintf(head, sizeof head, "%lld.%06lld [%d ", static_cast<long long>(now_us / 1000000),
                static_cast<long long>(now_us % 1000000), db);
  std::string line = head;
  line.append(addr);
  line.push_back(']');
  for (std::size_t i = 0; i < argc; ++i) {
    line.push_back(' ');
    append_repr(line, args[i]);
  }
  return line;
}

int parse_notify_flags(std::string_view classes) noexcept {
  int flags = 0;
  for (char c : classes) {
    switch (c) {
      case 'A': flags |= notify_all; break;
      case 'g': flags |= notify_generic; break;
      case '$': flags |= notify_string; break;
      case 'l': flags |= notify_list; break;
      case 's': flags |= notify_set; break;
      case 'h': flags |= notify_hash; break;
      case 'z': flags |= notify_zset; break;
      case 'x': flags |= notify_expired; break;
      case 'e': flags |= notify_evicted; break;
      case 'K': flags |= notify_keyspace; break;
      case 'E': flags |= notify_keyevent; break;
      case 't': flags |= notify_stream; break;
      case 'm': flags |= notify_key_miss; break;
      case 'd': flags |= notify_module; break;
      case 'n': flags |= notify_new; break;
      default: return -1;
    }
  }
  return flags;
}

std::string format_notify_flags(int flags) {
  std::string r;
  if ((flags & notify_all) == notify_all) {
    r += 'A';
  } else {
    if (flags & notify_generic) r += 'g';
    if (flags & notify_string) r += '$';
    if (flags & notify_list) r += 'l';
    if (flags & notify_set) r += 's';
    if (flags & notify_hash) r += 'h';
    if (flags & notify_zset) r += 'z';
    if (flags & notify_expired) r += 'x';
    if (flags & notify_evicted) r += 'e';
    if (flags & notify_stream) r += 't';
    if (flags & notify_module) r += 'd';
    if (flags & notify_new) r += 'n';  // Redis 7.0 drops 'n' after 'A' ("KEAn" reads back "AKE")
  }
  if (flags & notify_keyspace) r += 'K';
  if (flags & notify_keyevent) r += 'E';
  if (flags & notify_key_miss) r += 'm';
  return r;
}

void notify_slow(const notifier& n, int type, std::string_view event, std::string_view key, int db) {
  (void)type;
  if (!n.channels) return;
  int flags = n.flags->load(std::memory_order_relaxed);
  std::string chan;
  if (flags & notify_keyspace) {
    chan = "__keyspace@" + std::to_string(db) + "__:";
    chan.append(key);
    n.channels->publish(chan, event);
  }
  if (flags & notify_keyevent) {
    chan = "__keyevent@" + std::to_string(db) + "__:";
    chan.append(event);
    n.channels->publish(chan, key);
  }
}

}  // namespace kvd::pubsub
