/* copy.h - memcpy for the short copies encoders make all the time (keys,
 * punctuation, short strings): a few loads and stores instead of a call
 * into the C library (internal to libmsgbus). */
#ifndef MSGBUS_COPY_H
#define MSGBUS_COPY_H

#include <stdint.h>
#include <string.h>

static inline void mb_copy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (n > 16) {
        memcpy(d, s, n);
    } else if (n >= 8) {            /* two words, overlapping when n < 16 */
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else if (n > 0) {             /* 1 to 3 bytes: first, middle, last */
        unsigned char a = s[0], b = s[n / 2], c = s[n - 1];
        d[0] = a;
        d[n / 2] = b;
        d[n - 1] = c;
    }
}

#endif /* MSGBUS_COPY_H */
