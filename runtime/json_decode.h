/* json_decode.h - the pieces of the descriptor-driven decoder
 * (json_decode.c) that json_get.c hands to generated decoders, so that
 * both apply one set of rules (internal to libmsgbus). */
#ifndef MSGBUS_JSON_DECODE_H
#define MSGBUS_JSON_DECODE_H

#include "json_read.h"

/* msgbus_value_decode with `read` for the top-level object (r->type is
 * type): init, read, trailing text, clear on error, syntax before type. */
int mb_decode_text(const msgbus_type *type, msgbus_json_read_fn *read, const char *text,
                   size_t len, void *m, msgbus_error *err);
/* One value of f's scalar type into p (in its zero state). */
int mb_decode_value(mb_reader *r, const msgbus_field *f, void *p, const mb_frame *at);
/* Field f of m, any form. */
int mb_decode_field(mb_reader *r, const msgbus_field *f, void *m, const mb_frame *at);
/* "expected X, got Y" (or the syntax error when got is INVALID). */
int mb_decode_type_error(mb_reader *r, mb_kind got, const char *expected, const mb_frame *at);
/* A new zeroed element at the end of list field f of m (counted). */
int mb_decode_item(mb_reader *r, const msgbus_field *f, void *m, size_t *cap, void **item,
                   const mb_frame *at);
/* Field f of m (at: its record) had no member, the object ending at
 * byte end: its default, or "missing required field". */
int mb_decode_missing(mb_reader *r, const msgbus_field *f, void *m, size_t end,
                      const mb_frame *at);

#endif /* MSGBUS_JSON_DECODE_H */
