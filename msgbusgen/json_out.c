/* json_out.c - streaming JSON writer (see json_out.h). */
#include <stdlib.h>
#include <string.h>

#include "json_out.h"

void json_start(json_out *j, FILE *out)
{
    memset(j, 0, sizeof *j);
    j->out = out;
}

int json_finish(json_out *j)
{
    fputc('\n', j->out);
    return ferror(j->out) ? -1 : 0;
}

static void indent(json_out *j)
{
    int i;

    fputc('\n', j->out);
    for (i = 0; i < j->depth; i++)
        fputs("  ", j->out);
}

/* Separates a value from the one before it, unless it follows its key. */
static void before_value(json_out *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->depth > 0) {
        int first = j->count[j->depth]++ == 0;
        if (j->inline_level[j->depth]) {
            if (!first)
                fputs(", ", j->out);
            return;
        }
        if (!first)
            fputc(',', j->out);
        indent(j);
    }
}

static void open_level(json_out *j, char bracket, char close)
{
    before_value(j);
    fputc(bracket, j->out);
    if (j->depth + 1 >= JSON_OUT_MAX_DEPTH) {
        fprintf(stderr, "msgbusgen: internal error: JSON nested too deep\n");
        abort();
    }
    j->depth++;
    j->count[j->depth] = 0;
    j->close[j->depth] = close;
    j->inline_level[j->depth] = 0;
}

void json_object(json_out *j)
{
    open_level(j, '{', '}');
}

void json_array(json_out *j)
{
    open_level(j, '[', ']');
}

void json_inline_array(json_out *j)
{
    open_level(j, '[', ']');
    j->inline_level[j->depth] = 1;
}

void json_end(json_out *j)
{
    /* Empty containers close on the same line: {} and []. */
    int empty = j->count[j->depth] == 0;
    int one_line = j->inline_level[j->depth];
    char close = j->close[j->depth];

    j->depth--;
    if (!empty && !one_line)
        indent(j);
    fputc(close, j->out);
}

static void put_escaped(FILE *out, const char *text)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p;

    fputc('"', out);
    for (p = (const unsigned char *)text; *p; p++) {
        switch (*p) {
        case '"':  fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\t': fputs("\\t", out); break;
        case '\r': fputs("\\r", out); break;
        default:
            if (*p < 0x20) {
                fprintf(out, "\\u00%c%c", hex[*p >> 4], hex[*p & 15]);
            } else {
                fputc(*p, out);
            }
        }
    }
    fputc('"', out);
}

void json_key(json_out *j, const char *key)
{
    before_value(j);
    put_escaped(j->out, key);
    fputs(": ", j->out);
    j->after_key = 1;
}

void json_string(json_out *j, const char *text)
{
    before_value(j);
    put_escaped(j->out, text);
}

void json_bool(json_out *j, int value)
{
    before_value(j);
    fputs(value ? "true" : "false", j->out);
}

void json_null(json_out *j)
{
    before_value(j);
    fputs("null", j->out);
}

void json_int(json_out *j, int negative, uint64_t magnitude)
{
    before_value(j);
    fprintf(j->out, "%s%llu", negative && magnitude ? "-" : "", (unsigned long long)magnitude);
}

void json_double(json_out *j, double d)
{
    char buf[40];
    int precision;

    for (precision = 1; precision <= 17; precision++) {
        snprintf(buf, sizeof buf, "%.*g", precision, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    before_value(j);
    /* %g may write "inf"; callers pass finite values only.  A decimal
     * point locale would break JSON: msgbusgen never calls setlocale. */
    fputs(buf, j->out);
}

void json_key_string(json_out *j, const char *key, const char *text)
{
    json_key(j, key);
    json_string(j, text);
}
