/* emit_decoder.c - the generated JSON decoders: per message, a function
 * that dispatches each key by its length and a memcmp against the field
 * names, then reads the value with the steps of <msgbus/json_get.h>.
 * The steps are the runtime's own decoder, so X_decode and
 * msgbus_value_decode agree on every rule, error, path and position
 * (tests/test_codec.c and fuzz/differential.c hold them to it).  Required
 * plain values, nested records of the same schema and lists of them are
 * read directly; any other form (optionals, maps, values inside lists of
 * lists...) goes to the generic per-field step, msgbus_json_get_field. */
#include <stdlib.h>
#include <string.h>

#include "emit_decoder.h"

static const char *read_name(emitter *e, const decl *d)
{
    return em_fmt(e, "%s_read_json", em_c_name(e, d));
}

/* The record t names, if this file defines its read function. */
static const decl *local_record(emitter *e, const type_ref *t)
{
    if (t->builtin != BT_NONE || !t->resolved || t->resolved->kind != DECL_RECORD ||
        t->resolved->schema != e->s)
        return NULL;
    return t->resolved;
}

void emit_decoder_prototypes(emitter *e)
{
    size_t i;
    int any = 0;

    for (i = 0; i < e->s->n_decls; i++) {
        const decl *d = e->s->decls[i];
        if (!em_is_message(d))
            continue;
        if (!any)
            em_printf(e, "\n/* The JSON decoders' read steps (see each X_decode). */\n");
        any = 1;
        em_printf(e, "static int %s(msgbus_json_in *in, void *m, const msgbus_json_path *at);\n",
                  read_name(e, d));
    }
}

/* Reads one value of t's element type into the C lvalue `at_value`. */
static void read_element(emitter *e, const char *fields, size_t index, const type_ref *t,
                         const char *at_value, const char *path, const char *indent)
{
    const decl *rec = local_record(e, t);
    if (rec)
        em_printf(e, "%src = %s(in, &%s, %s);\n", indent, read_name(e, rec), at_value, path);
    else if (t->builtin == BT_STRING)
        em_printf(e, "%src = msgbus_json_get_string(in, &%s[%zu], &%s, %s);\n", indent, fields,
                  index, at_value, path);
    else
        em_printf(e, "%src = msgbus_json_get_value(in, &%s[%zu], &%s, %s);\n", indent, fields,
                  index, at_value, path);
}

/* A list read here element by element: its elements are values or
 * records, not lists or maps themselves (those, like maps, go to
 * msgbus_json_get_field, which walks any nesting). */
static int plain_list(const type_ref *t)
{
    return t->form == TF_LIST && t->n_inner == 0;
}

/* The case of field `index` in the switch over matched fields. */
static void read_field(emitter *e, const char *fields, const field *f, size_t index)
{
    const type_ref *t = &f->type;

    em_printf(e, "        case %zu:\n", index);
    if (t->optional || (t->form != TF_SINGLE && !plain_list(t))) {
        em_printf(e, "            rc = msgbus_json_get_field(in, &%s[%zu], m, &field);\n",
                  fields, index);
    } else if (t->form == TF_SINGLE) {
        read_element(e, fields, index, t, em_fmt(e, "m->%s", f->name), "&field",
                     "            ");
    } else {
        /* A list: an element in place at each step, counted as it comes
         * so that a failure leaves nothing unowned. */
        em_printf(e, "        {\n");
        em_printf(e, "            bool first_item = true;\n");
        em_printf(e, "            size_t cap = 0;\n");
        em_printf(e, "            void *item;\n");
        em_printf(e, "            rc = msgbus_json_get_array(in, &field);\n");
        em_printf(e, "            while (rc == 0 && (rc = msgbus_json_get_item(in, &%s[%zu], m, "
                     "&first_item, &cap, &item, &field)) == 1) {\n", fields, index);
        em_printf(e, "                msgbus_json_path step = { &field, MSGBUS_JSON_PATH_INDEX, "
                     "NULL, 0, m->n_%s - 1 };\n", f->name);
        read_element(e, fields, index, t,
                     em_fmt(e, "*(%s *)item", em_elem_ctype(e, t)), "&step",
                     "                ");
        em_printf(e, "            }\n");
        em_printf(e, "            break;\n        }\n");
        return;
    }
    em_printf(e, "            break;\n");
}

static int by_length(const void *a, const void *b)
{
    const field *x = *(const field *const *)a, *y = *(const field *const *)b;
    size_t nx = strlen(x->name), ny = strlen(y->name);
    if (nx != ny)
        return nx < ny ? -1 : 1;
    return x < y ? -1 : x > y;      /* schema order: the same output on every libc */
}

/* switch (len) { case N: if (memcmp(key, "name", N) == 0) i = k; ... } */
static void emit_dispatch(emitter *e, const decl *d)
{
    const field **sorted = xcalloc(d->n_fields ? d->n_fields : 1, sizeof *sorted);
    size_t i;

    for (i = 0; i < d->n_fields; i++)
        sorted[i] = &d->fields[i];
    qsort(sorted, d->n_fields, sizeof *sorted, by_length);
    em_printf(e, "        switch (len) {\n");
    for (i = 0; i < d->n_fields; i++) {
        size_t n = strlen(sorted[i]->name);
        int first = i == 0 || strlen(sorted[i - 1]->name) != n;
        if (first)
            em_printf(e, "        case %zu:\n            ", n);
        else
            em_printf(e, "            else ");
        em_printf(e, "if (memcmp(key, \"%s\", %zu) == 0)\n", sorted[i]->name, n);
        em_printf(e, "                i = %zu;\n", (size_t)(sorted[i] - d->fields));
        if (i + 1 == d->n_fields || strlen(sorted[i + 1]->name) != n)
            em_printf(e, "            break;\n");
    }
    em_printf(e, "        }\n");
    free(sorted);
}

void emit_decoder(emitter *e, const decl *d)
{
    const char *n = em_c_name(e, d);
    const char *fields = em_fmt(e, "%s_fields", n);
    int wide = d->n_fields > 64;        /* past one bit per field in a word */
    size_t i;

    em_printf(e, "\nstatic int %s(msgbus_json_in *in, void *message, const msgbus_json_path *at)\n{\n",
              read_name(e, d));
    if (d->n_fields == 0) {
        em_printf(e, "    bool first = true;\n    const char *key;\n    size_t len;\n");
        em_printf(e, "    int rc = msgbus_json_get_object(in, at);\n");
        em_printf(e, "    (void)message;\n");
        em_printf(e, "    while (rc == 0 && (rc = msgbus_json_get_key(in, &first, &key, &len, at)) == 1)\n");
        em_printf(e, "        rc = msgbus_json_get_skip(in, key, len, at);\n");
        em_printf(e, "    return rc;\n}\n");
    } else {
        em_printf(e, "    %s *m = message;\n", n);
        if (wide)
            em_printf(e, "    bool seen[%zu] = { false };\n", d->n_fields);
        else
            em_printf(e, "    uint64_t seen = 0;\n");
        em_printf(e, "    bool first = true;\n    const char *key;\n    size_t len;\n");
        em_printf(e, "    int rc = msgbus_json_get_object(in, at);\n");
        em_printf(e, "    while (rc == 0 && (rc = msgbus_json_get_key(in, &first, &key, &len, at)) == 1) {\n");
        em_printf(e, "        size_t i = %zu;\n", d->n_fields);
        emit_dispatch(e, d);
        em_printf(e, "        if (i == %zu) {\n", d->n_fields);
        em_printf(e, "            rc = msgbus_json_get_skip(in, key, len, at);\n");
        em_printf(e, "            continue;\n        }\n");
        em_printf(e, "        msgbus_json_path field = { at, MSGBUS_JSON_PATH_FIELD, %s[i].name, 0, 0 };\n",
                  fields);
        if (wide) {
            em_printf(e, "        if (seen[i]) {\n");
            em_printf(e, "            rc = msgbus_json_get_duplicate(in, &field);\n");
            em_printf(e, "            break;\n        }\n        seen[i] = true;\n");
        } else {
            em_printf(e, "        if (seen >> i & 1) {\n");
            em_printf(e, "            rc = msgbus_json_get_duplicate(in, &field);\n");
            em_printf(e, "            break;\n        }\n        seen |= UINT64_C(1) << i;\n");
        }
        em_printf(e, "        switch (i) {\n");
        for (i = 0; i < d->n_fields; i++)
            read_field(e, fields, &d->fields[i], i);
        em_printf(e, "        }\n    }\n");
        /* Absent fields, in schema order, as the descriptor walk does. */
        for (i = 0; i < d->n_fields; i++) {
            if (d->fields[i].type.optional)
                continue;
            em_printf(e, "    if (rc == 0 && !%s)\n", wide ? em_fmt(e, "seen[%zu]", i)
                      : em_fmt(e, "(seen >> %zu & 1)", i));
            em_printf(e, "        rc = msgbus_json_get_missing(in, &%s[%zu], m, at);\n", fields, i);
        }
        em_printf(e, "    return rc;\n}\n");
    }
    em_printf(e, "\nint %s_decode(const char *text, size_t len, %s *m, msgbus_error *err)\n{\n",
              n, n);
    em_printf(e, "    return msgbus_json_get_message(&%s_type, %s, text, len, m, err);\n}\n", n,
              read_name(e, d));
}
