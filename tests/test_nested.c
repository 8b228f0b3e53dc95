/* test_nested.c - lists and maps inside lists and maps (schemas/alltypes.msg,
 * event Nested): the C structs a user fills and reads, round trips through
 * text and Jansson trees, the generated encoder against the descriptor one,
 * errors with their paths, the depth limit, and copy, equal and clear. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alltypes.msg.h"

static const msgbus_type *const T = &test_all_Nested_type;

/* Text decode (the generated decoder, and the descriptor walk, which must
 * give the same status, error, position and value), then tree decode of
 * what Jansson parses from the same text: they must agree on status,
 * error path and value. */
static int decode_both(const char *text, test_all_Nested *m, msgbus_error *err)
{
    int rc = test_all_Nested_decode(text, strlen(text), m, err);
    test_all_Nested walked;
    msgbus_error werr;
    ck_assert_int_eq(msgbus_value_decode(T, text, strlen(text), &walked, &werr), rc);
    if (rc < 0) {
        ck_assert_str_eq(werr.text, err->text);
        ck_assert_str_eq(werr.path, err->path);
        ck_assert_int_eq(werr.line, err->line);
        ck_assert_int_eq(werr.column, err->column);
        ck_assert_uint_eq(werr.position, err->position);
    } else {
        ck_assert(test_all_Nested_equal(m, &walked));
    }
    test_all_Nested_clear(&walked);
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!j || rc == MSGBUS_ESYNTAX) {
        json_decref(j);
        return rc;
    }
    test_all_Nested other;
    msgbus_error terr;
    int trc = test_all_Nested_from_json(j, &other, &terr);
    if (trc != rc || (rc < 0 && strcmp(terr.path, err->path) != 0))
        ck_abort_msg("%.80s: text gives %d '%s', tree gives %d '%s' (%s)", text, rc, err->path,
                     trc, terr.path, terr.text);
    if (rc == 0)
        ck_assert(test_all_Nested_equal(m, &other));
    test_all_Nested_clear(&other);
    json_decref(j);
    return rc;
}

/* Encodes with the descriptors and with the generated encoder (also after
 * text already in a buffer): the same bytes.  Returns the malloc'd text. */
static char *encode(const test_all_Nested *m)
{
    char *buf = NULL, *generated = NULL;
    size_t len = 0, generated_len = 0;
    ck_assert_int_eq(msgbus_value_encode(T, m, &buf, &len), 0);
    ck_assert_int_eq(test_all_Nested_encode(m, &generated, &generated_len), 0);
    ck_assert_uint_eq(generated_len, len);
    ck_assert_str_eq(generated, buf);
    free(generated);
    msgbus_buf b;
    msgbus_buf_init(&b);
    ck_assert_int_eq(msgbus_buf_append(&b, "x", 1), 0);
    ck_assert_int_eq(test_all_Nested_encode_buf(m, &b), 0);
    ck_assert_str_eq(b.data + 1, buf);
    msgbus_buf_clear(&b);
    return buf;
}

static char *dup_text(const char *s)
{
    char *d = msgbus_strdup(s);
    ck_assert_ptr_nonnull(d);
    return d;
}

static void *zalloc(size_t n, size_t size)
{
    void *p = msgbus_calloc(n, size);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* A value built by hand, the way an application fills the structs. */
static void fill(test_all_Nested *m)
{
    test_all_Nested_init(m);
    /* coords: [[1.5,-2],[],[0.25,1e300,3]] */
    m->n_coords = 3;
    m->coords = zalloc(3, sizeof *m->coords);
    m->coords[0].n = 2;
    m->coords[0].items = zalloc(2, sizeof(double));
    m->coords[0].items[0] = 1.5;
    m->coords[0].items[1] = -2;
    m->coords[2].n = 3;
    m->coords[2].items = zalloc(3, sizeof(double));
    m->coords[2].items[0] = 0.25;
    m->coords[2].items[1] = 1e300;
    m->coords[2].items[2] = 3;
    /* tags: {"red":["a","b"],"blue":[]} */
    m->n_tags = 2;
    m->tags = zalloc(2, sizeof *m->tags);
    m->tags[0].key = dup_text("red");
    m->tags[0].value.n = 2;
    m->tags[0].value.items = zalloc(2, sizeof(char *));
    m->tags[0].value.items[0] = dup_text("a");
    m->tags[0].value.items[1] = dup_text("b\"");
    m->tags[1].key = dup_text("blue");
    /* rows: [{"x":1,"y":-9223372036854775808},{}] */
    m->n_rows = 2;
    m->rows = zalloc(2, sizeof *m->rows);
    m->rows[0].n = 2;
    m->rows[0].entries = zalloc(2, sizeof *m->rows[0].entries);
    m->rows[0].entries[0].key = dup_text("x");
    m->rows[0].entries[0].value = 1;
    m->rows[0].entries[1].key = dup_text("y");
    m->rows[0].entries[1].value = INT64_MIN;
    /* cube: [[[7]],[]] */
    m->n_cube = 2;
    m->cube = zalloc(2, sizeof *m->cube);
    m->cube[0].n = 1;
    m->cube[0].items = zalloc(1, sizeof *m->cube[0].items);
    m->cube[0].items[0].n = 1;
    m->cube[0].items[0].items = zalloc(1, sizeof(int32_t));
    m->cube[0].items[0].items[0] = 7;
    /* places: {"home":{"desk":{"label":"d","tags":["t"]}}} */
    m->n_places = 1;
    m->places = zalloc(1, sizeof *m->places);
    m->places[0].key = dup_text("home");
    m->places[0].value.n = 1;
    m->places[0].value.entries = zalloc(1, sizeof *m->places[0].value.entries);
    m->places[0].value.entries[0].key = dup_text("desk");
    test_all_Inner *desk = &m->places[0].value.entries[0].value;
    test_all_Inner_init(desk);
    desk->label = dup_text("d");
    desk->n_tags = 1;
    desk->tags = zalloc(1, sizeof(char *));
    desk->tags[0] = dup_text("t");
    /* colors: [["BLUE","RED"]] */
    m->n_colors = 1;
    m->colors = zalloc(1, sizeof *m->colors);
    m->colors[0].n = 2;
    m->colors[0].items = zalloc(2, sizeof(test_all_Color));
    m->colors[0].items[0] = TEST_ALL_COLOR_BLUE;
    m->colors[0].items[1] = TEST_ALL_COLOR_RED;
    /* stamps: {"t":["2024-05-01T12:00:00Z"]} */
    m->n_stamps = 1;
    m->stamps = zalloc(1, sizeof *m->stamps);
    m->stamps[0].key = dup_text("t");
    m->stamps[0].value.n = 1;
    m->stamps[0].value.items = zalloc(1, sizeof(msgbus_timestamp));
    m->stamps[0].value.items[0].seconds = 1714564800;
    /* blobs: [["AAE="]] */
    m->n_blobs = 1;
    m->blobs = zalloc(1, sizeof *m->blobs);
    m->blobs[0].n = 1;
    m->blobs[0].items = zalloc(1, sizeof(msgbus_bytes));
    m->blobs[0].items[0].data = zalloc(2, 1);
    m->blobs[0].items[0].data[1] = 1;
    m->blobs[0].items[0].len = 2;
    /* big: [[18446744073709551615]] */
    m->n_big = 1;
    m->big = zalloc(1, sizeof *m->big);
    m->big[0].n = 1;
    m->big[0].items = zalloc(1, sizeof(uint64_t));
    m->big[0].items[0] = UINT64_MAX;
}

static const char filled_text[] =
    "{\"coords\":[[1.5,-2],[],[0.25,1e+300,3]],"
    "\"tags\":{\"red\":[\"a\",\"b\\\"\"],\"blue\":[]},"
    "\"rows\":[{\"x\":1,\"y\":-9223372036854775808},{}],"
    "\"cube\":[[[7]],[]],"
    "\"places\":{\"home\":{\"desk\":{\"label\":\"d\",\"tags\":[\"t\"]}}},"
    "\"colors\":[[\"BLUE\",\"RED\"]],"
    "\"stamps\":{\"t\":[\"2024-05-01T12:00:00Z\"]},"
    "\"blobs\":[[\"AAE=\"]],"
    "\"big\":[[18446744073709551615]]}";

START_TEST(encode_exact_text)
{
    test_all_Nested m;
    fill(&m);
    char *text = encode(&m);
    ck_assert_str_eq(text, filled_text);
    free(text);
    test_all_Nested_clear(&m);
    ck_assert_uint_eq(m.n_coords, 0);
    ck_assert_ptr_null(m.coords);
}
END_TEST

START_TEST(roundtrip_text)
{
    test_all_Nested m, back;
    msgbus_error err;
    fill(&m);
    ck_assert_int_eq(test_all_Nested_decode(filled_text, strlen(filled_text), &back, &err), 0);
    ck_assert(test_all_Nested_equal(&m, &back));
    /* What an application reads. */
    ck_assert_uint_eq(back.n_coords, 3);
    ck_assert_uint_eq(back.coords[1].n, 0);
    ck_assert(back.coords[2].items[1] == 1e300);
    ck_assert_str_eq(back.tags[0].key, "red");
    ck_assert_str_eq(back.tags[0].value.items[1], "b\"");
    ck_assert_str_eq(back.rows[0].entries[1].key, "y");
    ck_assert(back.rows[0].entries[1].value == INT64_MIN);
    ck_assert_int_eq(back.cube[0].items[0].items[0], 7);
    ck_assert_str_eq(back.places[0].value.entries[0].value.tags[0], "t");
    ck_assert_int_eq(back.colors[0].items[0], TEST_ALL_COLOR_BLUE);
    ck_assert_uint_eq(back.big[0].items[0], UINT64_MAX);
    char *again = encode(&back);
    ck_assert_str_eq(again, filled_text);
    free(again);
    test_all_Nested_clear(&m);
    test_all_Nested_clear(&back);
}
END_TEST

START_TEST(roundtrip_tree)
{
    test_all_Nested m, back;
    msgbus_error err;
    fill(&m);
    json_t *j = test_all_Nested_to_json(&m);
    ck_assert_ptr_nonnull(j);
    json_t *coords = json_object_get(j, "coords");
    ck_assert_uint_eq(json_array_size(coords), 3);
    ck_assert(json_real_value(json_array_get(json_array_get(coords, 2), 1)) == 1e300);
    json_t *red = json_object_get(json_object_get(j, "tags"), "red");
    ck_assert_str_eq(json_string_value(json_array_get(red, 0)), "a");
    json_t *row = json_array_get(json_object_get(j, "rows"), 0);
    ck_assert(json_integer_value(json_object_get(row, "y")) == INT64_MIN);
    /* uint64 above INT64_MAX is a decimal string in a tree, nested too. */
    json_t *big = json_array_get(json_array_get(json_object_get(j, "big"), 0), 0);
    ck_assert_str_eq(json_string_value(big), "18446744073709551615");
    ck_assert_int_eq(test_all_Nested_from_json(j, &back, &err), 0);
    ck_assert(test_all_Nested_equal(&m, &back));
    json_decref(j);
    test_all_Nested_clear(&m);
    test_all_Nested_clear(&back);
}
END_TEST

START_TEST(decode_agrees_on_both_forms)
{
    test_all_Nested m;
    msgbus_error err;
    ck_assert_int_eq(decode_both(filled_text, &m, &err), 0);
    test_all_Nested_clear(&m);
    ck_assert_int_eq(decode_both("{\"coords\":[],\"tags\":{},\"rows\":[],\"cube\":[],"
                                 "\"places\":{},\"colors\":[],\"stamps\":{},\"blobs\":[],"
                                 "\"big\":[[\"18446744073709551615\"]]}", &m, &err), 0);
    ck_assert_uint_eq(m.big[0].items[0], UINT64_MAX);
    test_all_Nested_clear(&m);
}
END_TEST

/* The minimal document with one field set; static buffer. */
static const char *doc_with(const char *key, const char *value)
{
    static const char *const names[] = { "coords", "tags", "rows", "cube", "places",
                                         "colors", "stamps", "blobs", "big" };
    static char buf[4096];
    size_t n = 0;
    buf[n++] = '{';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\"%s\":%s", i ? "," : "", names[i],
                              strcmp(names[i], key) == 0 ? value
                              : strchr("tps", names[i][0]) ? "{}" : "[]");
    if (strcmp(key, "tree") == 0)      /* optional: only when asked for */
        n += (size_t)snprintf(buf + n, sizeof buf - n, ",\"tree\":%s", value);
    snprintf(buf + n, sizeof buf - n, "}");
    return buf;
}

static void expect_error(const char *key, const char *value, int code, const char *path,
                         const char *text)
{
    test_all_Nested m, fresh;
    msgbus_error err;
    const char *doc = doc_with(key, value);
    int rc = decode_both(doc, &m, &err);
    if (rc != code || strcmp(err.path, path) != 0)
        ck_abort_msg("%s: got %d '%s' (%s), expected %d '%s'", doc, rc, err.path, err.text, code,
                     path);
    if (text)
        ck_assert_str_eq(err.text, text);
    test_all_Nested_init(&fresh);
    ck_assert(test_all_Nested_equal(&m, &fresh));       /* left initialized */
    test_all_Nested_clear(&m);
}

START_TEST(decode_errors_have_paths)
{
    expect_error("coords", "[[1],[2],[3,\"x\"]]", MSGBUS_ETYPE, "$.coords[2][1]",
                 "$.coords[2][1]: expected number, got string");
    expect_error("coords", "[[1],{}]", MSGBUS_ETYPE, "$.coords[1]",
                 "$.coords[1]: expected array, got object");
    expect_error("coords", "[1]", MSGBUS_ETYPE, "$.coords[0]", NULL);
    expect_error("coords", "[[1e999]]", MSGBUS_ERANGE, "$.coords[0][0]", NULL);
    expect_error("tags", "{\"red\":[true]}", MSGBUS_ETYPE, "$.tags[\"red\"][0]",
                 "$.tags[\"red\"][0]: expected string, got boolean");
    expect_error("tags", "{\"red\":\"a\"}", MSGBUS_ETYPE, "$.tags[\"red\"]", NULL);
    expect_error("rows", "[{},{\"a\":1,\"b\":2.5}]", MSGBUS_ETYPE, "$.rows[1][\"b\"]", NULL);
    expect_error("rows", "[{\"a\":1,\"a\":2}]", MSGBUS_ETYPE, "$.rows[0][\"a\"]",
                 "$.rows[0][\"a\"]: duplicate key");
    expect_error("rows", "[[]]", MSGBUS_ETYPE, "$.rows[0]",
                 "$.rows[0]: expected object, got array");
    expect_error("cube", "[[[1,2]],[[3],[2147483648]]]", MSGBUS_ERANGE, "$.cube[1][1][0]",
                 "$.cube[1][1][0]: 2147483648 is out of range for int32");
    expect_error("places", "{\"a\":{\"b\":{\"label\":\"x\"}}}", MSGBUS_ETYPE,
                 "$.places[\"a\"][\"b\"].tags", "$.places[\"a\"][\"b\"].tags: missing required field");
    expect_error("colors", "[[\"RED\",\"PINK\"]]", MSGBUS_ETYPE, "$.colors[0][1]", NULL);
    expect_error("stamps", "{\"t\":[\"2024-02-30T00:00:00Z\"]}", MSGBUS_ETYPE,
                 "$.stamps[\"t\"][0]", NULL);
    expect_error("blobs", "[[\"AAE\"]]", MSGBUS_ETYPE, "$.blobs[0][0]", NULL);
    expect_error("big", "[[-1]]", MSGBUS_ERANGE, "$.big[0][0]", NULL);
    /* A syntax error after a nested mismatch still wins. */
    expect_error("coords", "[[\"x\"]], \"z\": [", MSGBUS_ESYNTAX, "$", NULL);
}
END_TEST

START_TEST(decode_depth_counts_inner_levels)
{
    /* root 1, places 2, the inner map 3, each Inner record one more, and
     * the deepest record's tags array one more: MSGBUS_MAX_DEPTH - 4
     * records fit, one more does not. */
    for (int extra = 0; extra <= 1; extra++) {
        size_t records = MSGBUS_MAX_DEPTH - 4 + (size_t)extra;
        size_t cap = records * 40 + 200, n = 0;
        char *v = malloc(cap);
        ck_assert_ptr_nonnull(v);
        n += (size_t)snprintf(v + n, cap - n, "{\"a\":{\"b\":");
        for (size_t i = 1; i < records; i++)
            n += (size_t)snprintf(v + n, cap - n, "{\"label\":\"x\",\"tags\":[],\"next\":");
        n += (size_t)snprintf(v + n, cap - n, "{\"label\":\"end\",\"tags\":[\"t\"]}");
        for (size_t i = 1; i < records; i++)
            v[n++] = '}';
        v[n++] = '}';
        v[n++] = '}';
        v[n] = '\0';
        const char *doc = doc_with("places", v);
        test_all_Nested m;
        msgbus_error err;
        int rc = decode_both(doc, &m, &err);
        if (extra == 0)
            ck_assert_msg(rc == 0, "%s at %s", err.text, err.path);
        else
            ck_assert_int_eq(rc, MSGBUS_ELIMIT);
        test_all_Nested_clear(&m);
        free(v);
    }
}
END_TEST

START_TEST(encode_errors_have_paths)
{
    test_all_Nested m;
    fill(&m);
    m.coords[2].items[1] = NAN;
    msgbus_error err;
    char *buf = NULL;
    size_t len = 0;
    ck_assert_int_eq(msgbus_value_encode_err(T, &m, &buf, &len, &err), MSGBUS_EINVAL);
    ck_assert_ptr_null(buf);
    ck_assert_str_eq(err.path, "$.coords[2][1]");
    ck_assert_int_eq(test_all_Nested_encode(&m, &buf, &len), MSGBUS_EINVAL);
    ck_assert_ptr_null(test_all_Nested_to_json(&m));
    m.coords[2].items[1] = 0;
    m.colors[0].items[1] = 42;
    ck_assert_int_eq(msgbus_value_encode_err(T, &m, &buf, &len, &err), MSGBUS_EINVAL);
    ck_assert_str_eq(err.path, "$.colors[0][1]");
    ck_assert_str_eq(err.text, "$.colors[0][1]: 42 is not a member of enum test.all.Color");
    ck_assert_int_eq(test_all_Nested_encode(&m, &buf, &len), MSGBUS_EINVAL);
    m.colors[0].items[1] = TEST_ALL_COLOR_RED;
    free(m.tags[0].value.items[0]);
    m.tags[0].value.items[0] = dup_text("\xff");
    ck_assert_int_eq(msgbus_value_encode_err(T, &m, &buf, &len, &err), MSGBUS_EINVAL);
    ck_assert_str_eq(err.path, "$.tags[\"red\"][0]");
    ck_assert_ptr_null(test_all_Nested_to_json(&m));
    test_all_Nested_clear(&m);
}
END_TEST

START_TEST(copy_equal_clear)
{
    test_all_Nested a, b, c;
    fill(&a);
    ck_assert_int_eq(test_all_Nested_copy(&b, &a), 0);
    ck_assert(test_all_Nested_equal(&a, &b));
    /* A deep copy: nothing shared. */
    ck_assert_ptr_ne(a.coords, b.coords);
    ck_assert_ptr_ne(a.coords[2].items, b.coords[2].items);
    ck_assert_ptr_ne(a.tags[0].value.items[0], b.tags[0].value.items[0]);
    ck_assert_ptr_ne(a.places[0].value.entries[0].value.tags,
                     b.places[0].value.entries[0].value.tags);
    /* Any difference at any level counts. */
    b.cube[0].items[0].items[0] = 8;
    ck_assert(!test_all_Nested_equal(&a, &b));
    b.cube[0].items[0].items[0] = 7;
    ck_assert(test_all_Nested_equal(&a, &b));
    b.rows[0].entries[1].key[0] = 'z';
    ck_assert(!test_all_Nested_equal(&a, &b));
    b.rows[0].entries[1].key[0] = 'y';
    b.coords[0].n = 1;          /* [[1.5],[],...] is not [[1.5,-2],[],...] */
    ck_assert(!test_all_Nested_equal(&a, &b));
    b.coords[0].n = 2;
    b.places[0].value.entries[0].value.tags[0][0] = 'u';
    ck_assert(!test_all_Nested_equal(&a, &b));
    /* [[1],[2]] differs from [[1,2]] and from [[1],[2],[]]. */
    msgbus_error err;
    const char *pairs[][2] = {
        { "[[1],[2]]", "[[1,2]]" }, { "[[1],[2]]", "[[1],[2],[]]" }, { "[[]]", "[]" },
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        ck_assert_int_eq(decode_both(doc_with("coords", pairs[i][0]), &c, &err), 0);
        test_all_Nested x;
        ck_assert_int_eq(decode_both(doc_with("coords", pairs[i][1]), &x, &err), 0);
        ck_assert(!test_all_Nested_equal(&c, &x));
        test_all_Nested_clear(&x);
        test_all_Nested_clear(&c);
    }
    test_all_Nested_clear(&b);
    test_all_Nested init;
    test_all_Nested_init(&init);
    ck_assert(!test_all_Nested_equal(&a, &init));
    test_all_Nested_clear(&a);
    ck_assert(test_all_Nested_equal(&a, &init));
    /* Copying an empty value allocates nothing and equals it. */
    ck_assert_int_eq(test_all_Nested_copy(&b, &a), 0);
    ck_assert_ptr_null(b.coords);
    ck_assert(test_all_Nested_equal(&a, &b));
}
END_TEST

START_TEST(records_holding_themselves)
{
    static const char text[] =
        "{\"coords\":[],\"tags\":{},\"rows\":[],\"cube\":[],\"places\":{},\"colors\":[],"
        "\"stamps\":{},\"blobs\":[],\"big\":[],\"tree\":{\"name\":\"root\","
        "\"children\":{\"a\":{\"name\":\"leaf\",\"children\":{},\"forest\":[]}},"
        "\"forest\":[{},{\"b\":{\"name\":\"deep\",\"children\":{},\"forest\":[{}]}}]}}";
    test_all_Nested m, copy;
    msgbus_error err;
    ck_assert_int_eq(decode_both(text, &m, &err), 0);
    ck_assert_ptr_nonnull(m.tree);
    ck_assert_str_eq(m.tree->children[0].value.name, "leaf");
    ck_assert_uint_eq(m.tree->forest[0].n, 0);
    ck_assert_str_eq(m.tree->forest[1].entries[0].key, "b");
    ck_assert_str_eq(m.tree->forest[1].entries[0].value.name, "deep");
    char *again = encode(&m);
    ck_assert_str_eq(again, text);
    free(again);
    ck_assert_int_eq(test_all_Nested_copy(&copy, &m), 0);
    ck_assert(test_all_Nested_equal(&copy, &m));
    copy.tree->forest[1].entries[0].value.name[0] = 'D';
    ck_assert(!test_all_Nested_equal(&copy, &m));
    test_all_Nested_clear(&copy);
    expect_error("tree", "{\"name\":\"r\",\"children\":{},\"forest\":[{\"x\":{\"name\":1}}]}",
                 MSGBUS_ETYPE, "$.tree.forest[0][\"x\"].name", NULL);
    test_all_Nested_clear(&m);
}
END_TEST

START_TEST(descriptors_describe_levels)
{
    /* cube: list<list<list<int32>>>, three levels chained by .element. */
    const msgbus_field *f = NULL;
    for (size_t i = 0; i < T->n_fields; i++)
        if (strcmp(T->fields[i].name, "cube") == 0)
            f = &T->fields[i];
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->container, MSGBUS_LIST);
    ck_assert_uint_eq(f->elem_size, sizeof(test_all_Nested_cube_item));
    ck_assert_ptr_nonnull(f->element);
    ck_assert_int_eq(f->element->container, MSGBUS_LIST);
    ck_assert_uint_eq(f->element->offset, offsetof(test_all_Nested_cube_item, items));
    ck_assert_uint_eq(f->element->count_offset, offsetof(test_all_Nested_cube_item, n));
    ck_assert_ptr_nonnull(f->element->element);
    ck_assert_ptr_null(f->element->element->element);
    ck_assert_int_eq(f->element->element->scalar, MSGBUS_INT32);
    ck_assert_uint_eq(f->element->element->elem_size, sizeof(int32_t));
    /* A flat list has none. */
    ck_assert_ptr_null(test_all_Everything_type.fields[0].element);
}
END_TEST

static Suite *nested_suite(void)
{
    Suite *s = suite_create("nested");
    TCase *tc = tcase_create("nested");
    tcase_add_test(tc, encode_exact_text);
    tcase_add_test(tc, roundtrip_text);
    tcase_add_test(tc, roundtrip_tree);
    tcase_add_test(tc, decode_agrees_on_both_forms);
    tcase_add_test(tc, decode_errors_have_paths);
    tcase_add_test(tc, decode_depth_counts_inner_levels);
    tcase_add_test(tc, encode_errors_have_paths);
    tcase_add_test(tc, copy_equal_clear);
    tcase_add_test(tc, records_holding_themselves);
    tcase_add_test(tc, descriptors_describe_levels);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(nested_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
