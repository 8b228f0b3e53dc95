/* diag.c - GCC-style diagnostics: location, message, source line, caret. */
#define _XOPEN_SOURCE 700   /* open_memstream */
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

static const struct {
    const char *name;
    bool on_by_default;
} warnings[W_COUNT] = {
    [W_UNHANDLED_COMMAND] = { "unhandled-command", true },
    [W_EMIT_CYCLE] = { "emit-cycle", true },
    [W_UNHANDLED_EVENT] = { "unhandled-event", false },
    [W_UNUSED_TYPE] = { "unused-type", false },
};

const char *diag_warning_name(diag_warning w)
{
    return warnings[w].name;
}

bool diag_warning_on(const diag_sink *sink, diag_warning w)
{
    return sink->enabled[w] ? sink->enabled[w] > 0 : warnings[w].on_by_default;
}

static bool warning_is_error(const diag_sink *sink, diag_warning w)
{
    return sink->error[w] ? sink->error[w] > 0 : sink->werror;
}

static int find_warning(const char *name)
{
    int w;

    for (w = 0; w < W_COUNT; w++)
        if (strcmp(warnings[w].name, name) == 0)
            return w;
    return -1;
}

int diag_warning_option(diag_sink *sink, const char *option, const char **suggest)
{
    const char *names[W_COUNT];
    const char *name;
    int w, on = 1;

    *suggest = NULL;
    if (strncmp(option, "-W", 2) != 0)
        return -1;
    name = option + 2;
    if (strcmp(name, "all") == 0) {
        for (w = 0; w < W_COUNT; w++)
            sink->enabled[w] = 1;
        return 0;
    }
    if (strcmp(name, "error") == 0) {
        sink->werror = true;
        return 0;
    }
    if (strcmp(name, "no-error") == 0) {
        sink->werror = false;
        return 0;
    }
    if (strncmp(name, "no-", 3) == 0) {
        on = 0;
        name += 3;
    }
    if (strncmp(name, "error=", 6) == 0) {
        w = find_warning(name + 6);
        if (w >= 0) {
            sink->error[w] = on ? 1 : -1;
            if (on)
                sink->enabled[w] = 1;     /* -Werror=NAME also turns it on */
            return 0;
        }
        name += 6;
    } else {
        w = find_warning(name);
        if (w >= 0) {
            sink->enabled[w] = on ? 1 : -1;
            return 0;
        }
    }
    for (w = 0; w < W_COUNT; w++)
        names[w] = warnings[w].name;
    *suggest = diag_suggest(name, names, W_COUNT);
    return -1;
}

void diag_warnings_off(diag_sink *sink)
{
    int w;

    for (w = 0; w < W_COUNT; w++)
        sink->enabled[w] = -1;
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

/* Prints one diagnostic; tag is what goes in brackets at the end of the
 * line ("-Werror", "-Wemit-cycle"), or NULL. */
/* Where one diagnostic is written: the sink's stream, or a buffer that
 * end_diagnostic hands to the sink's callback. */
typedef struct diag_text {
    FILE *out;
    char *buf;
    size_t len;
} diag_text;

static bool begin_diagnostic(diag_sink *sink, diag_text *t)
{
    t->buf = NULL;
    t->len = 0;
    t->out = sink->fn ? open_memstream(&t->buf, &t->len) : sink->out;
    return t->out != NULL;
}

static void end_diagnostic(diag_sink *sink, diag_text *t)
{
    if (!sink->fn)
        return;
    fclose(t->out);
    sink->fn(sink->fn_ctx, t->buf, t->len);
    free(t->buf);
}

static void vreport(diag_sink *sink, diag_level level, span where, const char *tag,
                    const char *fmt, va_list ap)
{
    const source_file *f = NULL;
    diag_text t;
    int line, col;

    if (sink->prog && where.file < sink->prog->n_files)
        f = &sink->prog->files[where.file];
    if (!begin_diagnostic(sink, &t))
        return;

    if (f) {
        diag_line_col(f, where.start, &line, &col);
        fprintf(t.out, "%s:%d:%d: %s: ", f->path, line, col, level_name(level));
    } else {
        fprintf(t.out, "msgbusgen: %s: ", level_name(level));
    }
    vfprintf(t.out, fmt, ap);
    if (tag)
        fprintf(t.out, " [%s]", tag);
    fputc('\n', t.out);
    if (f)
        print_source(t.out, f, where);
    end_diagnostic(sink, &t);
}

void diag_report(diag_sink *sink, diag_level level, span where, const char *fmt, ...)
{
    bool promoted;
    va_list ap;

    if (level == DIAG_NOTE && sink->muted)
        return;
    if (level != DIAG_NOTE)
        sink->muted = false;
    level = count(sink, level, &promoted);
    va_start(ap, fmt);
    vreport(sink, level, where, promoted ? "-Werror" : NULL, fmt, ap);
    va_end(ap);
}

void diag_warn(diag_sink *sink, diag_warning w, span where, const char *fmt, ...)
{
    char tag[64];
    bool error;
    va_list ap;

    sink->muted = !diag_warning_on(sink, w);
    if (sink->muted)
        return;
    error = warning_is_error(sink, w);
    if (error) {
        sink->n_errors++;
        snprintf(tag, sizeof tag, "-Werror=%s", warnings[w].name);
    } else {
        sink->n_warnings++;
        snprintf(tag, sizeof tag, "-W%s", warnings[w].name);
    }
    va_start(ap, fmt);
    vreport(sink, error ? DIAG_ERROR : DIAG_WARNING, where, tag, fmt, ap);
    va_end(ap);
}

void diag_plain(diag_sink *sink, diag_level level, const char *fmt, ...)
{
    bool promoted;
    va_list ap;
    diag_text t;

    level = count(sink, level, &promoted);
    if (!begin_diagnostic(sink, &t))
        return;
    fprintf(t.out, "msgbusgen: %s: ", level_name(level));
    va_start(ap, fmt);
    vfprintf(t.out, fmt, ap);
    va_end(ap);
    fputs(promoted ? " [-Werror]\n" : "\n", t.out);
    end_diagnostic(sink, &t);
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
