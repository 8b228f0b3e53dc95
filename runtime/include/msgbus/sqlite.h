/* msgbus/sqlite.h - the SQLite outbox repository (libmsgbus-sqlite).
 *
 * The repository writes through the caller's own connection and never
 * opens a transaction around msgbus_outbox_register: a row registered
 * between the caller's BEGIN and COMMIT commits or rolls back with the
 * caller's data.  See msgbus_outbox(3). */
#ifndef MSGBUS_SQLITE_H
#define MSGBUS_SQLITE_H

#include <sqlite3.h>
#include <msgbus/outbox.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Table used when the name given is NULL. */
#define MSGBUS_SQLITE_DEFAULT_TABLE "msgbus_outbox"

/* Longest table name accepted: see msgbus_outbox_table_name_valid. */
#define MSGBUS_SQLITE_TABLE_MAX MSGBUS_OUTBOX_TABLE_MAX

/* Flags of msgbus_sqlite_outbox_new. */
enum {
    /* Do not create the table and its indexes: fail with MSGBUS_ENOTFOUND
     * if the table is missing (for tools that inspect a database). */
    MSGBUS_SQLITE_NO_CREATE = 1
};

/* Makes *out a repository over db (borrowed: free the repository before
 * closing db) and table (NULL for the default).  Creates the table and its
 * indexes when missing, unless flags has MSGBUS_SQLITE_NO_CREATE.  Returns
 * 0, MSGBUS_EINVAL (bad table name), MSGBUS_ENOTFOUND (no table and
 * NO_CREATE), MSGBUS_EIO (SQLite's message in err) or MSGBUS_ENOMEM. */
int msgbus_sqlite_outbox_new(sqlite3 *db, const char *table, unsigned flags,
                             msgbus_outbox_repo **out, msgbus_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MSGBUS_SQLITE_H */
