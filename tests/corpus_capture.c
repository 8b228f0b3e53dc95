/* corpus_capture.c - records each decoded text, then decodes it.
 *
 * A record in $MSGBUS_CORPUS is "TYPE\nLENGTH\n" followed by LENGTH bytes
 * and "\n", written with one write(2) in append mode, so the forked test
 * processes of Check cannot interleave their records. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corpus_capture.h"
/* This file is built with the -include too: here the name is the real one. */
#undef msgbus_value_decode

static void record(const msgbus_type *type, const char *text, size_t len)
{
    const char *path = getenv("MSGBUS_CORPUS");
    char head[300];
    int n, fd;
    char *buf;

    /* Beyond the size limit the decoder reads nothing, and the tests pass
     * a length longer than their buffer to show it. */
    if (!path || !type || (!text && len) || len > MSGBUS_MAX_INPUT)
        return;
    n = snprintf(head, sizeof head, "%s\n%zu\n", type->name, len);
    if (n < 0 || (size_t)n >= sizeof head)
        return;
    buf = malloc((size_t)n + len + 1);
    if (!buf)
        return;
    memcpy(buf, head, (size_t)n);
    if (len)
        memcpy(buf + n, text, len);
    buf[(size_t)n + len] = '\n';
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd >= 0) {
        if (write(fd, buf, (size_t)n + len + 1) < 0)
            perror(path);
        close(fd);
    }
    free(buf);
}

int corpus_capture_decode(const msgbus_type *type, const char *text, size_t len, void *m,
                          msgbus_error *err)
{
    record(type, text, len);
    return msgbus_value_decode(type, text, len, m, err);
}
