/* inbox_sqlite.c - the inbox over the caller's sqlite3 connection: one
 * transaction (or a savepoint in the caller's) per message, and an INSERT
 * OR IGNORE that tells a new message from a duplicate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <msgbus/sqlite.h>
#include <msgbus/sqlite_inbox.h>
#include <msgbus/value.h>

typedef struct sqlite_inbox {
    sqlite3 *db;
    char table[MSGBUS_SQLITE_TABLE_MAX + 1];
    sqlite3_stmt *insert;
    bool own;               /* begin opened the transaction */
} sqlite_inbox;

static int fail(sqlite_inbox *in, const char *what, msgbus_error *err)
{
    return msgbus_error_set(err, MSGBUS_EIO, NULL, "inbox table %s: %s: %s", in->table, what,
                            sqlite3_errmsg(in->db));
}

static int exec(sqlite_inbox *in, const char *sql, const char *what, msgbus_error *err)
{
    return sqlite3_exec(in->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(in, what, err);
}

static int inbox_begin(void *self, msgbus_error *err)
{
    sqlite_inbox *in = self;
    in->own = sqlite3_get_autocommit(in->db) != 0;
    return exec(in, in->own ? "BEGIN IMMEDIATE" : "SAVEPOINT msgbus_inbox",
                "beginning a message", err);
}

static int inbox_record(void *self, const char *consumer, const char *message_id,
                        msgbus_error *err)
{
    sqlite_inbox *in = self;
    sqlite3_bind_text(in->insert, 1, consumer, -1, SQLITE_STATIC);
    sqlite3_bind_text(in->insert, 2, message_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(in->insert);
    int result = rc == SQLITE_DONE ? sqlite3_changes(in->db) == 1
                                   : fail(in, "recording a message", err);
    sqlite3_reset(in->insert);
    sqlite3_clear_bindings(in->insert);
    return result;
}

static int inbox_end(void *self, bool commit, msgbus_error *err)
{
    sqlite_inbox *in = self;
    if (in->own) {
        int rc = exec(in, commit ? "COMMIT" : "ROLLBACK", "ending a message", err);
        if (rc < 0 && !sqlite3_get_autocommit(in->db))
            sqlite3_exec(in->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return exec(in, commit ? "RELEASE msgbus_inbox"
                           : "ROLLBACK TO msgbus_inbox; RELEASE msgbus_inbox",
                "ending a message", err);
}

static void inbox_free(void *self)
{
    sqlite_inbox *in = self;
    if (in)
        sqlite3_finalize(in->insert);
    msgbus_free(in);
}

static const msgbus_inbox_ops sqlite_inbox_ops = {
    .begin = inbox_begin,
    .record = inbox_record,
    .end = inbox_end,
    .free = inbox_free,
};

int msgbus_sqlite_inbox_new(sqlite3 *db, const char *table, msgbus_inbox *out, msgbus_error *err)
{
    if (!out || !db)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "sqlite inbox: no database");
    out->ops = NULL;
    out->self = NULL;
    if (!table)
        table = MSGBUS_SQLITE_DEFAULT_INBOX;
    if (!msgbus_outbox_table_name_valid(table))
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "sqlite inbox: invalid table name \"%.60s\"",
                                table);
    sqlite_inbox *in = msgbus_calloc(1, sizeof *in);
    if (!in)
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "sqlite inbox: out of memory");
    in->db = db;
    strcpy(in->table, table);
    char sql[256];
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS \"%s\" (consumer TEXT NOT NULL, message_id TEXT NOT NULL,"
             " received_at INTEGER NOT NULL DEFAULT (strftime('%%s', 'now')), PRIMARY KEY (consumer, message_id))",
             table);
    int rc = exec(in, sql, "creating the table", err);
    if (rc == 0) {
        snprintf(sql, sizeof sql,
                 "INSERT OR IGNORE INTO \"%s\" (consumer, message_id) VALUES (?1, ?2)", table);
        if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &in->insert, NULL) != SQLITE_OK)
            rc = fail(in, "preparing statements", err);
    }
    if (rc < 0) {
        inbox_free(in);
        return rc;
    }
    out->ops = &sqlite_inbox_ops;
    out->self = in;
    return 0;
}
