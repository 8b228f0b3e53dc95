/* json_read.h - the reader json_decode.c pulls JSON values from (internal).
 *
 * Two forms behind one interface, so one decoder decides types, ranges,
 * defaults and paths for both: JSON text, read strictly (RFC 8259, UTF-8
 * validated) without building a tree, and a Jansson tree walked in place.
 * mb_skip_value validates what nobody stores. */
#ifndef MSGBUS_JSON_READ_H
#define MSGBUS_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "scalars.h"

/* An object or array open in a tree: where its walk stands. */
typedef struct mb_tree_frame {
    const json_t *container;
    void *iter;             /* objects: the next member */
    size_t index;           /* arrays: the next element */
} mb_tree_frame;

/* The public msgbus_json_in (json_get.h) is this reader. */
typedef struct msgbus_json_in {
    const char *text;
    size_t len;
    size_t pos;             /* next byte to read */
    int depth;              /* open objects and arrays */
    msgbus_error *err;
    char *scratch;          /* decoded keys and short-lived strings */
    size_t scratch_cap;
    /* The tree form (text is NULL): the value at the cursor, and a stack of
     * MSGBUS_MAX_DEPTH + 1 open containers. */
    const json_t *cur;
    mb_tree_frame *stack;
    char number[32];        /* a tree number's text, for the number rules */
    const msgbus_type *type;    /* the message mb_decode_text reads */
} mb_reader;

/* What the next value is, judged by its first byte. */
typedef enum mb_kind {
    MB_KIND_INVALID,        /* not the start of a value (or end of text) */
    MB_KIND_OBJECT, MB_KIND_ARRAY, MB_KIND_STRING, MB_KIND_NUMBER,
    MB_KIND_TRUE, MB_KIND_FALSE, MB_KIND_NULL
} mb_kind;

/* A number token as written. */
typedef struct mb_number {
    const char *text;
    size_t len;
    bool negative;
    bool integer;           /* no fraction and no exponent */
} mb_number;

/* How mb_read_string delivers the string. */
typedef enum mb_string_mode {
    MB_STRING_SKIP,         /* validate only */
    MB_STRING_SCRATCH,      /* into r->scratch, valid until the next read */
    MB_STRING_OWN,          /* into a new malloc'd buffer */
    MB_STRING_VIEW          /* into the text itself when it has no escapes (not
                               NUL-terminated: use *n), else like SCRATCH */
} mb_string_mode;

void mb_reader_init(mb_reader *r, const char *text, size_t len, msgbus_error *err);
/* A reader of the tree json (borrowed); stack has MSGBUS_MAX_DEPTH + 1
 * entries. */
void mb_reader_init_tree(mb_reader *r, const json_t *json, mb_tree_frame *stack,
                         msgbus_error *err);

static inline bool mb_is_tree(const mb_reader *r)
{
    return r->text == NULL;
}

/* The kind of the tree value at the cursor. */
mb_kind mb_tree_kind(const mb_reader *r);
void mb_reader_free(mb_reader *r);

/* True for the whitespace JSON allows around tokens (RFC 8259). */
static inline bool mb_json_space(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* Skips whitespace (inline: called before every token). */
static inline void mb_skip_space(mb_reader *r)
{
    while (r->pos < r->len && mb_json_space(r->text[r->pos]))
        r->pos++;
}

/* Skips whitespace; returns the kind of the value that follows. */
static inline mb_kind mb_next_kind(mb_reader *r)
{
    if (mb_is_tree(r))
        return mb_tree_kind(r);
    mb_skip_space(r);
    if (r->pos == r->len)
        return MB_KIND_INVALID;
    switch (r->text[r->pos]) {
    case '{': return MB_KIND_OBJECT;
    case '[': return MB_KIND_ARRAY;
    case '"': return MB_KIND_STRING;
    case 't': return MB_KIND_TRUE;
    case 'f': return MB_KIND_FALSE;
    case 'n': return MB_KIND_NULL;
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return MB_KIND_NUMBER;
    default:
        return MB_KIND_INVALID;
    }
}
/* Skips whitespace; true if only whitespace is left. */
bool mb_at_end(mb_reader *r);

/* Fills *r->err with code, the path of `at` and the line/column of byte
 * pos; syntax errors also name line and column in the text. Returns code. */
int mb_reader_fail(mb_reader *r, int code, size_t pos, const mb_frame *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Reads the string at the current position (after mb_next_kind returned
 * MB_KIND_STRING).  *out and *n receive the decoded text (NUL-terminated)
 * unless mode is SKIP; *has_nul tells whether it holds "\u0000". */
int mb_read_string(mb_reader *r, mb_string_mode mode, char **out, size_t *n, bool *has_nul,
                   const mb_frame *at);
/* Reads a number token (grammar only; no conversion). */
int mb_read_number(mb_reader *r, mb_number *num, const mb_frame *at);
/* Reads true, false or null, whichever kind says. */
int mb_read_literal(mb_reader *r, mb_kind kind, const mb_frame *at);

/* Consumes '{' or '[' and counts the depth (MSGBUS_ELIMIT past
 * MSGBUS_MAX_DEPTH). */
int mb_open(mb_reader *r, const mb_frame *at);
/* Moves to the next member of the open object: returns 1 with the key in
 * *key (MB_STRING_VIEW: *key_len bytes, maybe not NUL-terminated) and the reader at its value, 0 after the closing '}', or an
 * error.  *first must start true.  With key NULL the key is only validated. */
int mb_object_next(mb_reader *r, bool *first, char **key, size_t *key_len, bool *key_has_nul,
                   const mb_frame *at);
/* mb_object_next's common cases, inline: compact text as encoders write
 * it, a member [,]"plain key": (returns 1, as mb_object_next) or the
 * closing '}' right after '{' or a value (returns 0).  Returns -1, having
 * moved nothing, for anything else: then mb_object_next decides. */
static inline int mb_object_next_compact(mb_reader *r, bool *first, char **key, size_t *key_len)
{
    const unsigned char *u = (const unsigned char *)r->text;
    size_t pos = r->pos, p = pos + !*first;
    if (pos >= r->len || mb_is_tree(r))
        return -1;
    if (u[pos] == '}') {
        r->pos = pos + 1;
        r->depth--;
        return 0;
    }
    if (p < r->len && u[p] == '"' && (*first || u[pos] == ',')) {
        size_t end = mb_json_plain_end(u, p + 1, r->len);
        if (end + 1 < r->len && u[end] == '"' && u[end + 1] == ':') {
            *key = (char *)r->text + p + 1;
            *key_len = end - p - 1;
            *first = false;
            r->pos = end + 2;
            return 1;
        }
    }
    return -1;
}
/* Moves to the next element of the open array: 1 at an element, 0 after the
 * closing ']', or an error. */
int mb_array_next(mb_reader *r, bool *first, const mb_frame *at);
/* mb_array_next's common cases, inline, for compact text: the closing ']'
 * (returns 0), or an element right after '[' or after a ',' (returns 1).
 * Returns -1, having moved nothing, for anything else (spaces, errors):
 * then mb_array_next decides. */
static inline int mb_array_next_compact(mb_reader *r, bool *first)
{
    const unsigned char *u = (const unsigned char *)r->text;
    size_t pos = r->pos;
    if (pos + 1 >= r->len || mb_is_tree(r))
        return -1;
    unsigned char c = u[pos], next = u[pos + 1];
    if (c == ']') {
        r->pos = pos + 1;
        r->depth--;
        return 0;
    }
    if (*first) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            return -1;
        *first = false;
        return 1;
    }
    if (c != ',' || next == ']' || next == ' ' || next == '\t' || next == '\n' || next == '\r')
        return -1;
    r->pos = pos + 1;
    return 1;
}

/* Reads and validates any value, storing nothing. */
int mb_skip_value(mb_reader *r, const mb_frame *at);

/* Checks that text is exactly one valid JSON value (syntax and depth only). */
int mb_validate(const char *text, size_t len, msgbus_error *err);
/* Checks the nesting depth of a tree, as mb_validate does for text. */
int mb_validate_tree(const json_t *json, msgbus_error *err);

/* "integer", "number", "string", "object" ... for messages. */
const char *mb_kind_name(mb_reader *r, mb_kind kind);

#endif /* MSGBUS_JSON_READ_H */
