/* outbox_relay.c - msgbus-outbox relay: process the outbox once, printing
 * each row as NDJSON on stdout or publishing it to NATS JetStream, and the
 * relay's events on stderr (one line each, or NDJSON with --json); with
 * --follow, until SIGTERM (outbox_follow.c). */
#include "outbox_tool.h"
#include "outbox_follow.h"

#include <stdlib.h>
#include <string.h>

/* Appends a row's stored JSON text (payload or meta) as it is, once it
 * passed the decoders' check: what the row holds goes out byte for byte. */
static int put_stored(msgbus_buf *b, const msgbus_outbox_row *row, const char *what,
                      const char *text, msgbus_error *err)
{
    msgbus_error why;
    int rc = msgbus_json_put_raw(b, text, strlen(text), &why);
    if (rc == MSGBUS_ENOMEM)
        return msgbus_error_set(err, rc, NULL, "row %s: out of memory", row->id);
    if (rc < 0)
        return msgbus_error_set(err, MSGBUS_ESYNTAX, NULL,
                                "row %s: %s is not valid JSON (line %d, column %d: %s)", row->id,
                                what, why.line, why.column, why.text);
    return 0;
}

/* The NDJSON outbox handler: one JSON object per row on stdout, built in
 * the buffer at userdata (kept across rows, so a line costs no allocation
 * once it is large enough) and flushed before the row is marked
 * processed. */
static int print_ndjson(msgbus_bus *bus, const msgbus_outbox_row *row, void *userdata,
                        msgbus_error *err)
{
    (void)bus;
    msgbus_buf *b = userdata;
    char at[MSGBUS_TIMESTAMP_TEXT_SIZE];
    int rc;
    msgbus_buf_reset(b);
    if ((rc = msgbus_buf_append(b, "{\"id\":", 6)) < 0 ||
        (rc = msgbus_json_put_string(b, row->id)) < 0 ||
        (rc = msgbus_buf_append(b, ",\"kind\":", 8)) < 0 ||
        (rc = msgbus_json_put_string(b, outbox_kind_name(row->kind))) < 0 ||
        (rc = msgbus_buf_append(b, ",\"type\":", 8)) < 0 ||
        (rc = msgbus_json_put_string(b, row->type)) < 0 ||
        (rc = msgbus_buf_append(b, ",\"payload\":", 11)) < 0)
        goto fail;
    if ((rc = put_stored(b, row, "payload", row->payload, err)) < 0)
        return rc;
    if ((rc = msgbus_buf_append(b, ",\"meta\":", 8)) < 0)
        goto fail;
    if (row->meta && (rc = put_stored(b, row, "meta", row->meta, err)) < 0)
        return rc;
    if ((!row->meta && (rc = msgbus_buf_append(b, "null", 4)) < 0) ||
        (rc = msgbus_buf_append(b, ",\"created_at\":", 14)) < 0 ||
        (rc = msgbus_json_put_string(b, outbox_time_text(row->created_at, at))) < 0 ||
        (rc = msgbus_buf_append(b, ",\"attempt\":", 11)) < 0 ||
        (rc = msgbus_json_put_int(b, (int64_t)row->attempts + 1)) < 0 ||
        (rc = msgbus_buf_append(b, "}\n", 2)) < 0)
        goto fail;
    if (fwrite(b->data, 1, b->len, stdout) != b->len || fflush(stdout) == EOF)
        return msgbus_error_set(err, MSGBUS_EIO, NULL, "row %s: cannot write to stdout", row->id);
    return 0;
fail:
    if (rc == MSGBUS_ENOMEM)
        return msgbus_error_set(err, rc, NULL, "row %s: out of memory", row->id);
    return msgbus_error_set(err, rc, NULL, "row %s: its id or type is not valid UTF-8", row->id);
}

typedef struct event_sink {
    bool json;
    size_t failures;            /* handler.failed events seen */
} event_sink;

/* The relay's events on stderr: one line each, or NDJSON. */
static void print_event(const msgbus_event *ev, void *userdata)
{
    event_sink *sink = userdata;
    if (ev->kind == MSGBUS_EVENT_HANDLER_FAILED)
        sink->failures++;
    if (sink->json) {
        json_t *o = msgbus_event_to_json(ev);
        if (o)
            outbox_put_json_line(stderr, o);
        json_decref(o);
        return;
    }
    char text[1024];
    msgbus_event_format(ev, text, sizeof text);
    fprintf(stderr, "%s: %s\n", OUTBOX_PROG, text);
}

int outbox_cmd_relay(outbox_tool *t, int argc, char **argv)
{
    enum { OPT_NDJSON = OUTBOX_OPT_FIRST_FREE, OPT_NATS, OPT_SOURCE, OPT_PREFIX, OPT_ONCE,
           OPT_BATCH, OPT_WORKER, OPT_MAX_ATTEMPTS, OPT_JSON, OPT_QUIET, OPT_FOLLOW,
           OPT_ACK_TIMEOUT };
    static const struct option longopts[] = {
        { "ndjson", no_argument, NULL, OPT_NDJSON },
        { "nats", required_argument, NULL, OPT_NATS },
        { "source", required_argument, NULL, OPT_SOURCE },
        { "prefix", required_argument, NULL, OPT_PREFIX },
        { "once", no_argument, NULL, OPT_ONCE },
        { "batch", required_argument, NULL, OPT_BATCH },
        { "worker", required_argument, NULL, OPT_WORKER },
        { "max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS },
        { "json", no_argument, NULL, OPT_JSON },
        { "quiet", no_argument, NULL, OPT_QUIET },
        { "follow", no_argument, NULL, OPT_FOLLOW },
        { "ack-timeout", required_argument, NULL, OPT_ACK_TIMEOUT },
        { NULL, 0, NULL, 0 },
    };
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.worker = "msgbus-outbox";
    bool ndjson = false, once = false, quiet = false, follow = false;
    event_sink sink = { false, 0 };
    outbox_nats_settings ns = { NULL, "msgbus-outbox", NULL, 0 };
    size_t n;
    int c;
    outbox_getopt_start(argv[0]);
    while ((c = outbox_getopt(argc, argv, "", longopts)) != -1) {
        switch (c) {
        case OPT_NDJSON: ndjson = true; break;
        case OPT_NATS: ns.url = optarg; break;
        case OPT_SOURCE: ns.source = optarg; break;
        case OPT_PREFIX: ns.subject_prefix = optarg; break;
        case OPT_ONCE: once = true; break;
        case OPT_WORKER: o.worker = optarg; break;
        case OPT_JSON: sink.json = true; break;
        case OPT_QUIET: quiet = true; break;
        case OPT_FOLLOW: follow = true; break;
        case OPT_ACK_TIMEOUT:
            if (outbox_parse_count(optarg, false, &n) < 0 || n > 3600000)
                return outbox_usage("bad --ack-timeout: %s (1 to 3600000 ms)", optarg);
            ns.ack_timeout_ms = (int64_t)n;
            break;
        case OPT_BATCH:
            if (outbox_parse_count(optarg, false, &o.batch_size) < 0)
                return outbox_usage("bad --batch: %s (a positive count)", optarg);
            break;
        case OPT_MAX_ATTEMPTS:
            if (outbox_parse_count(optarg, false, &n) < 0 || n > 1000000)
                return outbox_usage("bad --max-attempts: %s (1 to 1000000)", optarg);
            o.max_attempts = (int)n;
            break;
        default:
            return 2;
        }
    }
    if (optind < argc)
        return outbox_usage("relay: unexpected argument %s", argv[optind]);
    if (ndjson == (ns.url != NULL))
        return outbox_usage("relay needs --ndjson or --nats URL (dispatching needs your schema's"
                            " module: call msgbus_process_outbox from your program)");
    if (once && follow)
        return outbox_usage("relay: --once and --follow exclude each other");
    int opened = outbox_open(t);
    if (opened != 0)
        return opened;
    /* A bare bus: it carries the event hook. */
    msgbus_bus *bus = msgbus_bus_new(NULL);
    if (!bus || (!quiet && msgbus_set_event_hook(bus, print_event, &sink) < 0)) {
        msgbus_bus_free(bus);
        fprintf(stderr, "%s: out of memory\n", OUTBOX_PROG);
        return 1;
    }
    msgbus_buf line = { 0 };
    msgbus_outbox_handler h = { "ndjson", print_ndjson, &line };
    if (follow) {
        if (!ns.url)
            msgbus_set_outbox_handlers(&o, &h, 1, NULL);
        outbox_follow_config fc = { bus, t->repo, t->where, &ns, &o, 1000, 5000 };
        int status = outbox_follow(&fc);
        msgbus_bus_free(bus);
        msgbus_buf_clear(&line);
        return status;
    }
    msgbus_error err;
    outbox_nats *nats = NULL;
    if (ns.url) {
        int status = outbox_nats_open(&ns, t->repo, t->where, false, 0, &nats);
        if (status != 0) {
            msgbus_bus_free(bus);
            msgbus_buf_clear(&line);
            return status;
        }
    } else {
        msgbus_set_outbox_handlers(&o, &h, 1, NULL);
    }
    size_t failed = 0, processed = 0;
    msgbus_outbox_stats st;
    int rc = 0;
    do {
        rc = nats ? outbox_nats_relay(bus, nats, &o, &st, &err)
                 : msgbus_process_outbox(bus, t->repo, &o, &st, &err);
        if (rc < 0)
            break;
        processed += st.processed;
        failed += st.failed + st.dead_lettered;
    } while (!once && st.claimed > 0);      /* failed rows wait for their backoff */
    outbox_nats_close(nats);
    msgbus_bus_free(bus);
    msgbus_buf_clear(&line);
    if (rc < 0)
        return outbox_fail(t, &err);
    if (ns.url)
        printf("%zu row%s published\n", processed, processed == 1 ? "" : "s");
    if (failed > 0) {
        fprintf(stderr, "%s: %zu processed, %zu failed\n", OUTBOX_PROG, processed, failed);
        return 1;
    }
    return 0;
}
