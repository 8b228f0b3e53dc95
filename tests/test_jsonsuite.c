/* test_jsonsuite.c - every file of JSONTestSuite's test_parsing directory
 * through msgbus_value_decode (and, when Jansson can load it,
 * msgbus_value_from_json), against a type with required fields and a type
 * whose fields are all optional.
 *
 *  n_*.json  must give MSGBUS_ESYNTAX, except the two files nested 100000
 *            deep, which hit the depth limit first: MSGBUS_ELIMIT;
 *  y_*.json  are valid JSON: never ESYNTAX or ELIMIT (a schema mismatch,
 *            ETYPE or ERANGE, is fine, and an object may decode);
 *  i_*.json  may go either way but must not crash or leak (ASan/valgrind).
 * In every case a failed decode leaves the value initialized. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alltypes.msg.h"

/* A record whose fields are all optional, so valid objects can decode. */
typedef struct loose {
    bool has_a;
    int32_t a;
    char *s;
    test_all_Inner *r;
    bool has_d;
    double d;
    bool has_c;
    test_all_Color c;
} loose;

static const msgbus_field loose_fields[] = {
    { .name = "a", .scalar = MSGBUS_INT32, .optional = true, .offset = offsetof(loose, a),
      .has_offset = offsetof(loose, has_a), .elem_size = sizeof(int32_t) },
    { .name = "s", .scalar = MSGBUS_STRING, .optional = true, .offset = offsetof(loose, s),
      .elem_size = sizeof(char *) },
    { .name = "r", .scalar = MSGBUS_RECORD, .optional = true, .offset = offsetof(loose, r),
      .elem_size = sizeof(test_all_Inner), .record = &test_all_Inner_type },
    { .name = "d", .scalar = MSGBUS_DOUBLE, .optional = true, .offset = offsetof(loose, d),
      .has_offset = offsetof(loose, has_d), .elem_size = sizeof(double) },
    { .name = "c", .scalar = MSGBUS_ENUM, .optional = true, .offset = offsetof(loose, c),
      .has_offset = offsetof(loose, has_c), .elem_size = sizeof(int),
      .enumeration = &test_all_Color_type },
};

static const msgbus_type loose_type = {
    "test.suite.Loose", MSGBUS_KIND_RECORD, sizeof(loose), 5, loose_fields, 0, NULL
};

static const char *suite_dir;
static char **names;
static size_t n_names;

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the .json files of dir, sorted. */
static void list_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        names = realloc(names, (n_names + 1) * sizeof *names);
        names[n_names] = malloc(len + 1);
        memcpy(names[n_names], e->d_name, len + 1);
        n_names++;
    }
    closedir(d);
    qsort(names, n_names, sizeof *names, by_name);
}

static char *read_file(const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", suite_dir, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

static bool is_deep_nesting(const char *name)
{
    return strcmp(name, "n_structure_100000_opening_arrays.json") == 0 ||
           strcmp(name, "n_structure_open_array_object.json") == 0;
}

/* Decodes text into a value of type and checks the code against the file's
 * prefix; returns the code. */
static int check_decode(const msgbus_type *type, const char *name, const char *text, size_t len)
{
    void *m = malloc(type->size), *fresh = malloc(type->size);
    msgbus_error err;
    int rc = msgbus_value_decode(type, text, len, m, &err);
    ck_assert_int_eq(err.code, rc);
    if (name[0] == 'n') {
        int want = is_deep_nesting(name) ? MSGBUS_ELIMIT : MSGBUS_ESYNTAX;
        ck_assert_msg(rc == want, "%s as %s: got %d (%s), expected %d", name, type->name, rc,
                      err.text, want);
        ck_assert_int_gt(err.line, 0);
        ck_assert_int_gt(err.column, 0);
    } else if (name[0] == 'y') {
        ck_assert_msg(rc == 0 || rc == MSGBUS_ETYPE || rc == MSGBUS_ERANGE,
                      "%s as %s: got %d (%s)", name, type->name, rc, err.text);
    } else {
        ck_assert_msg(rc == 0 || rc == MSGBUS_ESYNTAX || rc == MSGBUS_ETYPE ||
                      rc == MSGBUS_ERANGE || rc == MSGBUS_ELIMIT,
                      "%s as %s: got %d (%s)", name, type->name, rc, err.text);
    }
    msgbus_value_init(type, fresh);
    if (rc < 0)
        ck_assert_msg(msgbus_value_equal(type, m, fresh), "%s: value not left initialized", name);
    else {
        /* What decodes encodes again. */
        char *out;
        size_t out_len;
        ck_assert_int_eq(msgbus_value_encode(type, m, &out, &out_len), 0);
        free(out);
    }
    msgbus_value_clear(type, m);
    free(m);
    free(fresh);
    return rc;
}

/* The Jansson path: whatever Jansson loads must not upset from_json. */
static void check_from_json(const msgbus_type *type, const char *name, const char *text,
                            size_t len)
{
    json_error_t jerr;
    json_t *j = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!j)
        return;
    void *m = malloc(type->size);
    msgbus_error err;
    int rc = msgbus_value_from_json(type, j, m, &err);
    ck_assert_msg(rc == 0 || rc == MSGBUS_ETYPE || rc == MSGBUS_ERANGE || rc == MSGBUS_ELIMIT,
                  "%s from_json as %s: got %d (%s)", name, type->name, rc, err.text);
    msgbus_value_clear(type, m);
    free(m);
    json_decref(j);
}

START_TEST(each_file)
{
    const char *name = names[_i];
    ck_assert_msg(name[0] == 'n' || name[0] == 'y' || name[0] == 'i', "unexpected file %s",
                  name);
    size_t len;
    char *text = read_file(name, &len);
    check_decode(&test_all_Everything_type, name, text, len);
    check_decode(&loose_type, name, text, len);
    check_from_json(&test_all_Everything_type, name, text, len);
    check_from_json(&loose_type, name, text, len);
    free(text);
}
END_TEST

START_TEST(suite_present)
{
    size_t counts[3] = { 0, 0, 0 };
    for (size_t i = 0; i < n_names; i++)
        counts[names[i][0] == 'n' ? 0 : names[i][0] == 'y' ? 1 : 2]++;
    ck_assert_msg(n_names > 0, "no JSON files in %s", suite_dir ? suite_dir : "(unset)");
    ck_assert_uint_gt(counts[0], 0);
    ck_assert_uint_gt(counts[1], 0);
    ck_assert_uint_gt(counts[2], 0);
}
END_TEST

/* A y_ object that fits the loose type really decodes, with the values. */
START_TEST(valid_object_decodes)
{
    const char *text = " {\"s\":\"\\u00e9\",\"a\":-5,\"d\":1E2,\"c\":\"GREEN\",\"x\":[{}]} ";
    loose m;
    msgbus_error err;
    ck_assert_int_eq(msgbus_value_decode(&loose_type, text, strlen(text), &m, &err), 0);
    ck_assert_str_eq(m.s, "\xc3\xa9");
    ck_assert(m.has_a && m.a == -5);
    ck_assert(m.has_d && m.d == 100);
    ck_assert(m.has_c && m.c == TEST_ALL_COLOR_GREEN);
    ck_assert_ptr_null(m.r);
    msgbus_value_clear(&loose_type, &m);
}
END_TEST

int main(void)
{
    suite_dir = getenv("JSONTESTSUITE_DIR");
    if (suite_dir)
        list_files(suite_dir);
    Suite *s = suite_create("jsonsuite");
    TCase *tc = tcase_create("files");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, suite_present);
    tcase_add_test(tc, valid_object_decodes);
    if (n_names > 0)
        tcase_add_loop_test(tc, each_file, 0, (int)n_names);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
