/* test_codec.c - the JSON mapping of every type: round trips through text
 * and Jansson trees with edge values, and bad input with exact error codes
 * and field paths.  Also init/copy/equal/clear and module lookup. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alltypes.msg.h"

static const msgbus_type *const T = &test_all_Everything_type;

/* The generated decoder of type (X_decode), or NULL. */
typedef int generated_decode_fn(const char *text, size_t len, void *m, msgbus_error *err);

static int decode_generated_everything(const char *text, size_t len, void *m, msgbus_error *err)
{
    return test_all_Everything_decode(text, len, m, err);
}

static int decode_generated_inner(const char *text, size_t len, void *m, msgbus_error *err)
{
    return test_all_Inner_decode(text, len, m, err);
}

static generated_decode_fn *generated_decoder(const msgbus_type *type)
{
    if (type == &test_all_Everything_type)
        return decode_generated_everything;
    if (type == &test_all_Inner_type)
        return decode_generated_inner;
    return NULL;
}

/* The generated decoder must give what the descriptor walk gave (rc and
 * err): the same status, error text, path, line, column and position, and
 * an equal struct. */
static void check_generated(const msgbus_type *type, const char *text, size_t len, void *m,
                            int rc, const msgbus_error *err)
{
    generated_decode_fn *decode = generated_decoder(type);
    if (!decode)
        return;
    void *other = malloc(type->size);
    msgbus_error gerr;
    ck_assert_ptr_nonnull(other);
    int grc = decode(text, len, other, &gerr);
    if (grc != rc)
        ck_abort_msg("%.80s: descriptors give %d '%s', generated code gives %d '%s'", text, rc,
                     err ? err->text : "", grc, gerr.text);
    if (rc < 0 && err) {
        ck_assert_int_eq(gerr.code, err->code);
        ck_assert_str_eq(gerr.text, err->text);
        ck_assert_str_eq(gerr.path, err->path);
        ck_assert_int_eq(gerr.line, err->line);
        ck_assert_int_eq(gerr.column, err->column);
        ck_assert_uint_eq(gerr.position, err->position);
    }
    if (rc == 0)
        ck_assert(msgbus_value_equal(type, m, other));
    msgbus_value_clear(type, other);
    free(other);
}

/* Every decode in this file runs on both forms: the text, and the tree
 * Jansson parses from it (when Jansson can: it refuses what is not JSON,
 * duplicate keys and integers beyond int64).  They must agree on the
 * status, the error path and the value.  The text also goes through the
 * generated decoder, which must agree with the descriptor walk exactly. */
static int decode_both(const msgbus_type *type, const char *text, size_t len, void *m,
                       msgbus_error *err)
{
    int rc = msgbus_value_decode(type, text, len, m, err);
    if (text || !len)
        check_generated(type, text, len, m, rc, err);
    if (!text || strnlen(text, len) != len)
        return rc;
    json_error_t jerr;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!j || rc == MSGBUS_ESYNTAX) {
        json_decref(j);         /* Jansson is laxer on some malformed text */
        return rc;
    }
    void *other = malloc(type->size);
    msgbus_error terr;
    ck_assert_ptr_nonnull(other);
    int trc = msgbus_value_from_json(type, j, other, &terr);
    if (trc != rc || (rc < 0 && err && strcmp(terr.path, err->path) != 0))
        ck_abort_msg("%.80s: text gives %d '%s', tree gives %d '%s' (%s)", text, rc,
                     err ? err->path : "", trc, terr.path, terr.text);
    if (rc == 0)
        ck_assert(msgbus_value_equal(type, m, other));
    msgbus_value_clear(type, other);
    free(other);
    json_decref(j);
    return rc;
}
#define msgbus_value_decode decode_both

static char *dup_text(const char *s)
{
    char *d = malloc(strlen(s) + 1);
    ck_assert_ptr_nonnull(d);
    strcpy(d, s);
    return d;
}

static void fill_inner(test_all_Inner *in, const char *label, size_t n_tags)
{
    in->label = dup_text(label);
    in->n_tags = n_tags;
    in->tags = n_tags ? calloc(n_tags, sizeof *in->tags) : NULL;
    for (size_t i = 0; i < n_tags; i++) {
        char tag[32];
        snprintf(tag, sizeof tag, "tag%zu", i);
        in->tags[i] = dup_text(tag);
    }
}

/* Every field set, with edge values. */
static void fill_everything(test_all_Everything *m)
{
    msgbus_value_init(T, m);
    m->b = true;
    m->i8 = INT8_MIN;
    m->i16 = INT16_MAX;
    m->i32 = INT32_MIN;
    m->i64 = INT64_MIN;
    m->u8 = UINT8_MAX;
    m->u16 = UINT16_MAX;
    m->u32 = UINT32_MAX;
    m->u64 = UINT64_MAX;
    m->f32 = 0.1f;
    m->f64 = 1e300;
    m->s = dup_text("Gr\xc3\xbc\xc3\x9f" "e, \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x9a\x80 \"q\" \\ \n\t\x01");
    m->raw.len = 256;
    m->raw.data = malloc(256);
    for (int i = 0; i < 256; i++)
        m->raw.data[i] = (uint8_t)i;
    m->at.seconds = 1714564800;             /* 2024-05-01T12:00:00Z */
    m->at.nanos = 500000000;
    for (int i = 0; i < 16; i++)
        m->id.bytes[i] = (uint8_t)(0xa0 + i);
    m->color = TEST_ALL_COLOR_GREEN;
    fill_inner(&m->inner, "", 2);
    m->inner.next = malloc(sizeof *m->inner.next);
    msgbus_value_init(&test_all_Inner_type, m->inner.next);
    fill_inner(m->inner.next, "second", 0);
    m->maybe_inner = malloc(sizeof *m->maybe_inner);
    msgbus_value_init(&test_all_Inner_type, m->maybe_inner);
    fill_inner(m->maybe_inner, "maybe", 1);
    m->has_maybe_i32 = true;
    m->maybe_i32 = 0;
    m->maybe_s = dup_text("");
    m->has_maybe_raw = true;                /* present but empty */
    m->has_maybe_at = true;
    m->maybe_at.seconds = -62135596800;     /* 0001-01-01T00:00:00Z */
    m->maybe_at.nanos = 1;
    m->has_maybe_id = true;
    m->has_maybe_color = true;
    m->maybe_color = TEST_ALL_COLOR_RED;
    m->n_numbers = 3;
    m->numbers = malloc(3 * sizeof *m->numbers);
    m->numbers[0] = INT64_MIN;
    m->numbers[1] = 0;
    m->numbers[2] = INT64_MAX;
    m->n_unsigned_numbers = 2;
    m->unsigned_numbers = malloc(2 * sizeof *m->unsigned_numbers);
    m->unsigned_numbers[0] = UINT64_MAX;
    m->unsigned_numbers[1] = (uint64_t)INT64_MAX + 1;
    m->n_inners = 2;
    m->inners = calloc(2, sizeof *m->inners);
    fill_inner(&m->inners[0], "a", 0);
    fill_inner(&m->inners[1], "b", 3);
    m->n_colors = 3;
    m->colors = malloc(3 * sizeof *m->colors);
    m->colors[0] = TEST_ALL_COLOR_BLUE;
    m->colors[1] = TEST_ALL_COLOR_RED;
    m->colors[2] = TEST_ALL_COLOR_GREEN;
    m->n_attrs = 2;
    m->attrs = calloc(2, sizeof *m->attrs);
    m->attrs[0].key = dup_text("z\"key");
    m->attrs[0].value = dup_text("\xe6\x9d\xb1");
    m->attrs[1].key = dup_text("a");
    m->attrs[1].value = dup_text("");
    m->n_counts = 1;
    m->counts = calloc(1, sizeof *m->counts);
    m->counts[0].key = dup_text("");
    m->counts[0].value = INT32_MAX;
    m->n_places = 1;
    m->places = calloc(1, sizeof *m->places);
    m->places[0].key = dup_text("home");
    fill_inner(&m->places[0].value, "h", 1);
    m->with_default = 7;
    m->name_default = dup_text("named");
    m->color_default = TEST_ALL_COLOR_RED;
    m->flag_default = false;
    m->ratio_default = -0.0;
}

/* Encodes through the descriptors and checks that the generated encoders
 * (X_encode, and X_encode_buf after text already in the buffer) write the
 * same bytes, so every encoding test covers both paths. */
static char *encode(const test_all_Everything *m)
{
    char *buf = NULL, *generated = NULL;
    size_t len = 0, generated_len = 0;
    ck_assert_int_eq(msgbus_value_encode(T, m, &buf, &len), 0);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(strlen(buf), len);
    ck_assert_int_eq(test_all_Everything_encode(m, &generated, &generated_len), 0);
    ck_assert_uint_eq(generated_len, len);
    ck_assert_str_eq(generated, buf);
    free(generated);
    msgbus_buf b;
    msgbus_buf_init(&b);
    ck_assert_int_eq(msgbus_buf_append(&b, "x", 1), 0);
    ck_assert_int_eq(test_all_Everything_encode_buf(m, &b), 0);
    ck_assert_uint_eq(b.len, len + 1);
    ck_assert_str_eq(b.data + 1, buf);
    msgbus_buf_clear(&b);
    return buf;
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        ck_abort_msg("expected %s in %s", part, text);
}

START_TEST(roundtrip_text)
{
    test_all_Everything m, back;
    fill_everything(&m);
    char *text = encode(&m);
    assert_contains(text, "\"u64\":18446744073709551615,");
    assert_contains(text, "\"i64\":-9223372036854775808,");
    assert_contains(text, "\"i8\":-128,");
    assert_contains(text, "\"f32\":0.1,");
    assert_contains(text, "\"f64\":1e+300,");
    assert_contains(text, "\"s\":\"Gr\xc3\xbc\xc3\x9f" "e, \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x9a\x80 "
                          "\\\"q\\\" \\\\ \\n\\t\\u0001\"");
    assert_contains(text, "\"raw\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss");
    assert_contains(text, "+/w==\"");
    assert_contains(text, "\"at\":\"2024-05-01T12:00:00.500Z\"");
    assert_contains(text, "\"maybe_at\":\"0001-01-01T00:00:00.000000001Z\"");
    assert_contains(text, "\"id\":\"a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf\"");
    assert_contains(text, "\"color\":\"GREEN\"");
    assert_contains(text, "\"maybe_raw\":\"\"");
    assert_contains(text, "\"numbers\":[-9223372036854775808,0,9223372036854775807]");
    assert_contains(text, "\"unsigned_numbers\":[18446744073709551615,9223372036854775808]");
    assert_contains(text, "\"colors\":[\"BLUE\",\"RED\",\"GREEN\"]");
    assert_contains(text, "\"attrs\":{\"z\\\"key\":\"\xe6\x9d\xb1\",\"a\":\"\"}");
    assert_contains(text, "\"ratio_default\":-0}");
    ck_assert_str_eq(strstr(text, "\"inner\""), strstr(text, "\"inner\""));
    assert_contains(text, "{\"b\":true,\"i8\"");          /* schema order */

    msgbus_error err;
    ck_assert_int_eq(msgbus_value_decode(T, text, strlen(text), &back, &err), 0);
    ck_assert_int_eq(err.code, 0);
    ck_assert(msgbus_value_equal(T, &m, &back));
    ck_assert_uint_eq(back.u64, UINT64_MAX);
    ck_assert(back.i64 == INT64_MIN);
    ck_assert_ptr_eq(back.base.type, T);
    ck_assert_uint_eq(back.raw.len, 256);
    ck_assert_uint_eq(back.raw.data[255], 255);
    ck_assert_int_eq(back.at.nanos, 500000000);
    ck_assert(signbit(back.ratio_default));

    /* Encoding the decoded value gives the same text. */
    char *again = encode(&back);
    ck_assert_str_eq(text, again);
    free(again);
    free(text);
    msgbus_value_clear(T, &m);
    msgbus_value_clear(T, &back);
}
END_TEST

START_TEST(roundtrip_tree)
{
    test_all_Everything m, back;
    fill_everything(&m);
    json_t *j = msgbus_value_to_json(T, &m);
    ck_assert_ptr_nonnull(j);
    /* uint64 above INT64_MAX becomes a decimal string. */
    ck_assert_str_eq(json_string_value(json_object_get(j, "u64")), "18446744073709551615");
    ck_assert(json_integer_value(json_object_get(j, "i64")) == INT64_MIN);
    ck_assert_str_eq(json_string_value(json_object_get(j, "color")), "GREEN");
    ck_assert_str_eq(json_string_value(json_object_get(j, "at")), "2024-05-01T12:00:00.500Z");
    msgbus_error err;
    ck_assert_int_eq(msgbus_value_from_json(T, j, &back, &err), 0);
    ck_assert(msgbus_value_equal(T, &m, &back));

    /* The tree and the text codec agree (the text codec takes uint64 as
     * numbers only, so keep them below 2^63 here). */
    json_object_set_new(j, "u64", json_integer(INT64_MAX));
    json_object_set_new(j, "unsigned_numbers", json_array());
    m.u64 = INT64_MAX;
    free(m.unsigned_numbers);
    m.unsigned_numbers = NULL;
    m.n_unsigned_numbers = 0;
    char *dumped = json_dumps(j, JSON_COMPACT);
    test_all_Everything via_text;
    ck_assert_int_eq(msgbus_value_decode(T, dumped, strlen(dumped), &via_text, &err), 0);
    ck_assert(msgbus_value_equal(T, &m, &via_text));
    free(dumped);
    json_decref(j);
    msgbus_value_clear(T, &via_text);
    msgbus_value_clear(T, &m);
    msgbus_value_clear(T, &back);
}
END_TEST

/* ---- documents for decoding: the required fields, one changed ---- */

static const char *const base_fields[][2] = {
    { "b", "true" }, { "i8", "0" }, { "i16", "0" }, { "i32", "0" }, { "i64", "0" },
    { "u8", "0" }, { "u16", "0" }, { "u32", "0" }, { "u64", "0" }, { "f32", "0" },
    { "f64", "0" }, { "s", "\"\"" }, { "raw", "\"\"" }, { "at", "\"2024-05-01T12:00:00Z\"" },
    { "id", "\"00000000-0000-0000-0000-000000000000\"" }, { "color", "\"RED\"" },
    { "inner", "{\"label\":\"x\",\"tags\":[]}" }, { "numbers", "[]" },
    { "unsigned_numbers", "[]" }, { "inners", "[]" }, { "colors", "[]" }, { "attrs", "{}" },
    { "counts", "{}" }, { "places", "{}" },
};
#define N_BASE (sizeof base_fields / sizeof base_fields[0])

/* The minimal valid document with key set to value (added if not a base
 * field; removed if value is NULL).  Static buffer. */
static const char *doc_with(const char *key, const char *value)
{
    static char buf[8192];
    size_t n = 0;
    bool done = false;
    buf[n++] = '{';
    for (size_t i = 0; i < N_BASE; i++) {
        const char *v = base_fields[i][1];
        if (key && strcmp(key, base_fields[i][0]) == 0) {
            v = value;
            done = true;
            if (!v)
                continue;
        }
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\"%s\":%s", n > 1 ? "," : "",
                              base_fields[i][0], v);
    }
    if (key && !done && value)
        n += (size_t)snprintf(buf + n, sizeof buf - n, ",\"%s\":%s", key, value);
    snprintf(buf + n, sizeof buf - n, "}");
    return buf;
}

/* Decodes text, expecting code with the exact path; returns err for more
 * checks.  Checks *m is left initialized. */
static msgbus_error expect_decode(const char *text, int code, const char *path)
{
    test_all_Everything m, fresh;
    msgbus_error err;
    int rc = msgbus_value_decode(T, text, strlen(text), &m, &err);
    if (rc != code || strcmp(err.path, path) != 0)
        ck_abort_msg("decode %s: got %d (%s) path '%s', expected %d path '%s'", text, rc,
                     err.text, err.path, code, path);
    ck_assert_int_eq(err.code, code);
    msgbus_value_init(T, &fresh);
    ck_assert(msgbus_value_equal(T, &m, &fresh));
    ck_assert_ptr_null(m.s);
    ck_assert_uint_eq(m.n_numbers, 0);
    msgbus_value_clear(T, &m);
    return err;
}

START_TEST(decode_minimal_applies_defaults)
{
    const char *text = doc_with(NULL, NULL);
    test_all_Everything m;
    msgbus_error err;
    ck_assert_int_eq(msgbus_value_decode(T, text, strlen(text), &m, &err), 0);
    ck_assert_int_eq(m.with_default, -42);
    ck_assert_str_eq(m.name_default, "anon");
    ck_assert_int_eq(m.color_default, TEST_ALL_COLOR_BLUE);
    ck_assert(m.flag_default);
    ck_assert(m.ratio_default == 0.25);
    ck_assert_ptr_null(m.maybe_inner);
    ck_assert(!m.has_maybe_i32);
    ck_assert_ptr_null(m.maybe_s);
    ck_assert_str_eq(m.s, "");
    ck_assert_ptr_null(m.raw.data);
    ck_assert_uint_eq(m.n_numbers, 0);
    ck_assert_uint_eq(m.n_attrs, 0);
    ck_assert_str_eq(m.inner.label, "x");
    msgbus_value_clear(T, &m);

    /* An initialized value encodes its defaults, and absent optionals
     * are left out. */
    msgbus_value_init(T, &m);
    char *out = encode(&m);
    assert_contains(out, "\"name_default\":\"anon\"");
    assert_contains(out, "\"with_default\":-42");
    assert_contains(out, "\"color_default\":\"BLUE\"");
    assert_contains(out, "\"s\":\"\"");
    ck_assert_ptr_null(strstr(out, "maybe"));
    free(out);
}
END_TEST

START_TEST(decode_null_and_absent_optionals)
{
    const char *text = doc_with("maybe_inner", "null");
    test_all_Everything m;
    msgbus_error err;
    ck_assert_int_eq(msgbus_value_decode(T, text, strlen(text), &m, &err), 0);
    ck_assert_ptr_null(m.maybe_inner);
    msgbus_value_clear(T, &m);
    text = doc_with("maybe_i32", "null");
    ck_assert_int_eq(msgbus_value_decode(T, text, strlen(text), &m, &err), 0);
    ck_assert(!m.has_maybe_i32);
    msgbus_value_clear(T, &m);
    text = doc_with("maybe_i32", "-7");
    ck_assert_int_eq(msgbus_value_decode(T, text, strlen(text), &m, &err), 0);
    ck_assert(m.has_maybe_i32);
    ck_assert_int_eq(m.maybe_i32, -7);
    msgbus_value_clear(T, &m);
}
END_TEST

START_TEST(decode_unknown_keys_and_whitespace)
{
    test_all_Everything m;
    msgbus_error err;
    char text[9000];
    const char *base = doc_with(NULL, NULL);
    snprintf(text, sizeof text, " \n\t{\"extra\":{\"deep\":[1,2.5e3,\"x\",null,true,{}]}, %s \r\n",
             base + 1);
    ck_assert_int_eq(msgbus_value_decode(T, text, strlen(text), &m, &err), 0);
    msgbus_value_clear(T, &m);
    /* An unknown key's value is still validated. */
    snprintf(text, sizeof text, "{\"extra\":[1,],%s", base + 1);
    expect_decode(text, MSGBUS_ESYNTAX, "$[\"extra\"]");
}
END_TEST

START_TEST(decode_timestamps)
{
    static const struct { const char *text; int64_t seconds; int32_t nanos; } cases[] = {
        { "\"2024-05-01T12:00:00Z\"", 1714564800, 0 },
        { "\"2024-05-01T14:30:00+02:30\"", 1714564800, 0 },
        { "\"2024-05-01t07:00:00.123456789-05:00\"", 1714564800, 123456789 },
        { "\"1970-01-01T00:00:00.5z\"", 0, 500000000 },
        { "\"2024-02-29T00:00:00Z\"", 1709164800, 0 },
        { "\"1969-12-31T23:59:59.999Z\"", -1, 999000000 },
        { "\"9999-12-31T23:59:59Z\"", 253402300799, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *text = doc_with("at", cases[i].text);
        test_all_Everything m;
        msgbus_error err;
        ck_assert_int_eq(msgbus_value_decode(T, text, strlen(text), &m, &err), 0);
        ck_assert_msg(m.at.seconds == cases[i].seconds && m.at.nanos == cases[i].nanos,
                      "%s -> %lld.%d", cases[i].text, (long long)m.at.seconds, m.at.nanos);
        msgbus_value_clear(T, &m);
    }
}
END_TEST

START_TEST(decode_uuid_either_case)
{
    const char *text = doc_with("id", "\"A0A1A2A3-a4a5-A6A7-a8a9-AAABACADAEAF\"");
    test_all_Everything m;
    msgbus_error err;
    ck_assert_int_eq(msgbus_value_decode(T, text, strlen(text), &m, &err), 0);
    ck_assert_uint_eq(m.id.bytes[0], 0xa0);
    ck_assert_uint_eq(m.id.bytes[15], 0xaf);
    msgbus_value_clear(T, &m);
}
END_TEST

/* Keys as the generated decoders dispatch them (by length, then bytes):
 * escaped spellings of a field's name, names of the same length or a
 * prefix of another, "\u0000" inside a key, unknown keys of every length
 * and a duplicate spelled two ways.  decode_both holds X_decode to the
 * descriptor walk on each; the codes and paths are checked here. */
START_TEST(decode_keys_as_dispatched)
{
    const char *base = doc_with(NULL, NULL);
    char text[9000];
    /* "\u0073" is "s": the field, so a second "s" is a duplicate */
    snprintf(text, sizeof text, "{\"\\u0073\":\"x\",%s", base + 1);
    expect_decode(text, MSGBUS_ETYPE, "$.s");
    snprintf(text, sizeof text, "%.*s,\"i\\u0038\":1}", (int)strlen(base) - 1, base);
    expect_decode(text, MSGBUS_ETYPE, "$.i8");
    static const char *const unknown[] = {
        "\"\"", "\"x\"", "\"i9\"", "\"u128\"", "\"s\\u0000\"", "\"inner \"", "\"colorsx\"",
        "\"with_defaulT\"", "\"\\u00e9\"", "\"abcdefghijklmnopqrstuvwxyz0123456789\"",
    };
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
        test_all_Everything m;
        msgbus_error err;
        snprintf(text, sizeof text, "{%s:[{\"deep\":[1,2,{}]}],%s", unknown[i], base + 1);
        ck_assert_int_eq(msgbus_value_decode(T, text, strlen(text), &m, &err), 0);
        test_all_Everything_clear(&m);
        /* a bad value under an unknown key is still a syntax error there */
        snprintf(text, sizeof text, "{%s:[tru],%s", unknown[i], base + 1);
        ck_assert_int_eq(msgbus_value_decode(T, text, strlen(text), &m, &err), MSGBUS_ESYNTAX);
    }
    expect_decode("{\"label\":\"a\",\"tags\":[],\"next\":{\"label\":\"b\",\"tags\":[1]}}", MSGBUS_ETYPE,
                  "$.b");           /* not an Everything: its first missing field */
    test_all_Inner in;
    msgbus_error err;
    const char *inner = "{\"next\":{\"tags\":[\"t\"],\"label\":\"b\",\"next\":null},"
                        "\"tags\":[\"x\",\"y\"],\"lab\\u0065l\":\"a\"}";
    ck_assert_int_eq(msgbus_value_decode(&test_all_Inner_type, inner, strlen(inner), &in, &err), 0);
    ck_assert_str_eq(in.label, "a");
    ck_assert_uint_eq(in.n_tags, 2);
    ck_assert_str_eq(in.next->tags[0], "t");
    test_all_Inner_clear(&in);
    const char *bad[][2] = {
        { "{\"label\":\"a\",\"tags\":[\"x\",2]}", "$.tags[1]" },
        { "{\"label\":\"a\",\"tags\":{}}", "$.tags" },
        { "{\"label\":\"a\",\"tags\":[],\"next\":{\"label\":1}}", "$.next.label" },
        { "{\"label\":\"a\",\"tags\":[],\"next\":{\"label\":\"b\"}}", "$.next.tags" },
        { "{\"label\":\"a\",\"tags\":[],\"tags\":[]}", "$.tags" },
        { "{\"tags\":[]}", "$.label" },
        { "{\"label\":\"a\",\"tags\":[\"x\",]}", "$.tags" },
        { "{\"label\":\"a\" \"tags\":[]}", "$" },
        { "[]", "$" },
        { "", "$" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_int_lt(msgbus_value_decode(&test_all_Inner_type, bad[i][0], strlen(bad[i][0]),
                                             &in, &err), 0);
        ck_assert_str_eq(err.path, bad[i][1]);
    }
}
END_TEST

START_TEST(decode_escapes)
{
    const char *text = doc_with("s", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u6771\\ud83d\\ude80\"");
    test_all_Everything m;
    msgbus_error err;
    ck_assert_int_eq(msgbus_value_decode(T, text, strlen(text), &m, &err), 0);
    ck_assert_str_eq(m.s, "\"\\/\b\f\n\r\t\xc3\xa9\xe6\x9d\xb1\xf0\x9f\x9a\x80");
    msgbus_value_clear(T, &m);
}
END_TEST

START_TEST(decode_wrong_types)
{
    msgbus_error err = expect_decode(doc_with("s", "1"), MSGBUS_ETYPE, "$.s");
    ck_assert_str_eq(err.text, "$.s: expected string, got integer");
    ck_assert_int_eq(err.line, 1);
    ck_assert_int_gt(err.column, 1);
    err = expect_decode(doc_with("inner", "{\"label\":5,\"tags\":[]}"), MSGBUS_ETYPE,
                        "$.inner.label");
    ck_assert_str_eq(err.text, "$.inner.label: expected string, got integer");
    err = expect_decode(doc_with("i32", "null"), MSGBUS_ETYPE, "$.i32");
    ck_assert_str_eq(err.text, "$.i32: expected integer, got null");
    err = expect_decode(doc_with("b", "\"true\""), MSGBUS_ETYPE, "$.b");
    ck_assert_str_eq(err.text, "$.b: expected boolean, got string");
    expect_decode(doc_with("f64", "\"1\""), MSGBUS_ETYPE, "$.f64");
    expect_decode(doc_with("inner", "null"), MSGBUS_ETYPE, "$.inner");
    expect_decode(doc_with("numbers", "{}"), MSGBUS_ETYPE, "$.numbers");
    expect_decode(doc_with("numbers", "[1,\"x\"]"), MSGBUS_ETYPE, "$.numbers[1]");
    expect_decode(doc_with("counts", "{\"k\":\"x\"}"), MSGBUS_ETYPE, "$.counts[\"k\"]");
    expect_decode(doc_with("places", "{\"p\\\"q\":{\"label\":1,\"tags\":[]}}"), MSGBUS_ETYPE,
                  "$.places[\"p\\\"q\"].label");
    expect_decode(doc_with("inners", "[{\"label\":\"a\",\"tags\":[]},{\"label\":\"b\",\"tags\":[7]}]"),
                  MSGBUS_ETYPE, "$.inners[1].tags[0]");
    err = expect_decode(doc_with("i32", "1.5"), MSGBUS_ETYPE, "$.i32");
    ck_assert_str_eq(err.text, "$.i32: expected integer, got 1.5");
    expect_decode(doc_with("i32", "1.0"), MSGBUS_ETYPE, "$.i32");
    expect_decode(doc_with("i32", "1e2"), MSGBUS_ETYPE, "$.i32");
    err = expect_decode("[]", MSGBUS_ETYPE, "$");
    ck_assert_str_eq(err.text, "$: expected object, got array");
}
END_TEST

START_TEST(decode_missing_field)
{
    msgbus_error err = expect_decode(doc_with("s", NULL), MSGBUS_ETYPE, "$.s");
    ck_assert_str_eq(err.text, "$.s: missing required field");
    expect_decode(doc_with("places", NULL), MSGBUS_ETYPE, "$.places");
    expect_decode(doc_with("inner", "{\"tags\":[]}"), MSGBUS_ETYPE, "$.inner.label");
}
END_TEST

START_TEST(decode_integer_ranges)
{
    static const struct { const char *field, *ok_min, *ok_max, *low, *high; } cases[] = {
        { "i8", "-128", "127", "-129", "128" },
        { "i16", "-32768", "32767", "-32769", "32768" },
        { "i32", "-2147483648", "2147483647", "-2147483649", "2147483648" },
        { "i64", "-9223372036854775808", "9223372036854775807", "-9223372036854775809",
          "9223372036854775808" },
        { "u8", "0", "255", "-1", "256" },
        { "u16", "-0", "65535", "-1", "65536" },
        { "u32", "0", "4294967295", "-1", "4294967296" },
        { "u64", "0", "18446744073709551615", "-1", "18446744073709551616" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[16];
        snprintf(path, sizeof path, "$.%s", cases[i].field);
        test_all_Everything m;
        msgbus_error err;
        const char *text = doc_with(cases[i].field, cases[i].ok_min);
        ck_assert_int_eq(msgbus_value_decode(T, text, strlen(text), &m, &err), 0);
        msgbus_value_clear(T, &m);
        text = doc_with(cases[i].field, cases[i].ok_max);
        ck_assert_int_eq(msgbus_value_decode(T, text, strlen(text), &m, &err), 0);
        char *out = encode(&m);
        char expect[64];
        snprintf(expect, sizeof expect, "\"%s\":%s,", cases[i].field, cases[i].ok_max);
        assert_contains(out, expect);
        free(out);
        msgbus_value_clear(T, &m);
        err = expect_decode(doc_with(cases[i].field, cases[i].low), MSGBUS_ERANGE, path);
        char message[128];
        snprintf(message, sizeof message, "$.%s: %s is out of range for %s", cases[i].field,
                 cases[i].low, cases[i].field[0] == 'u' ? (const char *[]){ "uint8", "uint16",
                 "uint32", "uint64" }[i - 4] : (const char *[]){ "int8", "int16", "int32",
                 "int64" }[i]);
        ck_assert_str_eq(err.text, message);
        expect_decode(doc_with(cases[i].field, cases[i].high), MSGBUS_ERANGE, path);
    }
    msgbus_error err = expect_decode(doc_with("u8", "300"), MSGBUS_ERANGE, "$.u8");
    ck_assert_str_eq(err.text, "$.u8: 300 is out of range for uint8");
    expect_decode(doc_with("u64", "123456789012345678901234567890"), MSGBUS_ERANGE, "$.u64");
    /* a uint64 as its decimal digits, in text as in trees */
    expect_decode(doc_with("u64", "\"012\""), MSGBUS_ETYPE, "$.u64");
    expect_decode(doc_with("u64", "\"18446744073709551616\""), MSGBUS_ERANGE, "$.u64");
    expect_decode(doc_with("i64", "\"1\""), MSGBUS_ETYPE, "$.i64");
    {
        const char *text = doc_with("u64", "\"18446744073709551615\"");
        test_all_Everything digits;
        msgbus_error digits_err;
        ck_assert_int_eq(msgbus_value_decode(T, text, strlen(text), &digits, &digits_err), 0);
        ck_assert(digits.u64 == UINT64_MAX);
        msgbus_value_clear(T, &digits);
    }
    expect_decode(doc_with("f32", "1e39"), MSGBUS_ERANGE, "$.f32");
    expect_decode(doc_with("f64", "-1e309"), MSGBUS_ERANGE, "$.f64");
    expect_decode(doc_with("maybe_i32", "2147483648"), MSGBUS_ERANGE, "$.maybe_i32");
    expect_decode(doc_with("counts", "{\"a\":1,\"b\":-2147483649}"), MSGBUS_ERANGE,
                  "$.counts[\"b\"]");
}
END_TEST

START_TEST(decode_bad_text_values)
{
    expect_decode(doc_with("color", "\"PURPLE\""), MSGBUS_ETYPE, "$.color");
    msgbus_error err = expect_decode(doc_with("color", "\"red\""), MSGBUS_ETYPE, "$.color");
    ck_assert_str_eq(err.text, "$.color: \"red\" is not a member of test.all.Color");
    expect_decode(doc_with("colors", "[\"RED\",\"BLUE \"]"), MSGBUS_ETYPE, "$.colors[1]");
    static const char *const base64[] = { "\"abc\"", "\"ab=c\"", "\"YR==\"", "\"Y===\"",
                                          "\"YQ=\"", "\"YQ==YQ==\"", "\"Y Q==\"", "\"YQ-_\"" };
    for (size_t i = 0; i < sizeof base64 / sizeof base64[0]; i++)
        expect_decode(doc_with("raw", base64[i]), MSGBUS_ETYPE, "$.raw");
    static const char *const stamps[] = {
        "\"2024-02-30T00:00:00Z\"", "\"2023-02-29T00:00:00Z\"", "\"2024-05-01T12:00:60Z\"",
        "\"2024-05-01 12:00:00Z\"", "\"2024-05-01T12:00:00\"", "\"2024-13-01T12:00:00Z\"",
        "\"2024-05-01T24:00:00Z\"", "\"2024-05-01T12:00:00.Z\"", "\"2024-05-01T12:00:00.1234567891Z\"",
        "\"2024-05-01T12:00:00+2:00\"", "\"0000-01-01T00:00:00Z\"", "\"0001-01-01T00:00:00+01:00\"",
        "\"2024-5-01T12:00:00Z\"", "\"\"", "5",
    };
    for (size_t i = 0; i < sizeof stamps / sizeof stamps[0]; i++)
        expect_decode(doc_with("at", stamps[i]), MSGBUS_ETYPE, "$.at");
    static const char *const uuids[] = {
        "\"123\"", "\"00000000000000000000000000000000\"",
        "\"00000000-0000-0000-0000-00000000000g\"", "\"00000000-0000-0000-0000-0000000000000\"",
        "\"{00000000-0000-0000-0000-000000000000}\"", "\"0000000-00000-0000-0000-000000000000\"",
    };
    for (size_t i = 0; i < sizeof uuids / sizeof uuids[0]; i++)
        expect_decode(doc_with("id", uuids[i]), MSGBUS_ETYPE, "$.id");
    expect_decode(doc_with("maybe_id", "\"x\""), MSGBUS_ETYPE, "$.maybe_id");
}
END_TEST

START_TEST(decode_bad_strings)
{
    msgbus_error err = expect_decode(doc_with("s", "\"ab\\u0000cd\""), MSGBUS_ETYPE, "$.s");
    ck_assert_str_eq(err.text, "$.s: string contains \\u0000, which C strings cannot hold");
    expect_decode(doc_with("attrs", "{\"a\\u0000b\":\"x\"}"), MSGBUS_ETYPE,
                  "$.attrs[\"a\\u0000b\"]");
    expect_decode(doc_with("s", "\"\xff\""), MSGBUS_ESYNTAX, "$.s");
    expect_decode(doc_with("s", "\"\xc0\xaf\""), MSGBUS_ESYNTAX, "$.s");         /* overlong */
    expect_decode(doc_with("s", "\"\xed\xa0\x80\""), MSGBUS_ESYNTAX, "$.s");     /* surrogate */
    expect_decode(doc_with("s", "\"\xf4\x90\x80\x80\""), MSGBUS_ESYNTAX, "$.s"); /* > U+10FFFF */
    expect_decode(doc_with("s", "\"\xe6\x9d\""), MSGBUS_ESYNTAX, "$.s");         /* truncated */
    expect_decode(doc_with("s", "\"\\ud800\""), MSGBUS_ESYNTAX, "$.s");
    expect_decode(doc_with("s", "\"\\ud800\\u0041\""), MSGBUS_ESYNTAX, "$.s");
    expect_decode(doc_with("s", "\"\\udc00\""), MSGBUS_ESYNTAX, "$.s");
    expect_decode(doc_with("s", "\"a\tb\""), MSGBUS_ESYNTAX, "$.s");
    expect_decode(doc_with("s", "\"\\x\""), MSGBUS_ESYNTAX, "$.s");
    expect_decode(doc_with("s", "'x'"), MSGBUS_ESYNTAX, "$.s");
    expect_decode(doc_with("maybe_s", "\"\\u0000\""), MSGBUS_ETYPE, "$.maybe_s");
}
END_TEST

START_TEST(decode_syntax_errors)
{
    char text[9000];
    const char *base = doc_with(NULL, NULL);
    snprintf(text, sizeof text, "%s x", base);
    msgbus_error err = expect_decode(text, MSGBUS_ESYNTAX, "$");
    ck_assert_uint_eq(err.position, strlen(base) + 1);
    snprintf(text, sizeof text, "%s{}", base);
    expect_decode(text, MSGBUS_ESYNTAX, "$");
    expect_decode(doc_with("numbers", "[1,]"), MSGBUS_ESYNTAX, "$.numbers");
    expect_decode(doc_with("numbers", "[01]"), MSGBUS_ESYNTAX, "$.numbers[0]");
    expect_decode(doc_with("f64", "NaN"), MSGBUS_ESYNTAX, "$.f64");
    expect_decode(doc_with("f64", "1."), MSGBUS_ESYNTAX, "$.f64");
    expect_decode(doc_with("f64", "+1"), MSGBUS_ESYNTAX, "$.f64");
    expect_decode(doc_with("b", "tru"), MSGBUS_ESYNTAX, "$.b");
    expect_decode("{\"b\":true,}", MSGBUS_ESYNTAX, "$");
    expect_decode("{\"b\":true /* c */}", MSGBUS_ESYNTAX, "$");
    expect_decode("", MSGBUS_ESYNTAX, "$");
    expect_decode("{", MSGBUS_ESYNTAX, "$");
    /* A type error before a syntax error: the syntax error wins. */
    err = expect_decode("{\"s\":1,\n  \"i8\":]", MSGBUS_ESYNTAX, "$");
    ck_assert_int_eq(err.line, 2);
    ck_assert_int_eq(err.column, 8);
    ck_assert_ptr_nonnull(strstr(err.text, "line 2, column 8"));
    /* The reader never reads past len (no NUL needed). */
    const char *doc = doc_with(NULL, NULL);
    test_all_Everything m;
    ck_assert_int_eq(msgbus_value_decode(T, doc, strlen(doc) - 1, &m, &err), MSGBUS_ESYNTAX);
}
END_TEST

START_TEST(decode_duplicates)
{
    char text[9000];
    snprintf(text, sizeof text, "{\"s\":\"a\",%s", doc_with(NULL, NULL) + 1);
    msgbus_error err = expect_decode(text, MSGBUS_ETYPE, "$.s");
    ck_assert_str_eq(err.text, "$.s: duplicate key");
    expect_decode(doc_with("attrs", "{\"k\":\"1\",\"k\":\"2\"}"), MSGBUS_ETYPE, "$.attrs[\"k\"]");
    /* Large maps too (they are checked by sorting). */
    char map[2048];
    size_t n = 0;
    map[n++] = '{';
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(map + n, sizeof map - n, "%s\"k%d\":%d", i ? "," : "", i, i);
    snprintf(map + n, sizeof map - n, "}");
    test_all_Everything m;
    const char *ok = doc_with("counts", map);
    ck_assert_int_eq(msgbus_value_decode(T, ok, strlen(ok), &m, &err), 0);
    ck_assert_uint_eq(m.n_counts, 40);
    ck_assert_str_eq(m.counts[39].key, "k39");
    ck_assert_int_eq(m.counts[39].value, 39);
    msgbus_value_clear(T, &m);
    snprintf(map + n, sizeof map - n, ",\"k17\":0}");
    expect_decode(doc_with("counts", map), MSGBUS_ETYPE, "$.counts[\"k17\"]");
}
END_TEST

START_TEST(decode_limits)
{
    /* inner.next.next... nested past MSGBUS_MAX_DEPTH. */
    size_t levels = MSGBUS_MAX_DEPTH + 5;
    size_t cap = levels * 40 + 100;
    char *inner = malloc(cap);
    size_t n = 0;
    for (size_t i = 0; i < levels; i++)
        n += (size_t)snprintf(inner + n, cap - n, "{\"label\":\"x\",\"tags\":[],\"next\":");
    n += (size_t)snprintf(inner + n, cap - n, "null");
    for (size_t i = 0; i < levels; i++)
        inner[n++] = '}';
    inner[n] = '\0';
    /* The path is cut to fit msgbus_error.path. */
    char path[MSGBUS_ERROR_PATH_LENGTH] = "$.inner";
    while (strlen(path) + 5 < sizeof path)
        strcat(path, ".next");
    strncat(path, ".next", sizeof path - strlen(path) - 1);
    msgbus_error err = expect_decode(doc_with("inner", inner), MSGBUS_ELIMIT, path);
    free(inner);
    test_all_Everything m;
    ck_assert_int_eq(msgbus_value_decode(T, "{}", MSGBUS_MAX_INPUT + 1, &m, &err), MSGBUS_ELIMIT);
    ck_assert_int_eq(err.code, MSGBUS_ELIMIT);
    /* Deep nesting in an unknown key. */
    char *deep = malloc(200 + 2 * levels);
    n = (size_t)sprintf(deep, "{\"x\":");
    for (size_t i = 0; i < levels; i++)
        deep[n++] = '[';
    for (size_t i = 0; i < levels; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    err = expect_decode(deep, MSGBUS_ELIMIT, "$[\"x\"]");
    ck_assert_str_eq(err.text, "$[\"x\"]: nesting deeper than 64 objects and arrays");
    free(deep);
}
END_TEST

START_TEST(decode_deepest_allowed)
{
    /* The root object is level 1, inner level 2, and the tags array of
     * the deepest record one more: 62 records in inner fit. */
    size_t levels = MSGBUS_MAX_DEPTH - 3;
    size_t cap = levels * 40 + 100;
    char *inner = malloc(cap);
    size_t n = 0;
    for (size_t i = 0; i < levels; i++)
        n += (size_t)snprintf(inner + n, cap - n, "{\"label\":\"x\",\"tags\":[],\"next\":");
    n += (size_t)snprintf(inner + n, cap - n, "{\"label\":\"end\",\"tags\":[]}");
    for (size_t i = 0; i < levels; i++)
        inner[n++] = '}';
    inner[n] = '\0';
    const char *text = doc_with("inner", inner);
    test_all_Everything m;
    msgbus_error err;
    ck_assert_int_eq(msgbus_value_decode(T, text, strlen(text), &m, &err), 0);
    test_all_Inner *last = &m.inner;
    while (last->next)
        last = last->next;
    ck_assert_str_eq(last->label, "end");
    msgbus_value_clear(T, &m);
    free(inner);
}
END_TEST

/* ---- from_json ---- */

static json_t *tree_with(const char *key, const char *value)
{
    json_error_t jerr;
    json_t *j = json_loads(doc_with(key, value), 0, &jerr);
    ck_assert_msg(j != NULL, "%s", jerr.text);
    return j;
}

static msgbus_error expect_from_json(json_t *j, int code, const char *path)
{
    test_all_Everything m, fresh;
    msgbus_error err;
    int rc = msgbus_value_from_json(T, j, &m, &err);
    if (rc != code || strcmp(err.path, path) != 0)
        ck_abort_msg("from_json: got %d (%s) path '%s', expected %d path '%s'", rc, err.text,
                     err.path, code, path);
    msgbus_value_init(T, &fresh);
    ck_assert(msgbus_value_equal(T, &m, &fresh));
    msgbus_value_clear(T, &m);
    json_decref(j);
    return err;
}

START_TEST(from_json_errors)
{
    msgbus_error err = expect_from_json(tree_with("s", "1"), MSGBUS_ETYPE, "$.s");
    ck_assert_str_eq(err.text, "$.s: expected string, got integer");
    err = expect_from_json(tree_with("s", NULL), MSGBUS_ETYPE, "$.s");
    ck_assert_str_eq(err.text, "$.s: missing required field");
    expect_from_json(tree_with("i32", "null"), MSGBUS_ETYPE, "$.i32");
    expect_from_json(tree_with("i32", "1.0"), MSGBUS_ETYPE, "$.i32");
    err = expect_from_json(tree_with("u8", "300"), MSGBUS_ERANGE, "$.u8");
    ck_assert_str_eq(err.text, "$.u8: 300 is out of range for uint8");
    expect_from_json(tree_with("i8", "-129"), MSGBUS_ERANGE, "$.i8");
    expect_from_json(tree_with("u64", "-1"), MSGBUS_ERANGE, "$.u64");
    expect_from_json(tree_with("u64", "\"18446744073709551616\""), MSGBUS_ERANGE, "$.u64");
    expect_from_json(tree_with("u64", "\"012\""), MSGBUS_ETYPE, "$.u64");
    expect_from_json(tree_with("i64", "\"1\""), MSGBUS_ETYPE, "$.i64");
    expect_from_json(tree_with("f32", "1e39"), MSGBUS_ERANGE, "$.f32");
    expect_from_json(tree_with("color", "\"PURPLE\""), MSGBUS_ETYPE, "$.color");
    expect_from_json(tree_with("raw", "\"abc\""), MSGBUS_ETYPE, "$.raw");
    expect_from_json(tree_with("at", "\"2024-02-30T00:00:00Z\""), MSGBUS_ETYPE, "$.at");
    expect_from_json(tree_with("id", "\"x\""), MSGBUS_ETYPE, "$.id");
    expect_from_json(tree_with("numbers", "[1,\"x\"]"), MSGBUS_ETYPE, "$.numbers[1]");
    expect_from_json(tree_with("places", "{\"p\":{\"label\":1,\"tags\":[]}}"), MSGBUS_ETYPE,
                     "$.places[\"p\"].label");
    /* A NUL inside a string or a key is refused, never cut. */
    json_t *j = tree_with(NULL, NULL);
    json_object_set_new(j, "s", json_stringn("a\0b", 3));
    err = expect_from_json(j, MSGBUS_ETYPE, "$.s");
    ck_assert_str_eq(err.text, "$.s: string contains \\u0000, which C strings cannot hold");
    j = tree_with(NULL, NULL);
    json_t *attrs = json_object();
    json_object_setn_new(attrs, "a\0b", 3, json_string("x"));
    json_object_set_new(j, "attrs", attrs);
    expect_from_json(j, MSGBUS_ETYPE, "$.attrs[\"a\\u0000b\"]");
    expect_from_json(json_array(), MSGBUS_ETYPE, "$");
}
END_TEST

START_TEST(from_json_defaults_and_uint64_string)
{
    json_t *j = tree_with("u64", "\"18446744073709551615\"");
    test_all_Everything m;
    msgbus_error err;
    ck_assert_int_eq(msgbus_value_from_json(T, j, &m, &err), 0);
    ck_assert_uint_eq(m.u64, UINT64_MAX);
    ck_assert_str_eq(m.name_default, "anon");
    ck_assert_int_eq(m.with_default, -42);
    ck_assert_int_eq(m.color_default, TEST_ALL_COLOR_BLUE);
    json_decref(j);
    msgbus_value_clear(T, &m);
}
END_TEST

/* ---- encode errors ---- */

START_TEST(encode_errors)
{
    test_all_Everything m;
    msgbus_value_init(T, &m);
    char *buf = (char *)1;
    size_t len = 1;
    msgbus_error err;
    m.f64 = NAN;
    ck_assert_int_eq(msgbus_value_encode_err(T, &m, &buf, &len, &err), MSGBUS_EINVAL);
    ck_assert_str_eq(err.path, "$.f64");
    ck_assert_ptr_null(buf);
    ck_assert_ptr_null(msgbus_value_to_json(T, &m));
    m.f64 = 0;
    m.f32 = -INFINITY;
    ck_assert_int_eq(msgbus_value_encode(T, &m, &buf, &len), MSGBUS_EINVAL);
    m.f32 = 0;
    m.color = (test_all_Color)3;
    ck_assert_int_eq(msgbus_value_encode_err(T, &m, &buf, &len, &err), MSGBUS_EINVAL);
    ck_assert_str_eq(err.path, "$.color");
    ck_assert_ptr_null(msgbus_value_to_json(T, &m));
    m.color = TEST_ALL_COLOR_RED;
    m.s = dup_text("bad \xff");
    ck_assert_int_eq(msgbus_value_encode_err(T, &m, &buf, &len, &err), MSGBUS_EINVAL);
    ck_assert_str_eq(err.path, "$.s");
    ck_assert_ptr_null(msgbus_value_to_json(T, &m));
    msgbus_value_clear(T, &m);
    m.at.seconds = INT64_MAX;
    ck_assert_int_eq(msgbus_value_encode_err(T, &m, &buf, &len, &err), MSGBUS_EINVAL);
    ck_assert_str_eq(err.path, "$.at");
    msgbus_value_clear(T, &m);
}
END_TEST

/* The generated encoder refuses what the descriptor one refuses, and puts
 * the buffer back where it was. */
START_TEST(generated_encode_errors)
{
    test_all_Everything m;
    msgbus_buf b = {0};
    char *buf = (char *)1;
    size_t len = 1;
    msgbus_value_init(T, &m);
    ck_assert_int_eq(msgbus_buf_append(&b, "keep", 4), 0);
    m.f64 = NAN;
    ck_assert_int_eq(test_all_Everything_encode_buf(&m, &b), MSGBUS_EINVAL);
    ck_assert_uint_eq(b.len, 4);
    ck_assert_str_eq(b.data, "keep");
    ck_assert_int_eq(test_all_Everything_encode(&m, &buf, &len), MSGBUS_EINVAL);
    ck_assert_ptr_null(buf);
    ck_assert_uint_eq(len, 0);
    m.f64 = 0;
    m.color = (test_all_Color)3;
    ck_assert_int_eq(test_all_Everything_encode_buf(&m, &b), MSGBUS_EINVAL);
    m.color = TEST_ALL_COLOR_RED;
    m.inner.label = dup_text("bad \xc3");
    ck_assert_int_eq(test_all_Everything_encode_buf(&m, &b), MSGBUS_EINVAL);
    ck_assert_str_eq(b.data, "keep");
    msgbus_value_clear(T, &m);
    msgbus_buf_clear(&b);
}
END_TEST

/* A buffer on the caller's storage moves to the heap when it outgrows it;
 * msgbus_buf_take hands over one malloc'd copy either way. */
START_TEST(buf_storage_and_take)
{
    char storage[8];
    msgbus_buf b;
    char *out;
    size_t len;
    msgbus_buf_init_storage(&b, storage, sizeof storage);
    ck_assert_int_eq(msgbus_buf_append(&b, "abc", 3), 0);
    ck_assert_ptr_eq(b.data, storage);
    ck_assert_int_eq(msgbus_buf_take(&b, 0, &out, &len), 0);
    ck_assert_str_eq(out, "abc");
    ck_assert_uint_eq(len, 3);
    ck_assert_ptr_ne(out, storage);
    free(out);
    msgbus_buf_init_storage(&b, storage, sizeof storage);
    ck_assert_int_eq(msgbus_buf_append(&b, "0123456789", 10), 0);
    ck_assert_ptr_ne(b.data, storage);
    ck_assert_str_eq(b.data, "0123456789");
    msgbus_buf_reset(&b);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(msgbus_json_put_string(&b, "a\"b\n\x01\xc3\xa9"), 0);
    ck_assert_str_eq(b.data, "\"a\\\"b\\n\\u0001\xc3\xa9\"");
    msgbus_buf_reset(&b);
    ck_assert_int_eq(msgbus_json_put_double(&b, 1234.56), 0);
    ck_assert_int_eq(msgbus_json_put_float(&b, 0.1f), 0);
    ck_assert_int_eq(msgbus_json_put_int(&b, INT64_MIN), 0);
    ck_assert_int_eq(msgbus_json_put_uint(&b, UINT64_MAX), 0);
    ck_assert_str_eq(b.data, "1234.560.1-922337203685477580818446744073709551615");
    ck_assert_int_eq(msgbus_json_put_double(&b, INFINITY), MSGBUS_EINVAL);
    ck_assert_int_eq(msgbus_buf_take(&b, MSGBUS_EINVAL, &out, &len), MSGBUS_EINVAL);
    ck_assert_ptr_null(out);
    ck_assert_ptr_null(b.data);
}
END_TEST

/* The string writer and reader work eight bytes at a time; held here to
 * a byte-at-a-time reference on strings that put every kind of byte at
 * every offset of a word: ASCII, '"', '\\', controls, 2- to 4-byte UTF-8,
 * in buffers that start small and grow at any point. */
static size_t reference_escape(const char *s, char *out)
{
    size_t o = 0;
    out[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            out[o++] = '\\';
            out[o++] = (char)*p;
        } else if (*p < 0x20) {
            static const char short_form[] = "btnvfr";
            if (*p >= '\b' && *p <= '\r' && *p != '\v')
                o += (size_t)sprintf(out + o, "\\%c", short_form[*p - '\b']);
            else
                o += (size_t)sprintf(out + o, "\\u%04x", *p);
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return o;
}

START_TEST(strings_wordwise_against_reference)
{
    static const char *const pieces[] = { "a", "Z9", "\"", "\\", "\n", "\x01", "\x1f", "\t",
                                          "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80",
                                          "plain text ", "/" };
    unsigned seed = 12345;
    for (int round = 0; round < 3000; round++) {
        char s[600] = "", expected[4000], storage[16];
        size_t pieces_n = (size_t)(round % 70);
        for (size_t k = 0; k < pieces_n; k++) {
            seed = seed * 1103515245 + 12345;
            strcat(s, pieces[(seed >> 16) % (sizeof pieces / sizeof *pieces)]);
        }
        size_t expected_len = reference_escape(s, expected);
        msgbus_buf b;
        msgbus_buf_init_storage(&b, storage, sizeof storage);
        for (int k = 0; k < round % 11; k++)        /* any starting offset */
            ck_assert_int_eq(msgbus_buf_append(&b, "x", 1), 0);
        size_t before = b.len;
        ck_assert_int_eq(msgbus_json_put_string(&b, s), 0);
        ck_assert_uint_eq(b.len - before, expected_len);
        ck_assert_str_eq(b.data + before, expected);
        /* and the reader gives the string back */
        char doc[4100];
        snprintf(doc, sizeof doc, "{\"label\":%s,\"tags\":[%s]}", b.data + before,
                 b.data + before);
        test_all_Inner in;
        msgbus_error err;
        ck_assert_int_eq(msgbus_value_decode(&test_all_Inner_type, doc, strlen(doc), &in, &err), 0);
        ck_assert_str_eq(in.label, s);
        ck_assert_str_eq(in.tags[0], s);
        test_all_Inner_clear(&in);
        /* a broken UTF-8 byte anywhere is refused, the buffer still valid */
        if (strlen(s) > 0) {
            s[(size_t)round % strlen(s)] = (char)0xff;
            msgbus_buf_reset(&b);
            ck_assert_int_eq(msgbus_json_put_string(&b, s), MSGBUS_EINVAL);
            ck_assert_uint_lt(b.len, b.cap);
            ck_assert_int_eq(b.data[b.len], '\0');
        }
        msgbus_buf_clear(&b);
    }
}
END_TEST

/* Stored JSON text goes into a buffer as it is, trimmed, and only after the
 * decoders' own check: a bad text leaves the buffer as it was and says
 * where the problem is. */
START_TEST(buf_put_raw)
{
    static const char good[] = " \n{\"a\": [1.50, \"\\u00e9\", null]}\t ";
    msgbus_buf b = { 0 };
    msgbus_error err;
    ck_assert_int_eq(msgbus_buf_append(&b, "[", 1), 0);
    ck_assert_int_eq(msgbus_json_put_raw(&b, good, strlen(good), &err), 0);
    ck_assert_str_eq(b.data, "[{\"a\": [1.50, \"\\u00e9\", null]}");
    ck_assert_int_eq(msgbus_json_put_raw(&b, "{\"a\":\n 01}", 10, &err), MSGBUS_ESYNTAX);
    ck_assert_int_eq(err.line, 2);
    ck_assert_int_eq(err.column, 3);       /* the digit after the leading 0 */
    ck_assert_int_eq(msgbus_json_put_raw(&b, "\"\xc3\"", 3, &err), MSGBUS_ESYNTAX);
    ck_assert_int_eq(msgbus_json_put_raw(&b, "1 2", 3, &err), MSGBUS_ESYNTAX);
    ck_assert_int_eq(msgbus_json_put_raw(&b, "", 0, &err), MSGBUS_ESYNTAX);
    char deep[2 * MSGBUS_MAX_DEPTH + 4];
    memset(deep, '[', MSGBUS_MAX_DEPTH + 2);
    memset(deep + MSGBUS_MAX_DEPTH + 2, ']', MSGBUS_MAX_DEPTH + 2);
    ck_assert_int_eq(msgbus_json_put_raw(&b, deep, sizeof deep, &err), MSGBUS_ELIMIT);
    ck_assert_int_eq(msgbus_json_put_raw(NULL, "1", 1, &err), MSGBUS_EINVAL);
    ck_assert_int_eq(msgbus_json_put_raw(&b, NULL, 1, NULL), MSGBUS_EINVAL);
    ck_assert_str_eq(b.data, "[{\"a\": [1.50, \"\\u00e9\", null]}");
    msgbus_buf_clear(&b);
}
END_TEST

START_TEST(floats_shortest)
{
    static const double doubles[] = { 0.1, 1.0 / 3, 5e-324, 1.7976931348623157e308, -2.5, 100,
                                      123456789012345680.0 };
    static const char *const texts[] = { "0.1", "0.3333333333333333", "5e-324",
                                         "1.7976931348623157e+308", "-2.5", "100",
                                         "1.2345678901234568e+17" };
    for (size_t i = 0; i < sizeof doubles / sizeof doubles[0]; i++) {
        test_all_Everything m, back;
        msgbus_value_init(T, &m);
        m.f64 = doubles[i];
        m.f32 = (float)doubles[i] == (float)doubles[i] && fabs(doubles[i]) < 3e38
                    ? (float)doubles[i] : 0.0f;
        char *out = encode(&m);
        char expect[64];
        snprintf(expect, sizeof expect, "\"f64\":%s,", texts[i]);
        assert_contains(out, expect);
        msgbus_error err;
        ck_assert_int_eq(msgbus_value_decode(T, out, strlen(out), &back, &err), 0);
        ck_assert(back.f64 == m.f64);
        ck_assert(back.f32 == m.f32);
        free(out);
        msgbus_value_clear(T, &back);
    }
    test_all_Everything m;
    msgbus_value_init(T, &m);
    m.f32 = FLT_MAX;
    char *out = encode(&m);
    /* 3.4028235e+38 is above FLT_MAX but rounds to it, as a float should. */
    assert_contains(out, "\"f32\":3.4028235e+38,");
    test_all_Everything back;
    msgbus_error err;
    ck_assert_int_eq(msgbus_value_decode(T, out, strlen(out), &back, &err), 0);
    ck_assert(back.f32 == FLT_MAX);
    msgbus_value_clear(T, &back);
    free(out);
}
END_TEST

/* ---- init / copy / equal / clear ---- */

START_TEST(copy_equal_clear)
{
    test_all_Everything a, b, fresh;
    fill_everything(&a);
    ck_assert_int_eq(msgbus_value_copy(T, &b, &a), 0);
    ck_assert(msgbus_value_equal(T, &a, &b));
    ck_assert_ptr_ne(a.s, b.s);
    ck_assert_ptr_ne(a.inner.next, b.inner.next);
    ck_assert_ptr_ne(a.places[0].key, b.places[0].key);
    ck_assert_str_eq(b.places[0].value.tags[0], "tag0");

    b.inners[1].tags[2][0] = 'X';
    ck_assert(!msgbus_value_equal(T, &a, &b));
    b.inners[1].tags[2][0] = 't';
    ck_assert(msgbus_value_equal(T, &a, &b));
    b.raw.data[7] ^= 1;
    ck_assert(!msgbus_value_equal(T, &a, &b));
    b.raw.data[7] ^= 1;
    b.has_maybe_i32 = false;
    ck_assert(!msgbus_value_equal(T, &a, &b));
    b.has_maybe_i32 = true;
    b.maybe_color = TEST_ALL_COLOR_BLUE;
    ck_assert(!msgbus_value_equal(T, &a, &b));
    b.maybe_color = TEST_ALL_COLOR_RED;
    b.counts[0].value--;
    ck_assert(!msgbus_value_equal(T, &a, &b));
    b.counts[0].value++;
    b.inner.next->label[0] = 'S';
    ck_assert(!msgbus_value_equal(T, &a, &b));

    msgbus_value_clear(T, &b);
    msgbus_value_init(T, &fresh);
    ck_assert(msgbus_value_equal(T, &b, &fresh));
    ck_assert_ptr_eq(b.base.type, T);
    ck_assert_int_eq(b.with_default, -42);
    ck_assert_ptr_null(b.name_default);
    ck_assert(b.flag_default);
    ck_assert_uint_eq(b.n_places, 0);

    /* A NULL required string equals its default; an optional one does not
     * equal "". */
    b.name_default = dup_text("anon");
    b.s = dup_text("");
    ck_assert(msgbus_value_equal(T, &b, &fresh));
    b.maybe_s = dup_text("");
    ck_assert(!msgbus_value_equal(T, &b, &fresh));
    msgbus_value_clear(T, &b);
    msgbus_value_clear(T, &a);
    msgbus_value_clear(T, NULL);
    ck_assert(msgbus_value_equal(T, &a, &fresh));
}
END_TEST

/* ---- module lookup and errors ---- */

static const msgbus_module module_b;
static const msgbus_type *const types_a[] = { &test_all_Everything_type };
static const msgbus_module *const imports_a[] = { &module_b };
static const msgbus_module module_a = {
    .runtime_version = MSGBUS_VERSION_NUMBER, .package = "test.all", .source = "a.msg",
    .n_types = 1, .types = types_a, .n_imports = 1, .imports = imports_a,
};
static const msgbus_type *const types_b[] = { &test_all_Inner_type };
static const msgbus_module *const imports_b[] = { &module_a };     /* a cycle */
static const msgbus_module module_b = {
    .runtime_version = MSGBUS_VERSION_NUMBER, .package = "test.all", .source = "b.msg",
    .n_types = 1, .types = types_b, .n_imports = 1, .imports = imports_b,
};

START_TEST(module_find_type)
{
    ck_assert_ptr_eq(msgbus_module_find_type(&module_a, "test.all.Everything"), T);
    ck_assert_ptr_eq(msgbus_module_find_type(&module_a, "test.all.Inner"), &test_all_Inner_type);
    ck_assert_ptr_eq(msgbus_module_find_type(&module_b, "test.all.Everything"), T);
    ck_assert_ptr_null(msgbus_module_find_type(&module_a, "test.all.Nope"));
    ck_assert_ptr_null(msgbus_module_find_type(&module_a, "test.all.Everythin"));
    ck_assert_ptr_null(msgbus_module_find_type(NULL, "x"));
}
END_TEST

START_TEST(errors_and_strerror)
{
    for (int code = 1; code >= -12; code--)
        ck_assert_str_ne(msgbus_strerror(code), msgbus_strerror(-1000));
    ck_assert_str_eq(msgbus_strerror(MSGBUS_ETYPE), "JSON does not match the schema");
    msgbus_error err;
    ck_assert_int_eq(msgbus_error_set(&err, MSGBUS_ETYPE, "$.a", "bad %d", 5), MSGBUS_ETYPE);
    ck_assert_str_eq(err.text, "$.a: bad 5");
    ck_assert_str_eq(err.path, "$.a");
    ck_assert_int_eq(err.code, MSGBUS_ETYPE);
    ck_assert_int_eq(msgbus_error_set(&err, MSGBUS_EINVAL, NULL, "plain"), MSGBUS_EINVAL);
    ck_assert_str_eq(err.text, "plain");
    ck_assert_str_eq(err.path, "");
    ck_assert_int_eq(msgbus_error_set(NULL, MSGBUS_EIO, NULL, "x"), MSGBUS_EIO);
    msgbus_error_clear(&err);
    ck_assert_int_eq(err.code, 0);
    ck_assert_str_eq(err.text, "");
}
END_TEST

/* The public text forms of timestamps and UUIDs. */
START_TEST(timestamp_and_uuid_text)
{
    char text[MSGBUS_TIMESTAMP_TEXT_SIZE];
    char id[MSGBUS_UUID_TEXT_SIZE];
    msgbus_timestamp ts = { 0, 0 };
    msgbus_uuid u;

    ck_assert_int_eq(msgbus_timestamp_from_text("2024-02-29T23:30:00.5-01:00", 27, &ts), 0);
    ck_assert_int_eq(msgbus_timestamp_to_text(&ts, text), 24);
    ck_assert_str_eq(text, "2024-03-01T00:30:00.500Z");
    ck_assert_int_eq(msgbus_timestamp_from_text("2023-02-29T00:00:00Z", 20, &ts), MSGBUS_EINVAL);
    ck_assert_int_eq(msgbus_timestamp_from_text("2024-01-01T00:00:60Z", 20, &ts), MSGBUS_EINVAL);
    ts.nanos = 1000000000;
    ck_assert_int_eq(msgbus_timestamp_to_text(&ts, text), MSGBUS_EINVAL);

    ck_assert_int_eq(msgbus_uuid_from_text("0190C8A4-7E1B-7C3D-9F2A-1B2C3D4E5F60", 36, &u), 0);
    msgbus_uuid_to_text(&u, id);
    ck_assert_str_eq(id, "0190c8a4-7e1b-7c3d-9f2a-1b2c3d4e5f60");
    ck_assert_int_eq(msgbus_uuid_from_text("0190c8a4-7e1b-7c3d-9f2a-1b2c3d4e5f6", 35, &u),
                     MSGBUS_EINVAL);
}
END_TEST

static Suite *codec_suite(void)
{
    Suite *s = suite_create("codec");
    TCase *tc = tcase_create("codec");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, roundtrip_text);
    tcase_add_test(tc, roundtrip_tree);
    tcase_add_test(tc, decode_minimal_applies_defaults);
    tcase_add_test(tc, decode_null_and_absent_optionals);
    tcase_add_test(tc, decode_unknown_keys_and_whitespace);
    tcase_add_test(tc, decode_timestamps);
    tcase_add_test(tc, decode_uuid_either_case);
    tcase_add_test(tc, decode_escapes);
    tcase_add_test(tc, decode_keys_as_dispatched);
    tcase_add_test(tc, decode_wrong_types);
    tcase_add_test(tc, decode_missing_field);
    tcase_add_test(tc, decode_integer_ranges);
    tcase_add_test(tc, decode_bad_text_values);
    tcase_add_test(tc, decode_bad_strings);
    tcase_add_test(tc, decode_syntax_errors);
    tcase_add_test(tc, decode_duplicates);
    tcase_add_test(tc, decode_limits);
    tcase_add_test(tc, decode_deepest_allowed);
    tcase_add_test(tc, from_json_errors);
    tcase_add_test(tc, from_json_defaults_and_uint64_string);
    tcase_add_test(tc, encode_errors);
    tcase_add_test(tc, floats_shortest);
    tcase_add_test(tc, generated_encode_errors);
    tcase_add_test(tc, buf_storage_and_take);
    tcase_add_test(tc, strings_wordwise_against_reference);
    tcase_add_test(tc, buf_put_raw);
    tcase_add_test(tc, copy_equal_clear);
    tcase_add_test(tc, module_find_type);
    tcase_add_test(tc, errors_and_strerror);
    tcase_add_test(tc, timestamp_and_uuid_text);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(codec_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
