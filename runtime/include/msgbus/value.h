/* msgbus/value.h - generic operations on any generated message or record.
 *
 * Generated functions (shop_orders_ProcessOrder_init ...) are thin wrappers
 * around these; they work for any msgbus_type. */
#ifndef MSGBUS_VALUE_H
#define MSGBUS_VALUE_H

#include <stdarg.h>
#include <jansson.h>
#include <msgbus/types.h>
#include <msgbus/buf.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Limits applied when decoding untrusted input. */
#define MSGBUS_MAX_DEPTH 64                         /* nesting of objects/arrays */
#define MSGBUS_MAX_INPUT ((size_t)64 * 1024 * 1024) /* bytes of JSON text */

/* Sets every field of *m to its default (zero, NULL, empty, schema default)
 * and, for commands and events, m->base.type to type.  Owns nothing yet. */
void msgbus_value_init(const msgbus_type *type, void *m);

/* Frees everything *m owns (strings, bytes, lists, maps, optional records),
 * then re-inits it.  Does not free m itself.  NULL m is a no-op. */
void msgbus_value_clear(const msgbus_type *type, void *m);

/* Deep copy: *dst is overwritten (not freed first) with a copy of *src.
 * Returns 0 or MSGBUS_ENOMEM; on failure *dst is left initialized. */
int msgbus_value_copy(const msgbus_type *type, void *dst, const void *src);

/* Deep equality of two values of the same type. */
bool msgbus_value_equal(const msgbus_type *type, const void *a, const void *b);

/* Returns a new reference to a JSON object for *m, or NULL on failure (out of
 * memory, an enum or string value that cannot be represented). Because
 * json_int_t is signed, a uint64 above INT64_MAX becomes a string of decimal
 * digits; msgbus_value_from_json accepts that string back. */
json_t *msgbus_value_to_json(const msgbus_type *type, const void *m);

/* Fills *m (overwritten, not freed first) from a JSON object.  json is
 * borrowed.  The rules, errors and paths are those of msgbus_value_decode
 * (one decoder reads both forms, members in the object's order).  On
 * failure returns a negative code, fills *err (may be NULL) with text and
 * the field path, and leaves *m initialized: nothing leaks.
 * Returns 0, MSGBUS_EINVAL (NULL argument), MSGBUS_ETYPE, MSGBUS_ERANGE,
 * MSGBUS_ELIMIT (nesting) or MSGBUS_ENOMEM. */
int msgbus_value_from_json(const msgbus_type *type, const json_t *json, void *m,
                           msgbus_error *err);

/* Writes compact JSON text for *m.  *buf is malloc'd and NUL-terminated,
 * *len excludes the NUL; the caller frees *buf.  Exact over the whole range
 * of every integer type.  Returns 0, MSGBUS_ENOMEM or MSGBUS_EINVAL. */
int msgbus_value_encode(const msgbus_type *type, const void *m, char **buf, size_t *len);

/* msgbus_value_encode that also fills *err (may be NULL) with the reason and
 * the field path, e.g. "$.f64: NaN and infinities cannot be JSON".  Encoding:
 * absent optionals are left out; a NULL required string is written as its
 * default (or ""); floats and doubles use the shortest text that reads back
 * exactly; timestamps are "YYYY-MM-DDTHH:MM:SSZ" with ".fff", ".ffffff" or
 * ".fffffffff" only when nanos != 0 (years 0001..9999); an int that is not a
 * member of its enum, NaN, infinities and invalid UTF-8 give MSGBUS_EINVAL.
 * Returns 0, MSGBUS_EINVAL or MSGBUS_ENOMEM. */
int msgbus_value_encode_err(const msgbus_type *type, const void *m, char **buf, size_t *len,
                            msgbus_error *err);

/* Appends the JSON text of *m to b (see msgbus_value_encode_err): with a
 * buffer that is reused, encoding allocates nothing once the buffer is
 * large enough.  On failure b->len is back where it was.  Returns 0,
 * MSGBUS_ENOMEM or MSGBUS_EINVAL. */
int msgbus_value_encode_buf(const msgbus_type *type, const void *m, msgbus_buf *b,
                            msgbus_error *err);

/* Parses JSON text (need not be NUL-terminated) strictly into *m
 * (overwritten, not freed first).  On failure *m is left initialized and *err
 * names the line, column and field path.
 *
 * The text must be exactly one RFC 8259 value in UTF-8 (no BOM, comments,
 * trailing commas, leading zeros, NaN ...); invalid UTF-8 and lone
 * surrogates in \u escapes are malformed text: MSGBUS_ESYNTAX.  When the text
 * is well-formed but does not fit the schema the result is MSGBUS_ETYPE or
 * MSGBUS_ERANGE, with the path: "$.ship_to.zip: expected string, got
 * integer", "$.u8: 300 is out of range for uint8", "$.s: missing required
 * field", "$.attrs[\"k\"]: duplicate key".  A syntax error anywhere wins
 * over a schema mismatch found before it.  Details:
 *  - integer fields take JSON integers only ("1.0" and "1e3" are type
 *    errors); every width is range-checked exactly; a uint64 also takes
 *    its decimal digits as a string ("18446744073709551615"), the form
 *    msgbus_value_to_json gives values above INT64_MAX;
 *  - float and double take any JSON number; a value too large for the type
 *    is MSGBUS_ERANGE (one that rounds to FLT_MAX is accepted);
 *  - a string holding \u0000 is a type error (C strings cannot hold it);
 *  - null or absence leaves an optional absent; null for a required field is
 *    a type error; an absent field with a default gets the default;
 *  - enum names match exactly; bytes need strict base64 with padding;
 *  - timestamps: RFC 3339 with 'Z' or a +hh:mm/-hh:mm offset (converted to
 *    UTC), up to 9 fraction digits, years 0001..9999; a leap second (:60)
 *    is rejected, since msgbus_timestamp cannot represent it;
 *  - uuids: the 36-character 8-4-4-4-12 form, either case;
 *  - unknown keys are skipped after their value is validated; a key given
 *    twice for a field or in a map is a type error;
 *  - nesting deeper than MSGBUS_MAX_DEPTH or text longer than
 *    MSGBUS_MAX_INPUT gives MSGBUS_ELIMIT.
 * A NULL type or m (or text with len > 0) is MSGBUS_EINVAL; running out of
 * memory MSGBUS_ENOMEM. */
int msgbus_value_decode(const msgbus_type *type, const char *text, size_t len, void *m,
                        msgbus_error *err);

/* Finds a type by full name ("shop.orders.ProcessOrder") in module and the
 * modules it imports; NULL if unknown. */
const msgbus_type *msgbus_module_find_type(const msgbus_module *module, const char *name);

/* Text forms of timestamps and UUIDs, as in JSON. */
#define MSGBUS_TIMESTAMP_TEXT_SIZE 32   /* "YYYY-MM-DDTHH:MM:SS.fffffffffZ" + NUL */
#define MSGBUS_UUID_TEXT_SIZE 37        /* 36 characters + NUL */

/* Writes RFC 3339 in UTC ("2024-05-01T12:00:00Z", with 3, 6 or 9 fraction
 * digits when nanos != 0) and a NUL into out.  Returns the length, or
 * MSGBUS_EINVAL for a year outside 1..9999 or nanos out of range. */
int msgbus_timestamp_to_text(const msgbus_timestamp *ts, char out[MSGBUS_TIMESTAMP_TEXT_SIZE]);

/* The timestamp of ms milliseconds since 1970-01-01 UTC (negative ms
 * before it): the times of outbox rows and events, for
 * msgbus_timestamp_to_text, the one RFC 3339 formatter of the library. */
msgbus_timestamp msgbus_timestamp_from_ms(int64_t ms);

/* Parses RFC 3339 (offsets converted to UTC; a leap second is refused).
 * text need not be NUL-terminated.  Returns 0 or MSGBUS_EINVAL. */
int msgbus_timestamp_from_text(const char *text, size_t len, msgbus_timestamp *out);

/* Writes the lowercase canonical form and a NUL into out. */
void msgbus_uuid_to_text(const msgbus_uuid *u, char out[MSGBUS_UUID_TEXT_SIZE]);

/* Parses the canonical 8-4-4-4-12 form, either case.  Returns 0 or
 * MSGBUS_EINVAL. */
int msgbus_uuid_from_text(const char *text, size_t len, msgbus_uuid *out);

/* Text for a MSGBUS_* code; never NULL. */
const char *msgbus_strerror(int code);

/* Fills *err (if not NULL) and returns code.  path may be NULL.  The text
 * is "path: message" when path is not empty, else the message; line, column
 * and position are set to 0. */
int msgbus_error_set(msgbus_error *err, int code, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* msgbus_error_set with a va_list. */
int msgbus_error_setv(msgbus_error *err, int code, const char *path, const char *fmt,
                      va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 0)))
#endif
    ;

/* Resets *err to "no error". */
void msgbus_error_clear(msgbus_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MSGBUS_VALUE_H */
