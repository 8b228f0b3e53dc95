/* names.c - how schema names become C names (msgbusgen(1), GENERATED NAMES).
 *
 * C names keep the schema's spelling behind the package prefix, so a name
 * found in the schema is found in the generated code.  Only enum constants
 * change case: they are UPPER_SNAKE, as C programmers expect of constants. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

/* Joins up to four strings (NULL counts as "") into a new string. */
static char *concat4(const char *a, const char *b, const char *c, const char *d)
{
    const char *parts[4];
    size_t len = 0, i;
    char *out, *p;

    parts[0] = a ? a : "";
    parts[1] = b ? b : "";
    parts[2] = c ? c : "";
    parts[3] = d ? d : "";
    for (i = 0; i < 4; i++)
        len += strlen(parts[i]);
    out = xmalloc(len + 1);
    p = out;
    for (i = 0; i < 4; i++) {
        size_t n = strlen(parts[i]);
        memcpy(p, parts[i], n);
        p += n;
    }
    *p = '\0';
    return out;
}

char *names_prefix_for_package(const char *package)
{
    char *out, *p;

    if (package == NULL || package[0] == '\0')
        return xstrdup("");
    out = concat4(package, "_", NULL, NULL);
    for (p = out; *p; p++)
        if (*p == '.')
            *p = '_';
    return out;
}

static int is_upper(char c) { return isupper((unsigned char)c); }
static int is_lower_or_digit(char c)
{
    return islower((unsigned char)c) || isdigit((unsigned char)c);
}

/* An underscore goes before an uppercase letter that starts a new word:
 * after a lowercase letter or digit ("orderStatus"), or at the end of an
 * acronym, where the next letter is lowercase ("HTTPCode" -> HTTP_CODE). */
char *names_upper_snake(const char *name)
{
    size_t len = strlen(name), i, o = 0;
    char *out = xmalloc(2 * len + 1);

    for (i = 0; i < len; i++) {
        char c = name[i];
        if (i > 0 && is_upper(c) && name[i - 1] != '_') {
            char prev = name[i - 1];
            char next = name[i + 1];
            if (is_lower_or_digit(prev) || (is_upper(prev) && islower((unsigned char)next)))
                out[o++] = '_';
        }
        out[o++] = (char)toupper((unsigned char)c);
    }
    out[o] = '\0';
    return out;
}

/* The schema's C prefix; the loader sets it (from the package or --prefix). */
static char *prefix_of(const schema *s)
{
    if (s->prefix != NULL)
        return xstrdup(s->prefix);
    return names_prefix_for_package(s->package);
}

char *names_c_name(const schema *s, const char *name)
{
    char *prefix = prefix_of(s);
    char *out = concat4(prefix, name, NULL, NULL);
    free(prefix);
    return out;
}

char *names_enum_constant(const schema *s, const decl *enumeration, const char *value)
{
    char *prefix = prefix_of(s);
    char *upper_prefix = names_upper_snake(prefix);
    char *upper_enum = names_upper_snake(enumeration->name);
    char *upper_value = names_upper_snake(value);
    char *out = concat4(upper_prefix, upper_enum, "_", upper_value);

    free(prefix);
    free(upper_prefix);
    free(upper_enum);
    free(upper_value);
    return out;
}

char *names_full_name(const schema *s, const char *name)
{
    if (s->package == NULL || s->package[0] == '\0')
        return xstrdup(name);
    return concat4(s->package, ".", name, NULL);
}

char *names_emit_function(const schema *s, const decl *handler, const decl *message)
{
    char *handler_name = names_c_name(s, handler->name);
    char *out = concat4(handler_name, "_emit_", message->name, NULL);
    free(handler_name);
    return out;
}

/* C99/C11/C23 keywords, the macros of <stdbool.h>, <stdalign.h>,
 * <stdnoreturn.h>, <assert.h> and <stddef.h> that generated code may see,
 * and every C++ keyword and alternative token, since the header must work
 * in C++.  Sorted, for bsearch. */
static const char *const reserved_words[] = {
    "NULL", "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand",
    "bitor", "bool", "break", "case", "catch", "char", "char16_t",
    "char32_t", "char8_t", "class", "co_await", "co_return", "co_yield",
    "compl", "concept", "const", "const_cast", "consteval", "constexpr",
    "constinit", "continue", "decltype", "default", "delete", "do",
    "double", "dynamic_cast", "else", "enum", "explicit", "export",
    "extern", "false", "float", "for", "friend", "goto", "if", "inline",
    "int", "long", "mutable", "namespace", "new", "noexcept", "noreturn",
    "not", "not_eq", "nullptr", "offsetof", "operator", "or", "or_eq",
    "private", "protected", "public", "register", "reinterpret_cast",
    "requires", "restrict", "return", "short", "signed", "sizeof",
    "static", "static_assert", "static_cast", "struct", "switch",
    "template", "this", "thread_local", "throw", "true", "try", "typedef",
    "typeid", "typename", "typeof", "typeof_unqual", "union", "unsigned",
    "using", "virtual", "void", "volatile", "wchar_t", "while", "xor",
    "xor_eq"
};

static int compare_word(const void *key, const void *element)
{
    return strcmp((const char *)key, *(const char *const *)element);
}

/* Reserved to the implementation: a leading underscore (C reserves "_X"
 * and "__x" everywhere, "_x" at file scope, and prefix + "_x" would give
 * "__") and "__" anywhere (C++ reserves it in every identifier). */
bool names_is_reserved(const char *name)
{
    if (name[0] == '_' || strstr(name, "__") != NULL)
        return true;
    return bsearch(name, reserved_words,
                   sizeof reserved_words / sizeof reserved_words[0],
                   sizeof reserved_words[0], compare_word) != NULL;
}

char *names_module_prefix(const program *prog, const schema *s)
{
    char *prefix = names_c_name(s, "");
    const char *path, *slash;
    size_t len, i, o = 0;
    char *out;

    if (prefix[0] != '\0')
        return prefix;
    free(prefix);
    path = prog->files[s->file].path;
    slash = strrchr(path, '/');
    if (slash)
        path = slash + 1;
    len = strcspn(path, ".");
    out = xmalloc(len + sizeof "m__");
    if (len == 0 || !isalpha((unsigned char)path[0])) {
        out[o++] = 'm';
        out[o++] = '_';
    }
    for (i = 0; i < len; i++)
        out[o++] = isalnum((unsigned char)path[i]) ? path[i] : '_';
    out[o++] = '_';
    out[o] = '\0';
    return out;
}
