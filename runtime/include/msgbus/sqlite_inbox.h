/* msgbus/sqlite_inbox.h - the inbox over the caller's sqlite3 connection
 * (in libmsgbus-sqlite).  See msgbus/inbox.h and msgbus_nats(3). */
#ifndef MSGBUS_SQLITE_INBOX_H
#define MSGBUS_SQLITE_INBOX_H

#include <sqlite3.h>
#include <msgbus/inbox.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MSGBUS_SQLITE_DEFAULT_INBOX "msgbus_inbox"

/* Makes *out an inbox over db (borrowed) and table (NULL for the default:
 * a letter or '_' then letters, digits or '_'), creating the table when
 * missing.  begin opens a transaction (BEGIN IMMEDIATE), or a savepoint
 * when the caller has one open.  Free with msgbus_inbox_free.  Returns 0,
 * MSGBUS_EINVAL, MSGBUS_EIO or MSGBUS_ENOMEM. */
int msgbus_sqlite_inbox_new(sqlite3 *db, const char *table, msgbus_inbox *out,
                            msgbus_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MSGBUS_SQLITE_INBOX_H */
