/* scalars.h - text forms of the scalar types (internal to libmsgbus).
 *
 * Small pure functions shared by the text codec (json_write.c,
 * json_decode.c) and the Jansson codec (json_tree.c).  Names start with mb_
 * so the version script keeps them out of the library's ABI. */
#ifndef MSGBUS_SCALARS_H
#define MSGBUS_SCALARS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <msgbus/types.h>
#include <msgbus/value.h>

/* --- base64 (RFC 4648, standard alphabet, padding required) --- */

/* Characters needed for n bytes (no NUL). */
size_t mb_base64_length(size_t n);
/* Writes exactly mb_base64_length(n) characters to out (no NUL). */
void mb_base64_encode(const uint8_t *data, size_t n, char *out);
/* Strict: length a multiple of 4, only alphabet characters, '=' only as
 * final padding, unused bits zero.  *out is malloc'd (NULL when empty).
 * Returns 0, -1 for bad text, MSGBUS_ENOMEM. */
int mb_base64_decode(const char *text, size_t n, msgbus_bytes *out);

/* --- timestamps (RFC 3339) --- */

#define MB_TIMESTAMP_TEXT MSGBUS_TIMESTAMP_TEXT_SIZE
/* Writes "YYYY-MM-DDTHH:MM:SS[.fff|.ffffff|.fffffffff]Z" and a NUL: the
 * fraction appears only when nanos != 0, with 3, 6 or 9 digits.  Returns
 * the length, or -1 if the year is outside 0001..9999 or nanos is out of
 * 0..999999999. */
int mb_timestamp_format(const msgbus_timestamp *ts, char out[MB_TIMESTAMP_TEXT]);
/* Accepts "YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+hh:mm|-hh:mm)" ('t' and 'z' too),
 * converts offsets to UTC.  A leap second (:60) is rejected: msgbus_timestamp
 * cannot represent it.  Returns 0 or -1. */
int mb_timestamp_parse(const char *text, size_t n, msgbus_timestamp *ts);

/* --- UUIDs --- */

#define MB_UUID_TEXT MSGBUS_UUID_TEXT_SIZE
/* Lowercase canonical 8-4-4-4-12 form and a NUL. */
void mb_uuid_format(const msgbus_uuid *u, char out[MB_UUID_TEXT]);
/* Canonical 36-character form, either case.  Returns 0 or -1. */
int mb_uuid_parse(const char *text, size_t n, msgbus_uuid *u);

/* --- UTF-8 --- */

/* True if s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, nothing
 * above U+10FFFF). */
bool mb_utf8_valid(const char *s, size_t n);
/* Length of the well-formed sequence starting at s (1..4), or 0 if it is not
 * well-formed.  Inline: the JSON reader and writer call it per character. */
static inline size_t mb_utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    /* Second-byte bounds per lead byte (Unicode table 3-7). */
    unsigned char lo = 0x80, hi = 0xbf;
    size_t len;
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c == 0xe0) { len = 3; lo = 0xa0; }
    else if (c == 0xed) { len = 3; hi = 0x9f; }
    else if (c >= 0xe1 && c <= 0xef) len = 3;
    else if (c == 0xf0) { len = 4; lo = 0x90; }
    else if (c == 0xf4) { len = 4; hi = 0x8f; }
    else if (c >= 0xf1 && c <= 0xf3) len = 4;
    else return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

#if defined(__GNUC__) && defined(__SSE2__)
#define MB_JSON_SSE2 1
#include <emmintrin.h>
#endif

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define MB_JSON_WORDS 1
/* The bytes of the little-endian word w that a JSON string cannot hold as
 * they are (control characters, '"', '\\', non-ASCII), as their high bits.
 * The lowest flagged byte is exact: the borrows only reach the bytes after
 * it. */
static inline uint64_t mb_json_flags8(uint64_t w)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    return (w | ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
            ((backslash - ones) & ~backslash)) & highs;
}
#endif

/* True if JSON strings hold byte c as it is. */
static inline bool mb_json_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* Where the bytes that a JSON string holds as they are end: the first
 * index from i on of a byte that is not mb_json_plain in s[0..n), or n.
 * Eight bytes at a time where the byte order allows. */
static inline size_t mb_json_plain_end(const unsigned char *s, size_t i, size_t n)
{
#ifdef MB_JSON_SSE2
    /* Sixteen bytes at a time: as signed bytes, control characters and
     * non-ASCII bytes are both below 0x20. */
    while (n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
        unsigned mask = (unsigned)_mm_movemask_epi8(bad);
        if (mask)
            return i + (size_t)__builtin_ctz(mask);
        i += 16;
    }
#endif
#ifdef MB_JSON_WORDS
    while (n - i >= 8) {
        uint64_t w;
        memcpy(&w, s + i, sizeof w);
        uint64_t flagged = mb_json_flags8(w);
        if (flagged)
            return i + (size_t)(__builtin_ctzll(flagged) >> 3);
        i += 8;
    }
#endif
    while (i < n && mb_json_plain(s[i]))
        i++;
    return i;
}

/* Skips the well-formed multi-byte UTF-8 sequences from s[i] on; returns
 * where they stop: n, an ASCII byte, or a malformed sequence (a byte still
 * >= 0x80 there). */
static inline size_t mb_utf8_run_end(const unsigned char *s, size_t i, size_t n)
{
    while (i < n && s[i] >= 0x80) {
        size_t len = mb_utf8_sequence(s + i, n - i);
        if (len == 0)
            break;
        i += len;
    }
    return i;
}

/* Writes code point cp (a valid scalar value) as UTF-8; returns 1..4. */
size_t mb_utf8_put(uint32_t cp, char *out);

/* --- numbers --- */

#define MB_NUMBER_TEXT 32
/* Shortest text that reads back as the same value, closest to it among
 * the shortest, in the layout of "%.Pg" with P = max(digits, 15) (6 for
 * floats), without the locale (shortest.c).  Write a NUL; return the
 * length, or -1 for NaN and infinities (not JSON). */
int mb_format_double(double d, char out[MB_NUMBER_TEXT]);
int mb_format_float(float f, char out[MB_NUMBER_TEXT]);
/* Decimal text of an integer; return the length. */
int mb_format_int(int64_t v, char out[MB_NUMBER_TEXT]);
int mb_format_uint(uint64_t v, char out[MB_NUMBER_TEXT]);
/* Parses text[0..n) (a JSON number, not NUL-terminated) with strtod,
 * independent of the C locale.  Returns 0, or -1 if the value overflows. */
int mb_parse_double(const char *text, size_t n, double *out);

/* Schema name of a scalar type: "uint8", "timestamp" ... */
const char *mb_scalar_name(msgbus_scalar s);
/* True if the integer -magnitude (negative) or +magnitude fits scalar s. */
bool mb_int_fits(msgbus_scalar s, bool negative, uint64_t magnitude);
/* Reads / writes an integer field of type s at p. */
int64_t mb_int_load(msgbus_scalar s, const void *p);
uint64_t mb_uint_load(msgbus_scalar s, const void *p);
/* Stores -magnitude or +magnitude, which must fit (mb_int_fits). */
void mb_int_store(msgbus_scalar s, void *p, bool negative, uint64_t magnitude);

/* Member name of an enum value, or NULL if value is not a member. */
const char *mb_enum_name(const msgbus_enum_type *e, int value);
/* Finds the member spelled exactly name[0..n).  Returns 0 or -1. */
int mb_enum_value(const msgbus_enum_type *e, const char *name, size_t n, int *value);

#endif /* MSGBUS_SCALARS_H */
