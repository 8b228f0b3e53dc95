/* test_nats.c - libmsgbus-nats on a real nats-server with JetStream
 * (started by tests/nats.test, address in MSGBUS_TEST_NATS): CloudEvents,
 * subjects, the relay (PubAcks, deduplication on republish, failures) and
 * the consumer (ack, inbox, nak and dead letter). */
#include <check.h>
#define OT_DEFINE_MODULE
#include "outbox_test_module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <msgbus/nats.h>
#include <msgbus/sqlite.h>
#include <msgbus/sqlite_inbox.h>
#include "event_log.h"

/* What the consumer's handler saw. */
static int handled[64];
static int poison_calls;

int ot_ship(msgbus_ctx *ctx, const ot_Ship *msg)
{
    if (strcmp(msg->label, "poison") == 0) {
        poison_calls++;
        return msgbus_ctx_fail(ctx, MSGBUS_EHANDLER, "cannot ship %lld", (long long)msg->order_id);
    }
    if (msg->order_id >= 0 && msg->order_id < 64)
        handled[msg->order_id]++;
    return 0;
}

static natsConnection *nc;
static sqlite3 *db;
static msgbus_outbox_repo *repo;
static char stream[32];
static int test_no;

static void setup(void)
{
    const char *url = getenv("MSGBUS_TEST_NATS");
    ck_assert_msg(url != NULL, "MSGBUS_TEST_NATS is not set: run tests/nats.test");
    ck_assert_int_eq(natsConnection_ConnectTo(&nc, url), NATS_OK);
    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    msgbus_error err;
    ck_assert_int_eq(msgbus_sqlite_outbox_new(db, NULL, 0, &repo, &err), 0);
    /* A stream of its own per test: subjects t<pid>_<n>.> */
    snprintf(stream, sizeof stream, "T%d_%d", (int)getpid(), ++test_no);
    char subject[48];
    snprintf(subject, sizeof subject, "%s.>", stream);
    const char *subjects[1] = { subject };
    int rc = msgbus_nats_stream_ensure(nc, stream, subjects, 1, 60000, &err);
    ck_assert_msg(rc == 0, "%s", err.text);
    memset(handled, 0, sizeof handled);
    poison_calls = 0;
}

static void teardown(void)
{
    msgbus_outbox_repo_free(repo);
    sqlite3_close(db);
    natsConnection_Destroy(nc);
}

static void register_ship(int64_t order, const char *label, char *id)
{
    ot_Ship m;
    msgbus_value_init(&ot_Ship_type, &m);
    m.order_id = order;
    m.label = (char *)label;
    msgbus_error err;
    int rc = msgbus_outbox_register(repo, &m.base, id, NULL, &err);
    ck_assert_msg(rc == 0, "%s", err.text);
}

static long long count(const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static uint64_t stream_msgs(void)
{
    jsCtx *js = NULL;
    jsStreamInfo *si = NULL;
    ck_assert_int_eq(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
    ck_assert_int_eq(js_GetStreamInfo(&si, js, stream, NULL, NULL), NATS_OK);
    uint64_t n = si->State.Msgs;
    jsStreamInfo_Destroy(si);
    jsCtx_Destroy(js);
    return n;
}

static msgbus_nats_publisher *publisher(void)
{
    msgbus_nats_publisher_options po;
    msgbus_nats_publisher_options_init(&po);
    po.source = "/tests/orders";
    po.subject_prefix = stream;
    po.max_in_flight = 8;           /* smaller than a batch: the window matters */
    msgbus_nats_publisher *pub = NULL;
    msgbus_error err;
    int rc = msgbus_nats_publisher_new(nc, repo, &po, &pub, &err);
    ck_assert_msg(rc == 0, "%s", err.text);
    return pub;
}

static msgbus_outbox_stats relay(msgbus_bus *bus, msgbus_nats_publisher *pub, bool atomic)
{
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.atomic = atomic;
    o.now = msgbus_outbox_now() + 10;
    msgbus_outbox_stats st;
    msgbus_error err;
    int rc = msgbus_nats_relay(bus, pub, &o, &st, &err);
    ck_assert_msg(rc == 0, "%s", err.text);
    return st;
}

START_TEST(cloudevent_has_the_required_attributes)
{
    msgbus_outbox_row row;
    memset(&row, 0, sizeof row);
    strcpy(row.id, "0190a-id");
    row.kind = MSGBUS_KIND_EVENT;
    row.type = (char *)"shop.orders.Placed";
    row.payload = (char *)"{\"order_id\":7}";
    row.created_at = 1700000000123;
    char *ev = msgbus_nats_cloudevent(&row, "/shop/\"orders\"");
    ck_assert_ptr_nonnull(ev);
    json_error_t jerr;
    json_t *j = json_loads(ev, 0, &jerr);
    ck_assert_msg(j != NULL, "%s: %s", ev, jerr.text);
    ck_assert_str_eq(json_string_value(json_object_get(j, "specversion")), "1.0");
    ck_assert_str_eq(json_string_value(json_object_get(j, "id")), "0190a-id");
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "/shop/\"orders\"");
    ck_assert_str_eq(json_string_value(json_object_get(j, "type")), "shop.orders.Placed");
    ck_assert_str_eq(json_string_value(json_object_get(j, "time")), "2023-11-14T22:13:20.123Z");
    ck_assert_str_eq(json_string_value(json_object_get(j, "datacontenttype")), "application/json");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "data"), "order_id")), 7);
    json_decref(j);
    free(ev);
}
END_TEST

START_TEST(meta_travels_as_extension_attributes)
{
    msgbus_outbox_row row;
    memset(&row, 0, sizeof row);
    strcpy(row.id, "0190b-id");
    row.kind = MSGBUS_KIND_EVENT;
    row.type = (char *)"shop.orders.Placed";
    row.payload = (char *)"{}";
    row.created_at = 1700000000000;
    row.meta = (char *)"{\"correlationid\":\"flow-1\",\"traceparent\":"
                       "\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\","
                       "\"tenant\":\"acme \\\"x\\\"\",\"retries\":3,\"vip\":true,"
                       "\"Upper\":\"no\",\"with_underscore\":\"no\",\"waytoolongforanattribute\":\"no\","
                       "\"type\":\"no\",\"price\":1.5,\"tags\":[\"no\"],\"nothing\":null}";
    char *ev = msgbus_nats_cloudevent(&row, "/t");
    ck_assert_ptr_nonnull(ev);
    json_t *j = json_loads(ev, 0, NULL);
    ck_assert_msg(j != NULL, "%s", ev);
    ck_assert_str_eq(json_string_value(json_object_get(j, "correlationid")), "flow-1");
    ck_assert_str_eq(json_string_value(json_object_get(j, "traceparent")),
                     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    ck_assert_str_eq(json_string_value(json_object_get(j, "tenant")), "acme \"x\"");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "retries")), 3);
    ck_assert(json_is_true(json_object_get(j, "vip")));
    /* Names a CloudEvent cannot carry, the spec's own attributes, and
     * values other than strings, integers and booleans stay behind. */
    const char *absent[] = { "Upper", "with_underscore", "waytoolongforanattribute", "price",
                             "tags", "nothing" };
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
        ck_assert_msg(json_object_get(j, absent[i]) == NULL, "%s", absent[i]);
    ck_assert_str_eq(json_string_value(json_object_get(j, "type")), "shop.orders.Placed");
    ck_assert(msgbus_nats_extension_name_valid("correlationid"));
    ck_assert(!msgbus_nats_extension_name_valid("id"));
    ck_assert(!msgbus_nats_extension_name_valid(""));
    json_decref(j);
    free(ev);
}
END_TEST

/* A module with an outbox route: event rt.Placed -> "shop.placed". */
extern const msgbus_module rt_module;
static const msgbus_type rt_Placed_type = {
    "rt.Placed", MSGBUS_KIND_EVENT, sizeof(ot_Shipped), 1, ot_Shipped_fields, 0, &rt_module };
static const msgbus_type *const rt_types[] = { &rt_Placed_type };
static const msgbus_route rt_routes[] = { { &rt_Placed_type, "shop.placed" } };
const msgbus_module rt_module = {
    MSGBUS_VERSION_NUMBER, "rt", "rt.msg", 1, rt_types, 0, NULL, 0, NULL, 1, rt_routes, 0, NULL };

START_TEST(subject_is_the_route_or_the_type_name)
{
    msgbus_bus *bus = msgbus_bus_new(NULL);
    ck_assert_int_eq(msgbus_bus_install(bus, &ot_module, NULL), 0);
    ck_assert_int_eq(msgbus_bus_install(bus, &rt_module, NULL), 0);
    char s[64];
    ck_assert_int_eq(msgbus_nats_subject(bus, "rt.Placed", NULL, s, sizeof s), 0);
    ck_assert_str_eq(s, "shop.placed");
    ck_assert_int_eq(msgbus_nats_subject(bus, "rt.Placed", "pre", s, sizeof s), 0);
    ck_assert_str_eq(s, "pre.shop.placed");
    /* No route: the full type name. */
    ck_assert_int_eq(msgbus_nats_subject(bus, "ot.Ship", NULL, s, sizeof s), 0);
    ck_assert_str_eq(s, "ot.Ship");
    ck_assert_int_eq(msgbus_nats_subject(NULL, "ot.Ship", "pre", s, sizeof s), 0);
    ck_assert_str_eq(s, "pre.ot.Ship");
    ck_assert_int_eq(msgbus_nats_subject(bus, "ot.Ship", NULL, s, 4), MSGBUS_ELIMIT);
    msgbus_bus_free(bus);
}
END_TEST

START_TEST(relay_publishes_cloudevents_with_the_row_id_and_marks_after_the_puback)
{
    for (int i = 0; i < 20; i++)
        register_ship(i, "x", NULL);
    msgbus_nats_publisher *pub = publisher();
    msgbus_outbox_stats st = relay(NULL, pub, true);
    ck_assert_uint_eq(st.claimed, 20);
    ck_assert_uint_eq(st.processed, 20);
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NOT NULL"), 20);
    ck_assert_uint_eq(stream_msgs(), 20);
    /* Read one back: headers and body. */
    jsCtx *js = NULL;
    ck_assert_int_eq(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
    natsMsg *m = NULL;
    ck_assert_int_eq(js_GetMsg(&m, js, stream, 1, NULL, NULL), NATS_OK);
    const char *msg_id = NULL;
    ck_assert_int_eq(natsMsgHeader_Get(m, "Nats-Msg-Id", &msg_id), NATS_OK);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM msgbus_outbox WHERE id = '%s'", msg_id);
    ck_assert_int_eq(count(sql), 1);
    char subject[64];
    snprintf(subject, sizeof subject, "%s.ot.Ship", stream);
    ck_assert_str_eq(natsMsg_GetSubject(m), subject);
    json_t *j = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "id")), msg_id);
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "/tests/orders");
    ck_assert_str_eq(json_string_value(json_object_get(j, "type")), "ot.Ship");
    json_decref(j);
    natsMsg_Destroy(m);
    jsCtx_Destroy(js);
    msgbus_nats_publisher_free(pub);
}
END_TEST

START_TEST(republishing_after_a_crash_stores_nothing_twice)
{
    for (int i = 0; i < 10; i++)
        register_ship(i, "x", NULL);
    msgbus_nats_publisher *pub = publisher();
    relay(NULL, pub, true);
    ck_assert_uint_eq(stream_msgs(), 10);
    /* A relay that died after publishing but before its marks committed
     * leaves the rows pending: the next relay publishes them again. */
    char *msg = NULL;
    ck_assert_int_eq(sqlite3_exec(db, "UPDATE msgbus_outbox SET processed_at = NULL", NULL, NULL,
                                  &msg), SQLITE_OK);
    msgbus_outbox_stats st = relay(NULL, pub, true);
    ck_assert_uint_eq(st.processed, 10);
    ck_assert_uint_eq(stream_msgs(), 10);
    /* Without batches (each row waits for its PubAck) the same holds. */
    ck_assert_int_eq(sqlite3_exec(db, "UPDATE msgbus_outbox SET processed_at = NULL", NULL, NULL,
                                  &msg), SQLITE_OK);
    register_ship(10, "x", NULL);
    st = relay(NULL, pub, false);
    ck_assert_uint_eq(st.processed, 11);
    ck_assert_uint_eq(stream_msgs(), 11);
    msgbus_nats_publisher_free(pub);
}
END_TEST

START_TEST(a_row_without_a_puback_is_not_marked_processed)
{
    register_ship(1, "x", NULL);
    /* A prefix no stream listens to: the publish gets no PubAck. */
    msgbus_nats_publisher_options po;
    msgbus_nats_publisher_options_init(&po);
    po.subject_prefix = "nostream";
    po.ack_timeout_ms = 1000;
    msgbus_nats_publisher *pub = NULL;
    msgbus_error err;
    ck_assert_int_eq(msgbus_nats_publisher_new(nc, repo, &po, &pub, &err), 0);
    msgbus_outbox_stats st = relay(NULL, pub, true);
    ck_assert_uint_eq(st.processed, 0);
    ck_assert_uint_eq(st.failed, 1);
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox WHERE processed_at IS NULL"
                           " AND attempts = 1 AND last_error LIKE '%no PubAck%'"), 1);
    st = relay(NULL, pub, false);   /* still backing off */
    ck_assert_uint_eq(st.claimed, 0);
    ck_assert_int_eq(sqlite3_exec(db, "UPDATE msgbus_outbox SET available_at = 0", NULL, NULL,
                                  NULL), SQLITE_OK);
    st = relay(NULL, pub, false);
    ck_assert_uint_eq(st.failed, 1);
    ck_assert_int_eq(count("SELECT count(*) FROM msgbus_outbox WHERE attempts = 2"), 1);
    msgbus_nats_publisher_free(pub);
}
END_TEST

/* Publishes a CloudEvent by hand (a given Nats-Msg-Id), for the consumer. */
static void publish_event(const char *id, const char *msg_id, int64_t order, const char *label)
{
    jsCtx *js = NULL;
    ck_assert_int_eq(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
    char body[256], subject[64];
    snprintf(body, sizeof body,
             "{\"specversion\":\"1.0\",\"id\":\"%s\",\"source\":\"t\",\"type\":\"ot.Ship\","
             "\"data\":{\"order_id\":%lld,\"label\":\"%s\"}}", id, (long long)order, label);
    snprintf(subject, sizeof subject, "%s.ot.Ship", stream);
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = msg_id;
    ck_assert_int_eq(js_Publish(NULL, js, subject, body, (int)strlen(body), &po, NULL), NATS_OK);
    jsCtx_Destroy(js);
}

static void publish_raw(const char *body)
{
    jsCtx *js = NULL;
    char subject[64];
    snprintf(subject, sizeof subject, "%s.ot.Ship", stream);
    ck_assert_int_eq(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
    ck_assert_int_eq(js_Publish(NULL, js, subject, body, (int)strlen(body), NULL, NULL), NATS_OK);
    jsCtx_Destroy(js);
}

static msgbus_nats_consumer *consumer(msgbus_bus *bus, msgbus_inbox *inbox, int max_deliver)
{
    msgbus_nats_consumer_options co;
    msgbus_nats_consumer_options_init(&co);
    char subject[64];
    snprintf(subject, sizeof subject, "%s.>", stream);
    co.stream = stream;
    co.durable = "billing";
    co.subject = subject;
    co.inbox = inbox;
    co.max_deliver = max_deliver;
    co.backoff_base_ms = 50;
    co.backoff_max_ms = 100;
    msgbus_nats_consumer *c = NULL;
    msgbus_error err;
    int rc = msgbus_nats_consumer_new(nc, bus, &co, &c, &err);
    ck_assert_msg(rc == 0, "%s", err.text);
    return c;
}

/* Consumes until nothing comes for a while (bounded). */
static msgbus_nats_consumer_stats drain(msgbus_nats_consumer *c)
{
    msgbus_nats_consumer_stats total = { 0 }, st;
    msgbus_error err;
    for (int idle = 0, round = 0; idle < 3 && round < 200; round++) {
        int rc = msgbus_nats_consume(c, 200, &st, &err);
        ck_assert_msg(rc == 0, "%s", err.text);
        idle = st.received ? 0 : idle + 1;
        total.received += st.received;
        total.handled += st.handled;
        total.duplicates += st.duplicates;
        total.naked += st.naked;
        total.terminated += st.terminated;
    }
    return total;
}

START_TEST(relayed_rows_reach_the_consumer_once)
{
    for (int i = 0; i < 30; i++)
        register_ship(i, "x", NULL);
    msgbus_nats_publisher *pub = publisher();
    relay(NULL, pub, true);
    msgbus_bus *bus = msgbus_bus_new(NULL);
    ck_assert_int_eq(msgbus_bus_install(bus, &ot_module, NULL), 0);
    sqlite3 *billing = NULL;
    ck_assert_int_eq(sqlite3_open(":memory:", &billing), SQLITE_OK);
    msgbus_inbox inbox;
    msgbus_error err;
    ck_assert_int_eq(msgbus_sqlite_inbox_new(billing, NULL, &inbox, &err), 0);
    msgbus_nats_consumer *c = consumer(bus, &inbox, 3);
    msgbus_nats_consumer_stats st = drain(c);
    ck_assert_uint_eq(st.handled, 30);
    for (int i = 0; i < 30; i++)
        ck_assert_int_eq(handled[i], 1);
    /* The same rows sent again under other message ids get past the
     * broker's deduplication; the inbox stops them. */
    msgbus_outbox_row *rows = NULL;
    size_t n = 0;
    ck_assert_int_eq(msgbus_outbox_list(repo, MSGBUS_OUTBOX_PROCESSED, 5, &rows, &n, &err), 0);
    ck_assert_uint_eq(n, 5);
    for (size_t i = 0; i < n; i++) {
        char other[80];
        snprintf(other, sizeof other, "again-%s", rows[i].id);
        publish_event(rows[i].id, other, 99, "x");
    }
    msgbus_outbox_rows_free(rows, n);
    st = drain(c);
    ck_assert_uint_eq(st.duplicates, 5);
    ck_assert_uint_eq(st.handled, 0);
    ck_assert_int_eq(handled[99 % 64], 0);
    msgbus_nats_consumer_free(c);
    msgbus_inbox_free(&inbox);
    sqlite3_close(billing);
    msgbus_bus_free(bus);
    msgbus_nats_publisher_free(pub);
}
END_TEST

START_TEST(failures_are_naked_then_terminated_and_garbage_is_terminated)
{
    msgbus_bus *bus = msgbus_bus_new(NULL);
    ck_assert_int_eq(msgbus_bus_install(bus, &ot_module, NULL), 0);
    msgbus_nats_consumer *c = consumer(bus, NULL, 3);
    publish_event("e-1", "e-1", 1, "poison");
    publish_event("e-2", "e-2", 2, "x");
    publish_raw("this is not json");
    publish_raw("{\"specversion\":\"1.0\",\"id\":\"e-4\",\"type\":\"ot.Ship\","
                "\"data\":{\"order_id\":\"four\"}}");
    msgbus_nats_consumer_stats st = drain(c);
    /* e-1: three deliveries, two naks, then terminated. */
    ck_assert_int_eq(poison_calls, 3);
    ck_assert_uint_eq(st.naked, 2);
    ck_assert_uint_eq(st.terminated, 3);   /* e-1, garbage, bad data */
    ck_assert_uint_eq(st.handled, 1);
    ck_assert_int_eq(handled[2], 1);
    msgbus_nats_consumer_free(c);
    msgbus_bus_free(bus);
}
END_TEST

START_TEST(events_tell_publish_acks_consumer_settling_and_a_duplicate)
{
    static event_log events;
    memset(&events, 0, sizeof events);
    char kinds[1024];
    char id[MSGBUS_OUTBOX_ID_SIZE] = "row-1";
    register_ship(1, "x", id);
    msgbus_bus *relay_bus = msgbus_bus_new(NULL);
    ck_assert_int_eq(msgbus_set_event_hook(relay_bus, event_log_hook, &events), 0);
    msgbus_nats_publisher *pub = publisher();
    relay(relay_bus, pub, true);
    ck_assert_str_eq(event_log_kinds(&events, kinds, sizeof kinds), "publish.acked batch.done");
    ck_assert_str_eq(events.items[0].ev.source, "nats.publisher");
    ck_assert_str_eq(events.items[0].ev.row_id, "row-1");
    ck_assert_str_eq(events.items[0].ev.type, "ot.Ship");
    ck_assert_uint_eq(events.items[1].ev.counts.processed, 1);

    /* The consumer: handled and acked, then the same event id again
     * under another broker message id: the inbox skips it. */
    msgbus_bus *bus = msgbus_bus_new(NULL);
    ck_assert_int_eq(msgbus_bus_install(bus, &ot_module, NULL), 0);
    ck_assert_int_eq(msgbus_set_event_hook(bus, event_log_hook, &events), 0);
    sqlite3 *billing = NULL;
    ck_assert_int_eq(sqlite3_open(":memory:", &billing), SQLITE_OK);
    msgbus_inbox inbox;
    msgbus_error err;
    ck_assert_int_eq(msgbus_sqlite_inbox_new(billing, NULL, &inbox, &err), 0);
    msgbus_nats_consumer *c = consumer(bus, &inbox, 2);
    memset(&events, 0, sizeof events);
    drain(c);
    ck_assert_str_eq(event_log_kinds(&events, kinds, sizeof kinds), "consumer.ack");
    ck_assert_str_eq(events.items[0].ev.message_id, "row-1");
    ck_assert_str_eq(events.items[0].ev.handler, "billing");
    ck_assert_int_eq(events.items[0].ev.attempt, 1);
    memset(&events, 0, sizeof events);
    publish_event("row-1", "again-row-1", 1, "x");
    drain(c);
    ck_assert_str_eq(event_log_kinds(&events, kinds, sizeof kinds), "inbox.duplicate consumer.ack");
    ck_assert_str_eq(events.items[0].ev.message_id, "row-1");
    ck_assert_str_eq(events.items[0].ev.type, "ot.Ship");

    /* A poison message: the handler fails, a nak with its delay, and the
     * last allowed delivery is terminated. */
    memset(&events, 0, sizeof events);
    publish_event("e-9", "e-9", 9, "poison");
    drain(c);
    ck_assert_str_eq(event_log_kinds(&events, kinds, sizeof kinds),
                     "handler.failed consumer.nak handler.failed consumer.term");
    ck_assert_str_eq(events.items[0].ev.handler, "ot.ship");
    ck_assert_str_eq(events.items[1].ev.message_id, "e-9");
    ck_assert_int_eq(events.items[1].ev.delay_ms, 50);
    ck_assert_int_eq(events.items[1].ev.attempt, 1);
    ck_assert_ptr_nonnull(strstr(events.items[1].ev.error, "cannot ship 9"));
    ck_assert_int_eq(events.items[3].ev.attempt, 2);
    ck_assert_int_eq(events.items[3].ev.code, MSGBUS_EHANDLER);
    msgbus_nats_consumer_free(c);
    msgbus_inbox_free(&inbox);
    sqlite3_close(billing);
    msgbus_bus_free(bus);
    msgbus_bus_free(relay_bus);
    msgbus_nats_publisher_free(pub);
}
END_TEST

START_TEST(consumer_rejects_missing_options)
{
    msgbus_bus *bus = msgbus_bus_new(NULL);
    msgbus_nats_consumer_options co;
    msgbus_nats_consumer_options_init(&co);
    msgbus_nats_consumer *c = NULL;
    msgbus_error err;
    ck_assert_int_eq(msgbus_nats_consumer_new(nc, bus, &co, &c, &err), MSGBUS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "durable"));
    ck_assert_int_eq(msgbus_nats_publisher_new(NULL, repo, NULL, NULL, &err), MSGBUS_EINVAL);
    msgbus_bus_free(bus);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nats");
    TCase *tc = tcase_create("nats");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, cloudevent_has_the_required_attributes);
    tcase_add_test(tc, meta_travels_as_extension_attributes);
    tcase_add_test(tc, subject_is_the_route_or_the_type_name);
    tcase_add_test(tc, relay_publishes_cloudevents_with_the_row_id_and_marks_after_the_puback);
    tcase_add_test(tc, republishing_after_a_crash_stores_nothing_twice);
    tcase_add_test(tc, a_row_without_a_puback_is_not_marked_processed);
    tcase_add_test(tc, relayed_rows_reach_the_consumer_once);
    tcase_add_test(tc, failures_are_naked_then_terminated_and_garbage_is_terminated);
    tcase_add_test(tc, consumer_rejects_missing_options);
    tcase_add_test(tc, events_tell_publish_acks_consumer_settling_and_a_duplicate);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nats_Close();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
