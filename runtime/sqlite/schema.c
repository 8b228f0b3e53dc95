/* schema.c - the outbox table: creation and errors.  The table
 * name is the only text put into SQL; it is checked to be an identifier, so
 * nothing can be injected through it. */
#include "sqlite_internal.h"

#include <stdio.h>

/* The database's file name for error texts ("" for an in-memory one). */
static const char *file_of(sqlite3 *db)
{
    const char *file = sqlite3_db_filename(db, "main");
    return file ? file : "";
}

int sqlite_fail(sqlite3 *db, const char *table, const char *what, msgbus_error *err)
{
    int code = sqlite3_errcode(db) == SQLITE_CONSTRAINT ? MSGBUS_EINVAL : MSGBUS_EIO;
    const char *file = file_of(db);
    return msgbus_error_set(err, code, NULL, "outbox table %s%s%s: %s: %s", table,
                            *file ? " in " : "", file, what, sqlite3_errmsg(db));
}

static int table_exists(sqlite3 *db, const char *table, msgbus_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlite_fail(db, table, "looking for the table", err);
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return sqlite_fail(db, table, "looking for the table", err);
}

int sqlite_schema_ensure(sqlite3 *db, const char *table, unsigned flags, msgbus_error *err)
{
    if (flags & MSGBUS_SQLITE_NO_CREATE) {
        int found = table_exists(db, table, err);
        if (found == 0)
            return msgbus_error_set(err, MSGBUS_ENOTFOUND, NULL, "no outbox table %s in %s", table,
                                    *file_of(db) ? file_of(db) : "the database");
        return found < 0 ? found : 0;
    }
    char sql[2048];
    /* The partial index on pending rows keeps claiming fast however many
     * processed rows the table holds; the others serve reclaim, purge and
     * the dead-letter listing. */
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS \"%s\" ("
             " id TEXT PRIMARY KEY NOT NULL,"
             " kind TEXT NOT NULL CHECK (kind IN ('COMMAND', 'EVENT')),"
             " type TEXT NOT NULL,"
             " payload TEXT NOT NULL,"
             " meta TEXT,"
             " created_at INTEGER NOT NULL,"
             " available_at INTEGER NOT NULL,"
             " attempts INTEGER NOT NULL DEFAULT 0,"
             " last_error TEXT,"
             " locked_by TEXT,"
             " locked_until INTEGER,"
             " processed_at INTEGER,"
             " dead_at INTEGER);"
             "CREATE INDEX IF NOT EXISTS \"%s_pending\" ON \"%s\" (available_at, id)"
             " WHERE processed_at IS NULL AND dead_at IS NULL;"
             "CREATE INDEX IF NOT EXISTS \"%s_leased\" ON \"%s\" (locked_until)"
             " WHERE locked_until IS NOT NULL;"
             "CREATE INDEX IF NOT EXISTS \"%s_processed\" ON \"%s\" (processed_at)"
             " WHERE processed_at IS NOT NULL;"
             "CREATE INDEX IF NOT EXISTS \"%s_dead\" ON \"%s\" (dead_at)"
             " WHERE dead_at IS NOT NULL;",
             table, table, table, table, table, table, table, table, table);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sqlite_fail(db, table, "creating the table", err);
    return 0;
}
