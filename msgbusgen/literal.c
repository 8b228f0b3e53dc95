/* literal.c - the values of literals in schemas: integers (decimal or
 * hex, with overflow flagged for sema), reals, and string bodies with their
 * escapes decoded and their UTF-8 checked.  The lexer (lexer.l) only finds
 * the tokens. */
#include <stdlib.h>
#include <string.h>

#include "literal.h"

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

literal *literal_integer(const char *text, span where)
{
    literal *lit = xcalloc(1, sizeof *lit);
    const char *p = text;
    unsigned base = 10;

    lit->kind = LIT_INT;
    lit->text = xstrdup(text);
    lit->span = where;
    if (*p == '-') {
        lit->negative = true;
        p++;
    }
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    for (; *p; p++) {
        uint64_t digit = (uint64_t)hex_digit(*p);
        if (lit->magnitude > (UINT64_MAX - digit) / base)
            lit->too_large = true;
        lit->magnitude = lit->magnitude * base + digit;
    }
    if (lit->too_large)
        lit->magnitude = UINT64_MAX;
    lit->real = lit->negative ? -(double)lit->magnitude : (double)lit->magnitude;
    return lit;
}

literal *literal_real(const char *text, span where)
{
    literal *lit = xcalloc(1, sizeof *lit);

    lit->kind = LIT_FLOAT;
    lit->text = xstrdup(text);
    lit->negative = text[0] == '-';
    lit->real = strtod(text, NULL);   /* +-HUGE_VAL when too large: sema's range check */
    lit->span = where;
    return lit;
}

size_t literal_utf8_sequence(const unsigned char *s, size_t n)
{
    size_t len, i;
    uint32_t cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2;
        cp = s[0] & 0x1F;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3;
        cp = s[0] & 0x0F;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    /* overlong forms, UTF-16 surrogates and values past U+10FFFF */
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))
        || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Four hex digits at s (n bytes available), or -1. */
static long hex4(const char *s, size_t n)
{
    long v = 0;
    size_t i;

    if (n < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        int d = hex_digit(s[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

char *literal_unescape(diag_sink *sink, uint32_t file, const char *body, size_t len, uint32_t at)
{
    char *out = xmalloc(len + 1);   /* escapes never grow: \uXXXX is 6 bytes, UTF-8 at most 4 */
    size_t i = 0, o = 0;

    while (i < len) {
        unsigned char c = (unsigned char)body[i];
        span where = { file, at + (uint32_t)i, at + (uint32_t)i + 1 };

        if (c == '\\' && i + 1 < len) {
            char e = body[i + 1];
            long cp;
            where.end = where.start + 2;
            switch (e) {
            case '"': case '\\': case '/': out[o++] = e; i += 2; continue;
            case 'n': out[o++] = '\n'; i += 2; continue;
            case 't': out[o++] = '\t'; i += 2; continue;
            case 'r': out[o++] = '\r'; i += 2; continue;
            case 'u': break;
            default:
                diag_report(sink, DIAG_ERROR, where, "unknown escape sequence '\\%c'", e);
                i += 2;
                continue;
            }
            cp = hex4(body + i + 2, len - i - 2);
            if (cp < 0) {
                diag_report(sink, DIAG_ERROR, where, "'\\u' needs four hex digits");
                i += 2;
                continue;
            }
            where.end = where.start + 6;
            i += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                long low = (i + 1 < len && body[i] == '\\' && body[i + 1] == 'u')
                           ? hex4(body + i + 2, len - i - 2) : -1;
                if (low >= 0xDC00 && low <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    i += 6;
                } else {
                    diag_report(sink, DIAG_ERROR, where, "unpaired UTF-16 surrogate in '\\u' escape");
                    continue;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                diag_report(sink, DIAG_ERROR, where, "unpaired UTF-16 surrogate in '\\u' escape");
                continue;
            } else if (cp == 0) {
                diag_report(sink, DIAG_ERROR, where, "'\\u0000' is not allowed in a string");
                continue;
            }
            o += utf8_encode((uint32_t)cp, out + o);
        } else if (c == '\\') {
            i++;   /* a lone backslash ends an unterminated string: already reported */
        } else if (c < 0x20 && c != '\t') {
            diag_report(sink, DIAG_ERROR, where, "control character in string; use an escape");
            i++;
        } else {
            size_t n = literal_utf8_sequence((const unsigned char *)body + i, len - i);
            if (n == 0) {
                diag_report(sink, DIAG_ERROR, where, "invalid UTF-8 in string");
                i++;
                continue;
            }
            memcpy(out + o, body + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    return out;
}

