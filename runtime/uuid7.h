/* uuid7.h - time-ordered UUIDv7 ids for outbox rows (RFC 9562). */
#ifndef MSGBUS_UUID7_H
#define MSGBUS_UUID7_H

#include <stddef.h>
#include <stdint.h>

/* Generator state: ids of one generator increase strictly, even within one
 * millisecond or when the clock steps back. */
typedef struct uuid7_gen {
    int64_t last_ms;            /* timestamp of the last id */
    uint32_t counter;           /* 12-bit counter within last_ms */
    unsigned char pool[256];    /* random bytes from getrandom */
    size_t pool_used;
} uuid7_gen;

void uuid7_init(uuid7_gen *g);

/* Writes the next id as 36 lowercase characters and a NUL to out.
 * now_ms is the current time.  Returns 0, or -1 if no randomness could be
 * had (getrandom failed). */
int uuid7_next(uuid7_gen *g, int64_t now_ms, char out[37]);

#endif /* MSGBUS_UUID7_H */
