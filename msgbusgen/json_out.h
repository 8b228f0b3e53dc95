/* json_out.h - a small streaming JSON writer for the emitters of JSON
 * documents (JSON Schema, AsyncAPI): two-space indentation, commas and
 * key order handled here, so each emitter only says what goes where. */
#ifndef MSGBUSGEN_JSON_OUT_H
#define MSGBUSGEN_JSON_OUT_H

#include <stdint.h>
#include <stdio.h>

/* Deeper than the emitters ever nest: schemas are a handful of levels. */
#define JSON_OUT_MAX_DEPTH 64

typedef struct json_out {
    FILE *out;
    int depth;
    int count[JSON_OUT_MAX_DEPTH];  /* values written so far at each level */
    char close[JSON_OUT_MAX_DEPTH]; /* '}' or ']' for each open level */
    char inline_level[JSON_OUT_MAX_DEPTH]; /* values on one line: ["a", "b"] */
    int after_key;                  /* a key was written; its value comes next */
} json_out;

void json_start(json_out *j, FILE *out);
/* Ends the document with a newline; returns 0, or -1 if writing failed. */
int json_finish(json_out *j);

void json_object(json_out *j);
void json_array(json_out *j);
/* An array of scalars written on one line. */
void json_inline_array(json_out *j);
void json_end(json_out *j);         /* closes the innermost object or array */

void json_key(json_out *j, const char *key);
void json_string(json_out *j, const char *text);
void json_bool(json_out *j, int value);
void json_null(json_out *j);
void json_int(json_out *j, int negative, uint64_t magnitude);
/* The shortest decimal that reads back as d (d must be finite). */
void json_double(json_out *j, double d);

/* A key with a string value: the common case. */
void json_key_string(json_out *j, const char *key, const char *text);

#endif /* MSGBUSGEN_JSON_OUT_H */
