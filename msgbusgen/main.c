/* main.c - the msgbusgen command line: its options, then
 * msgbusgen_compile or msgbusgen_compat (msgbusgen.h) does the work.
 *
 * Exit status: 0 success (warnings allowed), 1 errors in the schema,
 * 2 usage or I/O errors. */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "msgbusgen.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { EXIT_USAGE = MSGBUSGEN_EUSAGE };

typedef struct options {
    msgbusgen_options lib;      /* what msgbusgen_compile takes */
    const char *input;          /* with --compat: the new schema */
    const char *compat_old;     /* --compat: the old schema, or NULL */
    bool compat;
    const char **include_dirs;  /* owned arrays behind lib's pointers */
    const char **warning_options;
} options;

/* What --emit can ask for; each kind writes its own files. */
static const struct emit_kind {
    const char *name;
    unsigned bit;
} emit_kinds[] = {
    { "c", MSGBUSGEN_EMIT_C },
    { "jsonschema", MSGBUSGEN_EMIT_JSONSCHEMA },
    { "asyncapi", MSGBUSGEN_EMIT_ASYNCAPI },
    { "dot", MSGBUSGEN_EMIT_DOT },
};

static const char usage_text[] =
    "Usage: msgbusgen [OPTION]... FILE.msg\n"
    "   or: msgbusgen --compat [--compat-mode=MODE] [-I DIR]... OLD.msg NEW.msg\n"
    "Compile a msgbus schema into C: writes FILE.msg.h and FILE.msg.c.\n"
    "\n"
    "  -o DIR            write the output files into DIR (default: .)\n"
    "  --emit KIND[,KIND...]\n"
    "                    what to write (repeatable; default: c):\n"
    "                      c           FILE.msg.h and FILE.msg.c\n"
    "                      jsonschema  FILE.msg.schema.json, JSON Schema 2020-12\n"
    "                      asyncapi    FILE.msg.asyncapi.json, AsyncAPI 3.0.0\n"
    "                      dot         FILE.msg.dot, the message flow for Graphviz\n"
    "  --api-version V   info.version of the AsyncAPI document (default: 1.0.0)\n"
    "  -I DIR            search DIR for imported schemas (repeatable; after\n"
    "                    the importing file's own directory)\n"
    "  --prefix PREFIX   C prefix for the main schema's names instead of the\n"
    "                    one derived from its package; a missing trailing '_'\n"
    "                    is added (shop -> shop_), \"\" means no prefix\n"
    "  --depfile FILE    also write make dependencies of the outputs to FILE\n"
    "  --check           only report diagnostics; write nothing\n"
    "  --compat          check that NEW.msg can replace OLD.msg: each breaking\n"
    "                    change is an error (exit status 1)\n"
    "  --compat-mode=MODE  backward (NEW reads what OLD wrote), forward (OLD\n"
    "                    reads what NEW writes) or full (both; the default)\n"
    "  -Wall             turn on every warning\n"
    "  -WNAME, -Wno-NAME turn warning NAME on or off: unhandled-command and\n"
    "                    emit-cycle (on by default), unhandled-event and\n"
    "                    unused-type (off by default)\n"
    "  -Werror           treat warnings as errors\n"
    "  -Werror=NAME      turn warning NAME on, as an error (-Wno-error=NAME: not)\n"
    "  --version         print the version and exit\n"
    "  --help            print this help and exit\n"
    "\n"
    "Exit status: 0 success, 1 errors in the schema, 2 usage or I/O errors.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fputs("msgbusgen: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'msgbusgen --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

static bool is_c_identifier_prefix(const char *s)
{
    size_t i;

    for (i = 0; s[i]; i++) {
        char c = s[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!letter && !(i > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

/* The value of an option given as "-o DIR", "-oDIR", "--prefix X" or
 * "--prefix=X"; NULL when argv[i] is not that option. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
    size_t len = strlen(name);
    const char *arg = argv[*i];

    if (strncmp(arg, name, len) != 0)
        return NULL;
    if (arg[len] == '\0') {
        if (*i + 1 >= argc) {
            *missing = true;
            return NULL;
        }
        return argv[++*i];
    }
    if (name[1] == '-' && arg[len] == '=')
        return arg + len + 1;
    if (name[1] != '-')
        return arg + len;
    return NULL;
}

/* Adds the kinds of a comma-separated --emit list to *bits. */
static int parse_emit(const char *list, unsigned *bits)
{
    const char *p = list;

    for (;;) {
        size_t len = strcspn(p, ","), k;
        for (k = 0; k < sizeof emit_kinds / sizeof emit_kinds[0]; k++)
            if (strlen(emit_kinds[k].name) == len && strncmp(emit_kinds[k].name, p, len) == 0)
                break;
        if (k == sizeof emit_kinds / sizeof emit_kinds[0]) {
            fprintf(stderr, "msgbusgen: unknown --emit kind '%.*s' (kinds: c, jsonschema, asyncapi, dot)\n"
                            "Try 'msgbusgen --help' for more information.\n", (int)len, p);
            return -1;
        }
        *bits |= emit_kinds[k].bit;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

/* Returns -1 to go on, or the exit status (0 after --help or --version). */
static int parse_args(int argc, char **argv, options *o)
{
    static const char *const valued[] = { "-o", "-I", "--prefix", "--depfile", "--emit",
                                            "--api-version", "--compat-mode" };
    bool only_files = false;
    int i;

    for (i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        bool missing = false;
        size_t k;

        if (only_files || arg[0] != '-' || arg[1] == '\0') {
            if (o->input && (o->compat_old || !o->compat))
                return usage_error("more than one input file ('%s')", arg);
            if (o->input)
                o->compat_old = o->input;
            o->input = arg;
            continue;
        }
        if (strcmp(arg, "--compat") == 0) {
            o->compat = true;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_files = true;
            continue;
        }
        if (strcmp(arg, "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(arg, "--version") == 0) {
            puts("msgbusgen " PACKAGE_VERSION);
            return 0;
        }
        if (strcmp(arg, "--check") == 0) {
            o->lib.check_only = true;
            continue;
        }
        if (strncmp(arg, "-W", 2) == 0) {
            /* Checked by msgbusgen_compile, which knows the names. */
            o->warning_options = xrealloc(o->warning_options, (o->lib.n_warning_options + 1) *
                                                              sizeof *o->warning_options);
            o->warning_options[o->lib.n_warning_options++] = arg;
            o->lib.warning_options = o->warning_options;
            continue;
        }
        for (k = 0; k < sizeof valued / sizeof valued[0]; k++) {
            value = option_value(argc, argv, &i, valued[k], &missing);
            if (value || missing)
                break;
        }
        if (missing)
            return usage_error("option '%s' needs an argument", arg);
        if (!value)
            return usage_error("unknown option '%s'", arg);
        switch (k) {
        case 0:
            o->lib.out_dir = value;
            break;
        case 1:
            o->include_dirs = xrealloc(o->include_dirs,
                                       (o->lib.n_include_dirs + 1) * sizeof *o->include_dirs);
            o->include_dirs[o->lib.n_include_dirs++] = value;
            o->lib.include_dirs = o->include_dirs;
            break;
        case 2:
            if (!is_c_identifier_prefix(value))
                return usage_error("--prefix '%s' is not a C identifier", value);
            o->lib.prefix = value;
            break;
        case 3:
            o->lib.depfile = value;
            break;
        case 4:
            if (parse_emit(value, &o->lib.emit) != 0)
                return EXIT_USAGE;
            break;
        case 5:
            if (value[0] == '\0')
                return usage_error("%s", "--api-version cannot be empty");
            o->lib.api_version = value;
            break;
        default:
            if (strcmp(value, "backward") == 0)
                o->lib.compat_mode = MSGBUSGEN_COMPAT_BACKWARD;
            else if (strcmp(value, "forward") == 0)
                o->lib.compat_mode = MSGBUSGEN_COMPAT_FORWARD;
            else if (strcmp(value, "full") == 0)
                o->lib.compat_mode = MSGBUSGEN_COMPAT_FULL;
            else
                return usage_error("--compat-mode '%s' is not backward, forward or full", value);
            break;
        }
    }
    if (o->compat && !o->compat_old)
        return usage_error("%s", "--compat needs two files: OLD.msg NEW.msg");
    if (!o->compat && o->lib.compat_mode)
        return usage_error("%s", "--compat-mode without --compat");
    if (!o->input)
        return usage_error("%s", "no input file");
    return -1;
}

int main(int argc, char **argv)
{
    options opt;
    int status;

    memset(&opt, 0, sizeof opt);
    msgbusgen_options_init(&opt.lib);
    status = parse_args(argc, argv, &opt);
    if (status < 0)
        status = opt.compat ? msgbusgen_compat(opt.compat_old, opt.input, &opt.lib)
                            : msgbusgen_compile(opt.input, NULL, 0, &opt.lib);
    free(opt.include_dirs);
    free(opt.warning_options);
    return status;
}
