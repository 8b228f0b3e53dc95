/* module.c - finding a type by name in a module and its imports. */
#include <string.h>

#include <msgbus/value.h>

/* Imports may form a diamond or (in a broken build) a cycle; remember the
 * modules already searched.  Import chains deeper than this are not searched
 * further (schemas import a handful of files). */
#define MAX_VISITED 64

typedef struct visited {
    const msgbus_module *modules[MAX_VISITED];
    size_t n;
} visited;

static const msgbus_type *find_in(const msgbus_module *module, const char *name, visited *seen)
{
    for (size_t i = 0; i < seen->n; i++)
        if (seen->modules[i] == module)
            return NULL;
    if (seen->n == MAX_VISITED)
        return NULL;
    seen->modules[seen->n++] = module;

    /* module->types is sorted by full name. */
    size_t lo = 0, hi = module->n_types;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(name, module->types[mid]->name);
        if (cmp == 0)
            return module->types[mid];
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    for (size_t i = 0; i < module->n_imports; i++) {
        const msgbus_type *t = find_in(module->imports[i], name, seen);
        if (t)
            return t;
    }
    return NULL;
}

const msgbus_type *msgbus_module_find_type(const msgbus_module *module, const char *name)
{
    if (!module || !name)
        return NULL;
    visited seen;
    seen.n = 0;
    return find_in(module, name, &seen);
}
