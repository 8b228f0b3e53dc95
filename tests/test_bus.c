/* test_bus.c - the semantics of the synchronous bus (msgbus_handle(3)). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bus_test.msg.h"   /* generated from tests/schemas/bus_test.msg */

/* ---- helpers ---------------------------------------------------------- */

/* What the handlers saw, in call order. */
static char trace[4096];

static void note(const char *what)
{
    if (trace[0])
        strcat(trace, " ");
    strcat(trace, what);
}

static char *dup(const char *s)
{
    char *d = malloc(strlen(s) + 1);
    ck_assert_ptr_nonnull(d);
    return strcpy(d, s);
}

static void set_start(bt_Start *m, const char *label)
{
    msgbus_value_init(&bt_Start_type, m);
    m->label = dup(label);
}

static void emit_node(msgbus_ctx *ctx, const char *label, int64_t depth, int expect)
{
    bt_Node n;
    msgbus_value_init(&bt_Node_type, &n);
    n.label = dup(label);
    n.depth = depth;
    ck_assert_int_eq(msgbus_emit(ctx, &n.base), expect);
    /* Whatever happened, the bus took the contents. */
    ck_assert_ptr_null(n.label);
    ck_assert_ptr_eq(n.base.type, &bt_Node_type);
}

static msgbus_bus *bus;
static msgbus_results *results;
static int start_mode;      /* what the static bt_start does */

static void setup(void)
{
    trace[0] = '\0';
    start_mode = 0;
    bus = msgbus_bus_new(trace);
    results = msgbus_results_new();
    ck_assert_ptr_nonnull(bus);
    ck_assert_ptr_nonnull(results);
}

static void teardown(void)
{
    msgbus_results_free(results);
    msgbus_bus_free(bus);
}

/* Static handlers of bt_module. */
int bt_start(msgbus_ctx *ctx, const bt_Start *msg)
{
    bt_Other other;
    note(msg->label);
    switch (start_mode) {
    case 1:                                 /* undeclared emit */
        msgbus_value_init(&bt_Other_type, &other);
        other.label = dup("not declared");
        ck_assert_int_eq(msgbus_emit(ctx, &other.base), MSGBUS_EEMIT);
        ck_assert_ptr_null(other.label);
        return 0;
    default: {
        bt_Node n;
        msgbus_value_init(&bt_Node_type, &n);
        n.label = dup("n");
        return bt_start_emit_Node(ctx, &n);
    }
    }
}

int bt_on_node(msgbus_ctx *ctx, const bt_Node *msg)
{
    (void)ctx;
    note(msg->label);
    return 0;
}

/* Run-time handlers. */

/* Node handler building a binary tree two levels deep. */
static int tree_node(msgbus_ctx *ctx, const msgbus_msg *m)
{
    const bt_Node *n = (const bt_Node *)(const void *)m;
    char label[64];
    note(n->label);
    if (n->depth < 2) {
        snprintf(label, sizeof label, "%sa", n->label);
        emit_node(ctx, label, n->depth + 1, 0);
        snprintf(label, sizeof label, "%sb", n->label);
        emit_node(ctx, label, n->depth + 1, 0);
    }
    return 0;
}

static int root_start(msgbus_ctx *ctx, const msgbus_msg *m)
{
    note(((const bt_Start *)(const void *)m)->label);
    emit_node(ctx, "r", 0, 0);
    return 0;
}

/* ---- FIFO, breadth first --------------------------------------------- */

START_TEST(test_breadth_first_fifo)
{
    msgbus_handler h = { "tree", tree_node };
    bt_Start s;
    size_t i;
    ck_assert_int_eq(msgbus_set_command_handler(bus, &bt_Start_type, "root", root_start, NULL), 0);
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &bt_Node_type, &h, 1, NULL), 0);
    set_start(&s, "s");
    ck_assert_int_eq(msgbus_handle(bus, &s.base, results, NULL), 0);
    /* Depth first would give "s r ra raa rab rb rba rbb". */
    ck_assert_str_eq(trace, "s r ra rb raa rab rba rbb");
    ck_assert_uint_eq(msgbus_results_count(results), 8);
    for (i = 0; i < 8; i++)
        ck_assert_uint_eq(msgbus_results_get(results, i)->seq, i);
    msgbus_value_clear(&bt_Start_type, &s);
}
END_TEST

/* ---- exactly once ----------------------------------------------------- */

static int node_count;

static int count_node(msgbus_ctx *ctx, const msgbus_msg *m)
{
    (void)ctx;
    (void)m;
    node_count++;
    return 0;
}

START_TEST(test_exactly_once_across_calls)
{
    msgbus_handler h = { "count", count_node };
    bt_Start s;
    int i;
    node_count = 0;
    ck_assert_int_eq(msgbus_bus_install(bus, &bt_module, NULL), 0);
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &bt_Node_type, &h, 1, NULL), 0);
    set_start(&s, "x");
    for (i = 0; i < 5000; i++) {
        trace[0] = '\0';
        ck_assert_int_eq(msgbus_handle(bus, &s.base, results, NULL), 0);
        /* The Python library re-queued every earlier emit: count grew. */
        ck_assert_int_eq(node_count, i + 1);
        ck_assert_uint_eq(msgbus_results_count(results), 2);
    }
    msgbus_value_clear(&bt_Start_type, &s);
}
END_TEST

/* ---- commands ------------------------------------------------------- */

START_TEST(test_command_without_handler)
{
    bt_Start s;
    msgbus_error err;
    set_start(&s, "x");
    ck_assert_int_eq(msgbus_handle(bus, &s.base, results, &err), MSGBUS_ENOHANDLER);
    ck_assert_int_eq(err.code, MSGBUS_ENOHANDLER);
    ck_assert_ptr_nonnull(strstr(err.text, "bt.Start"));
    ck_assert_uint_eq(msgbus_results_count(results), 0);
    msgbus_value_clear(&bt_Start_type, &s);
}
END_TEST

static int emit_start_then_node(msgbus_ctx *ctx, const msgbus_msg *m)
{
    bt_Start next;
    note("first");
    (void)m;
    set_start(&next, "second");
    ck_assert_int_eq(msgbus_emit(ctx, &next.base), 0);
    emit_node(ctx, "never", 0, 0);
    return 0;
}

static int fail_second(msgbus_ctx *ctx, const msgbus_msg *m)
{
    const bt_Start *s = (const bt_Start *)(const void *)m;
    if (strcmp(s->label, "second") != 0)
        return emit_start_then_node(ctx, m);
    note("second");
    return msgbus_ctx_fail(ctx, -100, "out of stock");
}

START_TEST(test_failing_command_stops_and_keeps_results)
{
    msgbus_handler h = { "tree", tree_node };
    bt_Start s;
    msgbus_error err;
    const msgbus_result *r;
    ck_assert_int_eq(msgbus_set_command_handler(bus, &bt_Start_type, "cmd", fail_second, NULL), 0);
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &bt_Node_type, &h, 1, NULL), 0);
    set_start(&s, "first");
    ck_assert_int_eq(msgbus_handle(bus, &s.base, results, &err), -100);
    ck_assert_int_eq(err.code, -100);
    ck_assert_ptr_nonnull(strstr(err.text, "out of stock"));
    ck_assert_ptr_nonnull(strstr(err.text, "cmd"));
    /* The queued Node after the failing command was never handled. */
    ck_assert_str_eq(trace, "first second");
    ck_assert_uint_eq(msgbus_results_count(results), 2);
    r = msgbus_results_get(results, 0);
    ck_assert_int_eq(r->status, 0);
    ck_assert_str_eq(r->handler, "cmd");
    r = msgbus_results_get(results, 1);
    ck_assert_int_eq(r->status, -100);
    ck_assert_str_eq(r->error, "out of stock");
    ck_assert_uint_eq(r->seq, 1);
    ck_assert_ptr_eq(r->type, &bt_Start_type);
    msgbus_value_clear(&bt_Start_type, &s);
}
END_TEST

/* ---- events ----------------------------------------------------------- */

static int h1(msgbus_ctx *ctx, const msgbus_msg *m) { (void)ctx; (void)m; note("h1"); return 0; }
static int h2(msgbus_ctx *ctx, const msgbus_msg *m)
{
    (void)m;
    note("h2");
    return msgbus_ctx_fail(ctx, MSGBUS_EHANDLER, "h2 broke");
}
static int h3(msgbus_ctx *ctx, const msgbus_msg *m) { (void)ctx; (void)m; note("h3"); return 0; }

static char logged[1024];

static void capture_log(int level, const char *text, void *ud)
{
    (void)ud;
    snprintf(logged + strlen(logged), sizeof logged - strlen(logged), "%d:%s\n", level, text);
}

START_TEST(test_event_all_handlers_in_order)
{
    msgbus_handler hs[] = { { "h3", h3 }, { "h2", h2 }, { "h1", h1 } };
    bt_Node n;
    size_t i;
    logged[0] = '\0';
    msgbus_bus_set_log(bus, capture_log, NULL);
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &bt_Node_type, hs, 3, NULL), 0);
    msgbus_value_init(&bt_Node_type, &n);
    ck_assert_int_eq(msgbus_handle(bus, &n.base, results, NULL), 0);
    ck_assert_str_eq(trace, "h3 h2 h1");
    ck_assert_uint_eq(msgbus_results_count(results), 3);
    ck_assert_uint_eq(msgbus_results_failed(results), 1);
    for (i = 0; i < 3; i++)
        ck_assert_str_eq(msgbus_results_get(results, i)->handler, hs[i].name);
    ck_assert_int_eq(msgbus_results_get(results, 1)->status, MSGBUS_EHANDLER);
    ck_assert_str_eq(msgbus_results_get(results, 1)->error, "h2 broke");
    ck_assert_int_eq(msgbus_results_get(results, 2)->status, 0);
    ck_assert_ptr_nonnull(strstr(logged, "h2 broke"));
}
END_TEST

START_TEST(test_event_without_handlers)
{
    bt_Other o;
    logged[0] = '\0';
    msgbus_bus_set_log(bus, capture_log, NULL);
    msgbus_value_init(&bt_Other_type, &o);
    ck_assert_int_eq(msgbus_handle(bus, &o.base, results, NULL), 0);
    ck_assert_uint_eq(msgbus_results_count(results), 0);
    ck_assert_ptr_nonnull(strstr(logged, "bt.Other has no handlers"));
}
END_TEST

/* ---- static table: declared emits ------------------------------------ */

START_TEST(test_install_dispatches_static_table)
{
    bt_Start s;
    msgbus_handler got;
    ck_assert_int_eq(msgbus_bus_install(bus, &bt_module, NULL), 0);
    ck_assert_int_eq(msgbus_bus_install(bus, &bt_module, NULL), 0);   /* no-op */
    ck_assert_ptr_eq(msgbus_bus_find_type(bus, "bt.Node"), &bt_Node_type);
    ck_assert_ptr_null(msgbus_bus_find_type(bus, "bt.Nope"));
    ck_assert_int_eq(msgbus_get_command_handler(bus, &bt_Start_type, &got), 0);
    ck_assert_str_eq(got.name, "bt.start");
    ck_assert_uint_eq(msgbus_get_event_handlers(bus, &bt_Node_type, NULL, 0), 1);
    set_start(&s, "go");
    ck_assert_int_eq(msgbus_handle(bus, &s.base, results, NULL), 0);
    ck_assert_str_eq(trace, "go n");
    ck_assert_str_eq(msgbus_results_get(results, 1)->handler, "bt.on_node");
    msgbus_value_clear(&bt_Start_type, &s);
}
END_TEST

START_TEST(test_undeclared_emit_refused)
{
    bt_Start s;
    msgbus_error err;
    ck_assert_int_eq(msgbus_bus_install(bus, &bt_module, NULL), 0);
    start_mode = 1;
    set_start(&s, "go");
    ck_assert_int_eq(msgbus_handle(bus, &s.base, results, &err), MSGBUS_EEMIT);
    ck_assert_ptr_nonnull(strstr(err.text, "bt.start"));
    ck_assert_ptr_nonnull(strstr(err.text, "bt.Other"));
    ck_assert_ptr_nonnull(strstr(err.text, "does not declare"));
    ck_assert_int_eq(msgbus_results_get(results, 0)->status, MSGBUS_EEMIT);
    msgbus_value_clear(&bt_Start_type, &s);
}
END_TEST

START_TEST(test_runtime_handler_may_emit_anything)
{
    msgbus_handler h = { "tree", tree_node };
    bt_Start s;
    ck_assert_int_eq(msgbus_set_command_handler(bus, &bt_Start_type, "root", root_start, NULL), 0);
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &bt_Node_type, &h, 1, NULL), 0);
    set_start(&s, "s");
    ck_assert_int_eq(msgbus_handle(bus, &s.base, NULL, NULL), 0);
    ck_assert_int_eq(msgbus_set_command_handler(bus, &bt_Start_type, NULL, NULL, NULL), 0);
    ck_assert_int_eq(msgbus_get_command_handler(bus, &bt_Start_type, NULL), MSGBUS_ENOHANDLER);
    ck_assert_int_eq(msgbus_set_command_handler(bus, &bt_Node_type, "x", root_start, NULL),
                     MSGBUS_EINVAL);
    msgbus_value_clear(&bt_Start_type, &s);
}
END_TEST

/* ---- ownership -------------------------------------------------------- */

static int emit_many_strings(msgbus_ctx *ctx, const msgbus_msg *m)
{
    int i;
    (void)m;
    for (i = 0; i < 20; i++)
        emit_node(ctx, "a string the bus must free", 5, 0);
    return 0;
}

static int fail_after_emit(msgbus_ctx *ctx, const msgbus_msg *m)
{
    (void)m;
    emit_node(ctx, "dropped with the failed call", 5, 0);
    return MSGBUS_EHANDLER;
}

START_TEST(test_emitted_messages_are_owned_by_the_bus)
{
    /* Run under ASan or valgrind: every string emitted must be freed, both
     * after handling and when a failed call's emits are dropped. */
    msgbus_handler h = { "fail", fail_after_emit };
    bt_Start s;
    int i;
    ck_assert_int_eq(msgbus_set_command_handler(bus, &bt_Start_type, "many",
                                                emit_many_strings, NULL), 0);
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &bt_Node_type, &h, 1, NULL), 0);
    set_start(&s, "s");
    for (i = 0; i < 50; i++) {
        ck_assert_int_eq(msgbus_handle(bus, &s.base, results, NULL), 0);
        ck_assert_uint_eq(msgbus_results_failed(results), 20);
    }
    /* The caller's message is borrowed, not consumed. */
    ck_assert_str_eq(s.label, "s");
    msgbus_value_clear(&bt_Start_type, &s);
}
END_TEST

START_TEST(test_emit_outside_handler)
{
    bt_Node n;
    msgbus_value_init(&bt_Node_type, &n);
    n.label = dup("lost?");
    ck_assert_int_eq(msgbus_emit(NULL, &n.base), MSGBUS_ESTATE);
    ck_assert_ptr_null(n.label);
}
END_TEST

/* ---- emit limit ------------------------------------------------------- */

static size_t limit;

static int runaway(msgbus_ctx *ctx, const msgbus_msg *m)
{
    (void)m;
    emit_node(ctx, "again", 0, msgbus_ctx_sequence(ctx) < limit ? 0 : MSGBUS_ELIMIT);
    return 0;
}

START_TEST(test_emit_limit_stops_runaway_loop)
{
    msgbus_handler h = { "runaway", runaway };
    bt_Node n;
    msgbus_error err;
    ck_assert_uint_eq(msgbus_bus_emit_limit(bus), MSGBUS_DEFAULT_EMIT_LIMIT);
    limit = 50;
    msgbus_bus_set_emit_limit(bus, limit);
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &bt_Node_type, &h, 1, NULL), 0);
    msgbus_value_init(&bt_Node_type, &n);
    ck_assert_int_eq(msgbus_handle(bus, &n.base, results, &err), MSGBUS_ELIMIT);
    ck_assert_ptr_nonnull(strstr(err.text, "emit limit"));
    ck_assert_uint_eq(msgbus_results_count(results), 51);
    ck_assert_int_eq(msgbus_results_get(results, 50)->status, MSGBUS_ELIMIT);
    /* The bus is usable again, and the limit counts per handle. */
    limit = 100;
    msgbus_bus_set_emit_limit(bus, limit);
    ck_assert_int_eq(msgbus_handle(bus, &n.base, results, &err), MSGBUS_ELIMIT);
    ck_assert_uint_eq(msgbus_results_count(results), 101);
}
END_TEST

START_TEST(test_default_emit_limit)
{
    msgbus_handler h = { "runaway", runaway };
    bt_Node n;
    limit = MSGBUS_DEFAULT_EMIT_LIMIT;
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &bt_Node_type, &h, 1, NULL), 0);
    msgbus_value_init(&bt_Node_type, &n);
    ck_assert_int_eq(msgbus_handle(bus, &n.base, results, NULL), MSGBUS_ELIMIT);
    ck_assert_uint_eq(msgbus_results_count(results), MSGBUS_DEFAULT_EMIT_LIMIT + 1);
}
END_TEST

static int emit_start(msgbus_ctx *ctx, const msgbus_msg *m)
{
    bt_Start s;
    (void)m;
    set_start(&s, "orphan");
    return msgbus_emit(ctx, &s.base);
}

START_TEST(test_emitted_command_without_handler)
{
    msgbus_handler h = { "emit_start", emit_start };
    bt_Node n;
    msgbus_error err;
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &bt_Node_type, &h, 1, NULL), 0);
    msgbus_value_init(&bt_Node_type, &n);
    ck_assert_int_eq(msgbus_handle(bus, &n.base, results, &err), MSGBUS_ENOHANDLER);
    ck_assert_ptr_nonnull(strstr(err.text, "bt.Start"));
    ck_assert_uint_eq(msgbus_results_count(results), 1);
}
END_TEST

START_TEST(test_event_handler_getters)
{
    msgbus_handler hs[] = { { "h1", h1 }, { "h2", h2 }, { "h3", h3 } };
    msgbus_handler out[2];
    char name[8] = "h1";
    hs[0].name = name;
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &bt_Node_type, hs, 3, NULL), 0);
    strcpy(name, "XX");            /* names were copied */
    ck_assert_uint_eq(msgbus_get_event_handlers(bus, &bt_Node_type, out, 2), 3);
    ck_assert_str_eq(out[0].name, "h1");
    ck_assert(out[1].fn == h2);
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &bt_Node_type, NULL, 0, NULL), 0);
    ck_assert_uint_eq(msgbus_get_event_handlers(bus, &bt_Node_type, NULL, 0), 0);
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &bt_Start_type, hs, 1, NULL), MSGBUS_EINVAL);
}
END_TEST

/* ---- batches ---------------------------------------------------------- */

START_TEST(test_batch_outcomes_in_input_order)
{
    bt_Start s1, s2;
    bt_Other o;
    const msgbus_msg *msgs[3];
    msgbus_outcome out[3];
    msgbus_error err;
    ck_assert_int_eq(msgbus_set_command_handler(bus, &bt_Start_type, "fails", fail_second, NULL), 0);
    set_start(&s1, "second");       /* fails */
    set_start(&s2, "first");        /* works; its "second" fails */
    msgbus_value_init(&bt_Other_type, &o);
    msgs[0] = &o.base;
    msgs[1] = &s1.base;
    msgs[2] = &s2.base;
    ck_assert_int_eq(msgbus_batch_handle(bus, msgs, 3, out, results, &err), -100);
    ck_assert_int_eq(out[0].status, 0);
    ck_assert_int_eq(out[1].status, -100);
    ck_assert_int_eq(out[2].status, -100);
    ck_assert_ptr_nonnull(strstr(out[1].error.text, "out of stock"));
    ck_assert_ptr_nonnull(strstr(err.text, "message 1"));
    ck_assert_uint_eq(out[0].n_results, 0);
    ck_assert_uint_eq(out[1].first_result, 0);
    ck_assert_uint_eq(out[1].n_results, 1);
    ck_assert_uint_eq(out[2].first_result, 1);
    ck_assert_uint_eq(out[2].n_results, 2);
    msgbus_value_clear(&bt_Start_type, &s1);
    msgbus_value_clear(&bt_Start_type, &s2);
}
END_TEST

/* ---- context ---------------------------------------------------------- */

static uint64_t ids[3][3];     /* id, correlation, causation per seq */
static int freed;

static void count_free(void *p)
{
    freed++;
    free(p);
}

static int ctx_start(msgbus_ctx *ctx, const msgbus_msg *m)
{
    size_t q = msgbus_ctx_sequence(ctx);
    (void)m;
    ck_assert_ptr_eq(msgbus_ctx_userdata(ctx), trace);
    ck_assert_ptr_eq(msgbus_ctx_message(ctx), m);
    ck_assert_str_eq(msgbus_ctx_handler_name(ctx), "ctx_start");
    ids[q][0] = msgbus_ctx_message_id(ctx);
    ids[q][1] = msgbus_ctx_correlation_id(ctx);
    ids[q][2] = msgbus_ctx_causation_id(ctx);
    ck_assert_int_eq(msgbus_ctx_set(ctx, "who", dup("start"), count_free), 0);
    emit_node(ctx, "n", 0, 0);
    msgbus_ctx_set_result(ctx, json_integer(42));
    return 0;
}

static int ctx_node(msgbus_ctx *ctx, const msgbus_msg *m)
{
    const bt_Node *n = (const bt_Node *)(const void *)m;
    size_t q = msgbus_ctx_sequence(ctx);
    ck_assert_str_eq((const char *)msgbus_ctx_get(ctx, "who"), "start");
    ck_assert_ptr_null(msgbus_ctx_get(ctx, "nobody"));
    ids[q][0] = msgbus_ctx_message_id(ctx);
    ids[q][1] = msgbus_ctx_correlation_id(ctx);
    ids[q][2] = msgbus_ctx_causation_id(ctx);
    if (n->depth == 0) {
        ck_assert_int_eq(msgbus_ctx_set(ctx, "who", dup("node"), count_free), 0);
        ck_assert_int_eq(freed, 1);   /* replaced value freed */
        ck_assert_int_eq(msgbus_ctx_set(ctx, "who", dup("start"), count_free), 0);
        emit_node(ctx, "m", 1, 0);
    }
    return 0;
}

START_TEST(test_ctx_ids_userdata_and_shared_values)
{
    msgbus_handler h = { "ctx_node", ctx_node };
    bt_Start s;
    freed = 0;
    ck_assert_int_eq(msgbus_set_command_handler(bus, &bt_Start_type, "ctx_start", ctx_start, NULL), 0);
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &bt_Node_type, &h, 1, NULL), 0);
    set_start(&s, "s");
    ck_assert_int_eq(msgbus_handle(bus, &s.base, results, NULL), 0);
    ck_assert_int_eq(freed, 3);    /* the context is emptied after handle */
    ck_assert_uint_ne(ids[0][0], ids[1][0]);
    ck_assert_uint_ne(ids[1][0], ids[2][0]);
    ck_assert_uint_eq(ids[0][1], ids[0][0]);      /* root correlates to itself */
    ck_assert_uint_eq(ids[1][1], ids[0][0]);
    ck_assert_uint_eq(ids[2][1], ids[0][0]);
    ck_assert_uint_eq(ids[0][2], 0);
    ck_assert_uint_eq(ids[1][2], ids[0][0]);      /* caused by its emitter */
    ck_assert_uint_eq(ids[2][2], ids[1][0]);
    ck_assert_uint_eq(msgbus_results_get(results, 0)->message_id, ids[0][0]);
    ck_assert_int_eq(json_integer_value(msgbus_results_get(results, 0)->value), 42);
    ck_assert_ptr_null(msgbus_results_get(results, 1)->value);
    msgbus_value_clear(&bt_Start_type, &s);
}
END_TEST

static int reenter(msgbus_ctx *ctx, const msgbus_msg *m)
{
    msgbus_error err;
    ck_assert_int_eq(msgbus_handle(msgbus_ctx_bus(ctx), m, NULL, &err), MSGBUS_ESTATE);
    ck_assert_int_eq(msgbus_set_command_handler(msgbus_ctx_bus(ctx), &bt_Start_type, "x",
                                                reenter, NULL), MSGBUS_ESTATE);
    return 0;
}

START_TEST(test_no_reentry)
{
    bt_Start s;
    ck_assert_int_eq(msgbus_set_command_handler(bus, &bt_Start_type, "reenter", reenter, NULL), 0);
    set_start(&s, "s");
    ck_assert_int_eq(msgbus_handle(bus, &s.base, results, NULL), 0);
    msgbus_value_clear(&bt_Start_type, &s);
}
END_TEST

/* ---- middleware ------------------------------------------------------- */

static int veto(msgbus_ctx *ctx, const msgbus_msg *m, void *ud)
{
    (void)ud;
    note("before");
    if (m->type == &bt_Node_type)
        return msgbus_ctx_fail(ctx, MSGBUS_EHANDLER, "vetoed by %s", (const char *)ud);
    return 0;
}

static int last_status = 1;

static int after_note(msgbus_ctx *ctx, const msgbus_msg *m, int status, uint64_t ns, void *ud)
{
    (void)ctx;
    (void)m;
    (void)ns;
    note((const char *)ud);
    last_status = status;
    return status;
}

START_TEST(test_middleware_before_veto_after_order)
{
    msgbus_handler h = { "h1", h1 };
    bt_Start s;
    ck_assert_int_eq(msgbus_use(bus, veto, after_note, "outer"), 0);
    ck_assert_int_eq(msgbus_use(bus, NULL, after_note, "inner"), 0);
    ck_assert_int_eq(msgbus_set_command_handler(bus, &bt_Start_type, "root", root_start, NULL), 0);
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &bt_Node_type, &h, 1, NULL), 0);
    set_start(&s, "s");
    ck_assert_int_eq(msgbus_handle(bus, &s.base, results, NULL), 0);
    /* Vetoed Node handler: its "inner" after never ran, "outer" saw it. */
    ck_assert_str_eq(trace, "before s inner outer before outer");
    ck_assert_int_eq(last_status, MSGBUS_EHANDLER);
    ck_assert_str_eq(msgbus_results_get(results, 1)->error, "vetoed by outer");
    msgbus_value_clear(&bt_Start_type, &s);
}
END_TEST

static int flaky(msgbus_ctx *ctx, const msgbus_msg *m)
{
    (void)m;
    emit_node(ctx, "once", 9, 0);
    if (msgbus_ctx_attempt(ctx) < 3)
        return msgbus_ctx_fail(ctx, MSGBUS_EIO, "try again");
    return 0;
}

static int retry_three(msgbus_ctx *ctx, const msgbus_msg *m, int status, uint64_t ns, void *ud)
{
    (void)m;
    (void)ns;
    (void)ud;
    return status != 0 && msgbus_ctx_attempt(ctx) < 3 ? MSGBUS_RETRY : status;
}

START_TEST(test_middleware_retry_drops_failed_emits)
{
    msgbus_handler h = { "count", count_node };
    bt_Start s;
    node_count = 0;
    ck_assert_int_eq(msgbus_use(bus, NULL, retry_three, NULL), 0);
    ck_assert_int_eq(msgbus_set_command_handler(bus, &bt_Start_type, "flaky", flaky, NULL), 0);
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &bt_Node_type, &h, 1, NULL), 0);
    set_start(&s, "s");
    ck_assert_int_eq(msgbus_handle(bus, &s.base, results, NULL), 0);
    ck_assert_int_eq(node_count, 1);
    ck_assert_uint_eq(msgbus_results_count(results), 2);
    ck_assert_uint_eq(msgbus_results_get(results, 1)->seq, 1);
    msgbus_value_clear(&bt_Start_type, &s);
}
END_TEST

/* ---- suite ------------------------------------------------------------ */

static Suite *bus_suite(void)
{
    Suite *s = suite_create("bus");
    TCase *tc = tcase_create("sync");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_breadth_first_fifo);
    tcase_add_test(tc, test_exactly_once_across_calls);
    tcase_add_test(tc, test_command_without_handler);
    tcase_add_test(tc, test_failing_command_stops_and_keeps_results);
    tcase_add_test(tc, test_event_all_handlers_in_order);
    tcase_add_test(tc, test_event_without_handlers);
    tcase_add_test(tc, test_install_dispatches_static_table);
    tcase_add_test(tc, test_undeclared_emit_refused);
    tcase_add_test(tc, test_runtime_handler_may_emit_anything);
    tcase_add_test(tc, test_emitted_messages_are_owned_by_the_bus);
    tcase_add_test(tc, test_emit_outside_handler);
    tcase_add_test(tc, test_emit_limit_stops_runaway_loop);
    tcase_add_test(tc, test_default_emit_limit);
    tcase_add_test(tc, test_emitted_command_without_handler);
    tcase_add_test(tc, test_event_handler_getters);
    tcase_add_test(tc, test_batch_outcomes_in_input_order);
    tcase_add_test(tc, test_ctx_ids_userdata_and_shared_values);
    tcase_add_test(tc, test_no_reentry);
    tcase_add_test(tc, test_middleware_before_veto_after_order);
    tcase_add_test(tc, test_middleware_retry_drops_failed_emits);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(bus_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
