/* handlers.c - the bus's table from message type to handlers.
 *
 * Dispatch looks handlers up by the address of the msgbus_type, so the hot
 * path hashes one pointer instead of a type name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bus_internal.h"

static int grow(handler_table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 16, i;
    handler_slot *slots = msgbus_calloc(cap, sizeof *slots);
    if (slots == NULL)
        return MSGBUS_ENOMEM;
    for (i = 0; i < t->cap; i++) {
        size_t j;
        if (t->slots[i].type == NULL)
            continue;
        for (j = handler_table_hash(t->slots[i].type, cap); slots[j].type; j = (j + 1) & (cap - 1))
            ;
        slots[j] = t->slots[i];
    }
    msgbus_free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

handler_slot *handler_table_slot(handler_table *t, const msgbus_type *type)
{
    size_t i;
    handler_slot *found = handler_table_find(t, type);
    if (found)
        return found;
    /* Keep the load under 1/2 so probes stay short. */
    if ((t->used + 1) * 2 > t->cap && grow(t) != 0)
        return NULL;
    for (i = handler_table_hash(type, t->cap); t->slots[i].type; i = (i + 1) & (t->cap - 1))
        ;
    t->slots[i].type = type;
    t->used++;
    return &t->slots[i];
}

#define LINE 64                         /* bytes of a cache line */

int handler_slot_append(handler_slot *slot, const handler_entry *e)
{
    if (slot->n == slot->cap) {
        size_t cap = slot->cap ? slot->cap * 2 : 2;
        /* Whole cache lines: the async bus's workers read (and now and then
         * write) cost_ns, which must not share a line with hot data. */
        unsigned char *block = msgbus_malloc(cap * sizeof(handler_entry) + 2 * LINE);
        handler_entry *items;
        if (block == NULL)
            return MSGBUS_ENOMEM;
        items = (handler_entry *)(void *)(block + LINE - (uintptr_t)block % LINE);
        if (slot->n)
            memcpy(items, slot->items, slot->n * sizeof(handler_entry));
        msgbus_free(slot->items_block);
        slot->items_block = block;
        slot->items = items;
        slot->cap = cap;
    }
    slot->items[slot->n] = *e;
    slot->items[slot->n++].cost_ns = 0;
    return 0;
}

/* True if a value of type may own heap memory that clearing must free. */
static bool owns_memory(const msgbus_type *type)
{
    size_t i;
    for (i = 0; i < type->n_fields; i++) {
        const msgbus_field *f = &type->fields[i];
        if (f->container != MSGBUS_SINGLE)
            return true;
        switch (f->scalar) {
        case MSGBUS_STRING:
        case MSGBUS_BYTES:
            return true;
        case MSGBUS_RECORD:
            if (f->optional || owns_memory(f->record))
                return true;
            break;
        default:
            break;
        }
    }
    return false;
}

int handler_slot_prepare(handler_slot *slot)
{
    if (slot->blank)
        return 0;
    slot->blank = msgbus_malloc(slot->type->size);
    if (slot->blank == NULL)
        return MSGBUS_ENOMEM;
    msgbus_value_init(slot->type, slot->blank);
    slot->owns_memory = owns_memory(slot->type);
    return 0;
}

const char *handler_table_keep_name(handler_table *t, const char *name)
{
    char *copy;
    size_t len = strlen(name);
    if (t->n_owned == t->cap_owned) {
        size_t cap = t->cap_owned ? t->cap_owned * 2 : 8;
        char **names = msgbus_realloc(t->owned_names, cap * sizeof *names);
        if (names == NULL)
            return NULL;
        t->owned_names = names;
        t->cap_owned = cap;
    }
    copy = msgbus_malloc(len + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, name, len + 1);
    t->owned_names[t->n_owned++] = copy;
    return copy;
}

void handler_table_free(handler_table *t)
{
    size_t i;
    for (i = 0; i < t->cap; i++) {
        msgbus_free(t->slots[i].items_block);
        msgbus_free(t->slots[i].blank);
    }
    for (i = 0; i < t->n_owned; i++)
        msgbus_free(t->owned_names[i]);
    msgbus_free(t->slots);
    msgbus_free(t->owned_names);
    memset(t, 0, sizeof *t);
}
