#include "kvd/command/command_table.hpp"

#include <cctype>

namespace kvd::command {

std::string_view to_lower(std::string_view s, char* buf, std::size_t cap) noexcept {
  if (s.size() > cap) return {};
  for (std::size_t i = 0; i < s.size(); ++i) buf[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
  return {buf, s.size()};
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

namespace {
void fill(command_spec& c, const command_row& r) {
  c.name = r.name;
  c.arity = r.arity;
  c.flags = r.flags;
  c.first_key = r.first_key;
  c.last_key = r.last_key;
  c.key_step = r.key_step;
  c.handler = r.handler;
  c.acl_categories = r.acl_categories;
}
}  // namespace

command_spec& command_table::add(const command_row& row) {
  auto& c = commands_.emplace_back();
  fill(c, row);
  c.id = next_id_++;
  c.fullname = c.name;
  by_name_[c.name] = &c;
  return c;
}

command_spec& command_table::add_sub(command_spec& parent, const command_row& row) {
  auto& c = parent.subcommands.emplace_back();
  fill(c, row);
  c.id = next_id_++;
  c.fullname = parent.name + "|" + c.name;
  c.parent = &parent;
  return c;
}

const command_spec* command_table::find(std::string_view name) const noexcept {
  char buf[64];
  auto low = to_lower(name, buf, sizeof buf);
  if (low.empty()) return nullptr;
  auto it = by_name_.find(low);
  return it == by_name_.end() ? nullptr : it->second;
}

const command_spec* command_spec::find_sub(std::string_view sub) const noexcept {
  for (auto& s : subcommands)
    if (iequals(s.name, sub)) return &s;
  return nullptr;
}

void register_all_families(command_table& t) {
  register_connection_family(t);
  register_string_family(t);
  register_keyspace_family(t);
  register_server_family(t);
  register_command_family(t);
  register_list_family(t);
  register_set_family(t);
  register_hash_family(t);
  register_zset_family(t);
  register_bitops_family(t);
  register_sort_family(t);
  register_multi_family(t);
  register_persistence_family(t);
  register_pubsub_family(t);
  register_introspection_family(t);
  register_dump_family(t);
  register_acl_family(t);
}

}  // namespace kvd::command
