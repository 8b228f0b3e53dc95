/* outbox_stats.c - msgbus-outbox stats: row counts by state and the ages
 * of the oldest pending and due rows, as a table, one JSON object, or the
 * Prometheus text exposition format. */
#include "outbox_tool.h"

#include <string.h>

enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_PROMETHEUS };

static void put_text(const msgbus_outbox_counts *c)
{
    printf("%-22s %s\n", "METRIC", "VALUE");
    printf("%-22s %zu\n%-22s %zu\n%-22s %zu\n%-22s %zu\n%-22s %zu\n", "pending", c->pending,
           "in_flight", c->in_flight, "failed", c->failed, "dead", c->dead, "processed",
           c->processed);
    printf("%-22s %lld\n%-22s %lld\n", "oldest_pending_age_ms", (long long)c->oldest_pending_age_ms,
           "oldest_due_age_ms", (long long)c->oldest_due_age_ms);
}

static int put_json(const outbox_tool *t, const msgbus_outbox_counts *c)
{
    json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "table",
                          t->table ? t->table : MSGBUS_SQLITE_DEFAULT_TABLE,
                          "pending", (json_int_t)c->pending, "in_flight", (json_int_t)c->in_flight,
                          "failed", (json_int_t)c->failed, "dead", (json_int_t)c->dead,
                          "processed", (json_int_t)c->processed,
                          "oldest_pending_age_ms", (json_int_t)c->oldest_pending_age_ms,
                          "oldest_due_age_ms", (json_int_t)c->oldest_due_age_ms);
    int rc = o ? outbox_put_json_line(stdout, o) : -1;
    json_decref(o);
    return rc;
}

/* The text exposition format; the table name is a label (an identifier,
 * so it needs no escaping). */
static void put_prometheus(const outbox_tool *t, const msgbus_outbox_counts *c)
{
    const char *table = t->table ? t->table : MSGBUS_SQLITE_DEFAULT_TABLE;
    printf("# HELP msgbus_outbox_rows Rows of the outbox table by state; pending includes"
           " in_flight and failed.\n# TYPE msgbus_outbox_rows gauge\n");
    const struct { const char *state; size_t n; } rows[] = {
        { "pending", c->pending }, { "in_flight", c->in_flight }, { "failed", c->failed },
        { "dead", c->dead }, { "processed", c->processed },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        printf("msgbus_outbox_rows{table=\"%s\",state=\"%s\"} %zu\n", table, rows[i].state,
               rows[i].n);
    /* An age the repository cannot tell (-1) is left out rather than lie. */
    if (c->oldest_pending_age_ms >= 0)
        printf("# HELP msgbus_outbox_oldest_pending_age_seconds Age of the oldest pending row"
               " (0: none).\n# TYPE msgbus_outbox_oldest_pending_age_seconds gauge\n"
               "msgbus_outbox_oldest_pending_age_seconds{table=\"%s\"} %.3f\n", table,
               (double)c->oldest_pending_age_ms / 1000.0);
    if (c->oldest_due_age_ms >= 0)
        printf("# HELP msgbus_outbox_oldest_due_age_seconds How long the oldest due row has"
               " waited to be claimed (0: none).\n"
               "# TYPE msgbus_outbox_oldest_due_age_seconds gauge\n"
               "msgbus_outbox_oldest_due_age_seconds{table=\"%s\"} %.3f\n", table,
               (double)c->oldest_due_age_ms / 1000.0);
}

int outbox_cmd_stats(outbox_tool *t, int argc, char **argv)
{
    enum { OPT_JSON = OUTBOX_OPT_FIRST_FREE, OPT_FORMAT };
    static const struct option longopts[] = {
        { "json", no_argument, NULL, OPT_JSON },
        { "format", required_argument, NULL, OPT_FORMAT },
        { NULL, 0, NULL, 0 },
    };
    enum format format = FORMAT_TEXT;
    int c;
    outbox_getopt_start(argv[0]);
    while ((c = outbox_getopt(argc, argv, "", longopts)) != -1) {
        if (c == '?')
            return 2;
        if (c == OPT_JSON)
            format = FORMAT_JSON;
        else if (strcmp(optarg, "text") == 0)
            format = FORMAT_TEXT;
        else if (strcmp(optarg, "json") == 0)
            format = FORMAT_JSON;
        else if (strcmp(optarg, "prometheus") == 0)
            format = FORMAT_PROMETHEUS;
        else
            return outbox_usage("stats: bad --format: %s (use text, json or prometheus)", optarg);
    }
    if (optind < argc)
        return outbox_usage("stats: unexpected argument %s", argv[optind]);
    int opened = outbox_open(t);
    if (opened != 0)
        return opened;
    msgbus_outbox_counts counts;
    msgbus_error err;
    if (msgbus_outbox_counts_get(t->repo, &counts, &err) < 0)
        return outbox_fail(t, &err);
    if (format == FORMAT_JSON)
        return put_json(t, &counts) < 0 ? 1 : 0;
    if (format == FORMAT_PROMETHEUS)
        put_prometheus(t, &counts);
    else
        put_text(&counts);
    return 0;
}
