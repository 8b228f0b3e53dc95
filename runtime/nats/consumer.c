/* consumer.c - the durable pull consumer: CloudEvent in, typed message
 * handled on the bus, ack; a failure naks with a growing delay until the
 * last allowed delivery, which terminates the message.  The inbox, when
 * given, makes a redelivered message a no-op. */
#include "nats_internal.h"
#include <msgbus/events.h>
#include <msgbus/trace.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct msgbus_nats_consumer {
    msgbus_bus *bus;
    jsCtx *js;
    natsSubscription *sub;
    char *durable;
    int max_deliver;
    int64_t backoff_base_ms, backoff_max_ms;
    int batch;
    msgbus_inbox *inbox;
};

void msgbus_nats_consumer_options_init(msgbus_nats_consumer_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->max_deliver = 5;
    opts->ack_wait_ms = 30000;
    opts->backoff_base_ms = 1000;
    opts->backoff_max_ms = 60000;
    opts->batch = 100;
}

void msgbus_nats_consumer_free(msgbus_nats_consumer *c)
{
    if (!c)
        return;
    natsSubscription_Destroy(c->sub);  /* keeps the durable consumer on the server */
    jsCtx_Destroy(c->js);
    msgbus_free(c->durable);
    msgbus_free(c);
}

int msgbus_nats_consumer_new(natsConnection *nc, msgbus_bus *bus,
                             const msgbus_nats_consumer_options *opts,
                             msgbus_nats_consumer **out, msgbus_error *err)
{
    if (!out || !nc || !bus || !opts || !opts->stream || !opts->durable || !opts->subject ||
        opts->max_deliver < 1 || opts->batch < 1 || opts->ack_wait_ms <= 0)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL,
                                "nats consumer: needs a connection, a bus, a stream, a durable"
                                " name and a subject");
    *out = NULL;
    msgbus_nats_consumer *c = msgbus_calloc(1, sizeof *c);
    if (!c || !(c->durable = msgbus_strdup(opts->durable))) {
        msgbus_free(c);
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "nats consumer: out of memory");
    }
    c->bus = bus;
    c->max_deliver = opts->max_deliver;
    c->backoff_base_ms = opts->backoff_base_ms > 0 ? opts->backoff_base_ms : 1;
    c->backoff_max_ms = opts->backoff_max_ms > c->backoff_base_ms ? opts->backoff_max_ms
                                                                  : c->backoff_base_ms;
    c->batch = opts->batch;
    c->inbox = opts->inbox;
    natsStatus s = natsConnection_JetStream(&c->js, nc, NULL);
    jsErrCode jerr = 0;
    if (s == NATS_OK) {
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Stream = opts->stream;
        so.Config.Durable = opts->durable;
        so.Config.AckPolicy = js_AckExplicit;
        /* No limit on the broker's side: a consumer killed while it holds a
         * message also counts as a delivery there, and a message whose last
         * allowed delivery died with its consumer would silently never come
         * back.  The limit is applied here, to deliveries that failed. */
        so.Config.MaxDeliver = -1;
        so.Config.AckWait = opts->ack_wait_ms * 1000000;    /* nanoseconds */
        so.Config.DeliverPolicy = js_DeliverAll;
        s = js_PullSubscribe(&c->sub, c->js, opts->subject, opts->durable, NULL, &so, &jerr);
    }
    if (s != NATS_OK) {
        msgbus_nats_consumer_free(c);
        return nats_fail(s, jerr, "creating the consumer", err);
    }
    *out = c;
    return 0;
}

/* The nak delay after `delivered` failed deliveries: doubling, capped. */
static int64_t nak_delay(const msgbus_nats_consumer *c, uint64_t delivered)
{
    int64_t d = c->backoff_base_ms;
    for (uint64_t i = 1; i < delivered && d < c->backoff_max_ms; i++)
        d *= 2;
    return d < c->backoff_max_ms ? d : c->backoff_max_ms;
}

/* The decoded message of a CloudEvent, and its id. */
typedef struct event {
    const msgbus_type *type;
    void *msg;
    char id[MSGBUS_OUTBOX_ID_SIZE];
    /* Its trace context (extension attributes), "" when absent. */
    char correlation[MSGBUS_MESSAGE_ID_SIZE], causation[MSGBUS_MESSAGE_ID_SIZE];
    char traceparent[MSGBUS_TRACEPARENT_SIZE + 8];
    char tracestate[MSGBUS_TRACESTATE_MAX + 1];
} event;

/* Copies the string attribute name of root into out, if it fits. */
static void attribute(json_t *root, const char *name, char *out, size_t size)
{
    const char *v = json_string_value(json_object_get(root, name));
    if (v && strlen(v) < size)
        strcpy(out, v);
}

/* The next handle on the bus continues the sender's flow and trace. */
static void continue_trace(msgbus_bus *bus, const event *ev)
{
    msgbus_trace_in in = { 0 };
    in.message_id = ev->id;
    in.correlation_id = ev->correlation[0] ? ev->correlation : NULL;
    in.causation_id = ev->causation[0] ? ev->causation : NULL;
    in.traceparent = ev->traceparent[0] ? ev->traceparent : NULL;
    in.tracestate = ev->tracestate[0] ? ev->tracestate : NULL;
    /* A bad traceparent from elsewhere starts a new trace: not an error. */
    msgbus_bus_set_next_trace(bus, &in, NULL);
}

/* Reports how a message was settled to the bus's hook. */
static void settle_event(const msgbus_nats_consumer *c, msgbus_event_kind kind, const char *id,
                         const char *correlation, const char *type, uint64_t delivered,
                         int64_t delay_ms, const char *error, int code)
{
    if (!msgbus_event_hook_set(c->bus))
        return;
    msgbus_event ev = { 0 };
    ev.kind = kind;
    ev.source = "nats.consumer";
    ev.message_id = id && *id ? id : NULL;
    ev.type = type;
    ev.handler = c->durable;
    ev.attempt = delivered > INT32_MAX ? INT32_MAX : (int)delivered;
    ev.delay_ms = delay_ms;
    ev.error = error && *error ? error : NULL;
    ev.code = code;
    ev.correlation_id = correlation && *correlation ? correlation : NULL;
    msgbus_emit_event(c->bus, &ev);
}

static void event_clear(event *ev)
{
    if (ev->msg) {
        msgbus_value_clear(ev->type, ev->msg);
        msgbus_free(ev->msg);
    }
    memset(ev, 0, sizeof *ev);
}

/* Decodes a CloudEvent.  MSGBUS_ENOTFOUND: a type the bus does not know
 * (perhaps a newer sender: worth redelivering); other errors: the message
 * can never be handled. */
static int decode_event(msgbus_bus *bus, const char *data, int len, event *ev,
                        msgbus_error *err)
{
    memset(ev, 0, sizeof *ev);
    json_error_t jerr;
    json_t *root = json_loadb(data, (size_t)len, 0, &jerr);
    if (!root)
        return msgbus_error_set(err, MSGBUS_ESYNTAX, NULL, "not a JSON CloudEvent: %s", jerr.text);
    const char *spec = json_string_value(json_object_get(root, "specversion"));
    const char *id = json_string_value(json_object_get(root, "id"));
    const char *type_name = json_string_value(json_object_get(root, "type"));
    json_t *payload = json_object_get(root, "data");
    int rc = 0;
    if (!spec || strcmp(spec, "1.0") != 0 || !id || !*id || !type_name || !payload)
        rc = msgbus_error_set(err, MSGBUS_ETYPE, NULL,
                              "not a CloudEvent 1.0 with a non-empty id, a type and data");
    else if (strlen(id) >= sizeof ev->id)
        rc = msgbus_error_set(err, MSGBUS_ELIMIT, NULL, "event id too long");
    else if (!(ev->type = msgbus_bus_find_type(bus, type_name)))
        rc = msgbus_error_set(err, MSGBUS_ENOTFOUND, NULL, "event %s: type %s is not on the bus",
                              id, type_name);
    else if (!(ev->msg = msgbus_malloc(ev->type->size)))
        rc = msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "out of memory");
    if (rc == 0) {
        strcpy(ev->id, id);
        attribute(root, MSGBUS_META_CORRELATION_ID, ev->correlation, sizeof ev->correlation);
        attribute(root, MSGBUS_META_CAUSATION_ID, ev->causation, sizeof ev->causation);
        attribute(root, MSGBUS_META_TRACEPARENT, ev->traceparent, sizeof ev->traceparent);
        attribute(root, MSGBUS_META_TRACESTATE, ev->tracestate, sizeof ev->tracestate);
        msgbus_error derr;
        msgbus_error_clear(&derr);
        rc = msgbus_value_from_json(ev->type, payload, ev->msg, &derr);
        if (rc < 0) {
            msgbus_value_clear(ev->type, ev->msg);
            msgbus_free(ev->msg);
            ev->msg = NULL;
            msgbus_error_set(err, rc, derr.path, "event %s: bad data for %s: %s", id, type_name,
                             derr.text);
        }
    }
    json_decref(root);
    return rc;
}

/* Handles a decoded event, with the inbox when there is one: 1 handled,
 * 0 duplicate, < 0 the handler's or the inbox's error (nothing kept). */
static int handle_event(msgbus_nats_consumer *c, const event *ev, bool *inbox_failed,
                        msgbus_error *err)
{
    *inbox_failed = false;
    if (!c->inbox) {
        continue_trace(c->bus, ev);
        int rc = msgbus_handle(c->bus, (const msgbus_msg *)ev->msg, NULL, err);
        return rc < 0 ? rc : 1;
    }
    const msgbus_inbox_ops *ops = c->inbox->ops;
    void *self = c->inbox->self;
    int rc = ops->begin(self, err);
    if (rc < 0) {
        *inbox_failed = true;
        return rc;
    }
    int fresh = ops->record(self, c->durable, ev->id, err);
    if (fresh < 0) {
        *inbox_failed = true;
        ops->end(self, false, NULL);
        return fresh;
    }
    if (fresh)
        continue_trace(c->bus, ev);
    rc = fresh ? msgbus_handle(c->bus, (const msgbus_msg *)ev->msg, NULL, err) : 0;
    if (rc < 0) {
        ops->end(self, false, NULL);
        return rc;
    }
    rc = ops->end(self, true, err);
    if (rc < 0) {
        *inbox_failed = true;
        return rc;
    }
    return fresh;
}

static uint64_t deliveries(natsMsg *msg)
{
    jsMsgMetaData *meta = NULL;
    uint64_t n = 1;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK && meta) {
        n = meta->NumDelivered;
        jsMsgMetaData_Destroy(meta);
    }
    return n;
}

/* Handles one message and settles it with the broker. */
static int consume_one(msgbus_nats_consumer *c, natsMsg *msg, msgbus_nats_consumer_stats *stats,
                       msgbus_error *err)
{
    event ev;
    msgbus_error herr;
    msgbus_error_clear(&herr);
    uint64_t delivered = deliveries(msg);
    int rc = decode_event(c->bus, natsMsg_GetData(msg), natsMsg_GetDataLength(msg), &ev, &herr);
    bool inbox_failed = false;
    int result = rc;
    if (rc == 0)
        result = handle_event(c, &ev, &inbox_failed, &herr);
    const char *type = ev.type ? ev.type->name : NULL;
    natsStatus s;
    if (result >= 0) {
        if (result == 0)
            settle_event(c, MSGBUS_EVENT_INBOX_DUPLICATE, ev.id, ev.correlation, type, delivered,
                         0, NULL, 0);
        s = natsMsg_Ack(msg, NULL);
        settle_event(c, MSGBUS_EVENT_CONSUMER_ACK, ev.id, ev.correlation, type, delivered, 0,
                     NULL, 0);
        if (result == 1)
            stats->handled++;
        else
            stats->duplicates++;
    } else if ((rc < 0 && rc != MSGBUS_ENOTFOUND) || delivered >= (uint64_t)c->max_deliver) {
        /* Undecodable, or out of deliveries: the dead letter. */
        s = natsMsg_Term(msg, NULL);
        settle_event(c, MSGBUS_EVENT_CONSUMER_TERM, ev.id, ev.correlation, type, delivered, 0,
                     herr.text, result);
        stats->terminated++;
    } else {
        int64_t delay = nak_delay(c, delivered);
        s = natsMsg_NakWithDelay(msg, delay, NULL);
        settle_event(c, MSGBUS_EVENT_CONSUMER_NAK, ev.id, ev.correlation, type, delivered, delay, herr.text,
                     result);
        stats->naked++;
    }
    event_clear(&ev);
    if (inbox_failed)
        return msgbus_error_set(err, MSGBUS_EIO, NULL, "nats consumer %s: inbox: %s", c->durable,
                                herr.text);
    if (s != NATS_OK)
        return nats_fail(s, 0, "settling a message", err);
    return 0;
}

int msgbus_nats_consume(msgbus_nats_consumer *c, int64_t timeout_ms,
                        msgbus_nats_consumer_stats *stats, msgbus_error *err)
{
    msgbus_nats_consumer_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!c)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "nats consume: no consumer");
    natsMsgList list = { 0 };
    jsErrCode jerr = 0;
    /* Messages already queued are late deliveries of an earlier fetch (a
     * stalled broker, a leader change).  libnats 3.4 (Debian 12) can then
     * collect past the batch into its own list, overrunning it; a batch of
     * 1 cannot overrun, and takes a queued message without asking the
     * server again.  So the queue is drained one at a time
     * (msgbus_nats(3)). */
    int queued = 0, batch = c->batch;
    if (natsSubscription_GetPending(c->sub, &queued, NULL) == NATS_OK && queued > 0)
        batch = 1;
    natsStatus s = natsSubscription_Fetch(&list, c->sub, batch,
                                          timeout_ms > 0 ? timeout_ms : 1, &jerr);
    if (s == NATS_TIMEOUT)
        return 0;
    if (s != NATS_OK) {
        /* A cluster moving the consumer's leader answers "Leadership
         * Change", or nobody answers: wait for the new leader. */
        const char *last = nats_GetLastError(NULL);
        bool moving = s == NATS_NO_RESPONDERS || (last && strstr(last, "Leadership Change"));
        int rc = nats_fail(s, jerr, "fetching messages", err);
        if (moving && err)
            err->code = MSGBUS_EUNAVAILABLE;
        return moving ? MSGBUS_EUNAVAILABLE : rc;
    }
    int rc = 0;
    for (int i = 0; i < list.Count; i++) {
        stats->received++;
        /* After an inbox failure the rest are left to redelivery. */
        if (rc == 0)
            rc = consume_one(c, list.Msgs[i], stats, err);
    }
    natsMsgList_Destroy(&list);
    return rc;
}
