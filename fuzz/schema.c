/* schema.c - fuzz target: any bytes as a .msg schema through the loader,
 * the parser and every check.  Diagnostics are discarded; a crash, a leak
 * or undefined behaviour is the finding. */
#define _XOPEN_SOURCE 700
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "load.h"
#include "sema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/msgbus-fuzz-XXXXXX";
    int fd = mkstemp(path);
    FILE *out;
    diag_sink sink = { 0 };
    program prog = { 0 };
    load_options opts = { 0 };

    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    out = fopen("/dev/null", "w");
    sink.out = out;
    sink.prog = &prog;
    if (load_program(path, &opts, &sink, &prog) == 0)
        sema_check(&prog, &sink);
    ast_program_free(&prog);
    fclose(out);
    unlink(path);
    return 0;
}
