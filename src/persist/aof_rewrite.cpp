// The rewrite base in AOF form (aof-use-rdb-preamble no), as Redis 7.0's
// rewriteAppendOnlyFileRio writes it: per non-empty database a SELECT, then per key the
// commands that rebuild it (SET, RPUSH, SADD, ZADD, HMSET; at most 64 elements per command,
// AOF_REWRITE_ITEMS_PER_CMD) and PEXPIREAT when it has a TTL. Runs in the forked rewrite
// child, which alone owns its copy of memory: no locks, no logging.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kvd/persist/aof.hpp"
#include "kvd/store/hash.hpp"
#include "kvd/store/keyspace.hpp"
#include "kvd/store/list.hpp"
#include "kvd/store/listpack.hpp"
#include "kvd/store/set.hpp"
#include "kvd/store/zset.hpp"

namespace kvd::persist {

namespace {

constexpr std::size_t items_per_cmd = 64;  // Redis AOF_REWRITE_ITEMS_PER_CMD

/// Buffered writer to an fd; remembers the first errno.
class base_out {
 public:
  explicit base_out(int fd) : fd_(fd) {}
  void cmd(const std::vector<std::string>& args) {
    std::vector<std::string_view> v(args.begin(), args.end());
    encode_command(buf_, v);
    if (buf_.size() >= (1u << 20)) flush();
  }
  bool flush() {
    std::size_t done = 0;
    while (err_ == 0 && done < buf_.size()) {
      ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) err_ = n < 0 ? errno : EIO;
      else done += static_cast<std::size_t>(n);
    }
    buf_.clear();
    return err_ == 0;
  }
  [[nodiscard]] int err() const noexcept { return err_; }

 private:
  int fd_;
  int err_ = 0;
  std::string buf_;
};

/// Emits `name key e1 e2 ...` in batches of `per` elements (an element may be several
/// arguments: `width` of them).
class batcher {
 public:
  batcher(base_out& o, const char* name, std::string_view key, std::size_t width)
      : o_(o), name_(name), key_(key), width_(width) {}
  ~batcher() { emit(); }
  void add(std::string_view a) {
    if (args_.empty()) {
      args_.emplace_back(name_);
      args_.emplace_back(key_);
    }
    args_.emplace_back(a);
    if (args_.size() - 2 == items_per_cmd * width_) emit();
  }

 private:
  void emit() {
    if (!args_.empty()) o_.cmd(args_);
    args_.clear();
  }
  base_out& o_;
  const char* name_;
  std::string_view key_;
  std::size_t width_;
  std::vector<std::string> args_;
};

std::string score_text(double s) {
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%.17g", s);  // Redis rioWriteBulkDouble
  return std::string(buf, static_cast<std::size_t>(n));
}

void write_key(base_out& o, std::string_view key, const store::value& v) {
  using store::value_type;
  switch (v.type()) {
    case value_type::string:
      o.cmd({"SET", std::string(key), std::string(v.str())});
      return;
    case value_type::list: {
      auto* l = static_cast<const store::list_value*>(v.obj());
      batcher b(o, "RPUSH", key, 1);
      store::listpack::int_buf ib;
      for (auto it = l->at(0); it.valid(); it.next()) b.add(it.get(ib));
      return;
    }
    case value_type::set: {
      auto* s = static_cast<const store::set_object*>(v.obj());
      batcher b(o, "SADD", key, 1);
      s->for_each([&](const store::set_member& m) { b.add(m.view()); });
      return;
    }
    case value_type::hash: {
      store::hash h(v);
      batcher b(o, "HMSET", key, 2);
      h.for_each([&](std::string_view f, std::string_view val) {
        b.add(f);
        b.add(val);
      });
      return;
    }
    case value_type::zset: {
      auto* z = static_cast<const store::zset*>(v.obj());
      batcher b(o, "ZADD", key, 2);
      z->walk(0, false, [&](std::string_view m, double s) {
        b.add(score_text(s));
        b.add(m);
        return true;
      });
      return;
    }
  }
}

}  // namespace

bool write_aof_base_fd(store::keyspace& ks, int fd, std::string& error) {
  base_out o(fd);
  for (int i = 0; i < ks.databases() && o.err() == 0; ++i) {
    auto& db = ks.db(i);
    bool selected = false;
    for (unsigned s = 0; s < store::database::shard_count; ++s) {
      auto& sh = db.shard_at(s);
      sh.data.for_each([&](const auto& n) {
        if (!selected) {
          o.cmd({"SELECT", std::to_string(i)});
          selected = true;
        }
        write_key(o, n.key.view(), n.val);
        if (n.val.has_expire()) {
          if (auto* e = sh.expires.find(n.key.view()))
            o.cmd({"PEXPIREAT", std::string(n.key.view()), std::to_string(e->val)});
        }
      });
    }
  }
  if (!o.flush()) {
    error = std::strerror(o.err());
    return false;
  }
  return true;
}

}  // namespace kvd::persist
