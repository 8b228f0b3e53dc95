/* test_alloc_fail.c - every allocation of libmsgbus can fail.  Through
 * msgbus_set_alloc_funcs the test fails the Nth allocation of an operation,
 * for N = 1, 2, ... until the operation no longer allocates that often, and
 * checks each time that the call succeeded or returned MSGBUS_ENOMEM, that
 * nothing leaked (the live allocations are counted) and that the objects
 * involved still work: the same operation without failures succeeds on
 * them.  See msgbus_alloc(3). */
#define OT_DEFINE_MODULE
#include "outbox_test_module.h"
#include "alloc_test.msg.h"
#include "alltypes.msg.h"

#include <check.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <msgbus/sqlite.h>

/* ---- a counting, failing allocator ------------------------------------- */

/* Each block carries its size in front, so live bytes can be counted. */
typedef union header {
    size_t size;
    max_align_t align;
} header;

static atomic_long calls;       /* allocations (malloc and realloc) so far */
static atomic_long fail_at;     /* the one that fails, 0 for none */
static atomic_long live;        /* blocks allocated and not freed */

static bool this_one_fails(void)
{
    long n = atomic_fetch_add(&calls, 1) + 1;
    return n == atomic_load(&fail_at);
}

static void *test_malloc(size_t size)
{
    if (this_one_fails())
        return NULL;
    header *h = malloc(sizeof *h + size);
    if (!h)
        return NULL;
    h->size = size;
    atomic_fetch_add(&live, 1);
    return h + 1;
}

static void test_free(void *p)
{
    if (!p)
        return;
    atomic_fetch_sub(&live, 1);
    free((header *)p - 1);
}

static void *test_realloc(void *p, size_t size)
{
    if (!p)
        return test_malloc(size);
    if (this_one_fails())
        return NULL;
    header *h = realloc((header *)p - 1, sizeof *h + size);
    if (!h)
        return NULL;
    h->size = size;
    return h + 1;
}

/* Runs op with the Nth allocation failing, for every N it reaches. */
typedef int (*operation)(void *state);

static void fail_each_allocation(const char *what, operation op, operation check_usable,
                                 void *state)
{
    long failures = 0;
    for (long n = 1;; n++) {
        long before = atomic_load(&live);
        atomic_store(&calls, 0);
        atomic_store(&fail_at, n);
        int rc = op(state);
        long made = atomic_load(&calls);
        atomic_store(&fail_at, 0);
        ck_assert_msg(rc == 0 || rc == MSGBUS_ENOMEM,
                      "%s: allocation %ld failed, the call returned %d (%s)", what, n, rc,
                      msgbus_strerror(rc));
        /* A call that failed gave back all it took; one that succeeded
         * (a handler's failure recorded, say) may keep what it made. */
        ck_assert_msg(rc == 0 || atomic_load(&live) == before,
                      "%s: allocation %ld failed: %ld blocks leaked", what, n,
                      atomic_load(&live) - before);
        ck_assert_msg(check_usable(state) == 0, "%s: unusable after allocation %ld failed", what,
                      n);
        if (made < n)
            break;      /* the operation no longer reaches the Nth allocation */
        failures++;
        ck_assert_msg(n < 100000, "%s: more than 100000 allocations", what);
    }
    if (getenv("DEBUG_ALLOC"))
        fprintf(stderr, "%s: %ld allocations failed in turn\n", what, failures);
    ck_assert_msg(failures > 0, "%s made no allocation through the hook", what);
}

static void setup(void)
{
    msgbus_set_alloc_funcs(test_malloc, test_realloc, test_free);
}

static void teardown(void)
{
    msgbus_set_alloc_funcs(NULL, NULL, NULL);
}

/* ---- codec: decode, encode, copy of the all-types message -------------- */

static const char everything_json[] =
    "{\"b\":true,\"i8\":-128,\"i16\":32767,\"i32\":-2147483648,"
    "\"i64\":-9223372036854775808,\"u8\":255,\"u16\":65535,\"u32\":4294967295,"
    "\"u64\":18446744073709551615,\"f32\":0.1,\"f64\":1e300,"
    "\"s\":\"Gr\\u00fc\\u00dfe \\\"q\\\" \\n\",\"raw\":\"AAECAw==\","
    "\"at\":\"2024-05-01T12:00:00.5Z\",\"id\":\"a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf\","
    "\"color\":\"GREEN\","
    "\"inner\":{\"label\":\"\",\"tags\":[\"x\",\"y\"],\"next\":{\"label\":\"second\",\"tags\":[]}},"
    "\"maybe_inner\":{\"label\":\"maybe\",\"tags\":[\"t\"]},\"maybe_i32\":0,\"maybe_s\":\"\","
    "\"maybe_raw\":\"\",\"maybe_at\":\"0001-01-01T00:00:00.000000001Z\","
    "\"maybe_id\":\"a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf\",\"maybe_color\":\"RED\","
    "\"numbers\":[1,2,3],\"unsigned_numbers\":[18446744073709551615],"
    "\"inners\":[{\"label\":\"a\",\"tags\":[]},{\"label\":\"b\",\"tags\":[\"1\",\"2\",\"3\"]}],"
    "\"colors\":[\"BLUE\",\"RED\"],\"attrs\":{\"k\":\"v\",\"k2\":\"v2\"},\"counts\":{\"a\":1},"
    "\"places\":{\"home\":{\"label\":\"h\",\"tags\":[\"z\"]}}}";

static const char nested_json[] =
    "{\"coords\":[[1.5,-2],[],[0.25,1e300]],\"tags\":{\"red\":[\"a\",\"b\"],\"blue\":[]},"
    "\"rows\":[{\"x\":1,\"y\":2},{}],\"cube\":[[[7,8]],[]],"
    "\"places\":{\"home\":{\"desk\":{\"label\":\"d\",\"tags\":[\"t\"]}}},"
    "\"colors\":[[\"BLUE\",\"RED\"]],\"stamps\":{\"t\":[\"2024-05-01T12:00:00Z\"]},"
    "\"blobs\":[[\"AAE=\"]],\"big\":[[18446744073709551615]],"
    "\"tree\":{\"name\":\"r\",\"children\":{\"a\":{\"name\":\"l\",\"children\":{},"
    "\"forest\":[]}},\"forest\":[{},{\"b\":{\"name\":\"x\",\"children\":{},\"forest\":[]}}]}}";

/* One all-types message: its descriptor, JSON text and generated encoder. */
struct codec_state {
    const msgbus_type *type;
    const char *json;
    size_t json_len;
    int (*encode)(const void *m, char **buf, size_t *len);
    void *src;
    void *dst;
};

static int encode_everything(const void *m, char **buf, size_t *len)
{
    return test_all_Everything_encode(m, buf, len);
}

static int encode_nested(const void *m, char **buf, size_t *len)
{
    return test_all_Nested_encode(m, buf, len);
}

static int decode_op(void *p)
{
    struct codec_state *s = p;
    msgbus_error err;
    int rc = msgbus_value_decode(s->type, s->json, s->json_len, s->dst, &err);
    if (rc == 0 && !msgbus_value_equal(s->type, s->dst, s->src))
        rc = MSGBUS_EINVAL;
    msgbus_value_clear(s->type, s->dst);
    return rc;
}

static int decode_usable(void *p)
{
    struct codec_state *s = p;
    /* The struct a failed decode left behind takes a full decode. */
    return decode_op(s);
}

static int encode_op(void *p)
{
    struct codec_state *s = p;
    char *buf = NULL;
    size_t len = 0;
    int rc = s->encode(s->src, &buf, &len);
    if (rc == 0 && (!buf || len == 0 || strlen(buf) != len))
        rc = MSGBUS_EINVAL;
    if (rc != 0 && buf)
        rc = MSGBUS_EINVAL;     /* a failed encode hands nothing out */
    msgbus_free(buf);
    return rc;
}

static int copy_op(void *p)
{
    struct codec_state *s = p;
    int rc = msgbus_value_copy(s->type, s->dst, s->src);
    if (rc == 0 && !msgbus_value_equal(s->type, s->dst, s->src))
        rc = MSGBUS_EINVAL;
    msgbus_value_clear(s->type, s->dst);
    return rc;
}

/* Decode, encode and copy with each allocation failing in turn. */
static void codec_survives(struct codec_state *s)
{
    msgbus_value_init(s->type, s->src);
    msgbus_value_init(s->type, s->dst);
    msgbus_error err;
    ck_assert_msg(msgbus_value_decode(s->type, s->json, s->json_len, s->src, &err) == 0,
                  "%s at %s", err.text, err.path);
    fail_each_allocation("decode", decode_op, decode_usable, s);
    fail_each_allocation("encode", encode_op, encode_op, s);
    fail_each_allocation("copy", copy_op, copy_op, s);
    msgbus_value_clear(s->type, s->src);
    ck_assert_int_eq(atomic_load(&live), 0);
}

START_TEST(codec_survives_every_allocation_failure)
{
    test_all_Everything src, dst;
    struct codec_state s = { &test_all_Everything_type, everything_json,
                             sizeof everything_json - 1, encode_everything, &src, &dst };
    codec_survives(&s);
}
END_TEST

START_TEST(nested_codec_survives_every_allocation_failure)
{
    test_all_Nested src, dst;
    struct codec_state s = { &test_all_Nested_type, nested_json, sizeof nested_json - 1,
                             encode_nested, &src, &dst };
    codec_survives(&s);
}
END_TEST

/* ---- the bus: handle with emits and results ---------------------------- */

int alloc_place(msgbus_ctx *ctx, const alloc_Place *msg)
{
    alloc_Placed ev;
    alloc_Placed_init(&ev);
    ev.id = msg->id;
    ev.note = msgbus_strdup(msg->note);
    ev.tags = msgbus_calloc(msg->n_tags, sizeof *ev.tags);
    if (!ev.note || !ev.tags) {
        alloc_Placed_clear(&ev);
        return MSGBUS_ENOMEM;
    }
    for (; ev.n_tags < msg->n_tags; ev.n_tags++)
        if (!(ev.tags[ev.n_tags] = msgbus_strdup(msg->tags[ev.n_tags]))) {
            alloc_Placed_clear(&ev);
            return MSGBUS_ENOMEM;
        }
    return alloc_place_emit_Placed(ctx, &ev);
}

int alloc_audit(msgbus_ctx *ctx, const alloc_Placed *msg)
{
    char *note = msgbus_strdup(msg->note);
    if (!note)
        return MSGBUS_ENOMEM;
    /* The context takes note over, also when it fails. */
    return msgbus_ctx_set(ctx, "audit", note, msgbus_free);
}

int alloc_notify(msgbus_ctx *ctx, const alloc_Placed *msg)
{
    (void)msg;
    return msgbus_ctx_get(ctx, "audit") ? 0 : MSGBUS_EHANDLER;
}

struct bus_state {
    msgbus_bus *bus;
    msgbus_results *results;
    alloc_Place cmd;
};

static int handle_op(void *p)
{
    struct bus_state *s = p;
    msgbus_error err;
    msgbus_results_reset(s->results);
    return msgbus_handle(s->bus, &s->cmd.base, s->results, &err);
}

static int handle_usable(void *p)
{
    struct bus_state *s = p;
    if (handle_op(s) != 0)
        return -1;
    /* place, audit and notify each ran once and succeeded. */
    if (msgbus_results_count(s->results) != 3 || msgbus_results_failed(s->results) != 0)
        return -1;
    return 0;
}

static void bus_state_init(struct bus_state *s)
{
    msgbus_error err;
    s->bus = msgbus_bus_new(NULL);
    ck_assert_ptr_nonnull(s->bus);
    ck_assert_int_eq(msgbus_bus_install(s->bus, &alloc_module, &err), 0);
    s->results = msgbus_results_new();
    ck_assert_ptr_nonnull(s->results);
    alloc_Place_init(&s->cmd);
    s->cmd.id = 7;
    s->cmd.note = msgbus_strdup("a note");
    s->cmd.n_tags = 2;
    s->cmd.tags = msgbus_calloc(2, sizeof *s->cmd.tags);
    s->cmd.tags[0] = msgbus_strdup("red");
    s->cmd.tags[1] = msgbus_strdup("blue");
    ck_assert_int_eq(handle_usable(s), 0);
}

static void bus_state_clear(struct bus_state *s)
{
    alloc_Place_clear(&s->cmd);
    msgbus_results_free(s->results);
    msgbus_bus_free(s->bus);
}

START_TEST(bus_survives_every_allocation_failure)
{
    struct bus_state s;
    bus_state_init(&s);
    fail_each_allocation("msgbus_handle", handle_op, handle_usable, &s);
    bus_state_clear(&s);
    ck_assert_int_eq(atomic_load(&live), 0);
}
END_TEST

/* ---- the async bus ------------------------------------------------------ */

struct async_state {
    struct bus_state b;
    msgbus_async *abus;
    int done;
    int status;
};

static void on_done(msgbus_async *abus, int status, const msgbus_results *results,
                    const msgbus_error *err, void *userdata)
{
    (void)abus;
    (void)results;
    (void)err;
    struct async_state *s = userdata;
    s->done++;
    s->status = status;
}

/* Runs the async bus until the callback came: its status, or -1 if it
 * came more than once or the bus failed. */
static int wait_done(struct async_state *s)
{
    while (s->done == 0)
        if (msgbus_async_wait(s->abus, 5000) < 0 || msgbus_async_dispatch(s->abus) < 0)
            return -1;
    return s->done == 1 ? s->status : -1;
}

static int async_op(void *p)
{
    struct async_state *s = p;
    s->done = 0;
    s->status = 0;
    int rc = msgbus_async_handle(s->abus, &s->b.cmd.base, on_done, s);
    if (rc != 0)
        return rc;
    return wait_done(s);
}

START_TEST(async_bus_survives_every_allocation_failure)
{
    struct async_state s;
    bus_state_init(&s.b);
    msgbus_error err;
    s.abus = msgbus_async_new(s.b.bus, 2, &err);
    ck_assert_ptr_nonnull(s.abus);
    ck_assert_int_eq(async_op(&s), 0);
    fail_each_allocation("msgbus_async_handle", async_op, async_op, &s);
    msgbus_async_free(s.abus);
    bus_state_clear(&s.b);
    ck_assert_int_eq(atomic_load(&live), 0);
}
END_TEST

/* A batch of BATCH_N messages, one in flight at a time on one worker (so
 * it needs no more jobs nor worker storage than the first batch left
 * warm): every outcome succeeded or ran out of memory, and the results are
 * where the outcomes say. */
enum { BATCH_N = 6 };

static void on_batch(msgbus_async *abus, int status, const msgbus_outcome *outcomes, size_t n,
                     const msgbus_results *results, const msgbus_error *err, void *userdata)
{
    (void)abus;
    (void)err;
    struct async_state *s = userdata;
    size_t next = 0;
    s->done++;
    s->status = status;
    for (size_t i = 0; i < n; i++) {
        if ((outcomes[i].status != 0 && outcomes[i].status != MSGBUS_ENOMEM) ||
            outcomes[i].first_result != next)
            s->status = -1;
        next += outcomes[i].n_results;
    }
    if (n != BATCH_N || next != msgbus_results_count(results))
        s->status = -1;
}

static int batch_op(void *p)
{
    struct async_state *s = p;
    const msgbus_msg *msgs[BATCH_N];
    for (int i = 0; i < BATCH_N; i++)
        msgs[i] = &s->b.cmd.base;
    s->done = 0;
    s->status = 0;
    int rc = msgbus_async_batch_handle(s->abus, msgs, BATCH_N, 1, on_batch, s);
    if (rc != 0)
        return rc;
    return wait_done(s);
}

START_TEST(async_batch_survives_every_allocation_failure)
{
    struct async_state s;
    bus_state_init(&s.b);
    msgbus_error err;
    s.abus = msgbus_async_new(s.b.bus, 1, &err);
    ck_assert_ptr_nonnull(s.abus);
    ck_assert_int_eq(batch_op(&s), 0);
    fail_each_allocation("msgbus_async_batch_handle", batch_op, batch_op, &s);
    msgbus_async_free(s.abus);
    bus_state_clear(&s.b);
    ck_assert_int_eq(atomic_load(&live), 0);
}
END_TEST

/* ---- the outbox: register and process, in memory and on SQLite --------- */

static int shipped;

int ot_ship(msgbus_ctx *ctx, const ot_Ship *msg)
{
    (void)ctx;
    (void)msg;
    shipped++;
    return 0;
}

struct outbox_state {
    msgbus_outbox_repo *repo;
    msgbus_bus *bus;
    msgbus_outbox_options opts;
    msgbus_outbox_handler dispatch;
};

static size_t pending(struct outbox_state *s)
{
    msgbus_outbox_counts counts;
    msgbus_error err;
    ck_assert_int_eq(msgbus_outbox_counts_get(s->repo, &counts, &err), 0);
    return counts.pending;
}

/* A payload larger than the register path's stack storage, so encoding it
 * allocates (a small one on SQLite allocates nothing through the hook). */
static char long_label[MSGBUS_BUF_STORAGE + 100];

static int register_op(void *p)
{
    struct outbox_state *s = p;
    ot_Ship m;
    msgbus_value_init(&ot_Ship_type, &m);
    m.order_id = 1;
    memset(long_label, 'x', sizeof long_label - 1);
    m.label = long_label;
    msgbus_error err;
    size_t before = pending(s);
    int rc = msgbus_outbox_register(s->repo, &m.base, NULL, NULL, &err);
    /* A failed register stores nothing. */
    if (rc != 0 && pending(s) != before)
        return -1;
    return rc;
}

/* Processes the one row that process_usable left pending. */
static int process_op(void *p)
{
    struct outbox_state *s = p;
    msgbus_error err;
    msgbus_outbox_stats stats;
    int rc = msgbus_process_outbox(s->bus, s->repo, &s->opts, &stats, &err);
    if (rc != 0)
        return rc;
    /* The handler's out-of-memory is a failed attempt of the row. */
    return stats.processed + stats.failed == 1 ? 0 : -1;
}

/* Processes whatever is left (a failed attempt's backoff is skipped), then
 * registers the row that the next process_op takes. */
static int process_usable(void *p)
{
    struct outbox_state *s = p;
    msgbus_error err;
    msgbus_outbox_stats stats;
    s->opts.now = msgbus_outbox_now() + 1000L * 1000 * 1000;
    int rc = msgbus_process_outbox(s->bus, s->repo, &s->opts, &stats, &err);
    s->opts.now = 0;
    if (rc != 0 || pending(s) != 0)
        return -1;
    ot_Ship m;
    msgbus_value_init(&ot_Ship_type, &m);
    m.order_id = 2;
    m.label = (char *)"label";
    return msgbus_outbox_register(s->repo, &m.base, NULL, NULL, &err);
}

static void outbox_state_init(struct outbox_state *s, msgbus_outbox_repo *repo)
{
    msgbus_error err;
    s->repo = repo;
    ck_assert_ptr_nonnull(s->repo);
    s->bus = msgbus_bus_new(NULL);
    ck_assert_int_eq(msgbus_bus_install(s->bus, &ot_module, &err), 0);
    msgbus_outbox_options_init(&s->opts);
    s->opts.max_attempts = 1000;
    s->dispatch = (msgbus_outbox_handler)MSGBUS_OUTBOX_DISPATCH_HANDLER;
    ck_assert_int_eq(msgbus_set_outbox_handlers(&s->opts, &s->dispatch, 1, &err), 0);
}

static void outbox_state_run(struct outbox_state *s)
{
    fail_each_allocation("msgbus_outbox_register", register_op, register_op, s);
    ck_assert_int_eq(process_usable(s), 0);     /* one row pending */
    fail_each_allocation("msgbus_process_outbox", process_op, process_usable, s);
    msgbus_bus_free(s->bus);
    msgbus_outbox_repo_free(s->repo);
}

START_TEST(memory_outbox_survives_every_allocation_failure)
{
    struct outbox_state s;
    outbox_state_init(&s, msgbus_outbox_memory_new());
    outbox_state_run(&s);
    ck_assert_int_eq(atomic_load(&live), 0);
}
END_TEST

START_TEST(sqlite_outbox_survives_every_allocation_failure)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    msgbus_outbox_repo *repo = NULL;
    msgbus_error err;
    ck_assert_msg(msgbus_sqlite_outbox_new(db, NULL, 0, &repo, &err) == 0, "%s", err.text);
    struct outbox_state s;
    outbox_state_init(&s, repo);
    outbox_state_run(&s);
    ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
    ck_assert_int_eq(atomic_load(&live), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("allocation failures");
    TCase *tc = tcase_create("every allocation");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, codec_survives_every_allocation_failure);
    tcase_add_test(tc, nested_codec_survives_every_allocation_failure);
    tcase_add_test(tc, bus_survives_every_allocation_failure);
    tcase_add_test(tc, async_bus_survives_every_allocation_failure);
    tcase_add_test(tc, async_batch_survives_every_allocation_failure);
    tcase_add_test(tc, memory_outbox_survives_every_allocation_failure);
    tcase_add_test(tc, sqlite_outbox_survives_every_allocation_failure);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
