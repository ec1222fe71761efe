#include "command_hints.hpp"

#include <cctype>

namespace kvd::cli {
namespace {

using kind = reply::kind;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A map reply as (key, value) pairs; RESP2 sends maps as flat arrays.
std::vector<std::pair<const reply*, const reply*>> pairs(const reply& r) {
  std::vector<std::pair<const reply*, const reply*>> out;
  if (r.k != kind::map && r.k != kind::array) return out;
  for (std::size_t i = 0; i + 1 < r.elems.size(); i += 2) out.emplace_back(&r.elems[i], &r.elems[i + 1]);
  return out;
}

const reply* field(const reply& r, std::string_view name) {
  for (auto [k, v] : pairs(r))
    if (k->is_text() && k->str == name) return v;
  return nullptr;
}

std::string text(const reply* r) { return r && r->is_text() ? r->str : std::string(); }

bool has_flag(const reply& arg, std::string_view flag) {
  const reply* flags = field(arg, "flags");
  if (!flags) return false;
  for (auto& f : flags->elems)
    if (f.is_text() && f.str == flag) return true;
  return false;
}

// One argument as redis-cli renders it (src/redis-cli.c addHintForArgument).
std::string render_arg(const reply& arg) {
  std::string type = text(field(arg, "type"));
  std::string token = text(field(arg, "token"));
  std::string s;
  if (type == "pure-token") {
    s = token;
  } else if (type == "block" || type == "oneof") {
    const reply* subs = field(arg, "arguments");
    if (subs)
      for (auto& sub : subs->elems) {
        if (!s.empty()) s += type == "oneof" ? "|" : " ";
        s += render_arg(sub);
      }
    if (!token.empty()) s = token + " " + s;
  } else {
    s = text(field(arg, "name"));
    if (!token.empty()) s = token + " " + s;
  }
  if (has_flag(arg, "multiple")) s = s + " [" + s + " ...]";
  if (has_flag(arg, "optional")) s = "[" + s + "]";
  return s;
}

std::string render_args(const reply* args) {
  std::string s;
  if (!args) return s;
  for (auto& a : args->elems) {
    if (!s.empty()) s += ' ';
    s += render_arg(a);
  }
  return s;
}

// Splits a rendered hint into top-level words (brackets kept together) to drop typed ones.
std::vector<std::string> hint_words(const std::string& h) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : h) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (c == ' ' && depth == 0) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

}  // namespace

std::size_t command_hints::load(const reply& docs) {
  for (auto [k, v] : pairs(docs)) {
    if (!k->is_text()) continue;
    std::string name = lower(k->str);
    args_[name] = render_args(field(*v, "arguments"));
    summary_[name] = text(field(*v, "summary"));
    if (const reply* subs = field(*v, "subcommands")) {
      for (auto [sk, sv] : pairs(*subs)) {
        if (!sk->is_text()) continue;
        std::string sub = lower(sk->str);  // "config|get"
        auto bar = sub.find('|');
        if (bar != std::string::npos) sub[bar] = ' ';
        args_[sub] = render_args(field(*sv, "arguments"));
        summary_[sub] = text(field(*sv, "summary"));
      }
    }
  }
  return args_.size();
}

std::string command_hints::hint_for(const std::vector<std::string>& words, bool trailing_space) const {
  if (words.empty()) return {};
  std::size_t used = 0;
  const std::string* hint = nullptr;
  if (words.size() >= 2 && (words.size() > 2 || trailing_space)) {
    auto it = args_.find(lower(words[0]) + " " + lower(words[1]));
    if (it != args_.end()) {
      hint = &it->second;
      used = 2;
    }
  }
  if (!hint) {
    auto it = args_.find(lower(words[0]));
    if (it == args_.end()) return {};
    hint = &it->second;
    used = 1;
  }
  // Drop as many leading hint words as arguments were typed (completed ones only).
  std::size_t typed = words.size() - used;  // a word being typed fills its slot already
  if (typed == 0 && !trailing_space && used == 2) return {};
  auto hw = hint_words(*hint);
  if (typed >= hw.size()) {
    // Past the fixed arguments: keep showing a repeating/optional tail if there is one.
    if (!hw.empty() && (hw.back().front() == '[')) return hw.back();
    return {};
  }
  std::string out;
  for (std::size_t i = typed; i < hw.size(); ++i) {
    if (!out.empty()) out += ' ';
    out += hw[i];
  }
  return out;
}

std::string command_hints::describe(const std::string& name) const {
  auto key = lower(name);
  auto it = args_.find(key);
  if (it == args_.end()) return {};
  std::string upper = name;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string out = "\n  " + upper + (it->second.empty() ? "" : " " + it->second) + "\n";
  auto s = summary_.find(key);
  if (s != summary_.end() && !s->second.empty()) out += "  summary: " + s->second + "\n";
  return out;
}

std::vector<std::string> split_args(const std::string& line, bool& ok) {
  ok = true;
  std::vector<std::string> out;
  std::size_t i = 0, n = line.size();
  auto hexval = [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
  };
  for (;;) {
    while (i < n && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= n) return out;
    std::string cur;
    bool in_dq = false, in_sq = false, done = false;
    while (!done) {
      if (in_dq) {
        if (i >= n) {
          ok = false;
          return {};
        }
        if (line[i] == '\\' && i + 3 < n && line[i + 1] == 'x' && std::isxdigit(static_cast<unsigned char>(line[i + 2])) &&
            std::isxdigit(static_cast<unsigned char>(line[i + 3]))) {
          cur += static_cast<char>(hexval(line[i + 2]) * 16 + hexval(line[i + 3]));
          i += 3;
        } else if (line[i] == '\\' && i + 1 < n) {
          ++i;
          char c = line[i];
          cur += c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c == 'b' ? '\b' : c == 'a' ? '\a' : c;
        } else if (line[i] == '"') {
          if (i + 1 < n && !std::isspace(static_cast<unsigned char>(line[i + 1]))) {
            ok = false;  // closing quote must be followed by a space
            return {};
          }
          done = true;
        } else {
          cur += line[i];
        }
      } else if (in_sq) {
        if (i >= n) {
          ok = false;
          return {};
        }
        if (line[i] == '\\' && i + 1 < n && line[i + 1] == '\'') {
          ++i;
          cur += '\'';
        } else if (line[i] == '\'') {
          if (i + 1 < n && !std::isspace(static_cast<unsigned char>(line[i + 1]))) {
            ok = false;
            return {};
          }
          done = true;
        } else {
          cur += line[i];
        }
      } else {
        if (i >= n) {
          done = true;
          break;
        }
        char c = line[i];
        if (std::isspace(static_cast<unsigned char>(c))) done = true;
        else if (c == '"') in_dq = true;
        else if (c == '\'') in_sq = true;
        else cur += c;
      }
      if (i < n) ++i;
    }
    out.push_back(std::move(cur));
  }
}

}  // namespace kvd::cli
