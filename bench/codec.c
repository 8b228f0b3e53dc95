/* codec.c - `make bench`: the JSON codec against Jansson (used as a careful
 * user would) and protobuf-c's binary format, on three shapes of message:
 * the 208-byte order, a batch of 50 lines (about 4 KB), and a text-heavy
 * note with escapes and non-ASCII characters.
 *
 * All contenders run in one process, in interleaved rounds; the report
 * gives the median time per message over the rounds, the ratios, and the
 * allocations one call makes (counted by replacing malloc).  Every
 * contender produces or consumes the same content: the decoders fill a C
 * struct the caller then frees, the encoders produce bytes. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.msg.h"
#ifdef HAVE_PROTOBUF_C
#include "codec.pb-c.h"
#endif

/* ------------------------------------------------------ allocation count */

#if !defined(__SANITIZE_ADDRESS__) && defined(__GLIBC__)
#define COUNT_ALLOCATIONS 1
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
static unsigned long allocations;
void *malloc(size_t n) { allocations++; return __libc_malloc(n); }
void *calloc(size_t n, size_t size) { allocations++; return __libc_calloc(n, size); }
void *realloc(void *p, size_t n) { allocations++; return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
#else
static unsigned long allocations;
#endif

/* ------------------------------------------------------------- the data */

static bench_codec_OrderPlaced order;
static bench_codec_OrderBatch batch;
static bench_codec_Note note;

static char *dup_text(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d)
        abort();
    return memcpy(d, s, n);
}

static void make_data(void)
{
    bench_codec_OrderPlaced_init(&order);
    order.order_id = 1234567890123;
    order.customer = dup_text("Alice Miller");
    order.total = 1234.56;
    order.quantity = 3;
    order.express = true;
    order.n_items = 3;
    order.items = malloc(3 * sizeof *order.items);
    order.items[0] = dup_text("SKU-1001");
    order.items[1] = dup_text("SKU-2002");
    order.items[2] = dup_text("SKU-3003");
    order.address.street = dup_text("221B Baker St");
    order.address.city = dup_text("London");
    order.address.zip = dup_text("NW1 6XE");

    bench_codec_OrderBatch_init(&batch);
    batch.batch_id = 987654321;
    batch.n_lines = 50;
    batch.lines = calloc(50, sizeof *batch.lines);
    for (int i = 0; i < 50; i++) {
        char text[64];
        bench_codec_Line *l = &batch.lines[i];
        bench_codec_Line_init(l);
        snprintf(text, sizeof text, "SKU-%04d", 1000 + i * 37);
        l->sku = dup_text(text);
        snprintf(text, sizeof text, "Widget number %d", i);
        l->name = dup_text(text);
        l->quantity = i % 7 + 1;
        l->price = 9.99 + i * 0.25;
        l->gift = i % 3 == 0;
    }

    bench_codec_Note_init(&note);
    note.author = dup_text("Zoë Dupré-Łukasiewicz");
    note.title = dup_text("Ünïcödé \"quoted\" title\twith a tab");
    char body[2048] = "";
    for (int i = 0; i < 8; i++)
        strcat(body, "Naïve café — 日本語のテキスト, emoji 😀, \"quotes\", back\\slash,\n"
                     "\ttabs and a control \x01 char. ");
    note.body = dup_text(body);
    static const char *const tags[] = { "naïve", "日本", "a\"b", "c\\d", "e\nf" };
    note.n_tags = 5;
    note.tags = malloc(5 * sizeof *note.tags);
    for (int i = 0; i < 5; i++)
        note.tags[i] = dup_text(tags[i]);
}

/* ------------------------------------------------------------- msgbus */

typedef struct shape {
    const char *name;
    const msgbus_type *type;
    const void *msg;
    char *text;                 /* msgbus's JSON of msg */
    size_t text_len;
    void *scratch;              /* a struct of the type, for decoding */
    msgbus_buf buf;             /* reused by encode_buf */
    json_t *(*jansson_build)(const void *m);
    int (*jansson_read)(const json_t *j, void *m);
    int (*encode)(const void *m, char **text, size_t *len);     /* generated */
    int (*encode_buf)(const void *m, msgbus_buf *b);            /* generated */
    int (*decode)(const char *text, size_t len, void *m, msgbus_error *err); /* generated */
#ifdef HAVE_PROTOBUF_C
    ProtobufCMessage *pb;
    uint8_t *pb_bytes;
    size_t pb_len;
    uint8_t *pb_out;
    const ProtobufCMessageDescriptor *pb_desc;
#endif
} shape;

static volatile size_t sink;

/* The generated encoders and decoders, called through one signature. */
#define ADAPT(T)                                                                   \
    static int T##_encode_any(const void *m, char **text, size_t *len)            \
    {                                                                              \
        return bench_codec_##T##_encode(m, text, len);                             \
    }                                                                              \
    static int T##_encode_buf_any(const void *m, msgbus_buf *b)                    \
    {                                                                              \
        return bench_codec_##T##_encode_buf(m, b);                                 \
    }                                                                              \
    static int T##_decode_any(const char *text, size_t len, void *m,               \
                              msgbus_error *err)                                   \
    {                                                                              \
        return bench_codec_##T##_decode(text, len, m, err);                        \
    }
ADAPT(OrderPlaced)
ADAPT(OrderBatch)
ADAPT(Note)

static void msgbus_encode_once(shape *s)
{
    char *text;
    size_t len;
    if (s->encode(s->msg, &text, &len) != 0)
        abort();
    sink += len;
    free(text);
}

static void msgbus_encode_buf_once(shape *s)
{
    msgbus_buf_reset(&s->buf);
    if (s->encode_buf(s->msg, &s->buf) != 0)
        abort();
    sink += s->buf.len;
}

static void msgbus_encode_generic_once(shape *s)
{
    char *text;
    size_t len;
    if (msgbus_value_encode(s->type, s->msg, &text, &len) != 0)
        abort();
    sink += len;
    free(text);
}

static void msgbus_decode_once(shape *s)
{
    msgbus_error err;
    if (s->decode(s->text, s->text_len, s->scratch, &err) != 0)
        abort();
    msgbus_value_clear(s->type, s->scratch);
}

static void msgbus_decode_generic_once(shape *s)
{
    msgbus_error err;
    if (msgbus_value_decode(s->type, s->text, s->text_len, s->scratch, &err) != 0)
        abort();
    msgbus_value_clear(s->type, s->scratch);
}

/* ------------------------------------------------------------- Jansson */

/* What a careful user writes: every value checked, strings copied. */
static int get_string(const json_t *obj, const char *key, char **out)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        return -1;
    size_t n = json_string_length(v);
    *out = malloc(n + 1);
    if (!*out)
        return -1;
    memcpy(*out, json_string_value(v), n + 1);
    return 0;
}

static int get_int(const json_t *obj, const char *key, json_int_t *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        return -1;
    *out = json_integer_value(v);
    return 0;
}

static int get_string_list(const json_t *obj, const char *key, size_t *n, char ***out)
{
    const json_t *a = json_object_get(obj, key);
    if (!json_is_array(a))
        return -1;
    *n = 0;
    *out = malloc((json_array_size(a) ? json_array_size(a) : 1) * sizeof **out);
    if (!*out)
        return -1;
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_string(v))
            return -1;
        size_t len = json_string_length(v);
        char *s = malloc(len + 1);
        if (!s)
            return -1;
        memcpy(s, json_string_value(v), len + 1);
        (*out)[(*n)++] = s;
    }
    return 0;
}

static json_t *string_list(char **items, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(items[i]));
    return a;
}

static json_t *order_build(const void *p)
{
    const bench_codec_OrderPlaced *m = p;
    json_t *o = json_object(), *addr = json_object();
    json_object_set_new(o, "order_id", json_integer(m->order_id));
    json_object_set_new(o, "customer", json_string(m->customer));
    json_object_set_new(o, "total", json_real(m->total));
    json_object_set_new(o, "quantity", json_integer(m->quantity));
    json_object_set_new(o, "express", json_boolean(m->express));
    json_object_set_new(o, "items", string_list(m->items, m->n_items));
    json_object_set_new(addr, "street", json_string(m->address.street));
    json_object_set_new(addr, "city", json_string(m->address.city));
    json_object_set_new(addr, "zip", json_string(m->address.zip));
    json_object_set_new(o, "address", addr);
    return o;
}

static int order_read(const json_t *j, void *p)
{
    bench_codec_OrderPlaced *m = p;
    json_int_t v;
    const json_t *total = json_object_get(j, "total"), *addr = json_object_get(j, "address");
    const json_t *express = json_object_get(j, "express");
    if (!json_is_object(j) || get_int(j, "order_id", &v) < 0)
        return -1;
    m->order_id = v;
    if (get_string(j, "customer", &m->customer) < 0 || !json_is_number(total))
        return -1;
    m->total = json_number_value(total);
    if (get_int(j, "quantity", &v) < 0 || v < INT32_MIN || v > INT32_MAX || !json_is_boolean(express))
        return -1;
    m->quantity = (int32_t)v;
    m->express = json_is_true(express);
    if (get_string_list(j, "items", &m->n_items, &m->items) < 0 || !json_is_object(addr))
        return -1;
    if (get_string(addr, "street", &m->address.street) < 0 ||
        get_string(addr, "city", &m->address.city) < 0 ||
        get_string(addr, "zip", &m->address.zip) < 0)
        return -1;
    return 0;
}

static json_t *batch_build(const void *p)
{
    const bench_codec_OrderBatch *m = p;
    json_t *o = json_object(), *lines = json_array();
    json_object_set_new(o, "batch_id", json_integer(m->batch_id));
    for (size_t i = 0; i < m->n_lines; i++) {
        const bench_codec_Line *l = &m->lines[i];
        json_t *line = json_object();
        json_object_set_new(line, "sku", json_string(l->sku));
        json_object_set_new(line, "name", json_string(l->name));
        json_object_set_new(line, "quantity", json_integer(l->quantity));
        json_object_set_new(line, "price", json_real(l->price));
        json_object_set_new(line, "gift", json_boolean(l->gift));
        json_array_append_new(lines, line);
    }
    json_object_set_new(o, "lines", lines);
    return o;
}

static int batch_read(const json_t *j, void *p)
{
    bench_codec_OrderBatch *m = p;
    json_int_t v;
    const json_t *lines = json_object_get(j, "lines");
    if (!json_is_object(j) || get_int(j, "batch_id", &v) < 0 || !json_is_array(lines))
        return -1;
    m->batch_id = v;
    size_t n = json_array_size(lines);
    m->lines = calloc(n ? n : 1, sizeof *m->lines);
    if (!m->lines)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const json_t *line = json_array_get(lines, i);
        bench_codec_Line *l = &m->lines[i];
        bench_codec_Line_init(l);
        m->n_lines++;
        const json_t *price = json_object_get(line, "price"), *gift = json_object_get(line, "gift");
        if (!json_is_object(line) || get_string(line, "sku", &l->sku) < 0 ||
            get_string(line, "name", &l->name) < 0 || get_int(line, "quantity", &v) < 0 ||
            v < INT32_MIN || v > INT32_MAX || !json_is_number(price) || !json_is_boolean(gift))
            return -1;
        l->quantity = (int32_t)v;
        l->price = json_number_value(price);
        l->gift = json_is_true(gift);
    }
    return 0;
}

static json_t *note_build(const void *p)
{
    const bench_codec_Note *m = p;
    json_t *o = json_object();
    json_object_set_new(o, "author", json_string(m->author));
    json_object_set_new(o, "title", json_string(m->title));
    json_object_set_new(o, "body", json_string(m->body));
    json_object_set_new(o, "tags", string_list(m->tags, m->n_tags));
    return o;
}

static int note_read(const json_t *j, void *p)
{
    bench_codec_Note *m = p;
    if (!json_is_object(j) || get_string(j, "author", &m->author) < 0 ||
        get_string(j, "title", &m->title) < 0 || get_string(j, "body", &m->body) < 0 ||
        get_string_list(j, "tags", &m->n_tags, &m->tags) < 0)
        return -1;
    return 0;
}

static void jansson_encode_once(shape *s)
{
    json_t *j = s->jansson_build(s->msg);
    char *text = json_dumps(j, JSON_COMPACT);
    if (!text)
        abort();
    sink += strlen(text);
    free(text);
    json_decref(j);
}

static void jansson_decode_once(shape *s)
{
    json_error_t error;
    json_t *j = json_loadb(s->text, s->text_len, JSON_REJECT_DUPLICATES, &error);
    msgbus_value_init(s->type, s->scratch);
    if (!j || s->jansson_read(j, s->scratch) < 0)
        abort();
    json_decref(j);
    msgbus_value_clear(s->type, s->scratch);
}

/* ------------------------------------------------------------ protobuf-c */

#ifdef HAVE_PROTOBUF_C
static void pb_strings(char **src, size_t n, size_t *n_out, char ***out)
{
    *n_out = n;
    *out = src;                 /* borrowed: the pb structs are never freed */
}

static ProtobufCMessage *order_pb(void)
{
    static Benchpb__OrderPlaced m = BENCHPB__ORDER_PLACED__INIT;
    static Benchpb__Address a = BENCHPB__ADDRESS__INIT;
    m.order_id = order.order_id;
    m.customer = order.customer;
    m.total = order.total;
    m.quantity = order.quantity;
    m.express = order.express;
    pb_strings(order.items, order.n_items, &m.n_items, &m.items);
    a.street = order.address.street;
    a.city = order.address.city;
    a.zip = order.address.zip;
    m.address = &a;
    return &m.base;
}

static ProtobufCMessage *batch_pb(void)
{
    static Benchpb__OrderBatch m = BENCHPB__ORDER_BATCH__INIT;
    static Benchpb__Line lines[50];
    static Benchpb__Line *ptrs[50];
    m.batch_id = batch.batch_id;
    for (size_t i = 0; i < batch.n_lines; i++) {
        benchpb__line__init(&lines[i]);
        lines[i].sku = batch.lines[i].sku;
        lines[i].name = batch.lines[i].name;
        lines[i].quantity = batch.lines[i].quantity;
        lines[i].price = batch.lines[i].price;
        lines[i].gift = batch.lines[i].gift;
        ptrs[i] = &lines[i];
    }
    m.n_lines = batch.n_lines;
    m.lines = ptrs;
    return &m.base;
}

static ProtobufCMessage *note_pb(void)
{
    static Benchpb__Note m = BENCHPB__NOTE__INIT;
    m.author = note.author;
    m.title = note.title;
    m.body = note.body;
    pb_strings(note.tags, note.n_tags, &m.n_tags, &m.tags);
    return &m.base;
}

static void pb_pack_once(shape *s)
{
    size_t n = protobuf_c_message_get_packed_size(s->pb);
    sink += protobuf_c_message_pack(s->pb, s->pb_out) + n;
}

static void pb_unpack_once(shape *s)
{
    ProtobufCMessage *m = protobuf_c_message_unpack(s->pb_desc, NULL, s->pb_len, s->pb_bytes);
    if (!m)
        abort();
    protobuf_c_message_free_unpacked(m, NULL);
}
#endif

/* ---------------------------------------------------------------- timing */

enum { MSGBUS_ENCODE, MSGBUS_ENCODE_BUF, MSGBUS_ENCODE_GENERIC, JANSSON_ENCODE, PB_PACK,
       MSGBUS_DECODE, MSGBUS_DECODE_GENERIC, JANSSON_DECODE, PB_UNPACK, N_OPS };

static const char *const op_names[N_OPS] = {
    "msgbus X_encode", "msgbus X_encode_buf (reused)", "msgbus_value_encode",
    "Jansson build + dumps", "protobuf-c pack", "msgbus X_decode", "msgbus_value_decode",
    "Jansson loads + read",
    "protobuf-c unpack",
};

typedef void (*op_fn)(shape *);

static op_fn ops[N_OPS] = {
    msgbus_encode_once, msgbus_encode_buf_once, msgbus_encode_generic_once,
    jansson_encode_once, NULL, msgbus_decode_once, msgbus_decode_generic_once,
    jansson_decode_once, NULL,
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define ROUNDS 21

static void run_shape(shape *s, long iterations)
{
    double samples[N_OPS][ROUNDS], median[N_OPS];
    unsigned long allocs[N_OPS];
    for (int op = 0; op < N_OPS; op++) {
        if (!ops[op])
            continue;
        ops[op](s);                         /* warm up, and count */
        unsigned long before = allocations;
        ops[op](s);
        allocs[op] = allocations - before;
    }
    for (int round = 0; round < ROUNDS; round++)
        for (int op = 0; op < N_OPS; op++) {
            if (!ops[op])
                continue;
            double t0 = now_ns();
            for (long i = 0; i < iterations; i++)
                ops[op](s);
            samples[op][round] = (now_ns() - t0) / (double)iterations;
        }
    printf("\n%s: %zu bytes of JSON", s->name, s->text_len);
#ifdef HAVE_PROTOBUF_C
    printf(", %zu bytes of protobuf", s->pb_len);
#endif
    printf(" (median of %d interleaved rounds of %ld)\n", ROUNDS, iterations);
    for (int op = 0; op < N_OPS; op++) {
        if (!ops[op])
            continue;
        qsort(samples[op], ROUNDS, sizeof samples[op][0], compare_doubles);
        median[op] = samples[op][ROUNDS / 2];
        printf("  %-28s %9.3f us  %3lu allocations\n", op_names[op], median[op] / 1000,
               COUNT_ALLOCATIONS ? allocs[op] : 0UL);
    }
    printf("  encode: Jansson / msgbus = %.1fx", median[JANSSON_ENCODE] / median[MSGBUS_ENCODE]);
    printf(" (descriptors %.1fx)", median[JANSSON_ENCODE] / median[MSGBUS_ENCODE_GENERIC]);
    printf(" (encode_buf %.1fx)", median[JANSSON_ENCODE] / median[MSGBUS_ENCODE_BUF]);
    if (ops[PB_PACK])
        printf(", msgbus / protobuf-c pack = %.2fx (encode_buf %.2fx)",
               median[MSGBUS_ENCODE] / median[PB_PACK], median[MSGBUS_ENCODE_BUF] / median[PB_PACK]);
    printf("\n  decode: Jansson / msgbus = %.1fx", median[JANSSON_DECODE] / median[MSGBUS_DECODE]);
    printf(" (descriptors %.1fx)", median[JANSSON_DECODE] / median[MSGBUS_DECODE_GENERIC]);
    if (ops[PB_UNPACK])
        printf(", msgbus / protobuf-c unpack = %.2fx", median[MSGBUS_DECODE] / median[PB_UNPACK]);
    printf("\n");
    /* the targets: <= 1.5x protobuf-c, >= 10x faster than Jansson */
    printf("  targets: encode %s Jansson/10", median[MSGBUS_ENCODE] * 10 <= median[JANSSON_ENCODE]
                                                 ? "within" : "NOT within");
    if (ops[PB_PACK])
        printf(", %s 1.5x pack", median[MSGBUS_ENCODE] <= 1.5 * median[PB_PACK] ? "within"
                                                                               : "NOT within");
    printf("; decode %s Jansson/10", median[MSGBUS_DECODE] * 10 <= median[JANSSON_DECODE]
                                         ? "within" : "NOT within");
    if (ops[PB_UNPACK])
        printf(", %s 1.5x unpack", median[MSGBUS_DECODE] <= 1.5 * median[PB_UNPACK] ? "within"
                                                                                   : "NOT within");
    printf("\n");
}

static void setup(shape *s, const char *name, const msgbus_type *type, const void *msg,
                  json_t *(*build)(const void *), int (*read)(const json_t *, void *),
                  int (*encode)(const void *, char **, size_t *),
                  int (*encode_buf)(const void *, msgbus_buf *),
                  int (*decode)(const char *, size_t, void *, msgbus_error *))
{
    memset(s, 0, sizeof *s);
    s->decode = decode;
    s->encode = encode;
    s->encode_buf = encode_buf;
    s->name = name;
    s->type = type;
    s->msg = msg;
    s->jansson_build = build;
    s->jansson_read = read;
    s->scratch = calloc(1, type->size);
    msgbus_buf_init(&s->buf);
    if (!s->scratch || msgbus_value_encode(type, msg, &s->text, &s->text_len) != 0)
        abort();
    /* the generated encoder writes what the descriptors write */
    char *text;
    size_t len;
    if (encode(msg, &text, &len) != 0 || len != s->text_len || memcmp(text, s->text, len) != 0)
        abort();
    free(text);
    /* and the generated decoder reads back what the descriptors read */
    void *a = calloc(1, type->size), *b = calloc(1, type->size);
    msgbus_error err;
    if (!a || !b || decode(s->text, s->text_len, a, &err) != 0 ||
        msgbus_value_decode(type, s->text, s->text_len, b, &err) != 0 ||
        !msgbus_value_equal(type, a, b) || !msgbus_value_equal(type, a, msg))
        abort();
    msgbus_value_clear(type, a);
    msgbus_value_clear(type, b);
    free(a);
    free(b);
}

int main(int argc, char **argv)
{
    long scale = argc > 1 ? atol(argv[1]) : 1;
    make_data();
    shape shapes[3];
    setup(&shapes[0], "OrderPlaced", &bench_codec_OrderPlaced_type, &order, order_build,
          order_read, OrderPlaced_encode_any, OrderPlaced_encode_buf_any, OrderPlaced_decode_any);
    setup(&shapes[1], "OrderBatch (50 lines)", &bench_codec_OrderBatch_type, &batch,
          batch_build, batch_read, OrderBatch_encode_any, OrderBatch_encode_buf_any,
          OrderBatch_decode_any);
    setup(&shapes[2], "Note (escapes, non-ASCII)", &bench_codec_Note_type, &note, note_build,
          note_read, Note_encode_any, Note_encode_buf_any, Note_decode_any);
#ifdef HAVE_PROTOBUF_C
    ops[PB_PACK] = pb_pack_once;
    ops[PB_UNPACK] = pb_unpack_once;
    ProtobufCMessage *pbs[3] = { order_pb(), batch_pb(), note_pb() };
    for (int i = 0; i < 3; i++) {
        shapes[i].pb = pbs[i];
        shapes[i].pb_desc = pbs[i]->descriptor;
        shapes[i].pb_len = protobuf_c_message_get_packed_size(pbs[i]);
        shapes[i].pb_bytes = malloc(shapes[i].pb_len);
        shapes[i].pb_out = malloc(shapes[i].pb_len);
        protobuf_c_message_pack(pbs[i], shapes[i].pb_bytes);
    }
#else
    printf("protobuf-c comparison skipped: configured without libprotobuf-c and protoc-c\n");
#endif
    printf("%s\n", shapes[0].text);
    run_shape(&shapes[0], 10000 * scale);
    run_shape(&shapes[1], 500 * scale);
    run_shape(&shapes[2], 2500 * scale);
    return 0;
}
