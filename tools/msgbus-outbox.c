/* msgbus-outbox - inspect and maintain an outbox table in SQLite or
 * PostgreSQL: stats, list, show, retry, purge, and relay rows as NDJSON or
 * to NATS JetStream.  See msgbus-outbox(1). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <msgbus/msgbus.h>
#include <msgbus/sqlite.h>
#include <msgbus/pg.h>
#include <msgbus/nats.h>
#include "outbox_serve.h"

static const char *prog = "msgbus-outbox";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: %s [--db FILE | --pg CONNINFO] [--table NAME] COMMAND\n"
            "commands:\n"
            "  stats\n"
            "  list --pending|--failed|--dead|--processed [--limit N]\n"
            "  show ID\n"
            "  retry ID | retry --all-dead\n"
            "  purge --processed-before DURATION|TIME [--batch N]\n"
            "  relay --ndjson|--nats URL [--source URI] [--prefix SUBJECT]\n"
            "        [--once] [--batch N] [--worker NAME] [--max-attempts N]\n"
            "  serve [--listen HOST:PORT] [--schema FILE.msg] [--token-file FILE]\n"
            "        [--read-only]  (the web console: %s serve --help)\n"
            "FILE defaults to $MSGBUS_OUTBOX_DB, CONNINFO to $MSGBUS_OUTBOX_PG;"
            " NAME to " MSGBUS_SQLITE_DEFAULT_TABLE ".\n",
            prog, prog);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    usage(stderr);
    return 2;
}

/* ---- time -------------------------------------------------------------- */

/* "2024-05-01T12:00:00.250Z" in UTC; "-" for 0 (never). */
static const char *format_time(int64_t ms, char *buf, size_t size)
{
    if (ms == 0)
        return "-";
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03dZ", (int)(ms % 1000));
    return buf;
}

/* A duration back from now ("30d", "12h", "90m", "45s", "500ms", "2w") or
 * an RFC 3339 time ("2024-05-01", "2024-05-01T12:00:00Z"). */
static int parse_before(const char *text, int64_t now, int64_t *out)
{
    char stamp[MSGBUS_TIMESTAMP_TEXT_SIZE + 16];
    msgbus_timestamp ts;
    size_t len = strlen(text);
    /* A date alone is its midnight, UTC. */
    if (len == 10 && text[4] == '-' && text[7] == '-')
        len = (size_t)snprintf(stamp, sizeof stamp, "%sT00:00:00Z", text);
    else
        len = (size_t)snprintf(stamp, sizeof stamp, "%s", text);
    if (len < sizeof stamp && msgbus_timestamp_from_text(stamp, len, &ts) == 0) {
        *out = ts.seconds * 1000 + ts.nanos / 1000000;
        return 0;
    }
    char *end;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    if (errno || end == text || n < 0)
        return -1;
    int64_t unit = strcmp(end, "ms") == 0 ? 1 : strcmp(end, "s") == 0 ? 1000
                 : strcmp(end, "m") == 0 ? 60000 : strcmp(end, "h") == 0 ? 3600000
                 : strcmp(end, "d") == 0 ? 86400000 : strcmp(end, "w") == 0 ? 604800000 : 0;
    if (unit == 0 || n > INT64_MAX / unit)
        return -1;
    *out = now - n * unit;
    return 0;
}

static int parse_count(const char *text, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (errno || end == text || *end || n == 0 || text[0] == '-')
        return -1;
    *out = (size_t)n;
    return 0;
}

/* ---- commands ------------------------------------------------------------ */

typedef struct tool {
    const char *file;           /* the database, as error messages name it */
    sqlite3 *db;
    PGconn *pg;
    msgbus_outbox_repo *repo;
} tool;

static int fail(const tool *t, const msgbus_error *err)
{
    fprintf(stderr, "%s: %s: %s\n", prog, t->file, err->text);
    return 1;
}

static const char *kind_name(msgbus_kind kind)
{
    return kind == MSGBUS_KIND_COMMAND ? "COMMAND" : kind == MSGBUS_KIND_EVENT ? "EVENT" : "?";
}

static int cmd_stats(tool *t)
{
    msgbus_outbox_counts c;
    msgbus_error err;
    if (msgbus_outbox_counts_get(t->repo, &c, &err) < 0)
        return fail(t, &err);
    printf("pending    %zu\nin_flight  %zu\nfailed     %zu\ndead       %zu\nprocessed  %zu\n",
           c.pending, c.in_flight, c.failed, c.dead, c.processed);
    return 0;
}

static int cmd_list(tool *t, int argc, char **argv)
{
    int state = -1;
    size_t limit = 100;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--pending") == 0)
            state = MSGBUS_OUTBOX_PENDING;
        else if (strcmp(argv[i], "--failed") == 0)
            state = MSGBUS_OUTBOX_FAILED;
        else if (strcmp(argv[i], "--dead") == 0)
            state = MSGBUS_OUTBOX_DEAD;
        else if (strcmp(argv[i], "--processed") == 0)
            state = MSGBUS_OUTBOX_PROCESSED;
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
            if (parse_count(argv[++i], &limit) < 0)
                return usage_error("bad --limit: %s", argv[i]);
        } else
            return usage_error("list: unknown argument %s", argv[i]);
    }
    if (state < 0)
        return usage_error("%s", "list needs --pending, --failed, --dead or --processed");
    msgbus_outbox_row *rows;
    size_t n;
    msgbus_error err;
    if (msgbus_outbox_list(t->repo, (msgbus_outbox_state)state, limit, &rows, &n, &err) < 0)
        return fail(t, &err);
    for (size_t i = 0; i < n; i++) {
        char at[40];
        const msgbus_outbox_row *r = &rows[i];
        int64_t when = r->processed_at ? r->processed_at : r->dead_at ? r->dead_at : r->available_at;
        printf("%s\t%s\t%s\t%d\t%s\t%s\n", r->id, kind_name(r->kind), r->type, r->attempts,
               format_time(when, at, sizeof at), r->last_error ? r->last_error : "");
    }
    msgbus_outbox_rows_free(rows, n);
    return 0;
}

/* Parses a row's payload or meta; reports a corrupted one with the row id. */
static json_t *row_json(const tool *t, const msgbus_outbox_row *row, const char *what,
                        const char *text, msgbus_error *err)
{
    json_error_t jerr;
    json_t *json = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!json)
        msgbus_error_set(err, MSGBUS_ESYNTAX, NULL,
                         "row %s: %s is not valid JSON (line %d, column %d: %s)", row->id, what,
                         jerr.line, jerr.column, jerr.text);
    (void)t;
    return json;
}

static int cmd_show(tool *t, int argc, char **argv)
{
    if (argc != 1)
        return usage_error("%s", "show needs one row id");
    msgbus_outbox_row r;
    msgbus_error err;
    if (msgbus_outbox_get(t->repo, argv[0], &r, &err) < 0)
        return fail(t, &err);
    int status = 0;
    json_t *payload = row_json(t, &r, "payload", r.payload, &err);
    if (!payload) {
        status = fail(t, &err);
    } else {
        char a[40], b[40], c[40], d[40], e[40];
        printf("id            %s\nkind          %s\ntype          %s\n", r.id, kind_name(r.kind), r.type);
        printf("created_at    %s\navailable_at  %s\nattempts      %d\nlast_error    %s\n",
               format_time(r.created_at, a, sizeof a), format_time(r.available_at, b, sizeof b),
               r.attempts, r.last_error ? r.last_error : "-");
        printf("locked_by     %s\nlocked_until  %s\nprocessed_at  %s\ndead_at       %s\n",
               r.locked_by ? r.locked_by : "-", format_time(r.locked_until, c, sizeof c),
               format_time(r.processed_at, d, sizeof d), format_time(r.dead_at, e, sizeof e));
        printf("meta          %s\npayload       ", r.meta ? r.meta : "-");
        json_dumpf(payload, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(payload);
    }
    msgbus_outbox_row_clear(&r);
    return status;
}

static int cmd_retry(tool *t, int argc, char **argv)
{
    if (argc != 1)
        return usage_error("%s", "retry needs a row id or --all-dead");
    bool all = strcmp(argv[0], "--all-dead") == 0;
    size_t n;
    msgbus_error err;
    if (msgbus_outbox_retry(t->repo, all ? NULL : argv[0], &n, &err) < 0)
        return fail(t, &err);
    printf("%zu row%s made pending\n", n, n == 1 ? "" : "s");
    return 0;
}

static int cmd_purge(tool *t, int argc, char **argv)
{
    int64_t before = 0;
    bool have_before = false;
    size_t batch = 1000, total = 0, n;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--processed-before") == 0 && i + 1 < argc) {
            if (parse_before(argv[++i], msgbus_outbox_now(), &before) < 0)
                return usage_error("bad --processed-before: %s (use 30d, 12h, 90m, 45s or 2024-05-01T00:00:00Z)", argv[i]);
            have_before = true;
        } else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
            if (parse_count(argv[++i], &batch) < 0)
                return usage_error("bad --batch: %s", argv[i]);
        } else {
            return usage_error("purge: unknown argument %s", argv[i]);
        }
    }
    if (!have_before)
        return usage_error("%s", "purge needs --processed-before DURATION|TIME");
    msgbus_error err;
    do {
        if (msgbus_outbox_purge(t->repo, before, batch, &n, &err) < 0)
            return fail(t, &err);
        total += n;
    } while (n == batch);
    printf("%zu row%s purged\n", total, total == 1 ? "" : "s");
    return 0;
}

/* The NDJSON outbox handler: one JSON object per row on stdout, flushed
 * before the row is marked processed. */
static int print_ndjson(msgbus_bus *bus, const msgbus_outbox_row *row, void *userdata,
                        msgbus_error *err)
{
    tool *t = userdata;
    (void)bus;
    json_t *payload = row_json(t, row, "payload", row->payload, err);
    if (!payload)
        return MSGBUS_ESYNTAX;
    json_t *meta = row->meta ? row_json(t, row, "meta", row->meta, err) : json_null();
    if (!meta) {
        json_decref(payload);
        return MSGBUS_ESYNTAX;
    }
    char at[40];
    json_t *line = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:i}", "id", row->id,
                             "kind", kind_name(row->kind), "type", row->type, "payload", payload,
                             "meta", meta, "created_at", format_time(row->created_at, at, sizeof at),
                             "attempt", row->attempts + 1);
    if (!line)
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "row %s: out of memory", row->id);
    int rc = json_dumpf(line, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(line);
    if (rc < 0 || putchar('\n') == EOF || fflush(stdout) == EOF)
        return msgbus_error_set(err, MSGBUS_EIO, NULL, "row %s: cannot write to stdout", row->id);
    return 0;
}

static int cmd_relay(tool *t, int argc, char **argv)
{
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.worker = "msgbus-outbox";
    bool ndjson = false, once = false;
    const char *nats_url = NULL;
    msgbus_nats_publisher_options po;
    msgbus_nats_publisher_options_init(&po);
    po.source = "msgbus-outbox";
    for (int i = 0; i < argc; i++) {
        size_t n;
        if (strcmp(argv[i], "--ndjson") == 0)
            ndjson = true;
        else if (strcmp(argv[i], "--nats") == 0 && i + 1 < argc)
            nats_url = argv[++i];
        else if (strcmp(argv[i], "--source") == 0 && i + 1 < argc)
            po.source = argv[++i];
        else if (strcmp(argv[i], "--prefix") == 0 && i + 1 < argc)
            po.subject_prefix = argv[++i];
        else if (strcmp(argv[i], "--once") == 0)
            once = true;
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
            if (parse_count(argv[++i], &o.batch_size) < 0)
                return usage_error("bad --batch: %s", argv[i]);
        } else if (strcmp(argv[i], "--max-attempts") == 0 && i + 1 < argc) {
            if (parse_count(argv[++i], &n) < 0 || n > 1000000)
                return usage_error("bad --max-attempts: %s", argv[i]);
            o.max_attempts = (int)n;
        } else if (strcmp(argv[i], "--worker") == 0 && i + 1 < argc)
            o.worker = argv[++i];
        else
            return usage_error("relay: unknown argument %s", argv[i]);
    }
    if (ndjson == (nats_url != NULL))
        return usage_error("%s", "relay needs --ndjson or --nats URL (dispatching needs your"
                                 " schema's module: call msgbus_process_outbox from your program)");
    msgbus_outbox_handler h = { "ndjson", print_ndjson, t };
    msgbus_error err;
    natsConnection *nc = NULL;
    msgbus_nats_publisher *pub = NULL;
    if (nats_url) {
        if (natsConnection_ConnectTo(&nc, nats_url) != NATS_OK) {
            fprintf(stderr, "%s: %s: %s\n", prog, nats_url, nats_GetLastError(NULL));
            return 1;
        }
        if (msgbus_nats_publisher_new(nc, t->repo, &po, &pub, &err) < 0) {
            natsConnection_Destroy(nc);
            return fail(t, &err);
        }
    } else {
        msgbus_set_outbox_handlers(&o, &h, 1, NULL);
    }
    size_t failed = 0, processed = 0;
    msgbus_outbox_stats st;
    int rc = 0;
    do {
        rc = pub ? msgbus_nats_relay(NULL, pub, &o, &st, &err)
                 : msgbus_process_outbox(NULL, t->repo, &o, &st, &err);
        if (rc < 0)
            break;
        processed += st.processed;
        failed += st.failed + st.dead_lettered;
    } while (!once && st.claimed > 0);      /* failed rows wait for their backoff */
    msgbus_nats_publisher_free(pub);
    natsConnection_Destroy(nc);
    if (rc < 0)
        return fail(t, &err);
    if (nats_url)
        printf("%zu row%s published\n", processed, processed == 1 ? "" : "s");
    if (failed > 0) {
        /* Say which rows failed and why: their last_error. */
        msgbus_outbox_row *rows;
        size_t n;
        for (int state = MSGBUS_OUTBOX_FAILED; state <= MSGBUS_OUTBOX_DEAD; state++) {
            if (msgbus_outbox_list(t->repo, (msgbus_outbox_state)state, 20, &rows, &n, &err) < 0)
                return fail(t, &err);
            for (size_t i = 0; i < n; i++)
                fprintf(stderr, "%s: %s: %s%s\n", prog, t->file, rows[i].last_error,
                        state == MSGBUS_OUTBOX_DEAD ? " (dead-lettered)" : "");
            msgbus_outbox_rows_free(rows, n);
        }
        fprintf(stderr, "%s: %zu processed, %zu failed\n", prog, processed, failed);
        return 1;
    }
    return 0;
}

static int run_command(tool *t, const char *cmd, int n, char **rest)
{
    return strcmp(cmd, "stats") == 0 ? (n ? usage_error("%s", "stats takes no arguments") : cmd_stats(t))
         : strcmp(cmd, "list") == 0 ? cmd_list(t, n, rest)
         : strcmp(cmd, "show") == 0 ? cmd_show(t, n, rest)
         : strcmp(cmd, "retry") == 0 ? cmd_retry(t, n, rest)
         : strcmp(cmd, "purge") == 0 ? cmd_purge(t, n, rest)
         : cmd_relay(t, n, rest);
}

/* The same commands on a PostgreSQL table (never created here either). */
static int run_pg(tool *t, const char *conninfo, const char *table, const char *cmd, int n,
                  char **rest)
{
    char name[128];
    t->pg = PQconnectdb(conninfo);
    if (PQstatus(t->pg) != CONNECTION_OK) {
        fprintf(stderr, "%s: PostgreSQL: %s", prog, PQerrorMessage(t->pg));
        PQfinish(t->pg);
        return 1;
    }
    snprintf(name, sizeof name, "PostgreSQL database %s", PQdb(t->pg));
    t->file = name;
    msgbus_error err;
    int status;
    if (msgbus_pg_outbox_new(t->pg, table, MSGBUS_PG_NO_CREATE, &t->repo, &err) < 0)
        status = fail(t, &err);
    else
        status = run_command(t, cmd, n, rest);
    msgbus_outbox_repo_free(t->repo);
    PQfinish(t->pg);
    return status;
}

int main(int argc, char **argv)
{
    tool t = { getenv("MSGBUS_OUTBOX_DB"), NULL, NULL, NULL };
    const char *table = NULL, *conninfo = getenv("MSGBUS_OUTBOX_PG");
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            t.file = argv[++i];
            conninfo = NULL;
        } else if (strcmp(argv[i], "--pg") == 0 && i + 1 < argc) {
            conninfo = argv[++i];
        } else if (strcmp(argv[i], "--table") == 0 && i + 1 < argc) {
            table = argv[++i];
        } else {
            return usage_error("unknown option %s", argv[i]);
        }
    }
    if (i == argc)
        return usage_error("%s", "no command");
    if (strcmp(argv[i], "serve") == 0)
        return outbox_serve_main(prog, t.file, conninfo, table, argc - i, argv + i);
    if (!t.file && !conninfo)
        return usage_error("%s", "no database: use --db FILE or --pg CONNINFO, or set"
                                 " MSGBUS_OUTBOX_DB or MSGBUS_OUTBOX_PG");
    const char *cmd = argv[i++];
    if (strcmp(cmd, "stats") && strcmp(cmd, "list") && strcmp(cmd, "show") &&
        strcmp(cmd, "retry") && strcmp(cmd, "purge") && strcmp(cmd, "relay"))
        return usage_error("unknown command %s", cmd);
    if (table && !msgbus_outbox_table_name_valid(table))
        return usage_error("invalid table name %s", table);
    if (conninfo)
        return run_pg(&t, conninfo, table, cmd, argc - i, argv + i);
    /* Never create a database or a table: a typo must not look empty. */
    if (access(t.file, F_OK) != 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, t.file, strerror(errno));
        return 1;
    }
    if (sqlite3_open_v2(t.file, &t.db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s: %s\n", prog, t.file, sqlite3_errmsg(t.db));
        sqlite3_close(t.db);
        return 1;
    }
    sqlite3_busy_timeout(t.db, 5000);
    msgbus_error err;
    int status;
    if (msgbus_sqlite_outbox_new(t.db, table, MSGBUS_SQLITE_NO_CREATE, &t.repo, &err) < 0)
        status = fail(&t, &err);
    else
        status = run_command(&t, cmd, argc - i, argv + i);
    msgbus_outbox_repo_free(t.repo);
    sqlite3_close(t.db);
    return status;
}
