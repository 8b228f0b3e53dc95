/* sqlite_internal.h - shared by the files of libmsgbus-sqlite. */
#ifndef MSGBUS_SQLITE_INTERNAL_H
#define MSGBUS_SQLITE_INTERNAL_H

#include <msgbus/sqlite.h>
#include <msgbus/value.h>

/* Reports SQLite's last error on db as MSGBUS_EIO (MSGBUS_EINVAL for a
 * constraint, such as a duplicate id), naming the table. */
int sqlite_fail(sqlite3 *db, const char *table, const char *what, msgbus_error *err);

/* Creates table and its indexes if missing (flags 0), or checks that it
 * exists (MSGBUS_SQLITE_NO_CREATE). */
int sqlite_schema_ensure(sqlite3 *db, const char *table, unsigned flags, msgbus_error *err);

#endif /* MSGBUS_SQLITE_INTERNAL_H */
