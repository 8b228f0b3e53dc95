/* differential.c - fuzz target: the codec's two forms and two encoders
 * must agree on any bytes, decoded as schemas/alltypes.msg's Everything
 * and again as its Nested.
 *  - the generated decoder (X_decode) and the descriptor walk
 *    (msgbus_value_decode) give the same status, error text, path, line,
 *    column and position, and equal structs;
 *  - the text decoder and the tree decoder (over what Jansson parses from
 *    the same bytes, when it can and the bytes are JSON) give the same
 *    status and error path, and equal structs;
 *  - what decodes encodes identically through the generated encoder
 *    (X_encode, X_encode_buf into a reused buffer) and the descriptor one
 *    (msgbus_value_encode), and that text decodes back to an equal struct;
 *  - the tree from msgbus_value_to_json reads back equal too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "alltypes.msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static msgbus_buf reused;       /* kept across inputs, as a caller would */

static void check_encoders(const test_all_Everything *m)
{
    char *generated, *described;
    size_t generated_len, described_len;
    test_all_Everything back;
    msgbus_error err;

    if (test_all_Everything_encode(m, &generated, &generated_len) != 0)
        abort();            /* a decoded message is always encodable */
    if (msgbus_value_encode(&test_all_Everything_type, m, &described, &described_len) != 0)
        abort();
    if (generated_len != described_len || memcmp(generated, described, described_len) != 0)
        abort();
    msgbus_buf_reset(&reused);
    if (test_all_Everything_encode_buf(m, &reused) != 0 || reused.len != generated_len ||
        memcmp(reused.data, generated, generated_len) != 0 || reused.data[reused.len] != '\0')
        abort();
    if (test_all_Everything_decode(generated, generated_len, &back, &err) != 0)
        abort();
    if (!test_all_Everything_equal(m, &back))
        abort();
    test_all_Everything_clear(&back);
    free(generated);
    free(described);

    json_t *tree = test_all_Everything_to_json(m);
    if (tree == NULL || test_all_Everything_from_json(tree, &back, &err) != 0)
        abort();
    if (!test_all_Everything_equal(m, &back))
        abort();
    test_all_Everything_clear(&back);
    json_decref(tree);
}

/* The descriptor walk decodes text as the generated decoder did (rc, err,
 * and *m when rc is 0): same status, error text, path, line, column and
 * position, and an equal struct. */
static void check_walk(const msgbus_type *type, const char *text, size_t size, int rc,
                       const msgbus_error *err, const void *m)
{
    static union {                  /* any struct of alltypes.msg, aligned */
        long double ld;
        void *p;
        uint64_t u;
        char bytes[4096];
    } space;
    void *other = &space;
    msgbus_error walk_err;
    if (type->size > sizeof space)
        abort();
    int wrc = msgbus_value_decode(type, text, size, other, &walk_err);
    if (wrc != rc)
        abort();
    if (rc < 0 && (err->code != walk_err.code || strcmp(err->text, walk_err.text) != 0 ||
                   strcmp(err->path, walk_err.path) != 0 || err->line != walk_err.line ||
                   err->column != walk_err.column || err->position != walk_err.position))
        abort();
    if (rc == 0) {
        if (!msgbus_value_equal(type, m, other))
            abort();
        msgbus_value_clear(type, other);
    }
}

/* The same checks on the bytes decoded as Nested: lists and maps inside
 * lists and maps, which the generated encoder hands to the descriptors. */
static void check_nested(const char *text, size_t size)
{
    test_all_Nested m, other;
    msgbus_error err, tree_err;
    char *generated, *described;
    size_t generated_len, described_len;

    int rc = test_all_Nested_decode(text, size, &m, &err);
    check_walk(&test_all_Nested_type, text, size, rc, &err, &m);
    json_error_t jerr;
    json_t *j = json_loadb(text, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (j && rc != MSGBUS_ESYNTAX) {
        int trc = test_all_Nested_from_json(j, &other, &tree_err);
        if (trc != rc || (rc < 0 && strcmp(err.path, tree_err.path) != 0))
            abort();
        if (rc == 0 && !test_all_Nested_equal(&m, &other))
            abort();
        test_all_Nested_clear(&other);
    }
    json_decref(j);
    if (rc != 0)
        return;
    if (test_all_Nested_encode(&m, &generated, &generated_len) != 0 ||
        msgbus_value_encode(&test_all_Nested_type, &m, &described, &described_len) != 0)
        abort();
    if (generated_len != described_len || memcmp(generated, described, described_len) != 0)
        abort();
    if (test_all_Nested_decode(generated, generated_len, &other, &err) != 0 ||
        !test_all_Nested_equal(&m, &other))
        abort();
    test_all_Nested_clear(&other);
    free(generated);
    free(described);
    json_t *tree = test_all_Nested_to_json(&m);
    if (tree == NULL || test_all_Nested_from_json(tree, &other, &err) != 0 ||
        !test_all_Nested_equal(&m, &other))
        abort();
    test_all_Nested_clear(&other);
    json_decref(tree);
    test_all_Nested_clear(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    test_all_Everything m, other;
    msgbus_error err, tree_err;
    const char *text = (const char *)data;

    int rc = test_all_Everything_decode(text, size, &m, &err);
    check_walk(&test_all_Everything_type, text, size, rc, &err, &m);
    json_error_t jerr;
    json_t *j = json_loadb(text, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    /* Jansson is laxer on some malformed text (a raw NUL byte ends its
     * input): there is no tree to compare with what is not JSON. */
    if (j && rc == MSGBUS_ESYNTAX) {
        json_decref(j);
        j = NULL;
    }
    if (j) {
        int trc = test_all_Everything_from_json(j, &other, &tree_err);
        if (trc != rc)
            abort();
        if (rc < 0 && strcmp(err.path, tree_err.path) != 0)
            abort();
        if (rc == 0 && !test_all_Everything_equal(&m, &other))
            abort();
        test_all_Everything_clear(&other);
        json_decref(j);
    }
    if (rc == 0) {
        check_encoders(&m);
        test_all_Everything_clear(&m);
    }
    check_nested(text, size);
    return 0;
}
