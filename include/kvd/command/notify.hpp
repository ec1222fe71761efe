// Keyspace notifications from command handlers: the event of a command on a key of the
// client's database (Redis notifyKeyspaceEvent calls in t_*.c, db.c, expire.c). One relaxed
// atomic load when notify-keyspace-events leaves the class off.
#pragma once
#include <string_view>

#include "kvd/command/command_table.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/pubsub/pubsub.hpp"

namespace kvd::command {

/// Publishes event `event` (class `type`, a pubsub::notify_flag) for `key` in the client's
/// selected database.
inline void notify(command_context& c, int type, std::string_view event, std::string_view key) {
  pubsub::notify(c.server.notifier, type, event, key, c.client.db);
}

/// The same for database `db` (MOVE's and COPY's destination).
inline void notify_db(command_context& c, int type, std::string_view event, std::string_view key, int db) {
  pubsub::notify(c.server.notifier, type, event, key, db);
}

}  // namespace kvd::command
