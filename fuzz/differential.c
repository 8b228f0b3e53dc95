/* differential.c - fuzz target: the codec's two forms and two encoders
 * must agree on any bytes, decoded as schemas/alltypes.msg's Everything
 * and again as its Nested.
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

/* The same checks on the bytes decoded as Nested: lists and maps inside
 * lists and maps, which the generated encoder hands to the descriptors. */
static void check_nested(const char *text, size_t size)
{
    test_all_Nested m, other;
    msgbus_error err, tree_err;
    char *generated, *described;
    size_t generated_len, described_len;

    int rc = test_all_Nested_decode(text, size, &m, &err);
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
