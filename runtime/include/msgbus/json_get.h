/* msgbus/json_get.h - the JSON reading steps that generated decoders
 * (X_decode) are made of.
 *
 * msgbusgen writes, per message, a function that dispatches the keys of
 * one JSON object to its fields and reads each value with the steps below.
 * The steps are the library's own decoder (the one behind
 * msgbus_value_decode), so both decide types, ranges, defaults, error
 * texts, paths and positions alike; the generated code only saves the
 * walk over the descriptors.  Calling them by hand is possible but seldom
 * useful: X_decode and msgbus_value_decode are the interface. */
#ifndef MSGBUS_JSON_GET_H
#define MSGBUS_JSON_GET_H

#include <stdbool.h>
#include <stddef.h>
#include <msgbus/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The reader: where the decoder stands in the text (opaque). */
typedef struct msgbus_json_in msgbus_json_in;

/* One step of the path from the root ("$") to the value being read, for
 * error messages; steps live on the decoder's stack and point up. */
typedef struct msgbus_json_path {
    const struct msgbus_json_path *up;  /* NULL for a child of the root */
    int kind;                           /* MSGBUS_JSON_PATH_* */
    const char *name;                   /* field name, or map key */
    size_t len;                         /* length of a map key */
    size_t index;                       /* list index */
} msgbus_json_path;

enum {
    MSGBUS_JSON_PATH_FIELD,     /* .name */
    MSGBUS_JSON_PATH_INDEX,     /* [index] */
    MSGBUS_JSON_PATH_KEY        /* ["name"] */
};

/* Reads the JSON object at the reader into the message m (initialized). */
typedef int msgbus_json_read_fn(msgbus_json_in *in, void *m, const msgbus_json_path *at);

/* What msgbus_value_decode does, with read in place of the descriptor walk
 * for the top-level object: initializes m, reads, checks that only
 * whitespace follows, and on failure clears m and reports a syntax error
 * anywhere in the text before a type error.  Returns 0, MSGBUS_EINVAL,
 * MSGBUS_ESYNTAX, MSGBUS_ETYPE, MSGBUS_ERANGE, MSGBUS_ELIMIT or
 * MSGBUS_ENOMEM. */
int msgbus_json_get_message(const msgbus_type *type, msgbus_json_read_fn *read,
                            const char *text, size_t len, void *m, msgbus_error *err);

/* The steps.  Each returns 0 (or 1, see below) or a negative MSGBUS_E*
 * code with the error filled in; after an error the caller returns it. */

/* Opens the object that must come next.  Returns 0, MSGBUS_ESYNTAX,
 * MSGBUS_ETYPE (not an object) or MSGBUS_ELIMIT (nested too deep). */
int msgbus_json_get_object(msgbus_json_in *in, const msgbus_json_path *at);

/* Moves to the next member of the open object: returns 1 with its key
 * (decoded, *len bytes, not NUL-terminated, valid until the next step),
 * 0 after the closing brace, or MSGBUS_ESYNTAX.  *first starts true. */
int msgbus_json_get_key(msgbus_json_in *in, bool *first, const char **key, size_t *len,
                        const msgbus_json_path *at);

/* Validates and skips the value of a member no field is named after.
 * Returns 0, MSGBUS_ESYNTAX or MSGBUS_ELIMIT. */
int msgbus_json_get_skip(msgbus_json_in *in, const char *key, size_t len,
                         const msgbus_json_path *at);

/* A key seen twice in one object.  Returns MSGBUS_ETYPE. */
int msgbus_json_get_duplicate(msgbus_json_in *in, const msgbus_json_path *at);

/* Field f of m had no member: copies its default, or fails if it has
 * none and is required.  Returns 0, MSGBUS_ETYPE or MSGBUS_ENOMEM. */
int msgbus_json_get_missing(msgbus_json_in *in, const msgbus_field *f, void *m,
                            const msgbus_json_path *at);

/* One value of f's element type into p, in its zero state.  Returns 0,
 * MSGBUS_ESYNTAX, MSGBUS_ETYPE, MSGBUS_ERANGE, MSGBUS_ELIMIT or
 * MSGBUS_ENOMEM. */
int msgbus_json_get_value(msgbus_json_in *in, const msgbus_field *f, void *p,
                          const msgbus_json_path *at);

/* One string of string field f into *p (NULL): msgbus_json_get_value
 * for strings, quicker on plain text.  Returns 0, MSGBUS_ESYNTAX,
 * MSGBUS_ETYPE or MSGBUS_ENOMEM. */
int msgbus_json_get_string(msgbus_json_in *in, const msgbus_field *f, char **p,
                           const msgbus_json_path *at);

/* The value of field f of m, whatever its form (optional, list, map...).
 * Returns 0, MSGBUS_ESYNTAX, MSGBUS_ETYPE, MSGBUS_ERANGE, MSGBUS_ELIMIT or
 * MSGBUS_ENOMEM. */
int msgbus_json_get_field(msgbus_json_in *in, const msgbus_field *f, void *m,
                          const msgbus_json_path *at);

/* Opens the array that must come next.  Returns 0, MSGBUS_ESYNTAX,
 * MSGBUS_ETYPE (not an array) or MSGBUS_ELIMIT (nested too deep). */
int msgbus_json_get_array(msgbus_json_in *in, const msgbus_json_path *at);

/* Moves to the next element of the open array of list field f of m:
 * returns 1 with *item at a new element in its zero state (counted in m
 * already), 0 after the closing bracket, MSGBUS_ESYNTAX or MSGBUS_ENOMEM.
 * *first starts true and *cap at 0. */
int msgbus_json_get_item(msgbus_json_in *in, const msgbus_field *f, void *m, bool *first,
                         size_t *cap, void **item, const msgbus_json_path *at);

#ifdef __cplusplus
}
#endif

#endif /* MSGBUS_JSON_GET_H */
