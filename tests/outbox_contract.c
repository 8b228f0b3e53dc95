/* outbox_contract.c - the repository contract: register, process with the
 * dispatch handler, retries with backoff, dead letters, leases, purge. */
#include "outbox_contract.h"
#define OT_DEFINE_MODULE
#include "outbox_test_module.h"
#include "event_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What the handlers saw; the bus's userdata. */
typedef struct seen {
    int ships;
    int64_t last_order;
    char last_label[64];
    int chain[8];               /* which plain handlers ran, in order */
    int n_chain;
} seen;

int ot_ship(msgbus_ctx *ctx, const ot_Ship *msg)
{
    seen *s = msgbus_ctx_userdata(ctx);
    if (strcmp(msg->label, "poison") == 0)
        return msgbus_ctx_fail(ctx, MSGBUS_EHANDLER, "cannot ship order %lld",
                               (long long)msg->order_id);
    s->ships++;
    s->last_order = msg->order_id;
    snprintf(s->last_label, sizeof s->last_label, "%s", msg->label);
    return 0;
}

static msgbus_outbox_repo *repo;
static msgbus_bus *bus;
static seen state;

static void setup(void)
{
    memset(&state, 0, sizeof state);
    repo = test_repo_new();
    ck_assert_ptr_nonnull(repo);
    bus = msgbus_bus_new(&state);
    ck_assert_ptr_nonnull(bus);
    ck_assert_int_eq(msgbus_bus_install(bus, &ot_module, NULL), 0);
}

static void teardown(void)
{
    msgbus_bus_free(bus);
    test_repo_free(repo);
}

static void register_ship(int64_t order, const char *label, char *id)
{
    ot_Ship m;
    msgbus_value_init(&ot_Ship_type, &m);
    m.order_id = order;
    m.label = (char *)label;
    msgbus_error err;
    int rc = msgbus_outbox_register(repo, &m.base, id, NULL, &err);
    ck_assert_msg(rc == 0, "register: %s", err.text);
}

static msgbus_outbox_options options(int64_t now)
{
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.now = now;
    return o;
}

static const msgbus_outbox_handler dispatch[] = { MSGBUS_OUTBOX_DISPATCH_HANDLER };

START_TEST(register_stores_the_message)
{
    ot_Shipped ev;
    msgbus_value_init(&ot_Shipped_type, &ev);
    ev.order_id = 42;
    json_t *meta = json_pack("{s:s}", "tenant", "acme");
    char id[MSGBUS_OUTBOX_ID_SIZE] = "";
    msgbus_error err;
    int64_t before = msgbus_outbox_now();
    ck_assert_int_eq(msgbus_outbox_register(repo, &ev.base, id, meta, &err), 0);
    json_decref(meta);
    ck_assert_uint_eq(strlen(id), 36);
    ck_assert_int_eq(id[14], '7');                     /* UUID version 7 */

    msgbus_outbox_row row;
    ck_assert_int_eq(msgbus_outbox_get(repo, id, &row, &err), 0);
    ck_assert_str_eq(row.id, id);
    ck_assert_int_eq(row.kind, MSGBUS_KIND_EVENT);
    ck_assert_str_eq(row.type, "ot.Shipped");
    json_t *payload = json_loads(row.payload, 0, NULL);
    ck_assert_ptr_nonnull(payload);
    ck_assert_int_eq(json_integer_value(json_object_get(payload, "order_id")), 42);
    json_decref(payload);
    /* The caller's meta, then the trace context: registered outside any
     * handler, the row starts a flow (its correlation id is its own id)
     * and a trace. */
    json_t *m = json_loads(row.meta, 0, NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(json_string_value(json_object_get(m, "tenant")), "acme");
    ck_assert_str_eq(json_string_value(json_object_get(m, "correlationid")), id);
    ck_assert_ptr_null(json_object_get(m, "causationid"));
    ck_assert_int_eq(msgbus_traceparent_parse(json_string_value(json_object_get(m, "traceparent")),
                                              NULL, NULL, NULL), 0);
    json_decref(m);
    ck_assert_int_ge(row.created_at, before);
    ck_assert_int_eq(row.available_at, row.created_at);
    ck_assert_int_eq(row.attempts, 0);
    ck_assert_ptr_null(row.last_error);
    ck_assert_ptr_null(row.locked_by);
    ck_assert_int_eq(row.processed_at, 0);
    ck_assert_int_eq(row.dead_at, 0);
    msgbus_outbox_row_clear(&row);
}
END_TEST

START_TEST(register_with_own_id_and_rejects_bad_input)
{
    char id[MSGBUS_OUTBOX_ID_SIZE] = "order-7";
    register_ship(7, "a", id);
    ck_assert_str_eq(id, "order-7");
    msgbus_outbox_row row;
    ck_assert_int_eq(msgbus_outbox_get(repo, "order-7", &row, NULL), 0);
    ck_assert_int_eq(row.kind, MSGBUS_KIND_COMMAND);
    msgbus_outbox_row_clear(&row);

    ot_Ship m;
    msgbus_value_init(&ot_Ship_type, &m);
    msgbus_error err;
    ck_assert_int_lt(msgbus_outbox_register(repo, &m.base, id, NULL, &err), 0);   /* duplicate */
    ck_assert_int_eq(msgbus_outbox_register(repo, &m.base, "has space", NULL, &err), MSGBUS_EINVAL);
    json_t *list = json_array();
    ck_assert_int_eq(msgbus_outbox_register(repo, &m.base, NULL, list, &err), MSGBUS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "meta"));
    json_decref(list);
    ck_assert_int_eq(msgbus_outbox_get(repo, "nope", &row, &err), MSGBUS_ENOTFOUND);
}
END_TEST

START_TEST(process_dispatches_and_marks_processed)
{
    char id[MSGBUS_OUTBOX_ID_SIZE] = "";
    register_ship(1, "one", NULL);
    register_ship(2, "two", id);
    msgbus_outbox_options o = options(msgbus_outbox_now() + 10);
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, dispatch, 1, NULL), 0);
    msgbus_outbox_stats st;
    msgbus_error err;
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &o, &st, &err), 0);
    ck_assert_uint_eq(st.claimed, 2);
    ck_assert_uint_eq(st.processed, 2);
    ck_assert_uint_eq(st.failed + st.dead_lettered, 0);
    ck_assert_int_eq(state.ships, 2);
    ck_assert_int_eq(state.last_order, 2);           /* oldest first */
    ck_assert_str_eq(state.last_label, "two");

    msgbus_outbox_row row;
    ck_assert_int_eq(msgbus_outbox_get(repo, id, &row, NULL), 0);
    ck_assert_int_eq(row.processed_at, o.now);
    ck_assert_ptr_null(row.locked_by);
    msgbus_outbox_row_clear(&row);
    /* Nothing is left to claim. */
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &o, &st, &err), 0);
    ck_assert_uint_eq(st.claimed, 0);
    ck_assert_int_eq(state.ships, 2);
    msgbus_outbox_counts c;
    ck_assert_int_eq(msgbus_outbox_counts_get(repo, &c, NULL), 0);
    ck_assert_uint_eq(c.processed, 2);
    ck_assert_uint_eq(c.pending, 0);
}
END_TEST

static int chain_ok(msgbus_bus *b, const msgbus_outbox_row *row, void *ud, msgbus_error *err)
{
    (void)b; (void)row; (void)err;
    state.chain[state.n_chain++] = *(int *)ud;
    return 0;
}

static int chain_fail(msgbus_bus *b, const msgbus_outbox_row *row, void *ud, msgbus_error *err)
{
    (void)b; (void)row;
    state.chain[state.n_chain++] = *(int *)ud;
    return msgbus_error_set(err, MSGBUS_EIO, NULL, "broker down");
}

START_TEST(failure_stops_the_chain_and_backs_off)
{
    static int one = 1, two = 2, three = 3;
    const msgbus_outbox_handler chain[] = {
        { "first", chain_ok, &one }, { "second", chain_fail, &two }, { "third", chain_ok, &three },
    };
    char id[MSGBUS_OUTBOX_ID_SIZE] = "";
    register_ship(1, "one", id);
    int64_t now = msgbus_outbox_now() + 10;
    msgbus_outbox_options o = options(now);
    o.backoff_base_ms = 4000;
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, chain, 3, NULL), 0);
    msgbus_outbox_stats st;
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &o, &st, NULL), 0);
    ck_assert_uint_eq(st.failed, 1);
    ck_assert_uint_eq(st.processed, 0);
    ck_assert_int_eq(state.n_chain, 2);
    ck_assert_int_eq(state.chain[0], 1);
    ck_assert_int_eq(state.chain[1], 2);

    msgbus_outbox_row row;
    ck_assert_int_eq(msgbus_outbox_get(repo, id, &row, NULL), 0);
    ck_assert_int_eq(row.attempts, 1);
    ck_assert_str_eq(row.last_error, "second: broker down");
    ck_assert_int_ge(row.available_at, now + 2000);
    ck_assert_int_le(row.available_at, now + 4000);
    ck_assert_int_eq(row.processed_at, 0);
    ck_assert_ptr_null(row.locked_by);
    int64_t next = row.available_at;
    msgbus_outbox_row_clear(&row);

    /* Not claimed again before its time ... */
    o.now = next - 1;
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &o, &st, NULL), 0);
    ck_assert_uint_eq(st.claimed, 0);
    /* ... and then it is, and the second failure waits twice as long. */
    o.now = next;
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &o, &st, NULL), 0);
    ck_assert_uint_eq(st.claimed, 1);
    ck_assert_int_eq(msgbus_outbox_get(repo, id, &row, NULL), 0);
    ck_assert_int_eq(row.attempts, 2);
    ck_assert_int_ge(row.available_at, next + 4000);
    ck_assert_int_le(row.available_at, next + 8000);
    msgbus_outbox_row_clear(&row);
}
END_TEST

START_TEST(poison_message_is_dead_lettered_without_holding_up_others)
{
    char poison[MSGBUS_OUTBOX_ID_SIZE] = "";
    register_ship(1, "a", NULL);
    register_ship(2, "poison", poison);
    for (int i = 3; i <= 10; i++)
        register_ship(i, "b", NULL);
    int64_t now = msgbus_outbox_now() + 10;
    msgbus_outbox_options o = options(now);
    o.max_attempts = 3;
    o.batch_size = 4;
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, dispatch, 1, NULL), 0);
    msgbus_outbox_stats st, total = { 0, 0, 0, 0, 0 };
    for (int round = 0; round < 50; round++) {
        ck_assert_int_eq(msgbus_process_outbox(bus, repo, &o, &st, NULL), 0);
        total.processed += st.processed;
        total.failed += st.failed;
        total.dead_lettered += st.dead_lettered;
        o.now += 3600 * 1000;       /* past any backoff */
    }
    ck_assert_int_eq(state.ships, 9);
    ck_assert_uint_eq(total.processed, 9);
    ck_assert_uint_eq(total.failed, 2);
    ck_assert_uint_eq(total.dead_lettered, 1);

    msgbus_outbox_row *rows;
    size_t n;
    ck_assert_int_eq(msgbus_outbox_list(repo, MSGBUS_OUTBOX_DEAD, 10, &rows, &n, NULL), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(rows[0].id, poison);
    ck_assert_int_eq(rows[0].attempts, 3);
    ck_assert_ptr_nonnull(strstr(rows[0].last_error, "cannot ship order 2"));
    ck_assert_int_ne(rows[0].dead_at, 0);
    msgbus_outbox_rows_free(rows, n);

    /* Retry makes it pending again, with a fresh count of attempts. */
    size_t changed;
    ck_assert_int_eq(msgbus_outbox_retry(repo, NULL, &changed, NULL), 0);
    ck_assert_uint_eq(changed, 1);
    msgbus_outbox_counts c;
    ck_assert_int_eq(msgbus_outbox_counts_get(repo, &c, NULL), 0);
    ck_assert_uint_eq(c.dead, 0);
    ck_assert_uint_eq(c.pending, 1);
    ck_assert_uint_eq(c.processed, 9);
    msgbus_outbox_row row;
    ck_assert_int_eq(msgbus_outbox_get(repo, poison, &row, NULL), 0);
    ck_assert_int_eq(row.attempts, 0);
    ck_assert_int_eq(row.dead_at, 0);
    msgbus_outbox_row_clear(&row);
    ck_assert_int_eq(msgbus_outbox_retry(repo, "no-such-row", NULL, NULL), MSGBUS_ENOTFOUND);
}
END_TEST

/* A second relay, started from inside the first one's handler. */
static int nested_relay(msgbus_bus *b, const msgbus_outbox_row *row, void *ud, msgbus_error *err)
{
    (void)row;
    msgbus_outbox_options *other = ud;
    msgbus_outbox_stats st;
    if (state.n_chain++ > 0)
        return 0;
    int rc = msgbus_process_outbox(b, repo, other, &st, err);
    ck_assert_int_eq(rc, 0);
    state.chain[0] = (int)st.claimed;
    state.chain[1] = (int)st.reclaimed;
    return 0;
}

START_TEST(leases_keep_other_relays_away_until_they_expire)
{
    register_ship(1, "a", NULL);
    register_ship(2, "b", NULL);
    int64_t now = msgbus_outbox_now() + 10;
    msgbus_outbox_options b = options(now);
    b.worker = "relay-b";
    msgbus_outbox_handler nested = { "nested", nested_relay, &b };
    /* Leases matter between relays that do not share one transaction. */
    b.atomic = false;
    msgbus_outbox_options a = options(now);
    a.atomic = false;
    a.worker = "relay-a";
    a.lease_ms = 1000;
    ck_assert_int_eq(msgbus_set_outbox_handlers(&a, &nested, 1, NULL), 0);
    ck_assert_int_eq(msgbus_set_outbox_handlers(&b, &nested, 1, NULL), 0);

    /* While a holds the lease, b claims nothing. */
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &a, NULL, NULL), 0);
    ck_assert_int_eq(state.chain[0], 0);
    ck_assert_int_eq(state.chain[1], 0);

    /* Two new rows; b runs after a's lease has ended and takes them over. */
    register_ship(3, "c", NULL);
    register_ship(4, "d", NULL);
    state.n_chain = 0;
    a.now = msgbus_outbox_now() + 10;
    b.now = a.now + a.lease_ms;
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &a, NULL, NULL), 0);
    ck_assert_int_eq(state.chain[1], 2);      /* a's two leases reclaimed */
    ck_assert_int_eq(state.chain[0], 2);      /* and the rows claimed by b */
    msgbus_outbox_counts c;
    ck_assert_int_eq(msgbus_outbox_counts_get(repo, &c, NULL), 0);
    ck_assert_uint_eq(c.processed, 4);
}
END_TEST

START_TEST(purge_removes_old_processed_rows_in_batches)
{
    for (int i = 0; i < 5; i++)
        register_ship(i, "x", NULL);
    int64_t now = msgbus_outbox_now() + 10;
    msgbus_outbox_options o = options(now);
    o.batch_size = 3;
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &o, NULL, NULL), 0);   /* 3 processed */
    register_ship(9, "y", NULL);
    size_t n;
    ck_assert_int_eq(msgbus_outbox_purge(repo, now, 10, &n, NULL), 0);
    ck_assert_uint_eq(n, 0);                 /* none processed before now */
    ck_assert_int_eq(msgbus_outbox_purge(repo, now + 1, 2, &n, NULL), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(msgbus_outbox_purge(repo, now + 1, 2, &n, NULL), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(msgbus_outbox_purge(repo, now + 1, 2, &n, NULL), 0);
    ck_assert_uint_eq(n, 0);
    msgbus_outbox_counts c;
    ck_assert_int_eq(msgbus_outbox_counts_get(repo, &c, NULL), 0);
    ck_assert_uint_eq(c.processed, 0);
    ck_assert_uint_eq(c.pending, 3);
    ck_assert_int_eq(msgbus_outbox_purge(repo, now, 0, &n, NULL), MSGBUS_EINVAL);
}
END_TEST

START_TEST(unknown_type_and_bad_payload_fail_the_row)
{
    msgbus_bus *empty = msgbus_bus_new(&state);     /* no module installed */
    char id[MSGBUS_OUTBOX_ID_SIZE] = "";
    register_ship(1, "a", id);
    msgbus_outbox_options o = options(msgbus_outbox_now() + 10);
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, dispatch, 1, NULL), 0);
    msgbus_outbox_stats st;
    ck_assert_int_eq(msgbus_process_outbox(empty, repo, &o, &st, NULL), 0);
    ck_assert_uint_eq(st.failed, 1);
    msgbus_outbox_row row;
    ck_assert_int_eq(msgbus_outbox_get(repo, id, &row, NULL), 0);
    ck_assert_ptr_nonnull(strstr(row.last_error, "ot.Ship"));
    ck_assert_ptr_nonnull(strstr(row.last_error, id));
    msgbus_outbox_row_clear(&row);
    msgbus_bus_free(empty);

    msgbus_outbox_handler none = { "none", NULL, NULL };
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, &none, 1, NULL), MSGBUS_EINVAL);
}
END_TEST

/* ---- filters and ages ---------------------------------------------------- */

static void register_shipped(int64_t order, char *id)
{
    ot_Shipped ev;
    msgbus_value_init(&ot_Shipped_type, &ev);
    ev.order_id = order;
    msgbus_error err;
    int rc = msgbus_outbox_register(repo, &ev.base, id, NULL, &err);
    ck_assert_msg(rc == 0, "register: %s", err.text);
}

static int fail_with_text(msgbus_bus *b, const msgbus_outbox_row *row, void *ud, msgbus_error *err)
{
    (void)b; (void)ud;
    /* The error names the order, so rows fail with different texts. */
    json_t *payload = json_loads(row->payload, 0, NULL);
    long long order = (long long)json_integer_value(json_object_get(payload, "order_id"));
    json_decref(payload);
    return msgbus_error_set(err, MSGBUS_EIO, NULL, order % 2 ? "100%% odd_%lld" : "even %lld", order);
}

/* Six rows: ship-1..4 (ot.Ship), shipped-5, shipped-6 (ot.Shipped), each
 * failed once: odd orders with "100% odd_N", even ones with "even N". */
static int64_t six_rows(void)
{
    char id[MSGBUS_OUTBOX_ID_SIZE];
    for (int i = 1; i <= 6; i++) {
        snprintf(id, sizeof id, "%s-%d", i <= 4 ? "ship" : "shipped", i);
        if (i <= 4)
            register_ship(i, "x", id);
        else
            register_shipped(i, id);
    }
    int64_t now = msgbus_outbox_now() + 10;
    msgbus_outbox_options o = options(now);
    const msgbus_outbox_handler h = { "h", fail_with_text, NULL };
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, &h, 1, NULL), 0);
    msgbus_outbox_stats st;
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &o, &st, NULL), 0);
    ck_assert_uint_eq(st.failed, 6);
    return now;
}

static size_t list_ids(msgbus_outbox_filter *f, char ids[][MSGBUS_OUTBOX_ID_SIZE], size_t max)
{
    msgbus_outbox_row *rows;
    size_t n;
    msgbus_error err;
    int rc = msgbus_outbox_list_filtered(repo, f, &rows, &n, &err);
    ck_assert_msg(rc == 0, "list_filtered: %s", err.text);
    ck_assert_uint_le(n, max);
    for (size_t i = 0; i < n; i++)
        snprintf(ids[i], MSGBUS_OUTBOX_ID_SIZE, "%s", rows[i].id);
    msgbus_outbox_rows_free(rows, n);
    return n;
}

START_TEST(filters_select_rows_by_every_condition)
{
    int64_t now = six_rows();
    char ids[8][MSGBUS_OUTBOX_ID_SIZE];
    msgbus_outbox_filter f;

    msgbus_outbox_filter_init(&f);
    ck_assert_int_eq(f.state, MSGBUS_OUTBOX_ANY);
    ck_assert_uint_eq(list_ids(&f, ids, 8), 6);
    ck_assert_str_eq(ids[0], "ship-1");              /* oldest created first */
    ck_assert_str_eq(ids[5], "shipped-6");
    ck_assert_uint_eq(list_ids(NULL, ids, 8), 6);    /* NULL: every row */

    f.type = "ot.Shipped";
    ck_assert_uint_eq(list_ids(&f, ids, 8), 2);
    ck_assert_str_eq(ids[0], "shipped-5");

    msgbus_outbox_filter_init(&f);
    f.error_contains = "100% odd_";                   /* % and _ are plain text */
    ck_assert_uint_eq(list_ids(&f, ids, 8), 3);
    ck_assert_str_eq(ids[1], "ship-3");
    f.error_contains = "odd_3";
    ck_assert_uint_eq(list_ids(&f, ids, 8), 1);
    f.error_contains = "ODD";                         /* case matters */
    ck_assert_uint_eq(list_ids(&f, ids, 8), 0);

    msgbus_outbox_filter_init(&f);
    f.id = "ship-2";
    ck_assert_uint_eq(list_ids(&f, ids, 8), 1);
    f.state = MSGBUS_OUTBOX_PROCESSED;                /* and its state */
    ck_assert_uint_eq(list_ids(&f, ids, 8), 0);

    msgbus_outbox_filter_init(&f);
    f.state = MSGBUS_OUTBOX_FAILED;
    f.limit = 2;
    f.offset = 3;
    ck_assert_uint_eq(list_ids(&f, ids, 8), 2);
    ck_assert_str_eq(ids[0], "ship-4");
    ck_assert_str_eq(ids[1], "shipped-5");
    f.offset = 6;
    ck_assert_uint_eq(list_ids(&f, ids, 8), 0);

    msgbus_outbox_filter_init(&f);
    f.created_before = now - 3600 * 1000;             /* none that old */
    ck_assert_uint_eq(list_ids(&f, ids, 8), 0);
    f.created_before = now + 3600 * 1000;
    ck_assert_uint_eq(list_ids(&f, ids, 8), 6);

    f.state = (msgbus_outbox_state)7;
    msgbus_outbox_row *rows;
    size_t n;
    msgbus_error err;
    ck_assert_int_eq(msgbus_outbox_list_filtered(repo, &f, &rows, &n, &err), MSGBUS_EINVAL);
    ck_assert_int_eq(msgbus_outbox_list_filtered(NULL, &f, &rows, &n, &err), MSGBUS_EINVAL);
}
END_TEST

/* Records how many rows a retry would make pending, from inside a relay. */
static int count_retryable(msgbus_bus *b, const msgbus_outbox_row *row, void *ud,
                           msgbus_error *err)
{
    (void)b; (void)row; (void)ud;
    size_t n = 0;
    int rc = msgbus_outbox_retry_filtered(repo, NULL, true, &n, err);
    state.chain[0] = (int)n;
    return rc;
}

static int ok_handler(msgbus_bus *b, const msgbus_outbox_row *row, void *ud, msgbus_error *err)
{
    (void)b; (void)row; (void)ud; (void)err;
    return 0;
}

START_TEST(retry_filtered_counts_on_a_dry_run_and_skips_leased_rows)
{
    int64_t now = six_rows();
    msgbus_outbox_filter f;
    msgbus_outbox_filter_init(&f);
    f.error_contains = "even";
    size_t n = 99;
    msgbus_error err;
    ck_assert_int_eq(msgbus_outbox_retry_filtered(repo, &f, true, &n, &err), 0);
    ck_assert_uint_eq(n, 3);
    msgbus_outbox_row row;
    ck_assert_int_eq(msgbus_outbox_get(repo, "ship-2", &row, NULL), 0);
    ck_assert_int_eq(row.attempts, 1);                /* a dry run changes nothing */
    msgbus_outbox_row_clear(&row);

    ck_assert_int_eq(msgbus_outbox_retry_filtered(repo, &f, false, &n, &err), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(msgbus_outbox_get(repo, "ship-2", &row, NULL), 0);
    ck_assert_int_eq(row.attempts, 0);
    ck_assert_int_le(row.available_at, msgbus_outbox_now());
    msgbus_outbox_row_clear(&row);
    ck_assert_int_eq(msgbus_outbox_get(repo, "ship-1", &row, NULL), 0);
    ck_assert_int_eq(row.attempts, 1);                /* odd rows untouched */
    msgbus_outbox_row_clear(&row);

    /* While a relay holds a row's lease (no batch: the lease is written),
     * a retry of every row leaves that row alone, as it does processed rows. */
    msgbus_outbox_options o = options(msgbus_outbox_now() + 3600 * 1000);
    o.atomic = false;
    o.batch_size = 1;
    const msgbus_outbox_handler h = { "count", count_retryable, NULL };
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, &h, 1, NULL), 0);
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &o, NULL, NULL), 0);
    ck_assert_int_eq(state.chain[0], 5);              /* 6 rows, one leased */
    msgbus_outbox_filter all;
    msgbus_outbox_filter_init(&all);
    ck_assert_int_eq(msgbus_outbox_retry_filtered(repo, &all, true, &n, &err), 0);
    ck_assert_uint_eq(n, 5);                          /* 6 rows, one processed */

    all.state = MSGBUS_OUTBOX_PROCESSED;
    ck_assert_int_eq(msgbus_outbox_retry_filtered(repo, &all, false, &n, &err), MSGBUS_EINVAL);
    (void)now;
}
END_TEST

START_TEST(purge_filtered_takes_dead_rows_before_a_time)
{
    six_rows();
    /* All due at once, so they are claimed in id order; then ship-1 and
     * ship-2 are dead-lettered, ship-3 and ship-4 processed. */
    ck_assert_int_eq(msgbus_outbox_retry_filtered(repo, NULL, false, NULL, NULL), 0);
    int64_t t = msgbus_outbox_now() + 3600 * 1000;
    msgbus_outbox_options o = options(t);
    o.max_attempts = 1;
    o.batch_size = 2;
    const msgbus_outbox_handler fail = { "h", fail_with_text, NULL };
    const msgbus_outbox_handler ok = { "ok", ok_handler, NULL };
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, &fail, 1, NULL), 0);
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &o, NULL, NULL), 0);  /* ship-1, ship-2 dead */
    o.now = t + 1000;
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, &ok, 1, NULL), 0);
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &o, NULL, NULL), 0);  /* ship-3, ship-4 */
    msgbus_outbox_counts c;
    ck_assert_int_eq(msgbus_outbox_counts_get(repo, &c, NULL), 0);
    ck_assert_uint_eq(c.dead, 2);
    ck_assert_uint_eq(c.processed, 2);

    msgbus_outbox_filter f;
    msgbus_outbox_filter_init(&f);
    size_t n;
    msgbus_error err;
    ck_assert_int_eq(msgbus_outbox_purge_filtered(repo, &f, false, &n, &err), MSGBUS_EINVAL);
    f.state = MSGBUS_OUTBOX_PENDING;
    ck_assert_int_eq(msgbus_outbox_purge_filtered(repo, &f, false, &n, &err), MSGBUS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "processed or dead"));

    f.state = MSGBUS_OUTBOX_DEAD;
    f.ended_before = t;                               /* dead at t: not before */
    ck_assert_int_eq(msgbus_outbox_purge_filtered(repo, &f, false, &n, &err), 0);
    ck_assert_uint_eq(n, 0);
    f.ended_before = t + 1;
    ck_assert_int_eq(msgbus_outbox_purge_filtered(repo, &f, true, &n, &err), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(msgbus_outbox_counts_get(repo, &c, NULL), 0);
    ck_assert_uint_eq(c.dead, 2);                     /* dry run */
    f.limit = 1;
    ck_assert_int_eq(msgbus_outbox_purge_filtered(repo, &f, false, &n, &err), 0);
    ck_assert_uint_eq(n, 1);
    f.limit = 0;
    ck_assert_int_eq(msgbus_outbox_purge_filtered(repo, &f, false, &n, &err), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(msgbus_outbox_counts_get(repo, &c, NULL), 0);
    ck_assert_uint_eq(c.dead, 0);
    ck_assert_uint_eq(c.processed, 2);                /* processed rows stay */
    ck_assert_uint_eq(c.pending, 2);
    msgbus_outbox_row row;
    ck_assert_int_eq(msgbus_outbox_get(repo, "ship-1", &row, NULL), MSGBUS_ENOTFOUND);

    f.state = MSGBUS_OUTBOX_PROCESSED;
    f.type = "ot.Ship";
    f.ended_before = 0;
    ck_assert_int_eq(msgbus_outbox_purge_filtered(repo, &f, false, &n, &err), 0);
    ck_assert_uint_eq(n, 2);
}
END_TEST

START_TEST(counts_give_the_age_of_the_oldest_pending_and_due_rows)
{
    msgbus_outbox_counts c;
    ck_assert_int_eq(msgbus_outbox_counts_get(repo, &c, NULL), 0);
    ck_assert_int_eq(c.oldest_pending_age_ms, 0);     /* no row */
    ck_assert_int_eq(c.oldest_due_age_ms, 0);

    char id[MSGBUS_OUTBOX_ID_SIZE] = "";
    register_ship(1, "a", id);
    struct timespec pause = { 0, 30 * 1000000 };
    nanosleep(&pause, NULL);
    ck_assert_int_eq(msgbus_outbox_counts_get(repo, &c, NULL), 0);
    ck_assert_int_ge(c.oldest_pending_age_ms, 30);
    ck_assert_int_lt(c.oldest_pending_age_ms, 600000);
    ck_assert_int_ge(c.oldest_due_age_ms, 30);        /* due since it was created */

    /* After a failure it waits for its backoff: pending, but not due. */
    msgbus_outbox_options o = options(msgbus_outbox_now());
    o.backoff_base_ms = 3600 * 1000;
    const msgbus_outbox_handler fail = { "h", fail_with_text, NULL };
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, &fail, 1, NULL), 0);
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &o, NULL, NULL), 0);
    ck_assert_int_eq(msgbus_outbox_counts_get(repo, &c, NULL), 0);
    ck_assert_int_ge(c.oldest_pending_age_ms, 30);
    ck_assert_int_eq(c.oldest_due_age_ms, 0);
    ck_assert_uint_eq(c.failed, 1);
}
END_TEST

/* ---- events ---------------------------------------------------------------- */

static event_log events;

START_TEST(events_tell_a_retry_then_a_dead_letter)
{
    memset(&events, 0, sizeof events);
    ck_assert_int_eq(msgbus_set_event_hook(bus, event_log_hook, &events), 0);
    char id[MSGBUS_OUTBOX_ID_SIZE] = "r-1";
    register_ship(1, "poison", id);
    int64_t now = msgbus_outbox_now() + 10;
    msgbus_outbox_options o = options(now);
    o.max_attempts = 2;
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, dispatch, 1, NULL), 0);
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &o, NULL, NULL), 0);

    char kinds[512];
    ck_assert_str_eq(event_log_kinds(&events, kinds, sizeof kinds),
                     "handler.failed handler.failed retry.scheduled batch.done");
    const msgbus_event *e = &events.items[0].ev;     /* the bus's handler */
    ck_assert_str_eq(e->source, "bus");
    ck_assert_str_eq(e->handler, "ot.ship");
    ck_assert_str_eq(e->type, "ot.Ship");
    ck_assert_str_eq(e->error, "cannot ship order 1");
    ck_assert_int_eq(e->code, MSGBUS_EHANDLER);
    ck_assert_int_eq(e->attempt, 1);
    e = &events.items[1].ev;                         /* the outbox handler */
    ck_assert_str_eq(e->source, "outbox");
    ck_assert_str_eq(e->handler, "msgbus.dispatch");
    ck_assert_str_eq(e->row_id, "r-1");
    ck_assert_str_eq(e->message_id, "r-1");
    ck_assert_int_eq(e->attempt, 1);
    ck_assert_ptr_nonnull(strstr(e->error, "cannot ship order 1"));
    e = &events.items[2].ev;
    ck_assert_str_eq(e->row_id, "r-1");
    ck_assert_str_eq(e->type, "ot.Ship");
    ck_assert_int_eq(e->attempt, 1);
    ck_assert_int_ge(e->delay_ms, o.backoff_base_ms / 2);
    ck_assert_int_le(e->delay_ms, o.backoff_base_ms);
    ck_assert_ptr_nonnull(strstr(e->error, "msgbus.dispatch: "));
    msgbus_outbox_row row;
    ck_assert_int_eq(msgbus_outbox_get(repo, id, &row, NULL), 0);
    ck_assert_int_eq(row.available_at, now + e->delay_ms);  /* the delay told is the one kept */
    msgbus_outbox_row_clear(&row);
    e = &events.items[3].ev;
    ck_assert_uint_eq(e->counts.claimed, 1);
    ck_assert_uint_eq(e->counts.failed, 1);
    ck_assert_uint_eq(e->counts.processed, 0);
    ck_assert_int_ge(e->duration_ms, 0);
    ck_assert_int_ge(e->time_ms, now - 10);

    /* The second and last attempt. */
    memset(&events, 0, sizeof events);
    o.now += 3600 * 1000;
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &o, NULL, NULL), 0);
    ck_assert_str_eq(event_log_kinds(&events, kinds, sizeof kinds),
                     "handler.failed handler.failed dead.lettered batch.done");
    e = &events.items[2].ev;
    ck_assert_str_eq(e->row_id, "r-1");
    ck_assert_int_eq(e->attempt, 2);
    ck_assert_int_eq(e->delay_ms, 0);
    ck_assert_ptr_nonnull(strstr(e->error, "cannot ship order 1"));
    ck_assert_uint_eq(events.items[3].ev.counts.dead_lettered, 1);

    /* An idle poll says nothing; without a hook nothing is reported. */
    memset(&events, 0, sizeof events);
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &o, NULL, NULL), 0);
    ck_assert_uint_eq(events.n, 0);
    register_ship(2, "poison", NULL);
    ck_assert_int_eq(msgbus_set_event_hook(bus, NULL, NULL), 0);
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &o, NULL, NULL), 0);
    ck_assert_uint_eq(events.n, 0);
}
END_TEST

START_TEST(events_tell_a_lease_reclaim)
{
    memset(&events, 0, sizeof events);
    ck_assert_int_eq(msgbus_set_event_hook(bus, event_log_hook, &events), 0);
    register_ship(1, "a", NULL);
    int64_t now = msgbus_outbox_now() + 10;
    /* Relay a leases the row and, from its handler, relay b runs after
     * a's lease has ended (as if a had hung): b reclaims and claims it. */
    msgbus_outbox_options b = options(now + 1000);
    b.worker = "relay-b";
    b.atomic = false;
    msgbus_outbox_options a = options(now);
    a.worker = "relay-a";
    a.atomic = false;
    a.lease_ms = 1000;
    msgbus_outbox_handler nested = { "nested", nested_relay, &b };
    ck_assert_int_eq(msgbus_set_outbox_handlers(&a, &nested, 1, NULL), 0);
    ck_assert_int_eq(msgbus_set_outbox_handlers(&b, &nested, 1, NULL), 0);
    ck_assert_int_eq(msgbus_process_outbox(bus, repo, &a, NULL, NULL), 0);

    char kinds[512];
    ck_assert_str_eq(event_log_kinds(&events, kinds, sizeof kinds),
                     "lease.reclaimed batch.done batch.done");
    const msgbus_event *e = &events.items[0].ev;
    ck_assert_str_eq(e->source, "outbox");
    ck_assert_uint_eq(e->counts.reclaimed, 1);
    e = &events.items[1].ev;                         /* b's step */
    ck_assert_uint_eq(e->counts.reclaimed, 1);
    ck_assert_uint_eq(e->counts.claimed, 1);
    ck_assert_uint_eq(e->counts.processed, 1);
    e = &events.items[2].ev;                         /* a's step */
    ck_assert_uint_eq(e->counts.reclaimed, 0);
    ck_assert_uint_eq(e->counts.claimed, 1);
}
END_TEST

TCase *outbox_contract_tcase(void)
{
    TCase *tc = tcase_create("contract");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, register_stores_the_message);
    tcase_add_test(tc, register_with_own_id_and_rejects_bad_input);
    tcase_add_test(tc, process_dispatches_and_marks_processed);
    tcase_add_test(tc, failure_stops_the_chain_and_backs_off);
    tcase_add_test(tc, poison_message_is_dead_lettered_without_holding_up_others);
    tcase_add_test(tc, leases_keep_other_relays_away_until_they_expire);
    tcase_add_test(tc, purge_removes_old_processed_rows_in_batches);
    tcase_add_test(tc, unknown_type_and_bad_payload_fail_the_row);
    tcase_add_test(tc, filters_select_rows_by_every_condition);
    tcase_add_test(tc, retry_filtered_counts_on_a_dry_run_and_skips_leased_rows);
    tcase_add_test(tc, purge_filtered_takes_dead_rows_before_a_time);
    tcase_add_test(tc, counts_give_the_age_of_the_oldest_pending_and_due_rows);
    tcase_add_test(tc, events_tell_a_retry_then_a_dead_letter);
    tcase_add_test(tc, events_tell_a_lease_reclaim);
    return tc;
}
