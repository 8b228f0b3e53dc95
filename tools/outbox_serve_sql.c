/* outbox_serve_sql.c - the two read-only aggregate queries the console
 * needs beyond the repository's operations: what the overview's rates
 * come from, and the failing rows per type that the flow highlights.
 * The table name is one msgbus_outbox_table_name_valid accepted; values
 * are bound parameters. */
#define _POSIX_C_SOURCE 200809L
#include "outbox_serve_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* %s is the table (each time); P1 a minute ago. */
#define METRICS_SQL(P1) \
    "SELECT (SELECT coalesce(sum(attempts), 0) FROM \"%s\")," \
    " (SELECT count(*) FROM \"%s\" WHERE processed_at >= " P1 ")"

#define FAILING_SQL \
    "SELECT type, sum(CASE WHEN dead_at IS NOT NULL THEN 1 ELSE 0 END)," \
    " sum(CASE WHEN dead_at IS NULL THEN 1 ELSE 0 END) FROM \"%s\"" \
    " WHERE processed_at IS NULL AND (dead_at IS NOT NULL OR attempts > 0)" \
    " GROUP BY type ORDER BY type LIMIT 500"

static const char *table_of(const char *table)
{
    return table ? table : MSGBUS_SQLITE_DEFAULT_TABLE;
}

static int sqlite_error(serve_conn *c, msgbus_error *err)
{
    return msgbus_error_set(err, MSGBUS_EIO, NULL, "%s", sqlite3_errmsg(c->db));
}

static int add_type(json_t *list, const char *type, long long dead, long long failed)
{
    json_t *o = json_pack("{s:s, s:I, s:I}", "type", type, "dead", (json_int_t)dead, "failed",
                          (json_int_t)failed);
    return o ? json_array_append_new(list, o) : -1;
}

/* The same two queries on PostgreSQL, when built. */
#if HAVE_PQ
static int pg_error(PGresult *res, serve_conn *c, msgbus_error *err)
{
    char text[400];
    snprintf(text, sizeof text, "%s", res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg));
    text[strcspn(text, "\n")] = '\0';
    PQclear(res);
    return msgbus_error_set(err, MSGBUS_EIO, NULL, "PostgreSQL: %s", text);
}

static int pg_metrics(serve_conn *c, const char *table, int64_t now, serve_metrics *out,
                      msgbus_error *err)
{
    char sql[1024];
    const char *t = table_of(table);
    snprintf(sql, sizeof sql, METRICS_SQL("$1::bigint"), t, t);
    char a[24];
    snprintf(a, sizeof a, "%lld", (long long)(now - 60000));
    const char *params[1] = { a };
    PGresult *res = PQexecParams(c->pg, sql, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        return pg_error(res, c, err);
    out->attempts = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    out->processed_last_minute = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);
    return 0;
}

static int pg_failing_types(serve_conn *c, const char *sql, json_t *list, msgbus_error *err)
{
    PGresult *res = PQexecParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return pg_error(res, c, err);
    for (int i = 0; i < PQntuples(res); i++)
        add_type(list, PQgetvalue(res, i, 0), strtoll(PQgetvalue(res, i, 1), NULL, 10),
                 strtoll(PQgetvalue(res, i, 2), NULL, 10));
    PQclear(res);
    return 0;
}
#else
static int pg_metrics(serve_conn *c, const char *table, int64_t now, serve_metrics *out,
                      msgbus_error *err)
{
    (void)c, (void)table, (void)now, (void)out;
    return msgbus_error_set(err, MSGBUS_EIO, NULL, "built without PostgreSQL");
}

static int pg_failing_types(serve_conn *c, const char *sql, json_t *list, msgbus_error *err)
{
    (void)c, (void)sql, (void)list;
    return msgbus_error_set(err, MSGBUS_EIO, NULL, "built without PostgreSQL");
}
#endif

int serve_sql_metrics(serve_conn *c, const char *table, int64_t now, serve_metrics *out,
                      msgbus_error *err)
{
    char sql[1024];
    memset(out, 0, sizeof *out);
    if (c->db) {
        const char *t = table_of(table);
        snprintf(sql, sizeof sql, METRICS_SQL("?1"), t, t);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
            return sqlite_error(c, err);
        sqlite3_bind_int64(st, 1, now - 60000);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            out->attempts = sqlite3_column_int64(st, 0);
            out->processed_last_minute = sqlite3_column_int64(st, 1);
        }
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : sqlite_error(c, err);
    }
    return pg_metrics(c, table, now, out, err);
}

int serve_sql_failing_types(serve_conn *c, const char *table, json_t **out, msgbus_error *err)
{
    char sql[1024];
    snprintf(sql, sizeof sql, FAILING_SQL, table_of(table));
    json_t *list = json_array();
    if (!list)
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "out of memory");
    if (c->db) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
            json_decref(list);
            return sqlite_error(c, err);
        }
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *type = (const char *)sqlite3_column_text(st, 0);
            add_type(list, type ? type : "", sqlite3_column_int64(st, 1),
                     sqlite3_column_int64(st, 2));
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            json_decref(list);
            return sqlite_error(c, err);
        }
    } else if (pg_failing_types(c, sql, list, err) < 0) {
        json_decref(list);
        return err->code;
    }
    *out = list;
    return 0;
}
