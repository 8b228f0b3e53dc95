/* emit_util.c - printing helpers shared by the C emitters. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "emit_util.h"
#include "names.h"

void em_start(emitter *e, FILE *out, const program *prog, const schema *s)
{
    e->out = out;
    e->prog = prog;
    e->s = s;
    e->owned = NULL;
    e->n_owned = 0;
}

int em_finish(emitter *e)
{
    size_t i;

    for (i = 0; i < e->n_owned; i++)
        free(e->owned[i]);
    free(e->owned);
    e->owned = NULL;
    e->n_owned = 0;
    return ferror(e->out) ? -1 : 0;
}

const char *em_keep(emitter *e, char *owned)
{
    /* Room doubles at each power of two: linear time for many names. */
    if ((e->n_owned & (e->n_owned - 1)) == 0)
        e->owned = xrealloc(e->owned, (e->n_owned ? 2 * e->n_owned : 1) * sizeof *e->owned);
    e->owned[e->n_owned++] = owned;
    return owned;
}

void em_printf(emitter *e, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(e->out, fmt, ap);
    va_end(ap);
}

const char *em_fmt(emitter *e, const char *fmt, ...)
{
    va_list ap;
    int len;
    char *text;

    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    text = xmalloc(len > 0 ? (size_t)len + 1 : 1);
    text[0] = '\0';
    va_start(ap, fmt);
    if (len > 0)
        vsnprintf(text, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return em_keep(e, text);
}

const char *em_c_name(emitter *e, const decl *d)
{
    return em_keep(e, names_c_name(d->schema, d->name));
}

const char *em_full_name(emitter *e, const decl *d)
{
    return em_keep(e, names_full_name(d->schema, d->name));
}

const char *em_file_base(emitter *e, const schema *s)
{
    const char *path = e->prog->files[s->file].path;
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

const char *em_prefix(emitter *e, const schema *s)
{
    if (s->prefix)
        return s->prefix;
    return em_keep(e, names_prefix_for_package(s->package));
}

const char *em_module_name(emitter *e, const schema *s)
{
    char *prefix = names_module_prefix(e->prog, s);
    char *name = xmalloc(strlen(prefix) + sizeof "module");

    strcpy(name, prefix);
    strcat(name, "module");
    free(prefix);
    return em_keep(e, name);
}

static const char *builtin_ctype(builtin_type bt)
{
    switch (bt) {
    case BT_BOOL: return "bool";
    case BT_INT8: return "int8_t";
    case BT_INT16: return "int16_t";
    case BT_INT32: return "int32_t";
    case BT_INT64: return "int64_t";
    case BT_UINT8: return "uint8_t";
    case BT_UINT16: return "uint16_t";
    case BT_UINT32: return "uint32_t";
    case BT_UINT64: return "uint64_t";
    case BT_FLOAT: return "float";
    case BT_DOUBLE: return "double";
    case BT_STRING: return "char *";
    case BT_BYTES: return "msgbus_bytes";
    case BT_TIMESTAMP: return "msgbus_timestamp";
    case BT_UUID: return "msgbus_uuid";
    case BT_NONE: break;
    }
    return "int";
}

const char *em_elem_ctype(emitter *e, const type_ref *t)
{
    if (t->builtin != BT_NONE)
        return builtin_ctype(t->builtin);
    if (t->resolved)
        return em_c_name(e, t->resolved);
    return t->name;     /* unresolved: sema stops before emitting */
}

const char *em_schema_type(emitter *e, const type_ref *t)
{
    const char *elem = t->builtin != BT_NONE ? ast_builtin_name(t->builtin) : t->name;
    size_t levels = t->form == TF_SINGLE ? 0 : t->n_inner + 1, j;
    char *text = xmalloc(strlen(elem) + levels * sizeof "map<string, >" + sizeof "?");

    text[0] = '\0';
    for (j = 0; j < levels; j++)
        strcat(text, em_level_form(t, j) == TF_MAP ? "map<string, " : "list<");
    strcat(text, elem);
    for (j = 0; j < levels; j++)
        strcat(text, ">");
    if (t->optional)
        strcat(text, "?");
    return em_keep(e, text);
}

type_form em_level_form(const type_ref *t, size_t j)
{
    return j == 0 ? t->form : t->inner[j - 1].form;
}

const char *em_level_name(emitter *e, const decl *d, const field *f, size_t j)
{
    const char *owner = em_c_name(e, d);
    char *name = xmalloc(strlen(owner) + strlen(f->name) + 2 + j * strlen("_item") + 1);
    size_t k;

    sprintf(name, "%s_%s", owner, f->name);
    for (k = 0; k < j; k++)
        strcat(name, "_item");
    return em_keep(e, name);
}

const char *em_level_value_ctype(emitter *e, const decl *d, const field *f, size_t j)
{
    if (j < f->type.n_inner)
        return em_level_name(e, d, f, j + 1);
    return em_elem_ctype(e, &f->type);
}

const char *em_level_array_ctype(emitter *e, const decl *d, const field *f, size_t j)
{
    if (em_level_form(&f->type, j) == TF_MAP)
        return em_fmt(e, "%s_entry", em_level_name(e, d, f, j));
    return em_level_value_ctype(e, d, f, j);
}

const char *em_entry_name(emitter *e, const decl *d, const field *f)
{
    const char *owner = em_c_name(e, d);
    char *name = xmalloc(strlen(owner) + strlen(f->name) + sizeof "__entry");

    sprintf(name, "%s_%s_entry", owner, f->name);
    return em_keep(e, name);
}

void em_string(emitter *e, const char *text)
{
    const unsigned char *p;

    fputc('"', e->out);
    for (p = (const unsigned char *)text; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", e->out); break;
        case '\\': fputs("\\\\", e->out); break;
        case '\n': fputs("\\n", e->out); break;
        case '\t': fputs("\\t", e->out); break;
        case '\r': fputs("\\r", e->out); break;
        case '?':
            /* "??x" could be read as a trigraph under -std=c99. */
            fputs(p[1] == '?' ? "?\\" : "?", e->out);
            break;
        default:
            /* Three octal digits, so a following digit cannot extend the
             * escape.  Bytes >= 0x80 (UTF-8) are written as they are. */
            if (*p < 0x20 || *p == 0x7f)
                fprintf(e->out, "\\%03o", *p);
            else
                fputc(*p, e->out);
        }
    }
    fputc('"', e->out);
}

/* One line of doc text, made safe inside a block comment. */
static void doc_line(emitter *e, const char *line, size_t len)
{
    size_t i;

    while (len > 0 && isspace((unsigned char)line[len - 1]))
        len--;
    for (i = 0; i < len; i++) {
        char c = line[i];
        char next = i + 1 < len ? line[i + 1] : '\0';

        if (c == '*' && next == '/') {          /* would end the comment */
            fputs("*\\/", e->out);
            i++;
        } else if (c == '/' && next == '*') {   /* -Wcomment */
            fputs("/\\*", e->out);
            i++;
        } else if (c == '?' && next == '?') {   /* trigraph */
            fputs("?\\", e->out);
        } else {
            fputc(c, e->out);
        }
    }
}

void em_doc(emitter *e, const char *doc, int indent)
{
    size_t at = 0, end;

    if (!doc)
        return;
    /* Trailing blank lines would only print empty " *" lines. */
    end = strlen(doc);
    while (end > 0 && isspace((unsigned char)doc[end - 1]))
        end--;
    if (end == 0)
        return;
    em_printf(e, "%*s/**\n", indent, "");
    while (at < end) {
        size_t len = strcspn(doc + at, "\n");
        size_t i;
        int blank = 1;

        if (at + len > end)
            len = end - at;
        for (i = 0; i < len; i++)
            if (!isspace((unsigned char)doc[at + i]))
                blank = 0;
        em_printf(e, "%*s *%s", indent, "", blank ? "" : " ");
        doc_line(e, doc + at, len);
        fputc('\n', e->out);
        at += len + 1;
    }
    em_printf(e, "%*s */\n", indent, "");
}

const char *em_enum_value(emitter *e, int64_t value)
{
    if (value == INT32_MIN)
        return "INT32_MIN";
    return em_fmt(e, "%" PRId64, value);
}

int em_is_message(const decl *d)
{
    return d->kind == DECL_RECORD || d->kind == DECL_COMMAND || d->kind == DECL_EVENT;
}
