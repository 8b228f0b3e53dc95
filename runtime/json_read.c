/* json_read.c - a strict streaming reader of JSON text (RFC 8259). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "json_read.h"
#include "scalars.h"

void mb_reader_init(mb_reader *r, const char *text, size_t len, msgbus_error *err)
{
    memset(r, 0, sizeof *r);
    r->text = text;
    r->len = len;
    r->err = err;
}

void mb_reader_init_tree(mb_reader *r, const json_t *json, mb_tree_frame *stack,
                         msgbus_error *err)
{
    memset(r, 0, sizeof *r);
    r->cur = json;
    r->stack = stack;
    r->err = err;
}

mb_kind mb_tree_kind(const mb_reader *r)
{
    switch (json_typeof(r->cur)) {
    case JSON_OBJECT: return MB_KIND_OBJECT;
    case JSON_ARRAY: return MB_KIND_ARRAY;
    case JSON_STRING: return MB_KIND_STRING;
    case JSON_INTEGER: case JSON_REAL: return MB_KIND_NUMBER;
    case JSON_TRUE: return MB_KIND_TRUE;
    case JSON_FALSE: return MB_KIND_FALSE;
    default: return MB_KIND_NULL;
    }
}

void mb_reader_free(mb_reader *r)
{
    msgbus_free(r->scratch);
    r->scratch = NULL;
    r->scratch_cap = 0;
}

int mb_reader_fail(mb_reader *r, int code, size_t pos, const mb_frame *at, const char *fmt, ...)
{
    msgbus_error *err = r->err;
    if (!err)
        return code;
    char path[MSGBUS_ERROR_PATH_LENGTH];
    mb_path_format(at, path, sizeof path);
    if (mb_is_tree(r)) {
        va_list ap;
        va_start(ap, fmt);
        msgbus_error_setv(err, code, path, fmt, ap);
        va_end(ap);
        return code;
    }
    int line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < pos && i < r->len; i++) {
        if (r->text[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    }
    int column = (int)(pos - line_start) + 1;
    char message[MSGBUS_ERROR_TEXT_LENGTH];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (code == MSGBUS_ESYNTAX)
        msgbus_error_set(err, code, path, "%s at line %d, column %d", message, line, column);
    else
        msgbus_error_set(err, code, path, "%s", message);
    err->line = line;
    err->column = column;
    err->position = pos;
    return code;
}

bool mb_at_end(mb_reader *r)
{
    if (mb_is_tree(r))
        return true;
    mb_skip_space(r);
    return r->pos == r->len;
}

/* Error for a byte that cannot start a value. */
static int unexpected(mb_reader *r, const mb_frame *at, const char *wanted)
{
    if (r->pos >= r->len)
        return mb_reader_fail(r, MSGBUS_ESYNTAX, r->pos, at, "unexpected end of text, expected %s",
                              wanted);
    unsigned char c = (unsigned char)r->text[r->pos];
    if (c >= 0x20 && c < 0x7f)
        return mb_reader_fail(r, MSGBUS_ESYNTAX, r->pos, at, "unexpected '%c', expected %s", c,
                              wanted);
    return mb_reader_fail(r, MSGBUS_ESYNTAX, r->pos, at, "unexpected byte 0x%02x, expected %s", c,
                          wanted);
}

const char *mb_kind_name(mb_reader *r, mb_kind kind)
{
    if (mb_is_tree(r) && kind == MB_KIND_NUMBER)
        return json_is_integer(r->cur) ? "integer" : "number";
    switch (kind) {
    case MB_KIND_OBJECT: return "object";
    case MB_KIND_ARRAY: return "array";
    case MB_KIND_STRING: return "string";
    case MB_KIND_TRUE: case MB_KIND_FALSE: return "boolean";
    case MB_KIND_NULL: return "null";
    case MB_KIND_NUMBER:
        for (size_t i = r->pos; i < r->len; i++) {
            char c = r->text[i];
            if (c == '.' || c == 'e' || c == 'E')
                return "number";
            if (!(c >= '0' && c <= '9') && c != '-')
                break;
        }
        return "integer";
    default: return "invalid JSON";
    }
}

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v << 4 | d;
    }
    return v;
}

/* Reads a \uXXXX escape (or a surrogate pair) at s[0..n), s[0] == 'u'.
 * Returns the characters consumed after the backslash (5 or 11) and the
 * code point, or 0 if invalid (*why says why). */
static size_t read_u_escape(const char *s, size_t n, uint32_t *cp, const char **why)
{
    int hi = n >= 5 ? hex4(s + 1) : -1;
    if (hi < 0) {
        *why = "invalid \\u escape";
        return 0;
    }
    if (hi >= 0xdc00 && hi <= 0xdfff) {
        *why = "lone low surrogate in \\u escape";
        return 0;
    }
    if (hi < 0xd800 || hi > 0xdbff) {
        *cp = (uint32_t)hi;
        return 5;
    }
    int lo = n >= 11 && s[5] == '\\' && s[6] == 'u' ? hex4(s + 7) : -1;
    if (lo < 0xdc00 || lo > 0xdfff) {
        *why = "lone high surrogate in \\u escape";
        return 0;
    }
    *cp = 0x10000 + (((uint32_t)hi - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
    return 11;
}

static int grow_scratch(mb_reader *r, size_t need)
{
    if (need <= r->scratch_cap)
        return 0;
    size_t cap = r->scratch_cap ? r->scratch_cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = msgbus_realloc(r->scratch, cap);
    if (!p)
        return MSGBUS_ENOMEM;
    r->scratch = p;
    r->scratch_cap = cap;
    return 0;
}

/* Copies the raw string body s[0..n) (already validated) to out, decoding
 * escapes; returns the decoded length. */
static size_t unescape(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        const char *bs = memchr(s + i, '\\', n - i);
        size_t run = bs ? (size_t)(bs - (s + i)) : n - i;
        memcpy(out + o, s + i, run);
        o += run;
        i += run;
        if (i >= n)
            break;
        char e = s[i + 1];
        switch (e) {
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            uint32_t cp = 0;
            const char *why;
            size_t used = read_u_escape(s + i + 1, n - i - 1, &cp, &why);
            o += mb_utf8_put(cp, out + o);
            i += 1 + used;
            continue;
        }
        default: out[o++] = e; break;      /* '"', '\\', '/' */
        }
        i += 2;
    }
    out[o] = '\0';
    return o;
}

/* A tree string: the same modes; invalid UTF-8 (possible in trees built
 * with json_stringn_nocheck) is a type error, since the tree is not text. */
static int tree_string(mb_reader *r, mb_string_mode mode, char **out, size_t *n, bool *has_nul,
                       const mb_frame *at)
{
    const char *s = json_string_value(r->cur);
    size_t len = json_string_length(r->cur);
    *has_nul = strlen(s) != len;
    if (!mb_utf8_valid(s, len))
        return mb_reader_fail(r, MSGBUS_ETYPE, 0, at, "invalid UTF-8 in string");
    if (mode == MB_STRING_SKIP)
        return 0;
    *n = len;
    if (mode != MB_STRING_OWN) {
        *out = (char *)s;
        return 0;
    }
    *out = msgbus_malloc(len + 1);
    if (!*out)
        return mb_reader_fail(r, MSGBUS_ENOMEM, 0, at, "out of memory");
    memcpy(*out, s, len + 1);
    return 0;
}

int mb_read_string(mb_reader *r, mb_string_mode mode, char **out, size_t *n, bool *has_nul,
                   const mb_frame *at)
{
    if (mb_is_tree(r))
        return tree_string(r, mode, out, n, has_nul, at);
    const unsigned char *u = (const unsigned char *)r->text;
    const size_t len = r->len;
    size_t start = r->pos + 1, i = start;         /* after the opening quote */
    bool escapes = false;
    *has_nul = false;
    for (;;) {
        i = mb_json_plain_end(u, i, len);
        if (i >= len) {
            r->pos = i;
            return mb_reader_fail(r, MSGBUS_ESYNTAX, i, at, "unterminated string");
        }
        unsigned char c = u[i];
        if (c == '"')
            break;
        if (c >= 0x80) {
            i = mb_utf8_run_end(u, i, len);
            if (i < len && u[i] >= 0x80) {
                r->pos = i;
                return mb_reader_fail(r, MSGBUS_ESYNTAX, i, at, "invalid UTF-8 in string");
            }
            continue;
        }
        if (c < 0x20) {
            r->pos = i;
            return mb_reader_fail(r, MSGBUS_ESYNTAX, i, at, "control character 0x%02x in string",
                                  c);
        }
        /* a backslash */
        escapes = true;
        r->pos = i;
        if (i + 1 >= len)
            return mb_reader_fail(r, MSGBUS_ESYNTAX, i, at, "unterminated string");
        switch (u[i + 1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            i += 2;
            break;
        case 'u': {
            uint32_t cp;
            const char *why = "";
            size_t used = read_u_escape(r->text + i + 1, len - i - 1, &cp, &why);
            if (used == 0)
                return mb_reader_fail(r, MSGBUS_ESYNTAX, i, at, "%s", why);
            if (cp == 0)
                *has_nul = true;
            i += 1 + used;
            break;
        }
        default:
            return mb_reader_fail(r, MSGBUS_ESYNTAX, i, at, "invalid escape in string");
        }
    }
    r->pos = i;
    size_t raw = r->pos - start;
    r->pos++;                         /* the closing quote */
    if (mode == MB_STRING_SKIP)
        return 0;
    if (mode == MB_STRING_VIEW && !escapes) {
        *out = (char *)r->text + start;
        *n = raw;
        return 0;
    }
    char *buf;
    if (mode == MB_STRING_OWN) {
        buf = msgbus_malloc(raw + 1);
        if (!buf)
            return mb_reader_fail(r, MSGBUS_ENOMEM, start, at, "out of memory");
    } else {
        if (grow_scratch(r, raw + 1) < 0)
            return mb_reader_fail(r, MSGBUS_ENOMEM, start, at, "out of memory");
        buf = r->scratch;
    }
    if (escapes) {
        *n = unescape(r->text + start, raw, buf);
    } else {
        mb_copy(buf, r->text + start, raw);
        buf[raw] = '\0';
        *n = raw;
    }
    *out = buf;
    return 0;
}

static bool is_digit_at(const mb_reader *r, size_t pos)
{
    return pos < r->len && r->text[pos] >= '0' && r->text[pos] <= '9';
}

/* A tree number as the text the number rules read: integers as decimal,
 * reals as their shortest text, which reads back exactly. */
static int tree_number(mb_reader *r, mb_number *num)
{
    int n;
    if (json_is_integer(r->cur)) {
        n = mb_format_int((int64_t)json_integer_value(r->cur), r->number);
        num->integer = true;
    } else {
        n = mb_format_double(json_real_value(r->cur), r->number);
        num->integer = false;
    }
    num->text = r->number;
    num->len = n < 0 ? 0 : (size_t)n;
    num->negative = r->number[0] == '-';
    return 0;
}

int mb_read_number(mb_reader *r, mb_number *num, const mb_frame *at)
{
    if (mb_is_tree(r))
        return tree_number(r, num);
    size_t start = r->pos, p = r->pos;
    num->negative = false;
    num->integer = true;
    if (p < r->len && r->text[p] == '-') {
        num->negative = true;
        p++;
    }
    if (!is_digit_at(r, p))
        return mb_reader_fail(r, MSGBUS_ESYNTAX, p, at, "expected a digit");
    if (r->text[p] == '0') {
        p++;
        if (is_digit_at(r, p))
            return mb_reader_fail(r, MSGBUS_ESYNTAX, p, at, "leading zeros are not allowed");
    } else {
        while (is_digit_at(r, p))
            p++;
    }
    if (p < r->len && r->text[p] == '.') {
        num->integer = false;
        p++;
        if (!is_digit_at(r, p))
            return mb_reader_fail(r, MSGBUS_ESYNTAX, p, at, "expected a digit after '.'");
        while (is_digit_at(r, p))
            p++;
    }
    if (p < r->len && (r->text[p] == 'e' || r->text[p] == 'E')) {
        num->integer = false;
        p++;
        if (p < r->len && (r->text[p] == '+' || r->text[p] == '-'))
            p++;
        if (!is_digit_at(r, p))
            return mb_reader_fail(r, MSGBUS_ESYNTAX, p, at, "expected a digit in the exponent");
        while (is_digit_at(r, p))
            p++;
    }
    num->text = r->text + start;
    num->len = p - start;
    r->pos = p;
    return 0;
}

int mb_read_literal(mb_reader *r, mb_kind kind, const mb_frame *at)
{
    if (mb_is_tree(r))
        return 0;
    const char *word = kind == MB_KIND_TRUE ? "true" : kind == MB_KIND_FALSE ? "false" : "null";
    size_t n = strlen(word);
    if (r->len - r->pos < n || memcmp(r->text + r->pos, word, n) != 0)
        return unexpected(r, at, "a JSON value");
    r->pos += n;
    return 0;
}

int mb_open(mb_reader *r, const mb_frame *at)
{
    if (r->depth >= MSGBUS_MAX_DEPTH)
        return mb_reader_fail(r, MSGBUS_ELIMIT, r->pos, at,
                              "nesting deeper than %d objects and arrays", MSGBUS_MAX_DEPTH);
    if (mb_is_tree(r)) {
        mb_tree_frame *f = &r->stack[r->depth];
        f->container = r->cur;
        f->iter = json_is_object(r->cur) ? json_object_iter((json_t *)r->cur) : NULL;
        f->index = 0;
    } else {
        r->pos++;
    }
    r->depth++;
    return 0;
}

static int tree_object_next(mb_reader *r, char **key, size_t *key_len, bool *key_has_nul)
{
    mb_tree_frame *f = &r->stack[r->depth - 1];
    if (!f->iter) {
        r->depth--;
        return 0;
    }
    const char *k = json_object_iter_key(f->iter);
#if JANSSON_VERSION_HEX >= 0x020e00
    size_t n = json_object_iter_key_len(f->iter);
#else
    size_t n = strlen(k);
#endif
    *key_has_nul = strlen(k) != n;
    if (key) {
        *key = (char *)k;
        *key_len = n;
    }
    r->cur = json_object_iter_value(f->iter);
    f->iter = json_object_iter_next((json_t *)f->container, f->iter);
    return 1;
}

int mb_object_next(mb_reader *r, bool *first, char **key, size_t *key_len, bool *key_has_nul,
                   const mb_frame *at)
{
    if (mb_is_tree(r))
        return tree_object_next(r, key, key_len, key_has_nul);
    if (key) {
        int rc = mb_object_next_compact(r, first, key, key_len);
        if (rc >= 0) {
            *key_has_nul = false;
            return rc;
        }
    }
    const unsigned char *u = (const unsigned char *)r->text;
    mb_skip_space(r);
    if (r->pos < r->len && r->text[r->pos] == '}' && *first) {
        r->pos++;
        r->depth--;
        return 0;
    }
    if (!*first) {
        if (r->pos < r->len && r->text[r->pos] == '}') {
            r->pos++;
            r->depth--;
            return 0;
        }
        if (r->pos >= r->len || r->text[r->pos] != ',')
            return unexpected(r, at, "',' or '}'");
        r->pos++;
        mb_skip_space(r);
    }
    *first = false;
    if (r->pos >= r->len || r->text[r->pos] != '"')
        return unexpected(r, at, "a string key");
    /* Most keys are plain ASCII without escapes: viewed in place. */
    size_t end = mb_json_plain_end(u, r->pos + 1, r->len);
    if (key && end < r->len && u[end] == '"') {
        *key = (char *)r->text + r->pos + 1;
        *key_len = end - r->pos - 1;
        *key_has_nul = false;
        r->pos = end + 1;
    } else {
        int rc = mb_read_string(r, key ? MB_STRING_VIEW : MB_STRING_SKIP, key, key_len,
                                key_has_nul, at);
        if (rc < 0)
            return rc;
    }
    if (r->pos < r->len && r->text[r->pos] == ':') {
        r->pos++;
        return 1;
    }
    mb_skip_space(r);
    if (r->pos >= r->len || r->text[r->pos] != ':')
        return unexpected(r, at, "':'");
    r->pos++;
    return 1;
}

int mb_array_next(mb_reader *r, bool *first, const mb_frame *at)
{
    if (mb_is_tree(r)) {
        mb_tree_frame *f = &r->stack[r->depth - 1];
        if (f->index >= json_array_size(f->container)) {
            r->depth--;
            return 0;
        }
        r->cur = json_array_get(f->container, f->index++);
        return 1;
    }
    mb_skip_space(r);
    if (r->pos < r->len && r->text[r->pos] == ']') {
        /* "[1,]" never gets here: after a ',' an element is required. */
        r->pos++;
        r->depth--;
        return 0;
    }
    if (!*first) {
        if (r->pos >= r->len || r->text[r->pos] != ',')
            return unexpected(r, at, "',' or ']'");
        r->pos++;
        mb_skip_space(r);
        if (r->pos < r->len && r->text[r->pos] == ']')
            return unexpected(r, at, "a JSON value");
    }
    *first = false;
    return 1;
}

int mb_skip_value(mb_reader *r, const mb_frame *at)
{
    mb_kind kind = mb_next_kind(r);
    int rc;
    bool first = true;
    switch (kind) {
    case MB_KIND_OBJECT: {
        if ((rc = mb_open(r, at)) < 0)
            return rc;
        bool nul;
        /* Keys are validated, not stored: the scratch buffer may hold the
         * key that names this very value in the error path. */
        while ((rc = mb_object_next(r, &first, NULL, NULL, &nul, at)) == 1)
            if ((rc = mb_skip_value(r, at)) < 0)
                return rc;
        return rc;
    }
    case MB_KIND_ARRAY:
        if ((rc = mb_open(r, at)) < 0)
            return rc;
        while ((rc = mb_array_next(r, &first, at)) == 1)
            if ((rc = mb_skip_value(r, at)) < 0)
                return rc;
        return rc;
    case MB_KIND_STRING: {
        bool nul;
        return mb_read_string(r, MB_STRING_SKIP, NULL, NULL, &nul, at);
    }
    case MB_KIND_NUMBER: {
        mb_number num;
        return mb_read_number(r, &num, at);
    }
    case MB_KIND_TRUE: case MB_KIND_FALSE: case MB_KIND_NULL:
        return mb_read_literal(r, kind, at);
    default:
        return unexpected(r, at, "a JSON value");
    }
}

int mb_validate_tree(const json_t *json, msgbus_error *err)
{
    mb_tree_frame stack[MSGBUS_MAX_DEPTH + 1];
    mb_reader r;
    mb_reader_init_tree(&r, json, stack, err);
    return mb_skip_value(&r, NULL);
}

int mb_validate(const char *text, size_t len, msgbus_error *err)
{
    mb_reader r;
    mb_reader_init(&r, text, len, err);
    int rc = mb_skip_value(&r, NULL);
    if (rc == 0 && !mb_at_end(&r))
        rc = mb_reader_fail(&r, MSGBUS_ESYNTAX, r.pos, NULL,
                            "unexpected text after the JSON value");
    mb_reader_free(&r);
    return rc;
}
