/* literal.h - decoding of literal tokens into values (literal.c). */
#ifndef MSGBUSGEN_LITERAL_H
#define MSGBUSGEN_LITERAL_H

#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "diag.h"

/* An integer token: "42", "-7", "0x1F".  A magnitude past uint64 sets
 * too_large (sema reports it against the field's range). */
literal *literal_integer(const char *text, span where);

/* A real token: "0.5", "-2e9"; out of double's range gives +-HUGE_VAL,
 * which sema reports. */
literal *literal_real(const char *text, span where);

/* The value of a string literal's body (len bytes, without the quotes),
 * which starts at byte offset `at` of file.  Bad escapes, U+0000,
 * unpaired surrogates and invalid UTF-8 are reported to sink (the value
 * could not be a C string or valid JSON) and left out of the value. */
char *literal_unescape(diag_sink *sink, uint32_t file, const char *body, size_t len, uint32_t at);

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
size_t literal_utf8_sequence(const unsigned char *s, size_t n);

#endif /* MSGBUSGEN_LITERAL_H */
