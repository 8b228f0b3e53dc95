/* decode.c - fuzz target: any bytes through the generated decoder of
 * schemas/alltypes.msg.  Whatever decodes must encode, decode again and
 * compare equal, through the text form and through the json_t form. */
#include <stdint.h>
#include <stdlib.h>
#include "alltypes.msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const test_all_Everything *m)
{
    test_all_Everything back;
    msgbus_error err;
    char *text;
    size_t len;
    json_t *tree;

    if (test_all_Everything_encode(m, &text, &len) != 0)
        abort();            /* a decoded message is always encodable */
    if (test_all_Everything_decode(text, len, &back, &err) != 0)
        abort();
    if (!test_all_Everything_equal(m, &back))
        abort();
    test_all_Everything_clear(&back);
    free(text);

    tree = test_all_Everything_to_json(m);
    if (tree == NULL || test_all_Everything_from_json(tree, &back, &err) != 0)
        abort();
    if (!test_all_Everything_equal(m, &back))
        abort();
    test_all_Everything_clear(&back);
    json_decref(tree);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    test_all_Everything m;
    msgbus_error err;

    if (test_all_Everything_decode((const char *)data, size, &m, &err) == 0) {
        check_round_trip(&m);
        test_all_Everything_clear(&m);
    }
    return 0;
}
