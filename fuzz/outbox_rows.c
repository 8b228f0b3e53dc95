/* outbox_rows.c - fuzz target: a hostile row in an outbox table, read by
 * msgbus-outbox.  The input gives the row's type, payload, meta, last error
 * and lease owner (fields split at 0x1f bytes) and its kind, attempts and
 * state (the first bytes); then `show ID`, `show ID --json`, `list --all`
 * and `list --all --json` run on it, as the tool runs them.  Nothing may
 * crash or leak, and each must exit 0, or 1 after saying why. */
#define _POSIX_C_SOURCE 200809L
#include "outbox_tool.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char file[64];
static sqlite3 *db;

static void open_once(void)
{
    if (db)
        return;
    /* What the tool prints is not the point; that it survives is.  Only
     * the tool's FILE for stderr goes: the fuzzer and the sanitizers keep
     * writing to file descriptor 2. */
    FILE *devnull = fopen("/dev/null", "w");
    if (!devnull || !freopen("/dev/null", "w", stdout))
        abort();
    stderr = devnull;
    snprintf(file, sizeof file, "/tmp/msgbus-fuzz-rows-%ld.db", (long)getpid());
    unlink(file);
    msgbus_outbox_repo *repo;
    msgbus_error err;
    if (sqlite3_open(file, &db) != SQLITE_OK ||
        msgbus_sqlite_outbox_new(db, NULL, 0, &repo, &err) != 0)
        abort();
    msgbus_outbox_repo_free(repo);
    sqlite3_exec(db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
}

/* The next field of the input: up to the next 0x1f byte. */
static const char *field(const uint8_t **p, const uint8_t *end, size_t *len)
{
    const uint8_t *start = *p, *sep = memchr(start, 0x1f, (size_t)(end - start));
    *len = (size_t)((sep ? sep : end) - start);
    *p = sep ? sep + 1 : end;
    return (const char *)start;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s, size_t len, bool null_when_empty)
{
    if (null_when_empty && len == 0)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, s, (int)len, SQLITE_TRANSIENT);
}

static void run(char **argv, int argc)
{
    outbox_tool t = { .where = file };
    int status = 0;
    if (strcmp(argv[0], "show") == 0)
        status = outbox_cmd_show(&t, argc, argv);
    else
        status = outbox_cmd_list(&t, argc, argv);
    outbox_close(&t);
    if (status != 0 && status != 1)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > 65536)
        return 0;
    open_once();
    const uint8_t *p = data + 3, *end = data + size;
    size_t tl, pl, ml, el, ll;
    const char *type = field(&p, end, &tl), *payload = field(&p, end, &pl);
    const char *meta = field(&p, end, &ml), *error = field(&p, end, &el);
    const char *locked_by = field(&p, end, &ll);
    sqlite3_exec(db, "DELETE FROM msgbus_outbox", NULL, NULL, NULL);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO msgbus_outbox (id, kind, type, payload, meta, created_at,"
                           " available_at, attempts, last_error, locked_by, locked_until,"
                           " processed_at, dead_at) VALUES ('0190b1a2-0000-7000-8000-000000000001',"
                           " ?1, ?2, ?3, ?4, 1714564800000, 1714564800000, ?5, ?6, ?7, ?8, ?9, ?10)",
                           -1, &st, NULL) != SQLITE_OK)
        abort();
    sqlite3_bind_text(st, 1, data[0] & 1 ? "EVENT" : "COMMAND", -1, SQLITE_STATIC);
    bind_text(st, 2, type, tl, false);
    bind_text(st, 3, payload, pl, false);
    bind_text(st, 4, meta, ml, true);
    sqlite3_bind_int(st, 5, (int)(int8_t)data[1]);
    bind_text(st, 6, error, el, true);
    bind_text(st, 7, locked_by, ll, true);
    sqlite3_bind_int64(st, 8, (int64_t)data[2] << 40);
    if (data[0] & 2)
        sqlite3_bind_int64(st, 9, 1714564900000);
    else
        sqlite3_bind_null(st, 9);
    if (data[0] & 4)
        sqlite3_bind_int64(st, 10, 1714564900000);
    else
        sqlite3_bind_null(st, 10);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return 0;       /* bytes SQLite refuses never reach the tool */
    char id[] = "0190b1a2-0000-7000-8000-000000000001";
    char *show[] = { "show", id, NULL }, *show_json[] = { "show", id, "--json", NULL };
    char *list[] = { "list", "--all", NULL }, *list_json[] = { "list", "--all", "--json", NULL };
    run(show, 2);
    run(show_json, 3);
    run(list, 2);
    run(list_json, 3);
    return 0;
}
