// kvd-cli: a client for kvd in the manner of redis-cli (src/redis-cli.c): interactive with
// libedit line editing, history (~/.kvdcli_history or $KVDCLI_HISTFILE) and COMMAND DOCS
// hints; one-shot (`kvd-cli SET k v`); commands from stdin when stdin is not a terminal;
// RESP2/RESP3 over TCP or the HTTP JSON API (`--http URL`). See docs/kvd-cli.md.
#include <histedit.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <iostream>
#include <string>
#include <vector>

#include "client.hpp"
#include "command_hints.hpp"
#include "reply_format.hpp"

namespace kvd::cli {
namespace {

constexpr const char* usage_text =
    "Usage: kvd-cli [OPTIONS] [cmd [arg [arg ...]]]\n"
    "  -h <hostname>      Server hostname (default: 127.0.0.1).\n"
    "  -p <port>          Server port (default: 6379).\n"
    "  -a <password>      Password to use when connecting (AUTH).\n"
    "  --user <username>  Username for AUTH/HELLO (ACL style).\n"
    "  -n <db>            Database number.\n"
    "  -2 / -3            Start the session in RESP2 (default) or RESP3 (HELLO 3).\n"
    "  --tls              Establish a TLS connection (kvd's tls-port; with --http, HTTPS).\n"
    "  --cacert <file>    CA certificate file to verify the server with.\n"
    "  --cacertdir <dir>  Directory of trusted CA certificates (the system's when neither is given).\n"
    "  --cert <file>      Client certificate (tls-auth-clients).\n"
    "  --key <file>       Private key of the client certificate.\n"
    "  --sni <host>       Server name indication for TLS (default: the host).\n"
    "  --insecure         Do not verify the server's certificate.\n"
    "  --http <url>       Talk to kvd's HTTP API (POST <url>/v1/command) instead of RESP.\n"
    "  --raw              Raw output (default when stdout is not a terminal).\n"
    "  --no-raw           Formatted output even when stdout is not a terminal.\n"
    "  --help             Output this help and exit.\n"
    "  --version          Output version and exit.\n"
    "\n"
    "Examples:\n"
    "  kvd-cli -p 7000 SET k v\n"
    "  printf 'SET a 1\\nGET a\\n' | kvd-cli\n"
    "  kvd-cli --http http://127.0.0.1:8080 INCR n\n"
    "\n"
    "When no command is given and stdin is a terminal, kvd-cli starts in interactive mode:\n"
    "type `help` there for the aliases (list, stats, compact).\n";

constexpr const char* interactive_help =
    "kvd-cli: type Redis commands (quote arguments with \"...\" or '...').\n"
    "  help                 this text\n"
    "  help <command>       the arguments and summary of a command (from COMMAND DOCS)\n"
    "  list [pattern]       SCAN every key (optionally matching a glob pattern) and print them\n"
    "  stats                a summary of INFO (version, uptime, clients, memory, keys)\n"
    "  compact              BGREWRITEAOF (rewrite the append-only file)\n"
    "  quit, exit           leave (Ctrl-D too)\n"
    "Arrow up/down walk the history; hints for arguments appear as you type.\n";

struct cli_options {
  connect_options conn;
  int raw = -1;  // -1: raw when stdout is not a terminal
  bool tls = false;
  std::vector<std::string> command;
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool parse_int(std::string_view s, int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

[[noreturn]] void die(const std::string& msg, int status = 1) {
  std::cerr << msg << "\n";
  std::exit(status);
}

// redis-cli's option rules: options first; the first non-option starts the command.
cli_options parse_options(int argc, char** argv) {
  cli_options o;
  int i = 1;
  auto value = [&](const std::string& name) -> std::string {
    if (i + 1 >= argc) die("kvd-cli: option " + name + " needs a value\n\n" + usage_text);
    return argv[++i];
  };
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h") {
      o.conn.host = value(a);
    } else if (a == "-p") {
      if (!parse_int(value(a), o.conn.port) || o.conn.port <= 0 || o.conn.port > 65535) die("kvd-cli: invalid port");
    } else if (a == "-a" || a == "--pass") {
      o.conn.password = value(a);
    } else if (a == "--user") {
      o.conn.user = value(a);
    } else if (a == "-n") {
      if (!parse_int(value(a), o.conn.db) || o.conn.db < 0) die("kvd-cli: invalid database number");
    } else if (a == "-2") {
      o.conn.resp = 2;
    } else if (a == "-3") {
      o.conn.resp = 3;
    } else if (a == "--tls") {
      o.tls = true;
      o.conn.tls = true;
    } else if (a == "--cacert") {
      o.conn.cacert = value(a);
    } else if (a == "--cacertdir") {
      o.conn.cacertdir = value(a);
    } else if (a == "--cert") {
      o.conn.cert = value(a);
    } else if (a == "--key") {
      o.conn.key = value(a);
    } else if (a == "--sni") {
      o.conn.sni = value(a);
    } else if (a == "--insecure") {
      o.conn.insecure = true;
    } else if (a == "--http") {
      o.conn.http_url = value(a);
    } else if (a == "--raw") {
      o.raw = 1;
    } else if (a == "--no-raw") {
      o.raw = 0;
    } else if (a == "--help") {
      std::cout << usage_text;
      std::exit(0);
    } else if (a == "-v" || a == "--version") {
      std::cout << "kvd-cli " << KVD_VERSION << "\n";
      std::exit(0);
    } else if (a.size() > 1 && a[0] == '-' && o.command.empty()) {
      die("kvd-cli: unrecognized option '" + a + "'\n\n" + usage_text);
    } else {
      for (; i < argc; ++i) o.command.emplace_back(argv[i]);
      break;
    }
  }
  return o;
}

class session {
 public:
  session(cli_options o, bool raw) : opt_(std::move(o)), raw_(raw) {}

  // Connects (or reconnects); prints the reason and returns false on failure.
  bool connect() {
    try {
      if (!opt_.conn.http_url.empty()) {
        client_ = make_http_client(opt_.conn);
        return true;
      }
      reply setup;
      client_ = make_resp_client(opt_.conn, setup);
      if (setup.is_error()) {
        print(setup);
        client_.reset();
        return false;
      }
      return true;
    } catch (const connection_error& e) {
      std::cerr << e.what() << "\n";
      client_.reset();
      return false;
    }
  }

  bool connected() const { return client_ != nullptr; }

  // Runs one command and prints its reply; returns false for an error reply or lost link.
  bool run_and_print(const std::vector<std::string>& args) {
    auto r = run(args);
    if (!r) return false;
    print(*r);
    return !r->is_error();
  }

  std::optional<reply> run(const std::vector<std::string>& args) {
    if (!client_ && !connect()) return std::nullopt;
    try {
      return client_->call(args);
    } catch (const connection_error& e) {
      std::cerr << e.what() << "\n";
      client_.reset();
      return std::nullopt;
    }
  }

  void print(const reply& r) {
    std::string out;
    if (raw_) out = format_raw(r);
    else out = format_pretty(r);
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }

  std::string prompt() const {
    if (!client_) return "not connected> ";
    std::string p = client_->address();
    if (client_->db() != 0) p.append(1, '[').append(std::to_string(client_->db())).append(1, ']');
    return p.append("> ");
  }

  // The seed vocabulary (list, stats, compact), help, or a plain command.
  // Returns false when the session should end (quit/exit).
  bool interactive_line(const std::vector<std::string>& args) {
    const std::string& name = args[0];
    if (iequals(name, "quit") || iequals(name, "exit")) return false;
    if (iequals(name, "help")) {
      if (args.size() == 1) {
        std::cout << interactive_help << std::flush;
      } else {
        std::string topic = args[1];
        if (args.size() > 2) topic += " " + args[2];
        std::string d = hints_.describe(topic);
        if (d.empty() && args.size() > 2) d = hints_.describe(args[1]);
        std::cout << (d.empty() ? "No help for '" + args[1] + "' (COMMAND DOCS knows nothing of it)\n" : d + "\n")
                  << std::flush;
      }
    } else if (iequals(name, "list") && args.size() <= 2) {
      alias_list(args.size() == 2 ? args[1] : "");
    } else if (iequals(name, "stats") && args.size() == 1) {
      alias_stats();
    } else if (iequals(name, "compact") && args.size() == 1) {
      run_and_print({"BGREWRITEAOF"});
    } else {
      run_and_print(args);
    }
    return true;
  }

  // Fetches COMMAND DOCS once (at the first moment connected), for hints and `help <command>`.
  void load_hints() {
    if (hints_tried_ || !client_) return;
    hints_tried_ = true;
    auto r = run({"COMMAND", "DOCS"});
    if (r && !r->is_error()) hints_.load(*r);
  }

  const command_hints& hints() const { return hints_; }

 private:
  // `list [pattern]`: SCAN from cursor 0 until it comes back to 0 (bounded), keys sorted.
  void alias_list(const std::string& pattern) {
    std::vector<std::string> keys;
    std::string cursor = "0";
    for (int round = 0; round < 1'000'000; ++round) {
      std::vector<std::string> cmd{"SCAN", cursor, "COUNT", "1000"};
      if (!pattern.empty()) cmd.insert(cmd.end(), {"MATCH", pattern});
      auto r = run(cmd);
      if (!r) return;
      if (r->is_error() || r->elems.size() != 2 || !r->elems[0].is_text()) {
        print(*r);
        return;
      }
      cursor = r->elems[0].str;
      for (auto& k : r->elems[1].elems) keys.push_back(k.str);
      if (cursor == "0") break;
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    reply out;
    out.k = reply::kind::array;
    for (auto& k : keys) {
      reply e;
      e.k = reply::kind::bulk;
      e.str = k;
      out.elems.push_back(std::move(e));
    }
    print(out);
  }

  // `stats`: a few INFO fields, "name: value" per line, then one line per database.
  void alias_stats() {
    auto r = run({"INFO"});
    if (!r) return;
    if (!r->is_text()) {
      print(*r);
      return;
    }
    static constexpr const char* fields[] = {
        "kvd_version", "redis_version", "uptime_in_seconds", "connected_clients", "used_memory_human",
        "total_commands_processed", "instantaneous_ops_per_sec", "keyspace_hits", "keyspace_misses",
        "aof_enabled", "role"};
    std::vector<std::pair<std::string, std::string>> kv;
    std::vector<std::string> dbs;
    std::string_view text = r->str;
    while (!text.empty()) {
      auto nl = text.find('\n');
      auto line = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      auto colon = line.find(':');
      if (line.empty() || line[0] == '#' || colon == std::string_view::npos) continue;
      auto key = line.substr(0, colon);
      if (key.size() > 2 && key.substr(0, 2) == "db" && std::isdigit(static_cast<unsigned char>(key[2]))) {
        dbs.emplace_back(line);
        continue;
      }
      kv.emplace_back(key, line.substr(colon + 1));
    }
    std::string out;
    for (auto* f : fields)
      for (auto& [k, v] : kv)
        if (k == f) out += k + ": " + v + "\n";
    if (dbs.empty()) out += "keyspace: empty\n";
    for (auto& d : dbs) out += d + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }

  cli_options opt_;
  bool raw_;
  std::unique_ptr<client> client_;
  command_hints hints_;
  bool hints_tried_ = false;
};

// ---- interactive mode (libedit) ----

struct editor_state {
  session* s = nullptr;
  std::string prompt;
  std::string rprompt;
  bool no_hint = false;  // set while a line is being accepted
};

editor_state g_editor;  // libedit's prompt callbacks take no user pointer

char* prompt_fn(EditLine*) { return g_editor.prompt.data(); }

// The hint for the line being edited, drawn as libedit's right prompt (plain text: escape
// sequences in a right prompt confuse libedit's incremental redraw).
char* rprompt_fn(EditLine* el) {
  g_editor.rprompt.clear();
  if (g_editor.no_hint) return g_editor.rprompt.data();
  const LineInfo* li = el_line(el);
  std::string line(li->buffer, static_cast<std::size_t>(li->lastchar - li->buffer));
  bool ok = false;
  auto words = split_args(line, ok);
  if (ok && !words.empty()) {
    bool trailing = !line.empty() && std::isspace(static_cast<unsigned char>(line.back()));
    std::string h = g_editor.s->hints().hint_for(words, trailing);
    g_editor.rprompt = h;
  }
  return g_editor.rprompt.data();
}

// Bound to printable keys: inserts the key and asks for a full redraw, so the hint updates
// (libedit's fast path for plain insertion would not call the right prompt again).
unsigned char insert_and_hint(EditLine* el, int ch) {
  char s[2] = {static_cast<char>(ch), 0};
  if (el_insertstr(el, s) != 0) return CC_ERROR;
  return CC_REFRESH;
}

// Bound to Enter: redraws the line without its hint (so the hint does not stay in the
// scrollback), then accepts it through ^_ pushed back as input and bound to ed-newline.
unsigned char accept_line(EditLine* el, int) {
  g_editor.no_hint = true;
  el_push(el, "\037");
  return CC_REFRESH;
}

std::string history_path() {
  if (const char* p = std::getenv("KVDCLI_HISTFILE"); p && *p) return p;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.kvdcli_history";
}

int interactive(session& s) {
  g_editor.s = &s;
  s.connect();
  s.load_hints();
  EditLine* el = el_init("kvd-cli", stdin, stdout, stderr);
  History* hist = history_init();
  HistEvent ev;
  history(hist, &ev, H_SETSIZE, 1000);
  history(hist, &ev, H_SETUNIQUE, 1);
  const std::string hpath = history_path();
  history(hist, &ev, H_LOAD, hpath.c_str());
  el_set(el, EL_EDITOR, "emacs");
  el_set(el, EL_SIGNAL, 1);
  el_set(el, EL_HIST, history, hist);
  el_set(el, EL_PROMPT, prompt_fn);
  el_set(el, EL_RPROMPT, rprompt_fn);
  el_set(el, EL_ADDFN, "kvd-insert", "insert a character and refresh the hint", insert_and_hint);
  for (int c = 0x20; c < 0x7f; ++c) {
    char key[8];  // octal escape, so '-', '^' and '\\' are not read as bind syntax
    std::snprintf(key, sizeof key, "\\%03o", c);
    el_set(el, EL_BIND, key, "kvd-insert", nullptr);
  }
  el_set(el, EL_ADDFN, "kvd-accept", "clear the hint, then accept the line", accept_line);
  el_set(el, EL_BIND, "^M", "kvd-accept", nullptr);
  el_set(el, EL_BIND, "^J", "kvd-accept", nullptr);
  el_set(el, EL_BIND, "^_", "ed-newline", nullptr);
  el_source(el, nullptr);  // ~/.editrc, as every libedit program
  for (;;) {
    g_editor.prompt = s.prompt();
    g_editor.no_hint = false;
    int count = 0;
    const char* raw_line = el_gets(el, &count);
    if (!raw_line) {  // Ctrl-D
      std::cout << "\n";
      break;
    }
    std::string line(raw_line, static_cast<std::size_t>(count));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    bool ok = false;
    auto args = split_args(line, ok);
    if (!ok) {
      std::cout << "Invalid argument(s)\n" << std::flush;
      continue;
    }
    if (args.empty()) continue;
    history(hist, &ev, H_ENTER, line.c_str());
    history(hist, &ev, H_SAVE, hpath.c_str());
    if (!s.interactive_line(args)) break;
    s.load_hints();  // no-op once done; covers a server that was down at start
  }
  history(hist, &ev, H_SAVE, hpath.c_str());
  history_end(hist);
  el_end(el);
  return 0;
}

// Commands from a pipe: one per line, like redis-cli without a terminal. Exit status 1 when
// a command failed (error reply or connection lost), else 0.
int from_stdin(session& s) {
  if (!s.connect()) return 1;
  int status = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    bool ok = false;
    auto args = split_args(line, ok);
    if (!ok) {
      std::cerr << "Invalid argument(s)\n";
      status = 1;
      continue;
    }
    if (args.empty()) continue;
    if (iequals(args[0], "quit") || iequals(args[0], "exit")) break;
    if (!s.run_and_print(args)) {
      status = 1;
      if (!s.connected()) break;
    }
  }
  return status;
}

int run_main(int argc, char** argv) {
  cli_options o = parse_options(argc, argv);
  const bool stdout_tty = isatty(STDOUT_FILENO);
  const bool raw = o.raw == -1 ? !stdout_tty : o.raw == 1;
  session s(o, raw);
  if (!o.command.empty()) {
    if (!s.connect()) return 1;
    return s.run_and_print(o.command) ? 0 : 1;
  }
  if (!isatty(STDIN_FILENO)) return from_stdin(s);
  return interactive(s);
}

}  // namespace
}  // namespace kvd::cli

int main(int argc, char** argv) { return kvd::cli::run_main(argc, argv); }
