/* scalars.c - text forms of the scalar types: base64, RFC 3339, UUIDs,
 * UTF-8, numbers, integer ranges and enum names. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE         /* strtod_l, newlocale */
#endif
#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scalars.h"

/* ---------------------------------------------------------------- base64 */

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t mb_base64_length(size_t n)
{
    return (n + 2) / 3 * 4;
}

void mb_base64_encode(const uint8_t *data, size_t n, char *out)
{
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        *out++ = base64_alphabet[v >> 18];
        *out++ = base64_alphabet[(v >> 12) & 63];
        *out++ = base64_alphabet[(v >> 6) & 63];
        *out++ = base64_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)data[i] << 16;
        *out++ = base64_alphabet[v >> 18];
        *out++ = base64_alphabet[(v >> 12) & 63];
        *out++ = '=';
        *out++ = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
        *out++ = base64_alphabet[v >> 18];
        *out++ = base64_alphabet[(v >> 12) & 63];
        *out++ = base64_alphabet[(v >> 6) & 63];
        *out++ = '=';
    }
}

/* Value of one alphabet character, or -1. */
static int base64_digit(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int mb_base64_decode(const char *text, size_t n, msgbus_bytes *out)
{
    out->data = NULL;
    out->len = 0;
    if (n % 4 != 0)
        return -1;
    if (n == 0)
        return 0;
    size_t pad = text[n - 1] == '=' ? (text[n - 2] == '=' ? 2 : 1) : 0;
    size_t len = n / 4 * 3 - pad;
    uint8_t *data = msgbus_malloc(len);
    if (!data)
        return MSGBUS_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        bool last = i + 4 == n;
        size_t digits = last ? 4 - pad : 4;
        uint32_t v = 0;
        for (size_t k = 0; k < 4; k++) {
            int d = k < digits ? base64_digit(text[i + k]) : 0;
            if (d < 0)
                goto bad;
            v = v << 6 | (uint32_t)d;
        }
        /* Unused bits must be zero, so every byte string has one text. */
        if ((pad == 1 && last && (v & 0xff) != 0) || (pad == 2 && last && (v & 0xffff) != 0))
            goto bad;
        data[o++] = (uint8_t)(v >> 16);
        if (digits > 2) data[o++] = (uint8_t)(v >> 8);
        if (digits > 3) data[o++] = (uint8_t)v;
    }
    out->data = data;
    out->len = len;
    return 0;
bad:
    msgbus_free(data);
    return -1;
}

/* ------------------------------------------------------------ timestamps */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z. */
#define MIN_SECONDS INT64_C(-62135596800)
#define MAX_SECONDS INT64_C(253402300799)

int mb_timestamp_format(const msgbus_timestamp *ts, char out[MB_TIMESTAMP_TEXT])
{
    if (ts->seconds < MIN_SECONDS || ts->seconds > MAX_SECONDS)
        return -1;
    if (ts->nanos < 0 || ts->nanos > 999999999)
        return -1;
    int64_t days = ts->seconds / 86400, rem = ts->seconds % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int n = snprintf(out, MB_TIMESTAMP_TEXT, "%04d-%02d-%02dT%02d:%02d:%02d", (int)y, m, d,
                     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
    if (ts->nanos % 1000000 == 0 && ts->nanos != 0)
        n += snprintf(out + n, (size_t)(MB_TIMESTAMP_TEXT - n), ".%03d", (int)(ts->nanos / 1000000));
    else if (ts->nanos % 1000 == 0 && ts->nanos != 0)
        n += snprintf(out + n, (size_t)(MB_TIMESTAMP_TEXT - n), ".%06d", (int)(ts->nanos / 1000));
    else if (ts->nanos != 0)
        n += snprintf(out + n, (size_t)(MB_TIMESTAMP_TEXT - n), ".%09d", (int)ts->nanos);
    out[n++] = 'Z';
    out[n] = '\0';
    return n;
}

/* Reads exactly `digits` decimal digits at s; -1 if any is not a digit. */
static int read_digits(const char *s, int digits)
{
    int v = 0;
    for (int i = 0; i < digits; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static bool is_leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

int mb_timestamp_parse(const char *s, size_t n, msgbus_timestamp *ts)
{
    if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':')
        return -1;
    int year = read_digits(s, 4), month = read_digits(s + 5, 2), day = read_digits(s + 8, 2);
    int hour = read_digits(s + 11, 2), minute = read_digits(s + 14, 2);
    int second = read_digits(s + 17, 2);
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
        hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59)
        return -1;
    size_t i = 19;
    int32_t nanos = 0;
    if (s[i] == '.') {
        size_t digits = 0;
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
            if (digits == 9)
                return -1;
            nanos = nanos * 10 + (s[i] - '0');
        }
        if (digits == 0)
            return -1;
        for (; digits < 9; digits++)
            nanos *= 10;
    }
    int64_t offset = 0;
    if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh = read_digits(s + i + 1, 2), om = read_digits(s + i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return -1;
        offset = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
    } else {
        return -1;
    }
    int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                      second - offset;
    if (seconds < MIN_SECONDS || seconds > MAX_SECONDS)
        return -1;
    ts->seconds = seconds;
    ts->nanos = nanos;
    return 0;
}

/* ----------------------------------------------------------------- UUIDs */

void mb_uuid_format(const msgbus_uuid *u, char out[MB_UUID_TEXT])
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[u->bytes[i] >> 4];
        *o++ = hex[u->bytes[i] & 15];
    }
    *o = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int mb_uuid_parse(const char *s, size_t n, msgbus_uuid *u)
{
    if (n != 36)
        return -1;
    size_t p = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            if (s[p++] != '-')
                return -1;
        }
        int hi = hex_digit(s[p]), lo = hex_digit(s[p + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        u->bytes[i] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    return 0;
}

/* ----------------------------------------------------------------- UTF-8 */

bool mb_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    for (;;) {
        /* ASCII eight bytes at a time */
        uint64_t w;
        while (n - i >= 8 && (memcpy(&w, u + i, sizeof w), (w & UINT64_C(0x8080808080808080)) == 0))
            i += 8;
        while (i < n && u[i] < 0x80)
            i++;
        if (i >= n)
            return true;
        i = mb_utf8_run_end(u, i, n);
        if (i < n && u[i] >= 0x80)
            return false;
    }
}

size_t mb_utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* --------------------------------------------------------------- numbers */

/* Writes the digits of v and a NUL; returns the number of digits.  Two
 * digits per division: integers are most of what encoders write. */
static int put_digits(uint64_t v, char *out)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    char tmp[24];
    int n = 24;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        tmp[--n] = pairs[2 * r + 1];
        tmp[--n] = pairs[2 * r];
    }
    if (v >= 10) {
        tmp[--n] = pairs[2 * v + 1];
        tmp[--n] = pairs[2 * v];
    } else {
        tmp[--n] = (char)('0' + v);
    }
    memcpy(out, tmp + n, (size_t)(24 - n));
    out[24 - n] = '\0';
    return 24 - n;
}

int mb_format_uint(uint64_t v, char out[MB_NUMBER_TEXT])
{
    return put_digits(v, out);
}

int mb_format_int(int64_t v, char out[MB_NUMBER_TEXT])
{
    if (v >= 0)
        return put_digits((uint64_t)v, out);
    out[0] = '-';
    /* -(v + 1) + 1 avoids overflowing at INT64_MIN. */
    return 1 + put_digits((uint64_t)(-(v + 1)) + 1, out + 1);
}

#if defined(__x86_64__) && LDBL_MANT_DIG == 64 && FLT_EVAL_METHOD == 0
#define MB_PARSE_EXTENDED 1
/* The same idea one size up, for the 16 to 19 digits that shortest text
 * often has (16.240000000000002): the mantissa and 10^e up to 10^27 are
 * exact in x87 extended precision, so the quotient or product is one
 * rounding to 64 bits, then a second one to 53.  The two agree with the
 * single correct rounding unless the 64-bit result lies exactly halfway
 * between two doubles (its 11 low bits 0x400): then the exact value may
 * sit on either side of that midpoint, and the caller falls back. */
/* Whether long double arithmetic really has 64-bit significands here:
 * not under valgrind, which computes x87 operations in double precision,
 * nor after the precision control was lowered.  Checked once: the
 * conversion of 2^63 + 1 and the quotient 1/3 (0xaaaaaaaaaaaaaaab). */
static int extended_state;      /* 0 unknown, 1 works, -1 does not */

static bool extended_works(void)
{
    int state = __atomic_load_n(&extended_state, __ATOMIC_RELAXED);
    if (state == 0) {
        volatile uint64_t big = (UINT64_C(1) << 63) + 1;
        volatile long double one = 1, three = 3;
        long double exact = (long double)big, third = one / three;
        uint64_t bits;
        memcpy(&bits, &third, sizeof bits);
        state = exact - 0x1p63L == 1 && bits == UINT64_C(0xaaaaaaaaaaaaaaab) ? 1 : -1;
        __atomic_store_n(&extended_state, state, __ATOMIC_RELAXED);
    }
    return state > 0;
}

static bool parse_double_extended(uint64_t mantissa, int exponent, double *out)
{
    static const long double pow10l[] = {
        1e0L, 1e1L, 1e2L, 1e3L, 1e4L, 1e5L, 1e6L, 1e7L, 1e8L, 1e9L, 1e10L, 1e11L, 1e12L,
        1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L, 1e21L, 1e22L, 1e23L, 1e24L,
        1e25L, 1e26L, 1e27L };
    if (exponent < -27 || exponent > 27 || !extended_works())
        return false;
    long double r = (long double)mantissa;             /* exact: 64 bits */
    r = exponent < 0 ? r / pow10l[-exponent] : r * pow10l[exponent];
    long double v = r;
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);                     /* the explicit 64-bit significand */
    if ((bits & 0x7ff) == 0x400)
        return false;
    *out = (double)v;
    return true;
}
#endif

/* Clinger's fast path: a decimal of at most 15 significant digits times a
 * power of ten up to 10^22 is one correctly rounded IEEE operation on two
 * exact doubles.  Returns false when the text is outside that case. */
static bool parse_double_fast(const char *text, size_t n, double *out)
{
#if FLT_EVAL_METHOD == 0
    static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
                                    1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
                                    1e20, 1e21, 1e22 };
    size_t i = 0;
    bool negative = n > 0 && text[0] == '-';
    uint64_t mantissa = 0;
    int digits = 0, exponent = 0;
    i += negative;
    for (; i < n && text[i] >= '0' && text[i] <= '9'; i++) {
        if (mantissa == 0 && text[i] == '0')
            continue;               /* leading zeros are not significant */
        if (++digits > 19)
            return false;
        mantissa = mantissa * 10 + (uint64_t)(text[i] - '0');
    }
    if (i < n && text[i] == '.') {
        for (i++; i < n && text[i] >= '0' && text[i] <= '9'; i++) {
            if (mantissa != 0 || text[i] != '0')
                if (++digits > 19)
                    return false;
            mantissa = mantissa * 10 + (uint64_t)(text[i] - '0');
            exponent--;
        }
    }
    if (i < n && (text[i] == 'e' || text[i] == 'E')) {
        bool eneg = false;
        int e = 0;
        if (++i < n && (text[i] == '+' || text[i] == '-'))
            eneg = text[i++] == '-';
        for (; i < n && text[i] >= '0' && text[i] <= '9'; i++) {
            if (e > 1000)
                return false;
            e = e * 10 + (text[i] - '0');
        }
        exponent += eneg ? -e : e;
    }
    if (i != n)
        return false;
    if (digits > 15 || exponent < -22 || exponent > 22) {
#ifdef MB_PARSE_EXTENDED
        if (parse_double_extended(mantissa, exponent, out)) {
            if (negative)
                *out = -*out;
            return true;
        }
#endif
        return false;
    }
    double d = (double)mantissa;
    d = exponent < 0 ? d / pow10[-exponent] : d * pow10[exponent];
    *out = negative ? -d : d;
    return true;
#else
    (void)text; (void)n; (void)out;
    return false;
#endif
}

#if defined(__GLIBC__)
/* The "C" locale for strtod_l: made once, never changed, so reading a
 * number neither depends on nor touches the process's locale. */
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}
#endif

int mb_parse_double(const char *text, size_t n, double *out)
{
    if (parse_double_fast(text, n, out))
        return 0;
#if defined(__GLIBC__)
    pthread_once(&c_locale_once, make_c_locale);
    if (c_locale) {
        char small[128], *copy = n < sizeof small ? small : msgbus_malloc(n + 1);
        if (!copy)
            return MSGBUS_ENOMEM;
        memcpy(copy, text, n);
        copy[n] = '\0';
        errno = 0;
        double d = strtod_l(copy, NULL, c_locale);
        int rc = errno == ERANGE && isinf(d) ? -1 : 0;
        if (copy != small)
            msgbus_free(copy);
        *out = d;
        return rc;
    }
#endif
    /* strtod needs a NUL and honours the locale's decimal point. */
    const char *point = localeconv()->decimal_point;
    size_t point_len = point && *point ? strlen(point) : 1;
    char small[128], *buf = small;
    size_t need = n * point_len + 1;
    if (need > sizeof small) {
        buf = msgbus_malloc(need);
        if (!buf)
            return MSGBUS_ENOMEM;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '.' && point && *point) {
            memcpy(buf + o, point, point_len);
            o += point_len;
        } else {
            buf[o++] = text[i];
        }
    }
    buf[o] = '\0';
    errno = 0;
    double d = strtod(buf, NULL);
    int rc = errno == ERANGE && isinf(d) ? -1 : 0;
    if (buf != small)
        msgbus_free(buf);
    *out = d;
    return rc;
}

/* --------------------------------------------------------------- helpers */

const char *mb_scalar_name(msgbus_scalar s)
{
    static const char *const names[] = {
        "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "float", "double", "string", "bytes", "timestamp", "uuid", "enum", "record",
    };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

bool mb_int_fits(msgbus_scalar s, bool negative, uint64_t magnitude)
{
    uint64_t max_pos, max_neg;
    switch (s) {
    case MSGBUS_INT8: max_pos = INT8_MAX; max_neg = (uint64_t)INT8_MAX + 1; break;
    case MSGBUS_INT16: max_pos = INT16_MAX; max_neg = (uint64_t)INT16_MAX + 1; break;
    case MSGBUS_INT32: max_pos = INT32_MAX; max_neg = (uint64_t)INT32_MAX + 1; break;
    case MSGBUS_INT64: max_pos = INT64_MAX; max_neg = (uint64_t)INT64_MAX + 1; break;
    case MSGBUS_UINT8: max_pos = UINT8_MAX; max_neg = 0; break;
    case MSGBUS_UINT16: max_pos = UINT16_MAX; max_neg = 0; break;
    case MSGBUS_UINT32: max_pos = UINT32_MAX; max_neg = 0; break;
    case MSGBUS_UINT64: max_pos = UINT64_MAX; max_neg = 0; break;
    default: return false;
    }
    return negative ? magnitude <= max_neg : magnitude <= max_pos;
}

int64_t mb_int_load(msgbus_scalar s, const void *p)
{
    switch (s) {
    case MSGBUS_INT8: return *(const int8_t *)p;
    case MSGBUS_INT16: return *(const int16_t *)p;
    case MSGBUS_INT32: return *(const int32_t *)p;
    case MSGBUS_INT64: return *(const int64_t *)p;
    case MSGBUS_ENUM: return *(const int *)p;
    default: return 0;
    }
}

uint64_t mb_uint_load(msgbus_scalar s, const void *p)
{
    switch (s) {
    case MSGBUS_UINT8: return *(const uint8_t *)p;
    case MSGBUS_UINT16: return *(const uint16_t *)p;
    case MSGBUS_UINT32: return *(const uint32_t *)p;
    case MSGBUS_UINT64: return *(const uint64_t *)p;
    default: return 0;
    }
}

void mb_int_store(msgbus_scalar s, void *p, bool negative, uint64_t magnitude)
{
    /* Two's complement negation done in uint64_t, then narrowed: the value
     * fits (checked by mb_int_fits), so the conversion is exact. */
    int64_t v = negative ? (magnitude == 0 ? 0 : -(int64_t)(magnitude - 1) - 1) : 0;
    switch (s) {
    case MSGBUS_INT8: *(int8_t *)p = (int8_t)(negative ? v : (int64_t)magnitude); break;
    case MSGBUS_INT16: *(int16_t *)p = (int16_t)(negative ? v : (int64_t)magnitude); break;
    case MSGBUS_INT32: *(int32_t *)p = (int32_t)(negative ? v : (int64_t)magnitude); break;
    case MSGBUS_INT64: *(int64_t *)p = negative ? v : (int64_t)magnitude; break;
    case MSGBUS_UINT8: *(uint8_t *)p = (uint8_t)magnitude; break;
    case MSGBUS_UINT16: *(uint16_t *)p = (uint16_t)magnitude; break;
    case MSGBUS_UINT32: *(uint32_t *)p = (uint32_t)magnitude; break;
    case MSGBUS_UINT64: *(uint64_t *)p = magnitude; break;
    default: break;
    }
}

const char *mb_enum_name(const msgbus_enum_type *e, int value)
{
    for (size_t i = 0; i < e->n_values; i++)
        if (e->values[i].value == value)
            return e->values[i].name;
    return NULL;
}

int mb_enum_value(const msgbus_enum_type *e, const char *name, size_t n, int *value)
{
    for (size_t i = 0; i < e->n_values; i++) {
        const char *candidate = e->values[i].name;
        if (strlen(candidate) == n && memcmp(candidate, name, n) == 0) {
            *value = e->values[i].value;
            return 0;
        }
    }
    return -1;
}
