/* test_async.c - the async bus (msgbus_async(3)): concurrency, FIFO order,
 * batches, late completion, completions through callbacks, the file
 * descriptor and waits, shutdown, many threads calling handle at once. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "async_test.msg.h"  /* generated from tests/schemas/async_test.msg */

/* ---- helpers ---------------------------------------------------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int inside, max_inside;  /* handler calls running now, and the most seen */
static int gate_open;           /* blocked handlers may go on */
static int calls;               /* handler calls made */
static char trace[8192];        /* handler names and labels, in call order */

static msgbus_bus *bus;
static msgbus_async *abus;

static char *text_dup(const char *s)
{
    char *d = malloc(strlen(s) + 1);
    ck_assert_ptr_nonnull(d);
    return strcpy(d, s);
}

static void init_work(at_Work *w, int64_t n, const char *label)
{
    msgbus_value_init(&at_Work_type, w);
    w->n = n;
    w->label = text_dup(label);
}

static void note(const char *what)
{
    pthread_mutex_lock(&mu);
    if (trace[0])
        strcat(trace, " ");
    strcat(trace, what);
    pthread_mutex_unlock(&mu);
}

static void enter(void)
{
    pthread_mutex_lock(&mu);
    calls++;
    if (++inside > max_inside)
        max_inside = inside;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&mu);
}

static void leave(void)
{
    pthread_mutex_lock(&mu);
    inside--;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&mu);
}

/* Waits until *value >= at_least (read under mu), at most 5 s. */
static int wait_for(int *value, int at_least)
{
    struct timespec until;
    int ok = 1;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&mu);
    while (*value < at_least && ok)
        ok = pthread_cond_timedwait(&changed, &mu, &until) == 0;
    ok = *value >= at_least;
    pthread_mutex_unlock(&mu);
    return ok;
}

static void open_gate(void)
{
    pthread_mutex_lock(&mu);
    gate_open = 1;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&mu);
}

/* What the completion callbacks saw. */
typedef struct outcome {
    int runs;                   /* callbacks run for this handle */
    int status;
    size_t n_results, failed;
    char handlers[512];         /* "handler/status/seq ..." of the results */
    char error[MSGBUS_ERROR_TEXT_LENGTH];
    pthread_t thread;
} outcome;

static void describe(const msgbus_results *results, char *out, size_t size)
{
    size_t i;
    out[0] = '\0';
    for (i = 0; i < msgbus_results_count(results); i++) {
        const msgbus_result *r = msgbus_results_get(results, i);
        char one[96];
        snprintf(one, sizeof one, "%s%s/%d/%zu", i ? " " : "", r->handler, r->status, r->seq);
        strncat(out, one, size - strlen(out) - 1);
    }
}

static void on_done(msgbus_async *a, int status, const msgbus_results *results,
                    const msgbus_error *err, void *userdata)
{
    outcome *o = userdata;
    ck_assert_ptr_eq(a, abus);
    o->runs++;
    o->status = status;
    o->n_results = msgbus_results_count(results);
    o->failed = msgbus_results_failed(results);
    o->thread = pthread_self();
    describe(results, o->handlers, sizeof o->handlers);
    snprintf(o->error, sizeof o->error, "%s", status ? err->text : "");
}

/* Dispatches until o's callback ran (at most 5 s). */
static void wait_done(outcome *o)
{
    int i;
    for (i = 0; i < 500 && o->runs == 0; i++)
        ck_assert_int_ge(msgbus_async_wait(abus, 10), 0);
    ck_assert_int_eq(o->runs, 1);
}

static void reset(void)
{
    inside = max_inside = gate_open = calls = 0;
    trace[0] = '\0';
}

static void start(unsigned workers)
{
    reset();
    bus = msgbus_bus_new(NULL);
    ck_assert_ptr_nonnull(bus);
    abus = msgbus_async_new(bus, workers, NULL);
    ck_assert_ptr_nonnull(abus);
}

static void stop(void)
{
    msgbus_async_free(abus);
    msgbus_bus_free(bus);
    abus = NULL;
    bus = NULL;
}

static void set_work(msgbus_handler_fn fn)
{
    ck_assert_int_eq(msgbus_set_command_handler(bus, &at_Work_type, "work", fn, NULL), 0);
}

static void set_steps(const msgbus_handler *h, size_t n)
{
    ck_assert_int_eq(msgbus_set_event_handlers(bus, &at_Step_type, h, n, NULL), 0);
}

static const at_Work *as_work(const msgbus_msg *m) { return (const at_Work *)(const void *)m; }
static const at_Step *as_step(const msgbus_msg *m) { return (const at_Step *)(const void *)m; }

static int emit_step(msgbus_ctx *ctx, int64_t n, const char *label)
{
    at_Step s;
    msgbus_value_init(&at_Step_type, &s);
    s.n = n;
    s.label = text_dup(label);
    return msgbus_emit(ctx, &s.base);
}

static int fd_readable(void)
{
    struct pollfd p;
    p.fd = msgbus_async_fd(abus);
    p.events = POLLIN;
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* ---- handlers ------------------------------------------------------------ */

/* Blocks until the gate opens. */
static int gated_work(msgbus_ctx *ctx, const msgbus_msg *m)
{
    (void)ctx;
    enter();
    wait_for(&gate_open, 1);
    note(as_work(m)->label);
    leave();
    return 0;
}

static int plain_work(msgbus_ctx *ctx, const msgbus_msg *m)
{
    (void)ctx;
    enter();
    note(as_work(m)->label);
    leave();
    return 0;
}

/* Waits until 3 calls are inside at once: only concurrent calls pass. */
static int meet_three(msgbus_ctx *ctx, const msgbus_msg *m)
{
    (void)m;
    enter();
    if (!wait_for(&max_inside, 3)) {
        leave();
        return msgbus_ctx_fail(ctx, MSGBUS_EHANDLER, "%s ran alone",
                               msgbus_ctx_handler_name(ctx));
    }
    leave();
    return 0;
}

static int work_emits_steps(msgbus_ctx *ctx, const msgbus_msg *m)
{
    int64_t i;
    for (i = 1; i <= as_work(m)->n; i++) {
        char label[32];
        snprintf(label, sizeof label, "s%lld", (long long)i);
        ck_assert_int_eq(emit_step(ctx, 1, label), 0);
    }
    return 0;
}

/* Step tree: every step of depth n < 3 emits two children. */
static int step_tree(msgbus_ctx *ctx, const msgbus_msg *m)
{
    const at_Step *s = as_step(m);
    char label[64];
    if (s->n < 3) {
        snprintf(label, sizeof label, "%sa", s->label);
        ck_assert_int_eq(emit_step(ctx, s->n + 1, label), 0);
        snprintf(label, sizeof label, "%sb", s->label);
        ck_assert_int_eq(emit_step(ctx, s->n + 1, label), 0);
    }
    return 0;
}

static int step_ok(msgbus_ctx *ctx, const msgbus_msg *m)
{
    (void)ctx;
    (void)m;
    return 0;
}

static int step_fails(msgbus_ctx *ctx, const msgbus_msg *m)
{
    return msgbus_ctx_fail(ctx, MSGBUS_EHANDLER, "no stock for %s", as_step(m)->label);
}

static int work_fails(msgbus_ctx *ctx, const msgbus_msg *m)
{
    ck_assert_int_eq(emit_step(ctx, 1, "dropped"), 0);
    return msgbus_ctx_fail(ctx, MSGBUS_EHANDLER, "cannot do %s", as_work(m)->label);
}

/* ---- handle: returns at once, callback on the dispatching thread ------- */

START_TEST(handle_returns_at_once)
{
    outcome o = { 0 };
    at_Work w;
    start(2);
    set_work(gated_work);
    init_work(&w, 1, "w1");
    ck_assert_int_eq(msgbus_async_handle(abus, &w.base, on_done, &o), 0);
    /* The caller's copy is its own: free it while the handler still waits. */
    msgbus_value_clear(&at_Work_type, &w);
    ck_assert(wait_for(&calls, 1));
    ck_assert_int_eq(msgbus_async_pending(abus), 1);
    ck_assert_int_eq(msgbus_async_dispatch(abus), 0);
    ck_assert(!fd_readable());
    ck_assert_int_eq(o.runs, 0);
    open_gate();
    wait_done(&o);
    ck_assert(pthread_equal(o.thread, pthread_self()));
    ck_assert_int_eq(o.status, 0);
    ck_assert_str_eq(o.handlers, "work/0/0");
    ck_assert_str_eq(trace, "w1");
    ck_assert_int_eq(msgbus_async_pending(abus), 0);
    stop();
}
END_TEST

/* msgbus_async_handle_move: the contents go to the bus, the caller's value
 * is left empty; on an error nothing moves. */
START_TEST(handle_move_takes_the_contents)
{
    outcome o = { 0 };
    at_Work w;
    start(2);
    set_work(plain_work);
    init_work(&w, 7, "moved");
    ck_assert_int_eq(msgbus_async_handle_move(abus, &w.base, on_done, &o), 0);
    ck_assert_ptr_null(w.label);
    ck_assert_int_eq(w.n, 0);
    wait_done(&o);
    ck_assert_int_eq(o.status, 0);
    ck_assert_str_eq(o.handlers, "work/0/0");
    ck_assert_str_eq(trace, "moved");
    ck_assert_int_eq(msgbus_async_handle_move(abus, NULL, on_done, &o), MSGBUS_EINVAL);
    ck_assert_int_eq(msgbus_async_shutdown(abus, MSGBUS_ASYNC_DRAIN), 0);
    init_work(&w, 8, "kept");
    ck_assert_int_eq(msgbus_async_handle_move(abus, &w.base, on_done, &o), MSGBUS_ESTATE);
    ck_assert_str_eq(w.label, "kept");
    ck_assert_int_eq(w.n, 8);
    msgbus_value_clear(&at_Work_type, &w);
    stop();
}
END_TEST

START_TEST(event_handlers_run_concurrently)
{
    outcome o = { 0 };
    msgbus_handler h[3] = { { "a", meet_three }, { "b", meet_three }, { "c", meet_three } };
    at_Step s;
    start(3);
    set_steps(h, 3);
    msgbus_value_init(&at_Step_type, &s);
    s.label = text_dup("e");
    ck_assert_int_eq(msgbus_async_handle(abus, &s.base, on_done, &o), 0);
    msgbus_value_clear(&at_Step_type, &s);
    wait_done(&o);
    /* Each handler waited for the other two: all three ran at once. */
    ck_assert_int_eq(o.status, 0);
    ck_assert_str_eq(o.handlers, "a/0/0 b/0/0 c/0/0");
    ck_assert_int_eq(max_inside, 3);
    stop();
}
END_TEST

/* The results of the sync bus for the same flow. */
static void sync_flow(char *out, size_t size)
{
    msgbus_results *r = msgbus_results_new();
    at_Work w;
    init_work(&w, 3, "w");
    ck_assert_int_eq(msgbus_handle(bus, &w.base, r, NULL), 0);
    describe(r, out, size);
    msgbus_results_free(r);
    msgbus_value_clear(&at_Work_type, &w);
}

START_TEST(emits_keep_fifo_order)
{
    outcome o = { 0 };
    msgbus_handler h[2] = { { "tree", step_tree }, { "ok", step_ok } };
    char expected[512];
    at_Work w;
    bus = msgbus_bus_new(NULL);
    ck_assert_ptr_nonnull(bus);
    set_work(work_emits_steps);
    set_steps(h, 2);
    sync_flow(expected, sizeof expected);
    abus = msgbus_async_new(bus, 4, NULL);
    ck_assert_ptr_nonnull(abus);
    init_work(&w, 3, "w");
    ck_assert_int_eq(msgbus_async_handle(abus, &w.base, on_done, &o), 0);
    msgbus_value_clear(&at_Work_type, &w);
    wait_done(&o);
    /* 3 steps, each a tree of 1 + 2 + 4 steps, two handlers per step. */
    ck_assert_int_eq(o.n_results, 1 + 3 * 7 * 2);
    ck_assert_str_eq(o.handlers, expected);
    stop();
}
END_TEST

static int check_ids(msgbus_ctx *ctx, const msgbus_msg *m)
{
    const at_Step *s = as_step(m);
    /* Emitted by the handler of message 1 (the command), in order. */
    ck_assert_uint_eq(msgbus_ctx_causation_id(ctx), msgbus_ctx_correlation_id(ctx));
    ck_assert_uint_eq(msgbus_ctx_sequence(ctx), (size_t)s->n);
    ck_assert_uint_gt(msgbus_ctx_message_id(ctx), msgbus_ctx_correlation_id(ctx));
    return 0;
}

static int work_emits_numbered(msgbus_ctx *ctx, const msgbus_msg *m)
{
    int64_t i;
    for (i = 1; i <= as_work(m)->n; i++)
        ck_assert_int_eq(emit_step(ctx, i, "x"), 0);
    return 0;
}

START_TEST(context_ids_follow_the_flow)
{
    outcome o = { 0 };
    msgbus_handler h[1] = { { "ids", check_ids } };
    at_Work w;
    start(2);
    set_work(work_emits_numbered);
    set_steps(h, 1);
    init_work(&w, 5, "w");
    ck_assert_int_eq(msgbus_async_handle(abus, &w.base, on_done, &o), 0);
    msgbus_value_clear(&at_Work_type, &w);
    wait_done(&o);
    ck_assert_int_eq(o.status, 0);
    ck_assert_str_eq(o.handlers, "work/0/0 ids/0/1 ids/0/2 ids/0/3 ids/0/4 ids/0/5");
    stop();
}
END_TEST

START_TEST(failing_event_handler_keeps_siblings)
{
    outcome o = { 0 };
    msgbus_handler h[3] = { { "a", step_ok }, { "bad", step_fails }, { "c", step_ok } };
    at_Work w;
    start(3);
    set_work(work_emits_steps);
    set_steps(h, 3);
    init_work(&w, 1, "w");
    ck_assert_int_eq(msgbus_async_handle(abus, &w.base, on_done, &o), 0);
    msgbus_value_clear(&at_Work_type, &w);
    wait_done(&o);
    ck_assert_int_eq(o.status, 0);
    ck_assert_str_eq(o.handlers, "work/0/0 a/0/1 bad/-8/1 c/0/1");
    ck_assert_int_eq(o.failed, 1);
    stop();
}
END_TEST

START_TEST(failing_command_stops_the_handle)
{
    outcome o = { 0 }, none = { 0 };
    msgbus_handler h[1] = { { "ok", step_ok } };
    at_Work w;
    start(2);
    set_work(work_fails);
    set_steps(h, 1);
    init_work(&w, 1, "w");
    ck_assert_int_eq(msgbus_async_handle(abus, &w.base, on_done, &o), 0);
    msgbus_value_clear(&at_Work_type, &w);
    wait_done(&o);
    ck_assert_int_eq(o.status, MSGBUS_EHANDLER);
    ck_assert_str_eq(o.handlers, "work/-8/0");  /* its emit was dropped */
    ck_assert_ptr_nonnull(strstr(o.error, "cannot do w"));
    /* A command without a handler. */
    ck_assert_int_eq(msgbus_set_command_handler(bus, &at_Work_type, NULL, NULL, NULL), 0);
    init_work(&w, 1, "w");
    ck_assert_int_eq(msgbus_async_handle(abus, &w.base, on_done, &none), 0);
    msgbus_value_clear(&at_Work_type, &w);
    wait_done(&none);
    ck_assert_int_eq(none.status, MSGBUS_ENOHANDLER);
    ck_assert_int_eq(none.n_results, 0);
    ck_assert_int_eq(msgbus_async_handle(abus, NULL, on_done, &o), MSGBUS_EINVAL);
    stop();
}
END_TEST

static int emit_forever(msgbus_ctx *ctx, const msgbus_msg *m)
{
    (void)m;
    return emit_step(ctx, 1, "again");
}

START_TEST(emit_limit_stops_a_loop)
{
    outcome o = { 0 };
    msgbus_handler h[1] = { { "loop", emit_forever } };
    at_Work w;
    start(2);
    set_work(emit_forever);
    set_steps(h, 1);
    msgbus_bus_set_emit_limit(bus, 50);
    init_work(&w, 1, "w");
    ck_assert_int_eq(msgbus_async_handle(abus, &w.base, on_done, &o), 0);
    msgbus_value_clear(&at_Work_type, &w);
    wait_done(&o);
    ck_assert_int_eq(o.status, MSGBUS_ELIMIT);
    ck_assert_int_eq(o.n_results, 51);
    ck_assert_int_eq(o.failed, 1);
    stop();
}
END_TEST

static void free_text(void *p) { free(p); }

static int share_value(msgbus_ctx *ctx, const msgbus_msg *m)
{
    char key[16];
    snprintf(key, sizeof key, "k%s", msgbus_ctx_handler_name(ctx));
    (void)m;
    ck_assert_int_eq(msgbus_ctx_set(ctx, key, text_dup(key), free_text), 0);
    ck_assert_int_eq(msgbus_ctx_set(ctx, "all", text_dup(key), free_text), 0);
    ck_assert_ptr_nonnull(msgbus_ctx_get(ctx, "all"));
    return 0;
}

static int read_values(msgbus_ctx *ctx, const msgbus_msg *m)
{
    (void)m;
    /* Set by the command's handler, seen by the event's. */
    ck_assert_str_eq(msgbus_ctx_get(ctx, "kwork"), "kwork");
    return 0;
}

static int share_then_emit(msgbus_ctx *ctx, const msgbus_msg *m)
{
    share_value(ctx, m);
    return emit_step(ctx, 1, "s");
}

START_TEST(context_pairs_are_shared_by_the_handle)
{
    outcome o = { 0 };
    msgbus_handler h[4] = { { "a", share_value }, { "b", share_value },
                            { "c", share_value }, { "r", read_values } };
    at_Work w;
    start(4);
    set_work(share_then_emit);
    set_steps(h, 4);
    init_work(&w, 1, "w");
    ck_assert_int_eq(msgbus_async_handle(abus, &w.base, on_done, &o), 0);
    msgbus_value_clear(&at_Work_type, &w);
    wait_done(&o);
    ck_assert_int_eq(o.status, 0);
    ck_assert_int_eq(o.failed, 0);
    stop();
}
END_TEST

static int flaky_work(msgbus_ctx *ctx, const msgbus_msg *m)
{
    (void)m;
    ck_assert_int_eq(emit_step(ctx, 1, "once"), 0);
    if (msgbus_ctx_attempt(ctx) == 1)
        return msgbus_ctx_fail(ctx, MSGBUS_EIO, "first attempt fails");
    return 0;
}

static int retry_once(msgbus_ctx *ctx, const msgbus_msg *m, int status, uint64_t elapsed_ns,
                      void *userdata)
{
    (void)m;
    (void)elapsed_ns;
    ++*(int *)userdata;
    return status != 0 && msgbus_ctx_attempt(ctx) < 2 ? MSGBUS_RETRY : status;
}

START_TEST(middleware_retries_without_double_emits)
{
    outcome o = { 0 };
    msgbus_handler h[1] = { { "ok", step_ok } };
    int afters = 0;
    at_Work w;
    bus = msgbus_bus_new(NULL);
    ck_assert_ptr_nonnull(bus);
    reset();
    set_work(flaky_work);
    set_steps(h, 1);
    ck_assert_int_eq(msgbus_use(bus, NULL, retry_once, &afters), 0);
    abus = msgbus_async_new(bus, 2, NULL);
    ck_assert_ptr_nonnull(abus);
    init_work(&w, 1, "w");
    ck_assert_int_eq(msgbus_async_handle(abus, &w.base, on_done, &o), 0);
    msgbus_value_clear(&at_Work_type, &w);
    wait_done(&o);
    ck_assert_int_eq(o.status, 0);
    ck_assert_str_eq(o.handlers, "work/0/0 ok/0/1");    /* one Step, not two */
    ck_assert_int_eq(afters, 3);                        /* 2 attempts + the step */
    stop();
}
END_TEST

/* ---- batches ------------------------------------------------------------- */

typedef struct batch_seen {
    int runs, status;
    size_t n, n_results;
    int statuses[8];
    size_t firsts[8], counts[8];
    char labels[256];
} batch_seen;

static void on_batch(msgbus_async *a, int status, const msgbus_outcome *outcomes, size_t n,
                     const msgbus_results *results, const msgbus_error *err, void *userdata)
{
    batch_seen *b = userdata;
    size_t i;
    (void)a;
    (void)err;
    b->runs++;
    b->status = status;
    b->n = n;
    b->n_results = msgbus_results_count(results);
    for (i = 0; i < n && i < 8; i++) {
        b->statuses[i] = outcomes[i].status;
        b->firsts[i] = outcomes[i].first_result;
        b->counts[i] = outcomes[i].n_results;
    }
}

static int work_slow_or_fail(msgbus_ctx *ctx, const msgbus_msg *m)
{
    const at_Work *w = as_work(m);
    struct timespec nap = { 0, 2000000 };
    enter();
    nanosleep(&nap, NULL);
    leave();
    if (w->n % 3 == 2)
        return msgbus_ctx_fail(ctx, MSGBUS_EHANDLER, "w%lld fails", (long long)w->n);
    return emit_step(ctx, w->n, w->label);
}

START_TEST(batch_keeps_input_order_and_limit)
{
    batch_seen b;
    msgbus_handler h[1] = { { "ok", step_ok } };
    at_Work w[8];
    const msgbus_msg *msgs[8];
    int i;
    memset(&b, 0, sizeof b);
    start(4);
    set_work(work_slow_or_fail);
    set_steps(h, 1);
    for (i = 0; i < 8; i++) {
        init_work(&w[i], i, "w");
        msgs[i] = &w[i].base;
    }
    ck_assert_int_eq(msgbus_async_batch_handle(abus, msgs, 8, 0, on_batch, &b), MSGBUS_EINVAL);
    ck_assert_int_eq(msgbus_async_batch_handle(abus, msgs, 8, 2, on_batch, &b), 0);
    for (i = 0; i < 8; i++)
        msgbus_value_clear(&at_Work_type, &w[i]);
    for (i = 0; i < 500 && b.runs == 0; i++)
        msgbus_async_wait(abus, 10);
    ck_assert_int_eq(b.runs, 1);
    ck_assert_int_eq(b.n, 8);
    ck_assert_int_le(max_inside, 2);
    ck_assert_int_eq(calls, 8);
    /* Messages 2 and 5 fail; the first failure is the batch's status. */
    ck_assert_int_eq(b.status, MSGBUS_EHANDLER);
    for (i = 0; i < 8; i++) {
        int fails = i % 3 == 2;
        ck_assert_int_eq(b.statuses[i], fails ? MSGBUS_EHANDLER : 0);
        ck_assert_uint_eq(b.counts[i], fails ? 1 : 2);
        if (i > 0)
            ck_assert_uint_eq(b.firsts[i], b.firsts[i - 1] + b.counts[i - 1]);
    }
    ck_assert_uint_eq(b.n_results, 6 * 2 + 2);
    stop();
}
END_TEST

/* Work 0 waits until every other member has run: the members after it end
 * first, and still their results come in input order, each outcome
 * locating its own. */
static int others_done;

static int work_first_last(msgbus_ctx *ctx, const msgbus_msg *m)
{
    const at_Work *w = as_work(m);
    int i;
    for (i = 0; w->n == 0 && i < 2000 && __atomic_load_n(&others_done, __ATOMIC_ACQUIRE) < 11;
         i++) {
        struct timespec nap = { 0, 1000000 };
        nanosleep(&nap, NULL);
    }
    if (w->n != 0)
        __atomic_add_fetch(&others_done, 1, __ATOMIC_ACQ_REL);
    return emit_step(ctx, w->n, w->label);
}

typedef struct batch_order {
    int runs, wrong;
    size_t n_results;
} batch_order;

static void on_batch_order(msgbus_async *a, int status, const msgbus_outcome *outcomes,
                           size_t n, const msgbus_results *results, const msgbus_error *err,
                           void *userdata)
{
    batch_order *b = userdata;
    uint64_t last_id = 0;
    size_t i, next = 0;
    (void)a;
    (void)err;
    b->runs++;
    b->n_results = msgbus_results_count(results);
    if (status != 0 || n != 12)
        b->wrong++;
    for (i = 0; i < n; i++) {
        const msgbus_result *cmd = msgbus_results_get(results, outcomes[i].first_result);
        const msgbus_result *ev = msgbus_results_get(results, outcomes[i].first_result + 1);
        if (outcomes[i].status != 0 || outcomes[i].first_result != next ||
            outcomes[i].n_results != 2 || cmd == NULL || ev == NULL ||
            cmd->type != &at_Work_type || cmd->seq != 0 || ev->type != &at_Step_type ||
            ev->seq != 1 || (i > 0 && cmd->message_id <= last_id))
            b->wrong++;
        else
            last_id = cmd->message_id;
        next += outcomes[i].n_results;
    }
}

START_TEST(batch_results_keep_input_order_when_members_end_out_of_order)
{
    batch_order b = { 0, 0, 0 };
    msgbus_handler h[1] = { { "ok", step_ok } };
    at_Work w[12];
    const msgbus_msg *msgs[12];
    int i;
    start(4);
    others_done = 0;
    set_work(work_first_last);
    set_steps(h, 1);
    for (i = 0; i < 12; i++) {
        init_work(&w[i], i, "w");
        msgs[i] = &w[i].base;
    }
    ck_assert_int_eq(msgbus_async_batch_handle(abus, msgs, 12, 3, on_batch_order, &b), 0);
    for (i = 0; i < 12; i++)
        msgbus_value_clear(&at_Work_type, &w[i]);
    for (i = 0; i < 1000 && b.runs == 0; i++)
        msgbus_async_wait(abus, 10);
    ck_assert_int_eq(b.runs, 1);
    ck_assert_int_eq(__atomic_load_n(&others_done, __ATOMIC_ACQUIRE), 11);
    ck_assert_int_eq(b.wrong, 0);
    ck_assert_uint_eq(b.n_results, 24);
    stop();
}
END_TEST

START_TEST(empty_batch_completes)
{
    batch_seen b;
    memset(&b, 0, sizeof b);
    start(1);
    ck_assert_int_eq(msgbus_async_batch_handle(abus, NULL, 0, 1, on_batch, &b), 0);
    ck_assert_int_eq(msgbus_async_wait(abus, 1000), 1);
    ck_assert_int_eq(b.runs, 1);
    ck_assert_int_eq(b.status, 0);
    ck_assert_uint_eq(b.n, 0);
    stop();
}
END_TEST

/* ---- late completion ------------------------------------------------------ */

typedef struct io_job {
    msgbus_token *token;
    int status;
    int emit;
} io_job;

/* The "I/O" done elsewhere: emits, sets a result, completes. */
static void *io_thread(void *arg)
{
    io_job *job = arg;
    struct timespec nap = { 0, 5000000 };
    msgbus_ctx *ctx = msgbus_token_ctx(job->token);
    nanosleep(&nap, NULL);
    if (job->emit)
        ck_assert_int_eq(emit_step(ctx, 7, "late"), 0);
    msgbus_ctx_set_result(ctx, json_integer(42));
    if (job->status)
        msgbus_ctx_fail(ctx, job->status, "remote said no");
    ck_assert_int_eq(msgbus_complete(job->token, job->status), 0);
    free(job);
    return NULL;
}

static int deferring_work(msgbus_ctx *ctx, const msgbus_msg *m)
{
    io_job *job = malloc(sizeof *job);
    pthread_t t;
    ck_assert_ptr_nonnull(job);
    job->token = msgbus_ctx_defer(ctx);
    ck_assert_ptr_nonnull(job->token);
    ck_assert_ptr_null(msgbus_ctx_defer(ctx));  /* one token per call */
    job->status = as_work(m)->n == 0 ? 0 : MSGBUS_EIO;
    job->emit = as_work(m)->n == 0;
    ck_assert_int_eq(pthread_create(&t, NULL, io_thread, job), 0);
    pthread_detach(t);
    return MSGBUS_PENDING;
}

static int complete_at_once(msgbus_ctx *ctx, const msgbus_msg *m)
{
    msgbus_token *t = msgbus_ctx_defer(ctx);
    (void)m;
    ck_assert_int_eq(msgbus_complete(t, 0), 0);   /* before returning */
    return MSGBUS_PENDING;
}

static int pending_without_token(msgbus_ctx *ctx, const msgbus_msg *m)
{
    (void)ctx;
    (void)m;
    return MSGBUS_PENDING;
}

static json_int_t first_value;

static void on_done_value(msgbus_async *a, int status, const msgbus_results *results,
                          const msgbus_error *err, void *userdata)
{
    const msgbus_result *r = msgbus_results_get(results, 0);
    first_value = r && r->value ? json_integer_value(r->value) : -1;
    on_done(a, status, results, err, userdata);
}

START_TEST(pending_handler_completes_later)
{
    outcome ok = { 0 }, bad = { 0 }, early = { 0 }, wrong = { 0 };
    msgbus_handler h[1] = { { "step", step_ok } };
    at_Work w;
    start(1);
    set_work(deferring_work);
    set_steps(h, 1);
    init_work(&w, 0, "w");
    ck_assert_int_eq(msgbus_async_handle(abus, &w.base, on_done_value, &ok), 0);
    msgbus_value_clear(&at_Work_type, &w);
    wait_done(&ok);
    ck_assert_int_eq(ok.status, 0);
    ck_assert_int_eq(first_value, 42);
    ck_assert_str_eq(ok.handlers, "work/0/0 step/0/1");     /* the late emit ran */
    init_work(&w, 1, "w");
    ck_assert_int_eq(msgbus_async_handle(abus, &w.base, on_done, &bad), 0);
    msgbus_value_clear(&at_Work_type, &w);
    wait_done(&bad);
    ck_assert_int_eq(bad.status, MSGBUS_EIO);
    ck_assert_ptr_nonnull(strstr(bad.error, "remote said no"));
    set_work(complete_at_once);
    init_work(&w, 0, "w");
    ck_assert_int_eq(msgbus_async_handle(abus, &w.base, on_done, &early), 0);
    msgbus_value_clear(&at_Work_type, &w);
    wait_done(&early);
    ck_assert_int_eq(early.status, 0);
    set_work(pending_without_token);
    init_work(&w, 0, "w");
    ck_assert_int_eq(msgbus_async_handle(abus, &w.base, on_done, &wrong), 0);
    msgbus_value_clear(&at_Work_type, &w);
    wait_done(&wrong);
    ck_assert_int_eq(wrong.status, MSGBUS_EHANDLER);
    ck_assert_ptr_nonnull(strstr(wrong.error, "without msgbus_ctx_defer"));
    /* Outside an async call there is no token. */
    ck_assert_ptr_null(msgbus_ctx_defer(NULL));
    ck_assert_int_eq(msgbus_complete(NULL, 0), MSGBUS_EINVAL);
    stop();
}
END_TEST

/* ---- completions: descriptor, wait, dispatch rules ---------------------- */

static void dispatch_inside(msgbus_async *a, int status, const msgbus_results *results,
                            const msgbus_error *err, void *userdata)
{
    /* No dispatch, wait or shutdown from inside a callback ... */
    ck_assert_int_eq(msgbus_async_dispatch(a), MSGBUS_ESTATE);
    ck_assert_int_eq(msgbus_async_wait(a, 0), MSGBUS_ESTATE);
    ck_assert_int_eq(msgbus_async_shutdown(a, MSGBUS_ASYNC_DRAIN), MSGBUS_ESTATE);
    on_done(a, status, results, err, userdata);
}

static int reenter(msgbus_ctx *ctx, const msgbus_msg *m)
{
    (void)ctx;
    (void)m;
    /* ... nor from a worker. */
    ck_assert_int_eq(msgbus_async_dispatch(abus), MSGBUS_ESTATE);
    return 0;
}

START_TEST(fd_is_readable_while_completions_wait)
{
    outcome o = { 0 }, o2 = { 0 };
    struct pollfd p;
    at_Work w;
    start(2);
    set_work(reenter);
    ck_assert_int_ge(msgbus_async_fd(abus), 0);
    ck_assert(!fd_readable());
    ck_assert_int_eq(msgbus_async_wait(abus, 0), 0);
    ck_assert_int_eq(msgbus_async_wait(abus, 30), 0);   /* a timeout, nothing to run */
    init_work(&w, 0, "w");
    ck_assert_int_eq(msgbus_async_handle(abus, &w.base, dispatch_inside, &o), 0);
    ck_assert_int_eq(msgbus_async_handle(abus, &w.base, on_done, &o2), 0);
    msgbus_value_clear(&at_Work_type, &w);
    /* Block in poll() as an event loop would, until both are waiting. */
    while (msgbus_async_pending(abus) > 0) {
        p.fd = msgbus_async_fd(abus);
        p.events = POLLIN;
        ck_assert_int_eq(poll(&p, 1, 5000), 1);
        ck_assert(fd_readable());
        ck_assert_int_ge(msgbus_async_dispatch(abus), 1);
    }
    ck_assert(!fd_readable());
    ck_assert_int_eq(o.runs, 1);
    ck_assert_int_eq(o2.runs, 1);
    stop();
}
END_TEST

/* ---- shutdown ------------------------------------------------------------- */

static int done_count;

static void count_done(msgbus_async *a, int status, const msgbus_results *results,
                       const msgbus_error *err, void *userdata)
{
    int *statuses = userdata;
    (void)a;
    (void)results;
    (void)err;
    statuses[done_count++] = status;
}

START_TEST(shutdown_drains)
{
    int statuses[100];
    at_Work w;
    int i;
    start(2);
    set_work(plain_work);
    done_count = 0;
    init_work(&w, 0, "w");
    for (i = 0; i < 100; i++)
        ck_assert_int_eq(msgbus_async_handle(abus, &w.base, count_done, statuses), 0);
    ck_assert_int_eq(msgbus_async_shutdown(abus, MSGBUS_ASYNC_DRAIN), 0);
    ck_assert_int_eq(done_count, 100);
    ck_assert_int_eq(calls, 100);
    for (i = 0; i < 100; i++)
        ck_assert_int_eq(statuses[i], 0);
    ck_assert_int_eq(msgbus_async_handle(abus, &w.base, count_done, statuses), MSGBUS_ESTATE);
    ck_assert_int_eq(msgbus_async_shutdown(abus, MSGBUS_ASYNC_DRAIN), 0);
    msgbus_value_clear(&at_Work_type, &w);
    stop();
}
END_TEST

static void *open_gate_later(void *arg)
{
    struct timespec nap = { 0, 50000000 };
    (void)arg;
    nanosleep(&nap, NULL);
    open_gate();
    return NULL;
}

START_TEST(shutdown_cancels_what_has_not_started)
{
    int statuses[11];
    at_Work w;
    pthread_t t;
    int i;
    start(1);
    set_work(gated_work);
    done_count = 0;
    init_work(&w, 0, "w");
    for (i = 0; i < 11; i++)
        ck_assert_int_eq(msgbus_async_handle(abus, &w.base, count_done, statuses), 0);
    msgbus_value_clear(&at_Work_type, &w);
    ck_assert(wait_for(&calls, 1));     /* the first one runs, the others wait */
    ck_assert_int_eq(pthread_create(&t, NULL, open_gate_later, NULL), 0);
    ck_assert_int_eq(msgbus_async_shutdown(abus, MSGBUS_ASYNC_CANCEL), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(done_count, 11);   /* every handle got its callback */
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(statuses[0], 0);
    for (i = 1; i < 11; i++)
        ck_assert_int_eq(statuses[i], MSGBUS_ECANCELED);
    stop();
}
END_TEST

START_TEST(bad_arguments)
{
    msgbus_error err;
    msgbus_bus *b = msgbus_bus_new(NULL);
    ck_assert_ptr_null(msgbus_async_new(b, 0, &err));
    ck_assert_int_eq(err.code, MSGBUS_EINVAL);
    ck_assert_ptr_null(msgbus_async_new(NULL, 1, &err));
    ck_assert_int_eq(err.code, MSGBUS_EINVAL);
    msgbus_async_free(NULL);
    msgbus_bus_free(b);
}
END_TEST

/* ---- many threads calling handle at once (run it under TSan) -------------- */

#define SENDERS 4
#define PER_SENDER 500

static int ok_count;

static void count_ok(msgbus_async *a, int status, const msgbus_results *results,
                     const msgbus_error *err, void *userdata)
{
    (void)a;
    (void)err;
    (void)userdata;
    ck_assert_int_eq(status, 0);
    ck_assert_uint_eq(msgbus_results_count(results), 3);
    ok_count++;     /* callbacks run on the dispatching thread only */
}

static void *sender(void *arg)
{
    int i;
    (void)arg;
    for (i = 0; i < PER_SENDER; i++) {
        at_Work w;
        init_work(&w, 1, "w");
        ck_assert_int_eq(msgbus_async_handle(abus, &w.base, count_ok, NULL), 0);
        msgbus_value_clear(&at_Work_type, &w);
    }
    return NULL;
}

START_TEST(many_threads_handle_at_once)
{
    msgbus_handler h[2] = { { "a", step_ok }, { "b", step_ok } };
    pthread_t t[SENDERS];
    int i;
    start(4);
    set_work(work_emits_steps);
    set_steps(h, 2);
    ok_count = 0;
    for (i = 0; i < SENDERS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, sender, NULL), 0);
    while (ok_count < SENDERS * PER_SENDER)
        ck_assert_int_ge(msgbus_async_wait(abus, 5000), 1);
    for (i = 0; i < SENDERS; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(ok_count, SENDERS * PER_SENDER);
    ck_assert_int_eq(msgbus_async_pending(abus), 0);
    stop();
}
END_TEST

/* ---- the outbox, relayed on the async bus ----------------------------------- */

static void on_relay(msgbus_async *a, int status, const msgbus_outbox_stats *stats,
                     const msgbus_error *err, void *userdata)
{
    msgbus_outbox_stats *out = userdata;
    (void)a;
    (void)err;
    ck_assert_int_eq(status, 0);
    *out = *stats;
}

START_TEST(outbox_rows_run_on_the_async_bus)
{
    msgbus_outbox_repo *repo = msgbus_outbox_memory_new();
    msgbus_outbox_handler dispatch = MSGBUS_OUTBOX_DISPATCH_HANDLER;
    msgbus_outbox_options opts;
    msgbus_outbox_stats stats;
    int i;
    ck_assert_ptr_nonnull(repo);
    start(2);
    /* The type lookup of the bus goes through an installed module. */
    ck_assert_int_eq(msgbus_bus_install(bus, &at_module, NULL), 0);
    set_work(plain_work);
    for (i = 0; i < 3; i++) {
        at_Work w;
        init_work(&w, i, "row");
        ck_assert_int_eq(msgbus_outbox_register(repo, &w.base, NULL, NULL, NULL), 0);
        msgbus_value_clear(&at_Work_type, &w);
    }
    msgbus_outbox_options_init(&opts);
    ck_assert_int_eq(msgbus_set_outbox_handlers(&opts, &dispatch, 1, NULL), 0);
    memset(&stats, 0, sizeof stats);
    ck_assert_int_eq(msgbus_async_process_outbox(abus, repo, &opts, on_relay, &stats), 0);
    ck_assert_int_eq(msgbus_async_process_outbox(abus, repo, &opts, on_relay, &stats),
                     MSGBUS_ESTATE);
    ck_assert_int_eq(msgbus_async_wait(abus, 5000), 1);
    ck_assert_uint_eq(stats.claimed, 3);
    ck_assert_uint_eq(stats.processed, 3);
    ck_assert_int_eq(calls, 3);
    ck_assert_ptr_nonnull(strstr(trace, "row"));
    stop();
    msgbus_outbox_repo_free(repo);
}
END_TEST

static Suite *async_suite(void)
{
    Suite *s = suite_create("async");
    TCase *tc = tcase_create("async");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, handle_returns_at_once);
    tcase_add_test(tc, event_handlers_run_concurrently);
    tcase_add_test(tc, handle_move_takes_the_contents);
    tcase_add_test(tc, emits_keep_fifo_order);
    tcase_add_test(tc, context_ids_follow_the_flow);
    tcase_add_test(tc, failing_event_handler_keeps_siblings);
    tcase_add_test(tc, failing_command_stops_the_handle);
    tcase_add_test(tc, emit_limit_stops_a_loop);
    tcase_add_test(tc, context_pairs_are_shared_by_the_handle);
    tcase_add_test(tc, middleware_retries_without_double_emits);
    tcase_add_test(tc, batch_keeps_input_order_and_limit);
    tcase_add_test(tc, batch_results_keep_input_order_when_members_end_out_of_order);
    tcase_add_test(tc, empty_batch_completes);
    tcase_add_test(tc, pending_handler_completes_later);
    tcase_add_test(tc, fd_is_readable_while_completions_wait);
    tcase_add_test(tc, shutdown_drains);
    tcase_add_test(tc, shutdown_cancels_what_has_not_started);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, many_threads_handle_at_once);
    tcase_add_test(tc, outbox_rows_run_on_the_async_bus);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed;
    SRunner *sr = srunner_create(async_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
