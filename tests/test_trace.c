/* test_trace.c - message ids, correlation and causation ids and W3C trace
 * context on the bus, and what handlers write into outbox rows. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <msgbus/msgbus.h>
#include <msgbus/trace.h>
#define OT_DEFINE_MODULE
#include "outbox_test_module.h"

/* What each handler call saw. */
typedef struct seen_call {
    char id[MSGBUS_MESSAGE_ID_SIZE], correlation[MSGBUS_MESSAGE_ID_SIZE],
         causation[MSGBUS_MESSAGE_ID_SIZE];
    char trace[MSGBUS_TRACE_ID_TEXT_SIZE], span[MSGBUS_SPAN_ID_TEXT_SIZE],
         parent[MSGBUS_SPAN_ID_TEXT_SIZE], traceparent[MSGBUS_TRACEPARENT_SIZE];
    unsigned flags;
    char tracestate[64];
} seen_call;

static seen_call calls[8];
static int n_calls;
static msgbus_outbox_repo *repo;        /* ot_ship registers ot.Shipped here */

static void record(msgbus_ctx *ctx)
{
    seen_call *c = &calls[n_calls++];
    snprintf(c->id, sizeof c->id, "%s", msgbus_ctx_message_uuid(ctx));
    snprintf(c->correlation, sizeof c->correlation, "%s", msgbus_ctx_correlation_uuid(ctx));
    snprintf(c->causation, sizeof c->causation, "%s", msgbus_ctx_causation_uuid(ctx));
    msgbus_ctx_trace_id(ctx, c->trace);
    msgbus_ctx_span_id(ctx, c->span);
    msgbus_ctx_parent_span_id(ctx, c->parent);
    msgbus_ctx_traceparent(ctx, c->traceparent);
    c->flags = msgbus_ctx_trace_flags(ctx);
    snprintf(c->tracestate, sizeof c->tracestate, "%s", msgbus_ctx_tracestate(ctx));
}

int ot_ship(msgbus_ctx *ctx, const ot_Ship *msg)
{
    (void)ctx; (void)msg;
    return 0;
}

/* The run-time handler of ot.Ship (it may emit anything): records, then
 * registers an ot.Shipped row and emits one. */
static int ship_handler(msgbus_ctx *ctx, const msgbus_msg *m)
{
    const ot_Ship *msg = (const ot_Ship *)m;
    record(ctx);
    ot_Shipped ev;
    msgbus_value_init(&ot_Shipped_type, &ev);
    ev.order_id = msg->order_id;
    if (repo) {
        char id[MSGBUS_OUTBOX_ID_SIZE] = "row-from-handler";
        msgbus_error err;
        if (msgbus_outbox_register(repo, &ev.base, id, NULL, &err) < 0)
            return msgbus_ctx_fail(ctx, err.code, "%s", err.text);
    }
    return msgbus_emit(ctx, &ev.base);
}

static int on_shipped(msgbus_ctx *ctx, const msgbus_msg *msg);
static int on_shipped(msgbus_ctx *ctx, const msgbus_msg *msg)
{
    (void)msg;
    record(ctx);
    return 0;
}

static msgbus_bus *new_bus(void)
{
    msgbus_bus *bus = msgbus_bus_new(NULL);
    ck_assert_int_eq(msgbus_bus_install(bus, &ot_module, NULL), 0);
    const msgbus_handler h = { "on_shipped", on_shipped };
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &ot_Shipped_type, &h, 1, NULL), 0);
    ck_assert_int_eq(msgbus_set_command_handler(bus, &ot_Ship_type, "ship", ship_handler, NULL), 0);
    n_calls = 0;
    return bus;
}

static int ship(msgbus_bus *bus)
{
    ot_Ship m;
    msgbus_value_init(&ot_Ship_type, &m);
    m.order_id = 7;
    m.label = (char *)"x";
    return msgbus_handle(bus, &m.base, NULL, NULL);
}

static bool is_uuid7(const char *s)
{
    return strlen(s) == 36 && s[8] == '-' && s[13] == '-' && s[14] == '7' && s[18] == '-' &&
           strchr("89ab", s[19]) && s[23] == '-';
}

START_TEST(a_new_flow_has_uuid7_ids_and_one_trace)
{
    msgbus_bus *bus = new_bus();
    ck_assert_int_eq(ship(bus), 0);
    ck_assert_int_eq(n_calls, 2);
    seen_call *root = &calls[0], *child = &calls[1];
    ck_assert(is_uuid7(root->id));
    ck_assert_str_eq(root->correlation, root->id);      /* it starts the flow */
    ck_assert_str_eq(root->causation, "");
    ck_assert(is_uuid7(child->id));
    ck_assert_str_ne(child->id, root->id);
    ck_assert_str_eq(child->correlation, root->id);
    ck_assert_str_eq(child->causation, root->id);
    /* One trace; each handler call a span of its own. */
    ck_assert_int_eq(strlen(root->trace), 32);
    ck_assert_str_eq(child->trace, root->trace);
    ck_assert_str_ne(child->span, root->span);
    ck_assert_str_eq(root->parent, "0000000000000000");
    ck_assert_uint_eq(root->flags, 1);
    char expect[MSGBUS_TRACEPARENT_SIZE];
    snprintf(expect, sizeof expect, "00-%s-%s-01", root->trace, root->span);
    ck_assert_str_eq(root->traceparent, expect);

    /* The next handle is a new flow and a new trace. */
    char first[MSGBUS_MESSAGE_ID_SIZE], first_trace[MSGBUS_TRACE_ID_TEXT_SIZE];
    strcpy(first, root->id);
    strcpy(first_trace, root->trace);
    n_calls = 0;
    ck_assert_int_eq(ship(bus), 0);
    ck_assert_str_ne(calls[0].id, first);
    ck_assert_str_ne(calls[0].correlation, first);
    ck_assert_str_ne(calls[0].trace, first_trace);
    msgbus_bus_free(bus);
}
END_TEST

START_TEST(an_incoming_message_continues_its_flow_and_trace)
{
    msgbus_bus *bus = new_bus();
    msgbus_trace_in in = { 0 };
    in.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    in.tracestate = "vendor=abc";
    in.message_id = "evt-1";
    in.correlation_id = "flow-1";
    in.causation_id = "cause-0";
    ck_assert_int_eq(msgbus_bus_set_next_trace(bus, &in, NULL), 0);
    ck_assert_int_eq(ship(bus), 0);
    seen_call *root = &calls[0], *child = &calls[1];
    ck_assert_str_eq(root->id, "evt-1");
    ck_assert_str_eq(root->correlation, "flow-1");
    ck_assert_str_eq(root->causation, "cause-0");
    ck_assert_str_eq(root->trace, "4bf92f3577b34da6a3ce929d0e0e4736");
    ck_assert_str_eq(root->parent, "00f067aa0ba902b7");
    ck_assert_str_ne(root->span, "00f067aa0ba902b7");    /* a child span */
    ck_assert_str_eq(root->tracestate, "vendor=abc");
    ck_assert(is_uuid7(child->id));
    ck_assert_str_eq(child->correlation, "flow-1");
    ck_assert_str_eq(child->causation, "evt-1");
    ck_assert_str_eq(child->trace, root->trace);

    /* Used once: the handle after is a new flow. */
    n_calls = 0;
    ck_assert_int_eq(ship(bus), 0);
    ck_assert_str_ne(calls[0].id, "evt-1");
    ck_assert_str_eq(calls[0].tracestate, "");

    /* A bad traceparent is reported, and the message starts a new trace. */
    msgbus_error err;
    in.traceparent = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
    ck_assert_int_eq(msgbus_bus_set_next_trace(bus, &in, &err), MSGBUS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "traceparent"));
    n_calls = 0;
    ck_assert_int_eq(ship(bus), 0);
    ck_assert_str_eq(calls[0].id, "evt-1");                /* the ids still apply */
    ck_assert_str_ne(calls[0].trace, "00000000000000000000000000000000");
    ck_assert_str_eq(calls[0].parent, "0000000000000000");
    ck_assert_str_eq(calls[0].tracestate, "");             /* no traceparent, no state */
    in.traceparent = NULL;
    in.message_id = "";
    ck_assert_int_eq(msgbus_bus_set_next_trace(bus, &in, &err), MSGBUS_EINVAL);
    ck_assert_int_eq(msgbus_bus_set_next_trace(NULL, &in, &err), MSGBUS_EINVAL);
    msgbus_bus_free(bus);
}
END_TEST

START_TEST(rows_registered_by_a_handler_carry_its_context)
{
    repo = msgbus_outbox_memory_new();
    msgbus_bus *bus = new_bus();
    msgbus_trace_in in = { 0 };
    in.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    in.message_id = "evt-9";
    in.correlation_id = "flow-9";
    ck_assert_int_eq(msgbus_bus_set_next_trace(bus, &in, NULL), 0);
    ck_assert_int_eq(ship(bus), 0);
    msgbus_outbox_row row;
    ck_assert_int_eq(msgbus_outbox_get(repo, "row-from-handler", &row, NULL), 0);
    json_t *meta = json_loads(row.meta, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(meta, "correlationid")), "flow-9");
    ck_assert_str_eq(json_string_value(json_object_get(meta, "causationid")), "evt-9");
    /* The row's message is a child of the handler's span. */
    char expect[MSGBUS_TRACEPARENT_SIZE];
    snprintf(expect, sizeof expect, "00-4bf92f3577b34da6a3ce929d0e0e4736-%s-00", calls[0].span);
    ck_assert_str_eq(json_string_value(json_object_get(meta, "traceparent")), expect);
    json_decref(meta);
    msgbus_outbox_row_clear(&row);

    /* The caller's own keys win. */
    json_t *mine = json_pack("{s:s}", "correlationid", "mine");
    ot_Shipped ev;
    msgbus_value_init(&ot_Shipped_type, &ev);
    char id[MSGBUS_OUTBOX_ID_SIZE] = "";
    ck_assert_int_eq(msgbus_outbox_register(repo, &ev.base, id, mine, NULL), 0);
    json_decref(mine);
    ck_assert_int_eq(msgbus_outbox_get(repo, id, &row, NULL), 0);
    ck_assert_ptr_nonnull(strstr(row.meta, "\"correlationid\":\"mine\""));
    msgbus_outbox_row_clear(&row);
    msgbus_bus_free(bus);
    msgbus_outbox_repo_free(repo);
    repo = NULL;
}
END_TEST

START_TEST(traceparent_text)
{
    uint8_t t[16], s[8], f;
    ck_assert_int_eq(msgbus_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                                              t, s, &f), 0);
    ck_assert_uint_eq(t[0], 0x4b);
    ck_assert_uint_eq(s[7], 0xb7);
    ck_assert_uint_eq(f, 1);
    char out[MSGBUS_TRACEPARENT_SIZE];
    msgbus_traceparent_format(t, s, f, out);
    ck_assert_str_eq(out, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    /* A later version may add fields; version ff, uppercase, zeros and
     * a wrong length are invalid. */
    ck_assert_int_eq(msgbus_traceparent_parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz",
                                              NULL, NULL, NULL), 0);
    const char *bad[] = {
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "", NULL,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(msgbus_traceparent_parse(bad[i], t, s, &f) == MSGBUS_EINVAL, "%s", bad[i]);
}
END_TEST

static int by_text(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Ids of many flows in two processes at once, one forked from the other
 * after it made ids: never the same. */
START_TEST(message_ids_are_unique_across_processes)
{
    enum { FLOWS = 2000 };
    msgbus_bus *before = new_bus();
    ship(before);
    msgbus_bus_free(before);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    msgbus_bus *bus = new_bus();
    FILE *out = NULL;
    if (pid == 0) {
        close(fds[0]);
        out = fdopen(fds[1], "w");
    }
    static char mine[FLOWS][MSGBUS_MESSAGE_ID_SIZE];
    for (int i = 0; i < FLOWS; i++) {
        n_calls = 0;
        ship(bus);
        if (out)
            fprintf(out, "%s\n%s\n", calls[0].id, calls[1].id);
        else
            strcpy(mine[i], calls[1].id);
    }
    msgbus_bus_free(bus);
    if (pid == 0) {
        fclose(out);
        _exit(0);
    }
    close(fds[1]);
    /* All ids, theirs and mine, sorted: no two neighbours alike. */
    static char all[3 * FLOWS][MSGBUS_MESSAGE_ID_SIZE];
    FILE *in = fdopen(fds[0], "r");
    int n = 0;
    while (n < 2 * FLOWS && fgets(all[n], sizeof all[n], in))
        all[n++][36] = '\0';
    fclose(in);
    int status;
    waitpid(pid, &status, 0);
    ck_assert_int_eq(n, 2 * FLOWS);
    for (int i = 0; i < FLOWS; i++)
        strcpy(all[n++], mine[i]);
    qsort(all, (size_t)n, sizeof all[0], by_text);
    for (int i = 1; i < n; i++)
        ck_assert_str_ne(all[i], all[i - 1]);
}
END_TEST

/* The outbox relay's dispatch handles a row in the row's flow and trace:
 * what a handler registers then follows from it. */
START_TEST(dispatching_a_row_continues_its_flow)
{
    msgbus_outbox_repo *rows = msgbus_outbox_memory_new();
    msgbus_bus *bus = new_bus();
    ot_Ship m;
    msgbus_value_init(&ot_Ship_type, &m);
    m.order_id = 3;
    m.label = (char *)"x";
    json_t *meta = json_pack("{s:s, s:s}", "correlationid", "flow-7", "traceparent",
                             "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    char id[MSGBUS_OUTBOX_ID_SIZE] = "ship-row";
    ck_assert_int_eq(msgbus_outbox_register(rows, &m.base, id, meta, NULL), 0);
    json_decref(meta);
    repo = rows;                /* the handler registers its row here too */
    static const msgbus_outbox_handler dispatch[] = { MSGBUS_OUTBOX_DISPATCH_HANDLER };
    msgbus_outbox_options o;
    msgbus_outbox_options_init(&o);
    o.now = msgbus_outbox_now() + 10;
    ck_assert_int_eq(msgbus_set_outbox_handlers(&o, dispatch, 1, NULL), 0);
    msgbus_outbox_stats st;
    ck_assert_int_eq(msgbus_process_outbox(bus, rows, &o, &st, NULL), 0);
    ck_assert_uint_eq(st.processed, 1);
    ck_assert_str_eq(calls[0].id, "ship-row");
    ck_assert_str_eq(calls[0].correlation, "flow-7");
    ck_assert_str_eq(calls[0].trace, "4bf92f3577b34da6a3ce929d0e0e4736");
    ck_assert_str_eq(calls[0].parent, "00f067aa0ba902b7");
    msgbus_outbox_row row;
    ck_assert_int_eq(msgbus_outbox_get(rows, "row-from-handler", &row, NULL), 0);
    ck_assert_ptr_nonnull(strstr(row.meta, "\"correlationid\":\"flow-7\""));
    ck_assert_ptr_nonnull(strstr(row.meta, "\"causationid\":\"ship-row\""));
    msgbus_outbox_row_clear(&row);
    repo = NULL;
    msgbus_bus_free(bus);
    msgbus_outbox_repo_free(rows);
}
END_TEST

/* On the async bus the handlers of one handle, on any worker, share its
 * flow and trace. */
START_TEST(async_handlers_share_the_flow)
{
    msgbus_bus *bus = new_bus();
    msgbus_async *abus = msgbus_async_new(bus, 2, NULL);
    ck_assert_ptr_nonnull(abus);
    ot_Ship m;
    msgbus_value_init(&ot_Ship_type, &m);
    m.order_id = 1;
    m.label = (char *)"x";
    ck_assert_int_eq(msgbus_async_handle(abus, &m.base, NULL, NULL), 0);
    for (int i = 0; i < 100 && msgbus_async_pending(abus) > 0; i++)
        msgbus_async_wait(abus, 100);
    ck_assert_uint_eq(msgbus_async_pending(abus), 0);
    ck_assert_int_eq(n_calls, 2);
    ck_assert(is_uuid7(calls[0].id));
    ck_assert_str_eq(calls[0].correlation, calls[0].id);
    ck_assert_str_eq(calls[1].correlation, calls[0].id);
    ck_assert_str_eq(calls[1].causation, calls[0].id);
    ck_assert_str_ne(calls[1].id, calls[0].id);
    ck_assert_str_eq(calls[1].trace, calls[0].trace);
    ck_assert_str_ne(calls[1].span, calls[0].span);
    msgbus_async_free(abus);
    msgbus_bus_free(bus);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("trace");
    tcase_set_timeout(tc, 60);      /* forks and thousands of flows, also under TSan */
    tcase_add_test(tc, a_new_flow_has_uuid7_ids_and_one_trace);
    tcase_add_test(tc, an_incoming_message_continues_its_flow_and_trace);
    tcase_add_test(tc, rows_registered_by_a_handler_carry_its_context);
    tcase_add_test(tc, traceparent_text);
    tcase_add_test(tc, message_ids_are_unique_across_processes);
    tcase_add_test(tc, async_handlers_share_the_flow);
    tcase_add_test(tc, dispatching_a_row_continues_its_flow);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
