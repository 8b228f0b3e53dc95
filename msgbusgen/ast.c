/* ast.c - allocation helpers and destructors for the syntax tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"

/* msgbusgen is a short-lived compiler: running out of memory is reported
 * once and ends the run with the I/O exit status. */
void out_of_memory_exit(const char *where)
{
    fprintf(stderr, "msgbusgen: out of memory%s%s\n", where ? " in " : "", where ? where : "");
    exit(2);
}

static void out_of_memory(void)
{
    out_of_memory_exit(NULL);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory();
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *copy = xmalloc(n + 1);
    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

void ast_literal_free(literal *lit)
{
    if (!lit)
        return;
    free(lit->text);
    free(lit);
}

static void field_free(field *f)
{
    free(f->name);
    free(f->type.name);
    free(f->type.inner);
    ast_literal_free(f->default_value);
    free(f->doc);
}

void ast_decl_free(decl *d)
{
    size_t i;

    if (!d)
        return;
    for (i = 0; i < d->n_fields; i++)
        field_free(&d->fields[i]);
    free(d->fields);
    for (i = 0; i < d->n_values; i++) {
        free(d->values[i].name);
        ast_literal_free(d->values[i].value_literal);
        free(d->values[i].doc);
    }
    free(d->values);
    free(d->input.name);
    for (i = 0; i < d->n_emits; i++)
        free(d->emits[i].name);
    free(d->emits);
    free(d->route_type.name);
    free(d->subject);
    free(d->name);
    free(d->doc);
    free(d);
}

void ast_schema_free(schema *s)
{
    size_t i;

    if (!s)
        return;
    free(s->package);
    free(s->prefix);
    for (i = 0; i < s->n_imports; i++)
        free(s->imports[i].path);
    free(s->imports);
    for (i = 0; i < s->n_decls; i++)
        ast_decl_free(s->decls[i]);
    free(s->decls);
    free(s);
}

void ast_program_free(program *p)
{
    size_t i;

    if (!p)
        return;
    for (i = 0; i < p->n_schemas; i++)
        ast_schema_free(p->schemas[i]);
    free(p->schemas);
    for (i = 0; i < p->n_files; i++) {
        free(p->files[i].path);
        free(p->files[i].text);
    }
    free(p->files);
    memset(p, 0, sizeof *p);
}

const char *ast_decl_kind_name(decl_kind kind)
{
    switch (kind) {
    case DECL_ENUM:    return "enum";
    case DECL_RECORD:  return "record";
    case DECL_COMMAND: return "command";
    case DECL_EVENT:   return "event";
    case DECL_HANDLER: return "handler";
    case DECL_OUTBOX:  return "outbox";
    }
    return "declaration";
}

const char *ast_builtin_name(builtin_type bt)
{
    switch (bt) {
    case BT_NONE:      return "named type";
    case BT_BOOL:      return "bool";
    case BT_INT8:      return "int8";
    case BT_INT16:     return "int16";
    case BT_INT32:     return "int32";
    case BT_INT64:     return "int64";
    case BT_UINT8:     return "uint8";
    case BT_UINT16:    return "uint16";
    case BT_UINT32:    return "uint32";
    case BT_UINT64:    return "uint64";
    case BT_FLOAT:     return "float";
    case BT_DOUBLE:    return "double";
    case BT_STRING:    return "string";
    case BT_BYTES:     return "bytes";
    case BT_TIMESTAMP: return "timestamp";
    case BT_UUID:      return "uuid";
    }
    return "?";
}

void ast_integer_range(builtin_type bt, uint64_t *neg, uint64_t *pos)
{
    switch (bt) {
    case BT_INT8:   *neg = 128u;        *pos = 127u; break;
    case BT_INT16:  *neg = 32768u;      *pos = 32767u; break;
    case BT_INT32:  *neg = 2147483648u; *pos = 2147483647u; break;
    case BT_INT64:  *neg = (uint64_t)INT64_MAX + 1; *pos = (uint64_t)INT64_MAX; break;
    case BT_UINT8:  *neg = 0; *pos = 255u; break;
    case BT_UINT16: *neg = 0; *pos = 65535u; break;
    case BT_UINT32: *neg = 0; *pos = 4294967295u; break;
    default:        *neg = 0; *pos = UINT64_MAX; break;
    }
}
