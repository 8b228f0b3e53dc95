/* schema.c - fuzz target: any bytes as a .msg schema through the loader,
 * the parser and every check, by msgbusgen_compile on the buffer itself.
 * Diagnostics are formatted and discarded; a crash, a leak or undefined
 * behaviour is the finding. */
#include <stdint.h>
#include "msgbusgen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void discard(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    (void)text;
    (void)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const all[] = { "-Wall" };
    msgbusgen_options opts;

    msgbusgen_options_init(&opts);
    opts.check_only = true;
    opts.diag = discard;
    opts.warning_options = all;     /* every check runs */
    opts.n_warning_options = 1;
    msgbusgen_compile("fuzz.msg", (const char *)data, size, &opts);
    return 0;
}
