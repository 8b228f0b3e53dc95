/* msgbus/buf.h - a growable byte buffer that encoders append to, and the
 * JSON writing steps that generated encoders are made of.
 *
 * A buffer is reused across messages: msgbus_buf_reset keeps its memory, so
 * encoding into it allocates nothing once it is large enough. */
#ifndef MSGBUS_BUF_H
#define MSGBUS_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <msgbus/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct msgbus_buf {
    char *data;         /* NUL-terminated once anything was appended */
    size_t len;         /* bytes written, without the NUL */
    size_t cap;         /* bytes available at data */
    char *storage;      /* the caller's first storage, or NULL (see below) */
} msgbus_buf;

/* Size of the stack storage generated X_encode functions start with: a
 * message up to twice this size costs one allocation. */
#define MSGBUS_BUF_STORAGE 4096

/* An empty buffer that owns nothing (same as = {0}). */
void msgbus_buf_init(msgbus_buf *b);
/* An empty buffer that writes into storage[0..size) (say, on the stack)
 * until it outgrows it, then moves to malloc'd memory. */
void msgbus_buf_init_storage(msgbus_buf *b, char *storage, size_t size);
/* Hands the contents over as one malloc'd NUL-terminated string (*len
 * without the NUL; len may be NULL) and re-inits b.  With rc < 0 (the
 * result of the encoding that filled b) it frees b, sets *out to NULL and
 * returns rc.  Returns rc, or MSGBUS_ENOMEM. */
int msgbus_buf_take(msgbus_buf *b, int rc, char **out, size_t *len);
/* Empties the buffer and keeps its memory for the next message. */
void msgbus_buf_reset(msgbus_buf *b);
/* Frees the memory (not the caller's storage) and re-inits the buffer. */
void msgbus_buf_clear(msgbus_buf *b);
/* Makes room for n more bytes and a NUL.  Returns 0 or MSGBUS_ENOMEM (the
 * contents are kept). */
int msgbus_buf_reserve(msgbus_buf *b, size_t n);
/* Appends n bytes and keeps the NUL after them.  0 or MSGBUS_ENOMEM. */
int msgbus_buf_append(msgbus_buf *b, const void *data, size_t n);

/* JSON writing steps: each appends one JSON value and keeps the NUL.
 * After an error b->len is unspecified but the buffer stays valid. */

/* A string with '"', '\\' and control characters escaped; s is UTF-8.
 * Returns 0, MSGBUS_EINVAL (invalid UTF-8) or MSGBUS_ENOMEM. */
int msgbus_json_put_string(msgbus_buf *b, const char *s);

/* An integer, exactly.  Return 0 or MSGBUS_ENOMEM. */
int msgbus_json_put_int(msgbus_buf *b, int64_t v);
int msgbus_json_put_uint(msgbus_buf *b, uint64_t v);

/* The shortest text that reads back as the same value.  Return 0,
 * MSGBUS_EINVAL (NaN, infinities) or MSGBUS_ENOMEM. */
int msgbus_json_put_double(msgbus_buf *b, double v);
int msgbus_json_put_float(msgbus_buf *b, float v);

/* One value of f's scalar type at p (for lists and maps, one element), by
 * the descriptor: what generated encoders use for bytes, timestamps,
 * uuids, enums, and elements that are lists or maps themselves (written
 * whole, as msgbus_field.element describes them).  Returns 0, MSGBUS_EINVAL (what JSON cannot hold: an
 * enum value that is no member, a timestamp out of range, invalid UTF-8,
 * NaN) or MSGBUS_ENOMEM. */
int msgbus_json_put_value(msgbus_buf *b, const msgbus_field *f, const void *p);

/* JSON text already encoded (a stored payload, say): checked as strictly as
 * the decoders check (RFC 8259, UTF-8, MSGBUS_MAX_DEPTH), then appended as
 * it is, without the whitespace around the value.  Returns 0,
 * MSGBUS_ESYNTAX (err has the line and column), MSGBUS_ELIMIT (nested too
 * deep, or longer than MSGBUS_MAX_INPUT), MSGBUS_EINVAL or MSGBUS_ENOMEM;
 * b is unchanged after an error. */
int msgbus_json_put_raw(msgbus_buf *b, const char *json, size_t len, msgbus_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MSGBUS_BUF_H */
