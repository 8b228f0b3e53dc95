/* outbox_util.c - the helpers msgbus-outbox's subcommands share: errors,
 * option parsing, times, escaping and rows as JSON. */
#define _POSIX_C_SOURCE 200809L
#include "outbox_tool.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int outbox_usage(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", OUTBOX_PROG);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help'.\n", OUTBOX_PROG);
    return 2;
}

int outbox_not_built(const char *option, const char *what, const char *with)
{
    fprintf(stderr, "%s: %s: this %s was built without %s (configure %s)\n", OUTBOX_PROG, option,
            OUTBOX_PROG, what, with);
    return 2;
}

#if HAVE_PQ
/* Opens the PostgreSQL table (never created here: a typo must not look
 * empty). */
static int open_pg(outbox_tool *t)
{
    t->pg = PQconnectdb(t->conninfo);
    if (PQstatus(t->pg) != CONNECTION_OK) {
        char text[MSGBUS_ERROR_TEXT_LENGTH];
        snprintf(text, sizeof text, "%s", PQerrorMessage(t->pg));
        text[strcspn(text, "\n")] = '\0';
        fprintf(stderr, "%s: PostgreSQL: %s\n", OUTBOX_PROG, text);
        return 1;
    }
    snprintf(t->pg_name, sizeof t->pg_name, "PostgreSQL database %s", PQdb(t->pg));
    t->where = t->pg_name;
    msgbus_error err;
    if (msgbus_pg_outbox_new(t->pg, t->table, MSGBUS_PG_NO_CREATE, &t->repo, &err) < 0)
        return outbox_fail(t, &err);
    return 0;
}

static void close_pg(outbox_tool *t)
{
    if (t->pg)
        PQfinish(t->pg);
    t->pg = NULL;
}
#else
static int open_pg(outbox_tool *t)
{
    (void)t;
    return outbox_not_built("--pg", "PostgreSQL", "--with-pq");
}

static void close_pg(outbox_tool *t)
{
    (void)t;
}
#endif

/* The same on an SQLite file, which must exist. */
static int open_sqlite(outbox_tool *t)
{
    if (access(t->where, F_OK) != 0) {
        fprintf(stderr, "%s: %s: %s\n", OUTBOX_PROG, t->where, strerror(errno));
        return 1;
    }
    if (sqlite3_open_v2(t->where, &t->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s: %s\n", OUTBOX_PROG, t->where, sqlite3_errmsg(t->db));
        return 1;
    }
    sqlite3_busy_timeout(t->db, 5000);
    msgbus_error err;
    if (msgbus_sqlite_outbox_new(t->db, t->table, MSGBUS_SQLITE_NO_CREATE, &t->repo, &err) < 0)
        return outbox_fail(t, &err);
    return 0;
}

int outbox_open(outbox_tool *t)
{
    return t->conninfo ? open_pg(t) : open_sqlite(t);
}

void outbox_close(outbox_tool *t)
{
    msgbus_outbox_repo_free(t->repo);
    t->repo = NULL;
    close_pg(t);
    sqlite3_close(t->db);
    t->db = NULL;
}

int outbox_fail(const outbox_tool *t, const msgbus_error *err)
{
    fprintf(stderr, "%s: %s: ", OUTBOX_PROG, t->where);
    outbox_put_escaped(stderr, err->text);
    fputc('\n', stderr);
    return 1;
}

static const char *getopt_cmd;  /* the subcommand whose options are parsed, or NULL */

void outbox_getopt_start(const char *cmd)
{
    getopt_cmd = cmd;
    optind = 0;                 /* GNU: start over, with a new argv */
    opterr = 0;
}

int outbox_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
    char spec[64];
    /* The global options stop at the subcommand ('+'); a subcommand's
     * options may follow its operands.  ':': report a missing value apart. */
    snprintf(spec, sizeof spec, "%s:%s", getopt_cmd ? "" : "+", shortopts);
    int c = getopt_long(argc, argv, spec, longopts, NULL);
    const char *cmd = getopt_cmd ? getopt_cmd : "", *sep = getopt_cmd ? ": " : "";
    if (c == '?') {
        const char *arg = argv[optind - 1];
        if (optopt && optopt < 0x100 && strncmp(arg, "--", 2) != 0)
            outbox_usage("%s%sunknown option -%c", cmd, sep, optopt);
        else
            outbox_usage("%s%sunknown option %s", cmd, sep, arg);
    } else if (c == ':') {
        outbox_usage("%s%soption %s needs a value", cmd, sep, argv[optind - 1]);
        c = '?';
    }
    return c;
}

int outbox_parse_time(const char *text, int64_t now, int64_t *out)
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
    if (errno || end == text || n < 0 || text[0] == '-' || text[0] == '+')
        return -1;
    int64_t unit = strcmp(end, "ms") == 0 ? 1 : strcmp(end, "s") == 0 ? 1000
                 : strcmp(end, "m") == 0 ? 60000 : strcmp(end, "h") == 0 ? 3600000
                 : strcmp(end, "d") == 0 ? 86400000 : strcmp(end, "w") == 0 ? 604800000 : 0;
    if (unit == 0 || n > INT64_MAX / unit)
        return -1;
    *out = now - n * unit;
    return 0;
}

int outbox_parse_count(const char *text, bool zero_ok, size_t *out)
{
    char *end;
    errno = 0;
    if (text[0] < '0' || text[0] > '9')
        return -1;
    unsigned long long n = strtoull(text, &end, 10);
    if (errno || *end || (n == 0 && !zero_ok))
        return -1;
    *out = (size_t)n;
    return 0;
}

int outbox_filter_option(int opt, const char *arg, msgbus_outbox_filter *f, bool *state_set)
{
    msgbus_outbox_state state;
    switch (opt) {
    case OUTBOX_OPT_TYPE:
        f->type = arg;
        return 1;
    case OUTBOX_OPT_ERROR_CONTAINS:
        f->error_contains = arg;
        return 1;
    case OUTBOX_OPT_ID:
        f->id = arg;
        return 1;
    case OUTBOX_OPT_OLDER_THAN:
        if (outbox_parse_time(arg, msgbus_outbox_now(), &f->created_before) < 0)
            return outbox_usage("bad --older-than: %s (use 30d, 12h, 90m, 45s, 500ms or"
                                " 2024-05-01T00:00:00Z)", arg);
        return 1;
    case OUTBOX_OPT_LIMIT:
        if (outbox_parse_count(arg, false, &f->limit) < 0)
            return outbox_usage("bad --limit: %s (a positive count)", arg);
        return 1;
    case OUTBOX_OPT_OFFSET:
        if (outbox_parse_count(arg, true, &f->offset) < 0)
            return outbox_usage("bad --offset: %s (a count)", arg);
        return 1;
    case OUTBOX_OPT_PENDING: state = MSGBUS_OUTBOX_PENDING; break;
    case OUTBOX_OPT_FAILED: state = MSGBUS_OUTBOX_FAILED; break;
    case OUTBOX_OPT_DEAD: state = MSGBUS_OUTBOX_DEAD; break;
    case OUTBOX_OPT_PROCESSED: state = MSGBUS_OUTBOX_PROCESSED; break;
    case OUTBOX_OPT_ALL: state = MSGBUS_OUTBOX_ANY; break;
    default:
        return 0;
    }
    if (*state_set && f->state != state)
        return outbox_usage("choose one of --pending, --failed, --dead, --processed and --all");
    f->state = state;
    *state_set = true;
    return 1;
}

const char *outbox_time_text(int64_t ms, char out[MSGBUS_TIMESTAMP_TEXT_SIZE])
{
    if (ms == 0)
        return "-";
    msgbus_timestamp ts = msgbus_timestamp_from_ms(ms);
    if (msgbus_timestamp_to_text(&ts, out) < 0)
        snprintf(out, MSGBUS_TIMESTAMP_TEXT_SIZE, "%lldms", (long long)ms);
    return out;
}

const char *outbox_kind_name(msgbus_kind kind)
{
    return kind == MSGBUS_KIND_COMMAND ? "COMMAND" : kind == MSGBUS_KIND_EVENT ? "EVENT" : "?";
}

const char *outbox_state_name(const msgbus_outbox_row *r)
{
    return r->processed_at ? "processed" : r->dead_at ? "dead" : r->attempts ? "failed" : "pending";
}

void outbox_put_escaped(FILE *out, const char *s)
{
    if (!s) {
        fputc('-', out);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '\n': fputs("\\n", out); break;
        case '\t': fputs("\\t", out); break;
        case '\r': fputs("\\r", out); break;
        case '\\': fputs("\\\\", out); break;
        default:
            if (*p < ' ' || *p == 0x7f)
                fprintf(out, "\\x%02x", *p);
            else
                fputc(*p, out);
        }
    }
}

static bool hex_run(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

void outbox_trace_of(const json_t *meta, outbox_trace *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(meta))
        return;
    out->correlation_id = json_string_value(json_object_get(meta, "correlationid"));
    out->causation_id = json_string_value(json_object_get(meta, "causationid"));
    out->traceparent = json_string_value(json_object_get(meta, "traceparent"));
    out->tracestate = json_string_value(json_object_get(meta, "tracestate"));
    /* version-traceid-parentid-flags: 2-32-16-2 lowercase hex digits */
    const char *tp = out->traceparent;
    if (tp && strlen(tp) >= 55 && tp[2] == '-' && tp[35] == '-' && tp[52] == '-' &&
        hex_run(tp + 3, 32) && hex_run(tp + 36, 16)) {
        memcpy(out->trace_id, tp + 3, 32);
        memcpy(out->span_id, tp + 36, 16);
    }
}

/* s as a JSON string; bytes that are not UTF-8 become '?' (a database
 * may hold anything), so the output is always valid JSON. */
static json_t *text_json(const char *s)
{
    if (!s)
        return json_null();
    json_t *v = json_string(s);
    if (v)
        return v;
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    v = json_string(copy);
    free(copy);
    return v;
}

/* Text that should hold JSON: the JSON, or the text itself and an error. */
static int put_json_text(json_t *o, const char *key, const char *text)
{
    if (!text)
        return json_object_set_new(o, key, json_null());
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (v)
        return json_object_set_new(o, key, v);
    char error_key[32];
    snprintf(error_key, sizeof error_key, "%s_error", key);
    if (json_object_set_new(o, key, text_json(text)) < 0)
        return -1;
    return json_object_set_new(o, error_key, json_string(jerr.text));
}

json_t *outbox_row_json(const msgbus_outbox_row *r)
{
    char a[MSGBUS_TIMESTAMP_TEXT_SIZE], b[MSGBUS_TIMESTAMP_TEXT_SIZE], c[MSGBUS_TIMESTAMP_TEXT_SIZE],
         d[MSGBUS_TIMESTAMP_TEXT_SIZE], e[MSGBUS_TIMESTAMP_TEXT_SIZE];
    json_t *o = json_object();
    if (!o)
        return NULL;
    int rc = json_object_set_new(o, "id", json_string(r->id));
    rc |= json_object_set_new(o, "kind", json_string(outbox_kind_name(r->kind)));
    rc |= json_object_set_new(o, "type", text_json(r->type));
    rc |= json_object_set_new(o, "state", json_string(outbox_state_name(r)));
    rc |= json_object_set_new(o, "attempts", json_integer(r->attempts));
#define TIME(name, buf) \
    rc |= json_object_set_new(o, #name, r->name ? json_string(outbox_time_text(r->name, buf)) \
                                                : json_null())
    TIME(created_at, a);
    TIME(available_at, b);
    TIME(locked_until, c);
    TIME(processed_at, d);
    TIME(dead_at, e);
#undef TIME
    rc |= json_object_set_new(o, "locked_by", text_json(r->locked_by));
    rc |= json_object_set_new(o, "last_error", text_json(r->last_error));
    json_t *meta = r->meta ? json_loads(r->meta, 0, NULL) : NULL;
    outbox_trace tr;
    outbox_trace_of(meta, &tr);
    rc |= json_object_set_new(o, "correlation_id", text_json(tr.correlation_id));
    rc |= json_object_set_new(o, "causation_id", text_json(tr.causation_id));
    rc |= json_object_set_new(o, "trace_id", text_json(tr.trace_id[0] ? tr.trace_id : NULL));
    json_decref(meta);
    rc |= put_json_text(o, "meta", r->meta);
    rc |= put_json_text(o, "payload", r->payload);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int outbox_put_json_line(FILE *out, const json_t *o)
{
    if (json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) < 0 ||
        fputc('\n', out) == EOF)
        return -1;
    return 0;
}

json_t *outbox_text_json(const char *s)
{
    return text_json(s);
}
