#include "kvd/command/watch.hpp"

#include <algorithm>

#include "kvd/command/client_context.hpp"
#include "kvd/store/keyspace.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/hash.hpp"

namespace kvd::command {

namespace {

/// The key is in the db's dict, expired or not (Redis dictFind(db->dict, key)).
bool present(store::database& db, std::string_view key) {
  auto h = util::hash_bytes(key);
  return db.shard_at(store::database::shard_index(h)).data.find(key, h) != nullptr;
}

/// Redis keyIsExpired: the key has an expire and it has passed.
bool is_expired(const store::database& db, std::string_view key, std::int64_t now) {
  auto when = db.expire_of(key);
  return when != -1 && when <= now;
}

}  // namespace

void watch_registry::watch(client_context& c, store::database& db, std::string_view key) {
  bool exists = present(db, key);
  std::int64_t when = exists ? db.expire_of(key) : -1;
  bool expired = when != -1 && when <= util::now_ms();
  std::lock_guard lk(mu_);
  auto& mine = by_client_[&c];
  for (auto& k : mine)
    if (k.db == db.index() && k.key == key) return;
  mine.push_back({db.index(), std::string(key)});
  c.watching = true;
  auto it = by_key_.find(key_ref{db.index(), key});
  if (it == by_key_.end()) it = by_key_.emplace(key_id{db.index(), std::string(key)}, std::vector<watcher>{}).first;
  it->second.push_back({&c, when, expired});
  watched_.fetch_add(1, std::memory_order_relaxed);
}

void watch_registry::drop_locked(client_context& c) {
  auto it = by_client_.find(&c);
  if (it == by_client_.end()) return;
  for (auto& k : it->second) {
    auto kit = by_key_.find(key_ref{k.db, k.key});
    if (kit == by_key_.end()) continue;
    auto& ws = kit->second;
    auto w = std::find_if(ws.begin(), ws.end(), [&](const watcher& x) { return x.client == &c; });
    if (w != ws.end()) {
      ws.erase(w);
      watched_.fetch_sub(1, std::memory_order_relaxed);
    }
    if (ws.empty()) by_key_.erase(kit);
  }
  by_client_.erase(it);
}

void watch_registry::unwatch_all(client_context& c) {
  if (!c.watching) return;
  std::lock_guard lk(mu_);
  drop_locked(c);
  c.watching = false;
}

void watch_registry::mark_dirty(client_context* c, std::vector<client_context*>& dirty) {
  c->dirty_cas.store(true, std::memory_order_relaxed);
  dirty.push_back(c);
}

void watch_registry::touch(store::database& db, std::string_view key) {
  std::vector<client_context*> dirty;
  std::lock_guard lk(mu_);
  auto it = by_key_.find(key_ref{db.index(), key});
  if (it == by_key_.end()) return;
  for (auto& w : it->second) {
    if (w.expired && !present(db, key)) {
      // Expired at WATCH and now deleted: logically no change (Redis touchWatchedKey).
      w.expired = false;
      w.expire_ms = -1;
      continue;
    }
    mark_dirty(w.client, dirty);
  }
  // A dirty client's EXEC fails whatever happens next: forget its watches now (as Redis).
  for (auto* c : dirty) drop_locked(*c);
}

void watch_registry::touch_all_in_db(store::database& emptied, store::database* replaced_with,
                                     std::vector<client_context*>& dirty) {
  std::int64_t now = util::now_ms();
  for (auto& [k, ws] : by_key_) {
    if (k.db != emptied.index()) continue;
    bool in_emptied = present(emptied, k.key);
    bool in_replaced = replaced_with && present(*replaced_with, k.key);
    if (!in_emptied && !in_replaced) continue;
    for (auto& w : ws) {
      if (w.expired) {
        if (!in_replaced) {
          // The expired key is deleted: no logical change; deleted keys are not "expired".
          w.expired = false;
          w.expire_ms = -1;
          continue;
        }
        if (is_expired(*replaced_with, k.key, now)) continue;  // still (logically) absent
      } else if (!in_emptied && is_expired(*replaced_with, k.key, now)) {
        w.expired = true;  // an absent key replaced by an expired one: still absent
        continue;
      }
      mark_dirty(w.client, dirty);
    }
  }
}

void watch_registry::touch_flushed(store::database& db) {
  if (!active()) return;
  std::vector<client_context*> dirty;
  std::lock_guard lk(mu_);
  touch_all_in_db(db, nullptr, dirty);
  for (auto* c : dirty) drop_locked(*c);
}

void watch_registry::touch_swapped(store::database& a, store::database& b) {
  if (!active()) return;
  std::vector<client_context*> dirty;
  std::lock_guard lk(mu_);
  touch_all_in_db(a, &b, dirty);
  touch_all_in_db(b, &a, dirty);
  for (auto* c : dirty) drop_locked(*c);
}

bool watch_registry::exec_aborts(client_context& c, std::int64_t now_ms) {
  if (!c.watching) return false;  // WATCH sets it and unwatch_all clears it, both on c's strand
  std::lock_guard lk(mu_);
  if (c.dirty_cas.load(std::memory_order_relaxed)) return true;
  auto it = by_client_.find(&c);
  if (it == by_client_.end()) return false;
  for (auto& k : it->second) {
    auto kit = by_key_.find(key_ref{k.db, k.key});
    if (kit == by_key_.end()) continue;
    for (auto& w : kit->second)
      if (w.client == &c && !w.expired && w.expire_ms != -1 && w.expire_ms <= now_ms) return true;
  }
  return false;
}

}  // namespace kvd::command
