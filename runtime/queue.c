/* queue.c - FIFO of emitted messages.
 *
 * One growing byte buffer holds entries (a header followed by the message
 * struct, moved in with memcpy).  Its storage is kept between handle calls,
 * so steady-state dispatch allocates nothing.  Messages own no pointers into
 * themselves, so the buffer may be moved (realloc, compaction). */
#include <stdlib.h>
#include <string.h>
#include "bus_internal.h"

#define ROUND(n) (((n) + QUEUE_ALIGN - 1) & ~(size_t)(QUEUE_ALIGN - 1))
#define HEADER QUEUE_HEADER

void queue_free(msg_queue *q)
{
    queue_truncate(q, 0);
    msgbus_free(q->buf);
    memset(q, 0, sizeof *q);
}

int queue_push(msg_queue *q, const msgbus_msg *msg, uint64_t id, uint64_t causation,
               size_t seq, bool owns_memory)
{
    size_t size = HEADER + ROUND(msg->type->size);
    queue_entry *e;
    if (q->tail + size > q->cap && q->head > 0) {
        /* Reuse the consumed front before growing. */
        memmove(q->buf, q->buf + q->head, q->tail - q->head);
        q->tail -= q->head;
        q->head = 0;
    }
    if (q->tail + size > q->cap) {
        size_t cap = q->cap ? q->cap : 512;
        unsigned char *buf;
        while (q->tail + size > cap)
            cap *= 2;
        buf = msgbus_realloc(q->buf, cap);
        if (buf == NULL)
            return MSGBUS_ENOMEM;
        q->buf = buf;
        q->cap = cap;
    }
    e = (queue_entry *)(void *)(q->buf + q->tail);
    e->type = msg->type;
    e->id = id;
    e->causation = causation;
    e->seq = seq;
    e->size = size;
    e->owns_memory = owns_memory;
    memcpy(queue_entry_msg(e), msg, msg->type->size);
    q->tail += size;
    return 0;
}

void queue_truncate(msg_queue *q, size_t mark)
{
    size_t at = q->head + mark;
    while (at < q->tail) {
        queue_entry *e = (queue_entry *)(void *)(q->buf + at);
        if (e->owns_memory)
            msgbus_value_clear(e->type, queue_entry_msg(e));
        at += e->size;
    }
    q->tail = q->head + mark;
    if (q->head == q->tail)
        q->head = q->tail = 0;
}
