/* shortest.c - the shortest decimal text that reads back as the same double
 * or float, without printf, strtod or the locale.
 *
 * The digits come from Schubfach (R. Giulietti, "The Schubfach way to
 * render doubles", 2020): one 128-bit multiplication by a power of ten per
 * bound of the rounding interval, rounded to odd, then at most two
 * candidates to choose from.  Among the shortest texts the one closest to
 * the exact value is chosen (ties: even last digit).  Floats use the same
 * table: more precise powers only narrow the error the method tolerates.
 * The layout is the one "%.Pg" gives at P = max(digits, 15) (6 for floats),
 * which is what earlier versions wrote. */
#include <string.h>

#include "scalars.h"
#include "shortest_pow10.h"

#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 mb_u128;

/* High 64 bits of a * b; *lo gets the low 64. */
static inline uint64_t mul_64x64(uint64_t a, uint64_t b, uint64_t *lo)
{
    mb_u128 p = (mb_u128)a * b;
    *lo = (uint64_t)p;
    return (uint64_t)(p >> 64);
}
#else
static inline uint64_t mul_64x64(uint64_t a, uint64_t b, uint64_t *lo)
{
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    *lo = (mid << 32) | (uint32_t)p00;
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}
#endif

/* floor(x / 2^n) for negative x too (>> of a negative is not portable). */
static inline int floor_div_pow2(int x, int n)
{
    return x >= 0 ? x >> n : -((-x + (1 << n) - 1) >> n);
}

/* floor(log2(10^e)) for |e| <= 1233. */
static inline int floor_log2_pow10(int e)
{
    return floor_div_pow2(e * 1741647, 19);
}

/* floor(g * cp / 2^128) rounded to odd: the lowest bit is set when the
 * dropped part is not zero.  g overestimates by less than 1, which adds at
 * most 1 to the middle word: exact products still read as exact. */
static inline uint64_t round_to_odd(const uint64_t g[2], uint64_t cp)
{
    uint64_t x_lo, y_lo;
    uint64_t x_hi = mul_64x64(g[1], cp, &x_lo);
    uint64_t y_hi = mul_64x64(g[0], cp, &y_lo);
    uint64_t z = y_lo + x_hi;
    uint64_t top = y_hi + (z < y_lo);
    (void)x_lo;
    return top | (z > 1);
}

/* The value c * 2^q (c > 0) as digits * 10^exponent, shortest and closest.
 * lower_closer: c is a power of two above the smallest normal, so the
 * next value below is half as far as the next one above. */
static void to_decimal(uint64_t c, int q, bool lower_closer, uint64_t *digits, int *exponent)
{
    bool even = (c & 1) == 0;
    uint64_t cbl = 4 * c - 2 + lower_closer, cb = 4 * c, cbr = 4 * c + 2;
    /* floor(log10(2^q)), or floor(log10(3/4 * 2^q)) */
    int k = floor_div_pow2(q * 1262611 - (lower_closer ? 524031 : 0), 22);
    int h = q + floor_log2_pow10(-k) + 1;
    const uint64_t *g = mb_pow10_table[-k - MB_POW10_MIN];
    uint64_t vbl = round_to_odd(g, cbl << h);
    uint64_t vb = round_to_odd(g, cb << h);
    uint64_t vbr = round_to_odd(g, cbr << h);
    uint64_t lower = vbl + !even, upper = vbr - !even;
    uint64_t s = vb / 4;
    if (s >= 10) {
        /* One digit fewer, if exactly one of its two candidates fits. */
        uint64_t sp = s / 10;
        bool up_inside = lower <= 40 * sp, wp_inside = 40 * sp + 40 <= upper;
        if (up_inside != wp_inside) {
            *digits = sp + wp_inside;
            *exponent = k + 1;
            return;
        }
    }
    bool u_inside = lower <= 4 * s, w_inside = 4 * s + 4 <= upper;
    if (u_inside != w_inside) {
        *digits = s + w_inside;
        *exponent = k;
        return;
    }
    uint64_t mid = 4 * s + 2;
    bool round_up = vb > mid || (vb == mid && (s & 1) != 0);
    *digits = s + round_up;
    *exponent = k;
}

/* Splits a positive finite value with `bits` significand bits (hidden bit
 * excluded) and the given exponent bias into digits * 10^exponent. */
static void decompose(uint64_t ieee_m, int ieee_e, int bits, int bias, uint64_t *digits,
                      int *exponent)
{
    uint64_t c;
    int q;
    if (ieee_e != 0) {
        c = ieee_m | (uint64_t)1 << bits;
        q = ieee_e - bias - bits;
        /* Small integers are their own shortest text. */
        if (q <= 0 && -q <= bits && (c & (((uint64_t)1 << -q) - 1)) == 0) {
            *digits = c >> -q;
            *exponent = 0;
            goto trim;
        }
    } else {
        c = ieee_m;
        q = 1 - bias - bits;
    }
    to_decimal(c, q, ieee_m == 0 && ieee_e > 1, digits, exponent);
trim:
    while (*digits % 10 == 0) {
        *digits /= 10;
        (*exponent)++;
    }
}

static const char two_digits[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Writes the decimal digits of v (no NUL); returns their count. */
static int put_u64(uint64_t v, char *out)
{
    char tmp[20];
    int n = 0;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        tmp[19 - n++] = two_digits[2 * r + 1];
        tmp[19 - n++] = two_digits[2 * r];
    }
    if (v >= 10) {
        tmp[19 - n++] = two_digits[2 * v + 1];
        tmp[19 - n++] = two_digits[2 * v];
    } else {
        tmp[19 - n++] = (char)('0' + v);
    }
    memcpy(out, tmp + 20 - n, (size_t)n);
    return n;
}

/* digits * 10^exponent in the layout of "%.Pg", P = max(count, min_p). */
static int layout(bool negative, uint64_t digits, int exponent, int min_p, char *out)
{
    char d[20];
    int n = put_u64(digits, d);
    int x = exponent + n - 1;           /* scientific exponent */
    int p = n > min_p ? n : min_p;
    char *o = out;
    if (negative)
        *o++ = '-';
    if (x < -4 || x >= p) {
        *o++ = d[0];
        if (n > 1) {
            *o++ = '.';
            memcpy(o, d + 1, (size_t)n - 1);
            o += n - 1;
        }
        *o++ = 'e';
        *o++ = x < 0 ? '-' : '+';
        unsigned ax = (unsigned)(x < 0 ? -x : x);
        if (ax >= 100)
            *o++ = (char)('0' + ax / 100);
        *o++ = two_digits[2 * (ax % 100)];
        *o++ = two_digits[2 * (ax % 100) + 1];
    } else if (x >= 0) {
        if (n <= x + 1) {
            memcpy(o, d, (size_t)n);
            o += n;
            memset(o, '0', (size_t)(x + 1 - n));
            o += x + 1 - n;
        } else {
            memcpy(o, d, (size_t)x + 1);
            o += x + 1;
            *o++ = '.';
            memcpy(o, d + x + 1, (size_t)(n - x - 1));
            o += n - x - 1;
        }
    } else {
        *o++ = '0';
        *o++ = '.';
        memset(o, '0', (size_t)(-x - 1));
        o += -x - 1;
        memcpy(o, d, (size_t)n);
        o += n;
    }
    *o = '\0';
    return (int)(o - out);
}

int mb_format_double(double v, char out[MB_NUMBER_TEXT])
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    bool negative = bits >> 63;
    int ieee_e = (int)(bits >> 52 & 0x7ff);
    uint64_t ieee_m = bits & (((uint64_t)1 << 52) - 1);
    if (ieee_e == 0x7ff)
        return -1;                      /* NaN and infinities are not JSON */
    if (ieee_e == 0 && ieee_m == 0)
        return layout(negative, 0, 0, 1, out);
    uint64_t digits;
    int exponent;
    decompose(ieee_m, ieee_e, 52, 1023, &digits, &exponent);
    return layout(negative, digits, exponent, 15, out);
}

int mb_format_float(float v, char out[MB_NUMBER_TEXT])
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    bool negative = bits >> 31;
    int ieee_e = (int)(bits >> 23 & 0xff);
    uint64_t ieee_m = bits & ((UINT32_C(1) << 23) - 1);
    if (ieee_e == 0xff)
        return -1;
    if (ieee_e == 0 && ieee_m == 0)
        return layout(negative, 0, 0, 1, out);
    uint64_t digits;
    int exponent;
    decompose(ieee_m, ieee_e, 23, 127, &digits, &exponent);
    return layout(negative, digits, exponent, 6, out);
}
