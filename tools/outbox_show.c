/* outbox_show.c - msgbus-outbox show ID: one row with its trace context,
 * as labelled lines or one JSON object. */
#include "outbox_tool.h"

#include <string.h>

/* A label and an escaped value. */
static void line(const char *label, const char *value)
{
    printf("%-15s ", label);
    outbox_put_escaped(stdout, value);
    putchar('\n');
}

int outbox_cmd_show(outbox_tool *t, int argc, char **argv)
{
    enum { OPT_JSON = OUTBOX_OPT_FIRST_FREE };
    static const struct option longopts[] = {
        { "json", no_argument, NULL, OPT_JSON },
        { NULL, 0, NULL, 0 },
    };
    bool json = false;
    int c;
    outbox_getopt_start(argv[0]);
    while ((c = outbox_getopt(argc, argv, "", longopts)) != -1) {
        if (c == '?')
            return 2;
        json = true;
    }
    if (argc - optind != 1)
        return outbox_usage("show needs one row id");
    int opened = outbox_open(t);
    if (opened != 0)
        return opened;
    msgbus_outbox_row r;
    msgbus_error err;
    if (msgbus_outbox_get(t->repo, argv[optind], &r, &err) < 0)
        return outbox_fail(t, &err);
    int status = 0;
    json_t *payload = r.payload ? json_loads(r.payload, JSON_DECODE_ANY, NULL) : NULL;
    if (json) {
        json_t *o = outbox_row_json(&r);
        status = !o || outbox_put_json_line(stdout, o) < 0;
        json_decref(o);
    } else {
        char a[MSGBUS_TIMESTAMP_TEXT_SIZE], n[16];
        json_t *meta = r.meta ? json_loads(r.meta, 0, NULL) : NULL;
        outbox_trace tr;
        outbox_trace_of(meta, &tr);
        line("id", r.id);
        line("kind", outbox_kind_name(r.kind));
        line("type", r.type);
        line("state", outbox_state_name(&r));
        line("correlation_id", tr.correlation_id);
        line("causation_id", tr.causation_id);
        line("trace_id", tr.trace_id[0] ? tr.trace_id : NULL);
        line("span_id", tr.span_id[0] ? tr.span_id : NULL);
        line("created_at", outbox_time_text(r.created_at, a));
        line("available_at", outbox_time_text(r.available_at, a));
        snprintf(n, sizeof n, "%d", r.attempts);
        line("attempts", n);
        line("last_error", r.last_error);
        line("locked_by", r.locked_by);
        line("locked_until", outbox_time_text(r.locked_until, a));
        line("processed_at", outbox_time_text(r.processed_at, a));
        line("dead_at", outbox_time_text(r.dead_at, a));
        line("meta", r.meta);
        json_decref(meta);
        printf("%-15s ", "payload");
        if (payload)
            json_dumpf(payload, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
        else
            outbox_put_escaped(stdout, r.payload);
        putchar('\n');
    }
    /* A payload that is not JSON is shown, and is an error. */
    if (!payload && status == 0) {
        msgbus_error_set(&err, MSGBUS_ESYNTAX, NULL, "row %s: payload is not valid JSON", r.id);
        status = outbox_fail(t, &err);
    }
    json_decref(payload);
    msgbus_outbox_row_clear(&r);
    return status;
}
