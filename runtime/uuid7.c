/* uuid7.c - UUIDv7 generation: 48-bit millisecond timestamp, 12-bit counter
 * (RFC 9562 "method 1") so ids stay ordered within a millisecond, 62 random
 * bits.  Time-ordered keys keep B-tree inserts at the end of the index. */
#include "uuid7.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

void uuid7_init(uuid7_gen *g)
{
    memset(g, 0, sizeof *g);
    g->pool_used = sizeof g->pool;
}

/* Copies n random bytes out of the pool, refilling it when empty. */
static int random_bytes(uuid7_gen *g, unsigned char *out, size_t n)
{
    if (g->pool_used + n > sizeof g->pool) {
        size_t got = 0;
        while (got < sizeof g->pool) {
            ssize_t r = getrandom(g->pool + got, sizeof g->pool - got, 0);
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                return -1;
            }
            got += (size_t)r;
        }
        g->pool_used = 0;
    }
    memcpy(out, g->pool + g->pool_used, n);
    g->pool_used += n;
    return 0;
}

int uuid7_next(uuid7_gen *g, int64_t now_ms, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    if (random_bytes(g, b + 6, 10) < 0)
        return -1;
    if (now_ms > g->last_ms) {
        g->last_ms = now_ms;
        /* Start low in the counter space so many ids fit in this ms. */
        g->counter = (uint32_t)(b[6] & 0x07) << 8 | b[7];
    } else if (++g->counter > 0xfff) {
        /* Counter exhausted (or the clock went back): borrow the next ms. */
        g->last_ms++;
        g->counter = 0;
    }
    uint64_t ms = (uint64_t)g->last_ms;
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    b[6] = (unsigned char)(0x70 | (g->counter >> 8));
    b[7] = (unsigned char)(g->counter & 0xff);
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
    return 0;
}
