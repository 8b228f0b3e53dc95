/* diag.c - GCC-style diagnostics: location, message, source line, caret. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

static const char *level_name(diag_level level)
{
    switch (level) {
    case DIAG_ERROR:   return "error";
    case DIAG_WARNING: return "warning";
    case DIAG_NOTE:    return "note";
    }
    return "error";
}

/* Counts the diagnostic and returns how it is printed: -Werror turns a
 * warning into an error. */
static diag_level count(diag_sink *sink, diag_level level, bool *promoted)
{
    *promoted = false;
    if (level == DIAG_WARNING && sink->werror) {
        *promoted = true;
        level = DIAG_ERROR;
    }
    if (level == DIAG_ERROR)
        sink->n_errors++;
    else if (level == DIAG_WARNING)
        sink->n_warnings++;
    return level;
}

void diag_line_col(const source_file *f, uint32_t offset, int *line, int *col)
{
    size_t i, line_start = 0;
    int l = 1;

    if (offset > f->len)
        offset = (uint32_t)f->len;
    for (i = 0; i < offset; i++) {
        if (f->text[i] == '\n') {
            l++;
            line_start = i + 1;
        }
    }
    *line = l;
    *col = (int)(offset - line_start) + 1;
}

/* Prints the line holding `where` and a caret line under the span.  Tabs
 * before the caret are kept so it lines up in a terminal; UTF-8
 * continuation bytes take no column. */
static void print_source(FILE *out, const source_file *f, span where)
{
    size_t start = where.start > f->len ? f->len : where.start;
    size_t end = where.end > f->len ? f->len : where.end;
    size_t line_start = start, line_end = start, i;

    while (line_start > 0 && f->text[line_start - 1] != '\n')
        line_start--;
    while (line_end < f->len && f->text[line_end] != '\n')
        line_end++;
    if (line_end > line_start && f->text[line_end - 1] == '\r')
        line_end--;   /* CRLF files: keep the terminal's cursor on the line */
    if (end < start)
        end = start;
    if (end > line_end)
        end = line_end;   /* a span over several lines: mark its first line */

    fwrite(f->text + line_start, 1, line_end - line_start, out);
    fputc('\n', out);
    for (i = line_start; i < start; i++) {
        unsigned char c = (unsigned char)f->text[i];
        if (c == '\t')
            fputc('\t', out);
        else if ((c & 0xC0) != 0x80)
            fputc(' ', out);
    }
    fputc('^', out);
    for (i = start + 1; i < end; i++) {
        if (((unsigned char)f->text[i] & 0xC0) != 0x80)
            fputc('~', out);
    }
    fputc('\n', out);
}

void diag_report(diag_sink *sink, diag_level level, span where, const char *fmt, ...)
{
    const source_file *f = NULL;
    bool promoted;
    va_list ap;
    int line, col;

    if (level != DIAG_NOTE)
        sink->muted = level == DIAG_WARNING && sink->no_warnings && !sink->werror;
    if (sink->muted || (level == DIAG_NOTE && sink->no_warnings && sink->n_errors == 0))
        return;
    level = count(sink, level, &promoted);
    if (sink->prog && where.file < sink->prog->n_files)
        f = &sink->prog->files[where.file];
    if (!sink->out)
        return;

    if (f) {
        diag_line_col(f, where.start, &line, &col);
        fprintf(sink->out, "%s:%d:%d: %s: ", f->path, line, col, level_name(level));
    } else {
        fprintf(sink->out, "msgbusgen: %s: ", level_name(level));
    }
    va_start(ap, fmt);
    vfprintf(sink->out, fmt, ap);
    va_end(ap);
    fputs(promoted ? " [-Werror]\n" : "\n", sink->out);
    if (f)
        print_source(sink->out, f, where);
}

void diag_plain(diag_sink *sink, diag_level level, const char *fmt, ...)
{
    bool promoted;
    va_list ap;

    level = count(sink, level, &promoted);
    if (!sink->out)
        return;
    fprintf(sink->out, "msgbusgen: %s: ", level_name(level));
    va_start(ap, fmt);
    vfprintf(sink->out, fmt, ap);
    va_end(ap);
    fputs(promoted ? " [-Werror]\n" : "\n", sink->out);
}

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Levenshtein distance with one row of memory. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j;
    size_t *row = xmalloc((lb + 1) * sizeof *row);
    size_t result;

    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t above = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[j] = min3(above + 1, row[j - 1] + 1, diagonal + cost);
            diagonal = above;
        }
    }
    result = row[lb];
    free(row);
    return result;
}

const char *diag_suggest(const char *name, const char *const *candidates, size_t n)
{
    size_t limit = strlen(name) / 3, best_distance = (size_t)-1, i;
    const char *best = NULL;

    if (limit < 1)
        limit = 1;
    for (i = 0; i < n; i++) {
        size_t d;
        if (!candidates[i])
            continue;
        d = edit_distance(name, candidates[i]);
        if (d <= limit && d < best_distance) {
            best = candidates[i];
            best_distance = d;
        }
    }
    return best;
}
