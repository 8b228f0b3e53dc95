/* emit_codec.c - the generated JSON encoders: per message, straight-line
 * code with the keys as ready-quoted literals in schema order, appending
 * to a msgbus_buf.  It writes what msgbus_value_encode_buf writes from the
 * descriptors (tests/test_codec.c and fuzz/differential.c hold the two to
 * it); values with a text form of their own (bytes, timestamps, uuids,
 * enums) and the lists and maps nested in a list or map go through the
 * descriptor with msgbus_json_put_value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit_codec.h"

/* Literal JSON text not written yet: consecutive punctuation and keys go
 * out in one append. */
typedef struct pending {
    char text[512];
    size_t len;                 /* bytes of JSON (text holds them C-escaped) */
    size_t used;
} pending;

static void lit_add(pending *p, const char *json, const char *c_escaped)
{
    size_t n = strlen(c_escaped);
    if (p->used + n >= sizeof p->text)
        abort();                /* field names are short identifiers */
    memcpy(p->text + p->used, c_escaped, n + 1);
    p->used += n;
    p->len += strlen(json);
}

static void lit_key(pending *p, const char *name, int comma)
{
    char json[300], c[300];
    snprintf(json, sizeof json, "%s\"%s\":", comma ? "," : "", name);
    snprintf(c, sizeof c, "%s\\\"%s\\\":", comma ? "," : "", name);
    lit_add(p, json, c);
}

static void lit_flush(emitter *e, pending *p, const char *indent)
{
    if (p->len == 0)
        return;
    em_printf(e, "%s    if ((rc = msgbus_buf_append(b, \"%s\", %zu)) < 0)\n", indent, p->text, p->len);
    em_printf(e, "%s        goto fail;\n", indent);
    p->len = p->used = 0;
    p->text[0] = '\0';
}

static int is_record(const type_ref *t)
{
    return t->builtin == BT_NONE && t->resolved && t->resolved->kind == DECL_RECORD;
}

/* Appends one value of t's element type found at the C lvalue `at`;
 * `index` is the field's place in the descriptor table `fields`. */
static void put_element(emitter *e, const char *fields, size_t index, const type_ref *t,
                        const char *at, const char *null_text, const char *indent)
{
    const char *rc = em_fmt(e, "%s    if ((rc = ", indent);
    if (t->n_inner > 0) {      /* an inner list or map: the descriptor writes it */
        em_printf(e, "%smsgbus_json_put_value(b, &%s[%zu], &%s)) < 0)\n", rc, fields, index, at);
        em_printf(e, "%s        goto fail;\n", indent);
        return;
    }
    switch (t->builtin) {
    case BT_BOOL:
        em_printf(e, "%smsgbus_buf_append(b, %s ? \"true\" : \"false\", %s ? 4 : 5)) < 0)\n",
                  rc, at, at);
        break;
    case BT_INT8: case BT_INT16: case BT_INT32: case BT_INT64:
        em_printf(e, "%smsgbus_json_put_int(b, %s)) < 0)\n", rc, at);
        break;
    case BT_UINT8: case BT_UINT16: case BT_UINT32: case BT_UINT64:
        em_printf(e, "%smsgbus_json_put_uint(b, %s)) < 0)\n", rc, at);
        break;
    case BT_FLOAT:
        em_printf(e, "%smsgbus_json_put_float(b, %s)) < 0)\n", rc, at);
        break;
    case BT_DOUBLE:
        em_printf(e, "%smsgbus_json_put_double(b, %s)) < 0)\n", rc, at);
        break;
    case BT_STRING:
        em_printf(e, "%smsgbus_json_put_string(b, %s ? %s : %s)) < 0)\n", rc, at, at,
                  null_text);
        break;
    case BT_NONE:
    case BT_BYTES: case BT_TIMESTAMP: case BT_UUID:
        if (is_record(t))
            em_printf(e, "%s%s_encode_buf(&%s, b)) < 0)\n", rc, em_c_name(e, t->resolved), at);
        else        /* enums, bytes, timestamps, uuids */
            em_printf(e, "%smsgbus_json_put_value(b, &%s[%zu], &%s)) < 0)\n", rc, fields, index,
                      at);
        break;
    }
    em_printf(e, "%s        goto fail;\n", indent);
}

/* The C condition that an optional field is present, or NULL when the
 * field is always written. */
static const char *present_condition(emitter *e, const field *f)
{
    const type_ref *t = &f->type;
    if (!t->optional || t->form != TF_SINGLE)
        return NULL;
    if (t->builtin == BT_STRING || is_record(t))
        return em_fmt(e, "m->%s", f->name);
    return em_fmt(e, "m->has_%s", f->name);
}

/* comma: 1 a field was surely written before, 0 none can have been, -1
 * only optional ones were before, so `written` decides. */
static void put_field(emitter *e, pending *p, const decl *d, size_t index, int comma)
{
    const field *f = &d->fields[index];
    const type_ref *t = &f->type;
    const char *n = em_c_name(e, d);
    const char *fields = em_fmt(e, "%s_fields", n);
    const char *cond = present_condition(e, f);
    const char *indent = cond ? "    " : "";
    const char *in2 = cond ? "        " : "    ";
    const char *null_text = f->default_value && t->builtin == BT_STRING && t->form == TF_SINGLE
                                ? em_fmt(e, "%s_%s_default", n, f->name) : "\"\"";

    if (cond) {
        lit_flush(e, p, "");
        em_printf(e, "    if (%s) {\n", cond);
    }
    if (comma < 0) {
        lit_flush(e, p, indent);
        em_printf(e, "%s    if ((rc = msgbus_buf_append(b, &\",\\\"%s\\\":\"[!written], %zu - !written)) < 0)\n",
                  indent, f->name, strlen(f->name) + 4);
        em_printf(e, "%s        goto fail;\n", indent);
    } else {
        lit_key(p, f->name, comma);
    }
    if (t->form == TF_SINGLE) {
        lit_flush(e, p, indent);
        put_element(e, fields, index, t, em_fmt(e, "%sm->%s", cond && is_record(t) ? "*" : "",
                                                f->name), null_text, indent);
    } else {
        int map = t->form == TF_MAP;
        lit_add(p, map ? "{" : "[", map ? "{" : "[");
        lit_flush(e, p, indent);
        em_printf(e, "%s    for (size_t i = 0; i < m->n_%s; i++) {\n", indent, f->name);
        em_printf(e, "%s    if (i > 0 && (rc = msgbus_buf_append(b, \",\", 1)) < 0)\n", in2);
        em_printf(e, "%s        goto fail;\n", in2);
        if (map) {
            em_printf(e, "%s    if ((rc = msgbus_json_put_string(b, m->%s[i].key ? m->%s[i].key : \"\")) < 0 ||\n",
                      in2, f->name, f->name);
            em_printf(e, "%s        (rc = msgbus_buf_append(b, \":\", 1)) < 0)\n", in2);
            em_printf(e, "%s        goto fail;\n", in2);
        }
        put_element(e, fields, index, t, em_fmt(e, map ? "m->%s[i].value" : "m->%s[i]", f->name),
                    "\"\"", in2);
        em_printf(e, "%s    }\n", indent);
        lit_add(p, map ? "}" : "]", map ? "}" : "]");
    }
    if (cond) {
        lit_flush(e, p, indent);
        em_printf(e, "        written = 1;\n    }\n");
    }
}

void emit_codec_encoders(emitter *e, const decl *d)
{
    const char *n = em_c_name(e, d);
    pending p = { "", 0, 0 };
    size_t i;
    int state = 0, any_optional = 0;

    for (i = 0; i < d->n_fields; i++)
        if (present_condition(e, &d->fields[i]))
            any_optional = 1;
    em_printf(e, "\nint %s_encode_buf(const %s *m, msgbus_buf *b)\n{\n", n, n);
    em_printf(e, "    size_t start = b->len;\n    int rc;\n");
    if (any_optional)
        em_printf(e, "    int written = 0;\n");
    if (d->n_fields == 0)
        em_printf(e, "    (void)m;\n");
    lit_add(&p, "{", "{");
    for (i = 0; i < d->n_fields; i++) {
        int optional = present_condition(e, &d->fields[i]) != NULL;
        put_field(e, &p, d, i, state);
        if (!optional)
            state = 1;
        else if (state == 0)
            state = -1;
    }
    lit_add(&p, "}", "}");
    lit_flush(e, &p, "");
    if (any_optional)
        em_printf(e, "    (void)written;\n");
    em_printf(e, "    return 0;\nfail:\n    b->len = start;\n");
    em_printf(e, "    if (b->data)\n        b->data[start] = '\\0';\n    return rc;\n}\n");

    em_printf(e, "\nint %s_encode(const %s *m, char **buf, size_t *len)\n{\n", n, n);
    em_printf(e, "    char storage[MSGBUS_BUF_STORAGE];\n    msgbus_buf b;\n");
    em_printf(e, "    msgbus_buf_init_storage(&b, storage, sizeof storage);\n");
    em_printf(e, "    return msgbus_buf_take(&b, %s_encode_buf(m, &b), buf, len);\n}\n", n);
}
