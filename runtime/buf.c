/* buf.c - msgbus_buf, the growable buffer encoders append to. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <msgbus/buf.h>

#include "copy.h"

void msgbus_buf_init(msgbus_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->storage = NULL;
}

void msgbus_buf_init_storage(msgbus_buf *b, char *storage, size_t size)
{
    b->data = storage;
    b->len = 0;
    b->cap = storage ? size : 0;
    b->storage = storage;
    if (b->cap)
        storage[0] = '\0';
}

static bool on_heap(const msgbus_buf *b)
{
    return b->data != b->storage;
}

int msgbus_buf_take(msgbus_buf *b, int rc, char **out, size_t *len)
{
    char *text = NULL;
    if (rc >= 0) {
        if (b->data && on_heap(b)) {
            text = b->data;             /* the heap copy becomes the caller's */
        } else {
            text = msgbus_malloc(b->len + 1);
            if (!text)
                rc = MSGBUS_ENOMEM;
            else if (b->len)
                memcpy(text, b->data, b->len);
        }
        if (text)
            text[b->len] = '\0';
    }
    if (rc < 0) {
        msgbus_buf_clear(b);
        *out = NULL;
        if (len)
            *len = 0;
        return rc;
    }
    *out = text;
    if (len)
        *len = b->len;
    msgbus_buf_init(b);
    return rc;
}

void msgbus_buf_reset(msgbus_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void msgbus_buf_clear(msgbus_buf *b)
{
    if (on_heap(b))
        msgbus_free(b->data);
    msgbus_buf_init(b);
}

int msgbus_buf_reserve(msgbus_buf *b, size_t n)
{
    if (b->cap - b->len > n)
        return 0;
    if (n > SIZE_MAX / 2 - b->len)
        return MSGBUS_ENOMEM;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len <= n)
        cap *= 2;
    char *data;
    if (on_heap(b)) {
        data = msgbus_realloc(b->data, cap);
    } else {
        /* leaving the caller's storage: copy what is there */
        data = msgbus_malloc(cap);
        if (data && b->len)
            memcpy(data, b->data, b->len);
    }
    if (!data)
        return MSGBUS_ENOMEM;
    b->data = data;
    b->cap = cap;
    return 0;
}

int msgbus_buf_append(msgbus_buf *b, const void *data, size_t n)
{
    if (b->cap - b->len <= n && msgbus_buf_reserve(b, n) < 0)
        return MSGBUS_ENOMEM;
    mb_copy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}
