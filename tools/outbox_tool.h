/* outbox_tool.h - what the subcommands of msgbus-outbox share.
 *
 * A subcommand is one entry function in a file of its own,
 * tools/outbox_NAME.c:
 *     int outbox_cmd_NAME(outbox_tool *t, int argc, char **argv);
 * argv[0] is the subcommand's name and the rest its arguments, ready for
 * getopt_long (outbox_getopt does the common part).  It checks its
 * arguments, then opens the database with outbox_open (main closes it),
 * so a usage error never touches the database.  It returns the exit
 * status: 0, 1 for a failure (outbox_fail), 2 for a usage error
 * (outbox_usage).  To add one: declare it below, add a row to the table in
 * msgbus-outbox.c and the file to tools_msgbus_outbox_SOURCES. */
#ifndef OUTBOX_TOOL_H
#define OUTBOX_TOOL_H

#include <config.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include <msgbus/msgbus.h>
#include <msgbus/sqlite.h>
#if HAVE_PQ
#include <msgbus/pg.h>
#else
typedef struct pg_conn PGconn;  /* never opened: built without PostgreSQL */
#endif

#define OUTBOX_PROG "msgbus-outbox"

typedef struct outbox_tool {
    const char *where;          /* the database as messages name it */
    const char *table;          /* NULL: the default table */
    const char *conninfo;       /* --pg, or NULL for SQLite */
    sqlite3 *db;
    PGconn *pg;
    msgbus_outbox_repo *repo;   /* after outbox_open */
    char pg_name[160];
} outbox_tool;

typedef int (*outbox_cmd_fn)(outbox_tool *t, int argc, char **argv);

/* The subcommands. */
int outbox_cmd_stats(outbox_tool *t, int argc, char **argv);
int outbox_cmd_list(outbox_tool *t, int argc, char **argv);
int outbox_cmd_show(outbox_tool *t, int argc, char **argv);
int outbox_cmd_retry(outbox_tool *t, int argc, char **argv);
int outbox_cmd_purge(outbox_tool *t, int argc, char **argv);
int outbox_cmd_relay(outbox_tool *t, int argc, char **argv);

/* Prints "msgbus-outbox: MESSAGE" and "Try 'msgbus-outbox --help'." on
 * stderr; returns 2. */
int outbox_usage(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Opens t->where (SQLite) or t->conninfo (PostgreSQL) and its table,
 * never creating either: 0, or 1 after printing why (2 for --pg when
 * built without PostgreSQL).  outbox_close frees
 * what was opened (main calls it). */
int outbox_open(outbox_tool *t);
void outbox_close(outbox_tool *t);

/* Prints "msgbus-outbox: OPTION: this msgbus-outbox was built without
 * WHAT (configure WITH)" on stderr; returns 2. */
int outbox_not_built(const char *option, const char *what, const char *with);

/* Prints "msgbus-outbox: DATABASE: TEXT" on stderr; returns 1. */
int outbox_fail(const outbox_tool *t, const msgbus_error *err);

/* Runs getopt_long over a subcommand's arguments, silently; returns the
 * option, -1 at the end, or '?' after printing the usage error (unknown
 * option, missing value).  Start each parse with outbox_getopt_start,
 * naming the subcommand for the messages (NULL: the global options). */
void outbox_getopt_start(const char *cmd);
int outbox_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);

/* A duration back from now ("30d", "12h", "90m", "45s", "500ms", "2w") or
 * an RFC 3339 time ("2024-05-01", "2024-05-01T12:00:00Z"): 0 or -1. */
int outbox_parse_time(const char *text, int64_t now, int64_t *out);
/* A positive count (zero_ok: also 0): 0 or -1. */
int outbox_parse_count(const char *text, bool zero_ok, size_t *out);

/* The options that filter rows, shared by list, retry and purge. */
enum {
    OUTBOX_OPT_TYPE = 0x100, OUTBOX_OPT_ERROR_CONTAINS, OUTBOX_OPT_OLDER_THAN, OUTBOX_OPT_LIMIT,
    OUTBOX_OPT_OFFSET, OUTBOX_OPT_ID,
    OUTBOX_OPT_PENDING, OUTBOX_OPT_FAILED, OUTBOX_OPT_DEAD, OUTBOX_OPT_PROCESSED, OUTBOX_OPT_ALL,
    OUTBOX_OPT_FIRST_FREE = 0x180   /* a subcommand's own options start here */
};
#define OUTBOX_FILTER_OPTIONS \
    { "type", required_argument, NULL, OUTBOX_OPT_TYPE }, \
    { "error-contains", required_argument, NULL, OUTBOX_OPT_ERROR_CONTAINS }, \
    { "older-than", required_argument, NULL, OUTBOX_OPT_OLDER_THAN }, \
    { "limit", required_argument, NULL, OUTBOX_OPT_LIMIT }, \
    { "pending", no_argument, NULL, OUTBOX_OPT_PENDING }, \
    { "failed", no_argument, NULL, OUTBOX_OPT_FAILED }, \
    { "dead", no_argument, NULL, OUTBOX_OPT_DEAD }, \
    { "processed", no_argument, NULL, OUTBOX_OPT_PROCESSED }, \
    { "all", no_argument, NULL, OUTBOX_OPT_ALL }

/* Applies a filter option to f: 1 when opt was one (0 otherwise), or 2
 * after a usage error.  A second state option is a usage error. */
int outbox_filter_option(int opt, const char *arg, msgbus_outbox_filter *f, bool *state_set);

/* "2024-05-01T12:00:00.250Z"; "-" for 0 (never). */
const char *outbox_time_text(int64_t ms, char out[MSGBUS_TIMESTAMP_TEXT_SIZE]);
const char *outbox_kind_name(msgbus_kind kind);
/* "pending", "failed" (pending after failures), "dead", "processed". */
const char *outbox_state_name(const msgbus_outbox_row *row);

/* Writes s with control characters, tabs, newlines and backslashes
 * escaped (\n \t \r \\ \xNN), so a value stays on its line and column;
 * "-" for NULL. */
void outbox_put_escaped(FILE *out, const char *s);

/* The trace context a row's meta carries (msgbus_outbox(3), TRACE
 * CONTEXT): each NULL when absent.  meta is the parsed meta or NULL. */
typedef struct outbox_trace {
    const char *correlation_id, *causation_id, *traceparent, *tracestate;
    char trace_id[33], span_id[17];     /* from traceparent, or "" */
} outbox_trace;
void outbox_trace_of(const json_t *meta, outbox_trace *out);

/* A row as a JSON object (NULL when out of memory): every column, with
 * payload and meta as JSON when they parse, else as their text plus
 * "payload_error"/"meta_error". */
json_t *outbox_row_json(const msgbus_outbox_row *row);

/* s as a JSON string (null for NULL), bytes that are not UTF-8 as '?';
 * NULL when out of memory. */
json_t *outbox_text_json(const char *s);

/* Prints o as one compact JSON line on out; 0 or -1 (write error). */
int outbox_put_json_line(FILE *out, const json_t *o);

#endif /* OUTBOX_TOOL_H */
