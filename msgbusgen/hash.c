/* hash.c - open addressing with linear probing, grown at half full. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "hash.h"

void hash_init_strings(hash_table *t)
{
    memset(t, 0, sizeof *t);
}

void hash_init_addresses(hash_table *t)
{
    memset(t, 0, sizeof *t);
    t->by_address = 1;
}

void hash_free(hash_table *t)
{
    free(t->keys);
    free(t->values);
    t->keys = NULL;
    t->values = NULL;
    t->n_slots = t->n_used = 0;
}

size_t hash_string(const char *s)
{
    uint64_t h = 14695981039346656037u;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211u;
    }
    return (size_t)h;
}

static size_t hash_key(const hash_table *t, const void *key)
{
    if (t->by_address) {
        uint64_t h = (uint64_t)(uintptr_t)key;
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdu;
        h ^= h >> 33;
        return (size_t)h;
    }
    return hash_string(key);
}

static int same_key(const hash_table *t, const void *a, const void *b)
{
    return t->by_address ? a == b : strcmp(a, b) == 0;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find_slot(const hash_table *t, const void *key)
{
    size_t mask = t->n_slots - 1, i = hash_key(t, key) & mask;

    while (t->keys[i] != NULL && !same_key(t, t->keys[i], key))
        i = (i + 1) & mask;
    return i;
}

void *hash_get(const hash_table *t, const void *key)
{
    size_t i;

    if (t->n_slots == 0)
        return NULL;
    i = find_slot(t, key);
    return t->keys[i] ? t->values[i] : NULL;
}

static void grow(hash_table *t)
{
    hash_table bigger = *t;
    size_t i;

    bigger.n_slots = t->n_slots ? 2 * t->n_slots : 16;
    bigger.n_used = 0;
    bigger.keys = xcalloc(bigger.n_slots, sizeof *bigger.keys);
    bigger.values = xcalloc(bigger.n_slots, sizeof *bigger.values);
    for (i = 0; i < t->n_slots; i++)
        if (t->keys[i])
            hash_put(&bigger, t->keys[i], t->values[i]);
    free(t->keys);
    free(t->values);
    *t = bigger;
}

void *hash_put(hash_table *t, const void *key, void *value)
{
    size_t i;

    if (2 * (t->n_used + 1) > t->n_slots)
        grow(t);
    i = find_slot(t, key);
    if (t->keys[i])
        return t->values[i];
    t->keys[i] = key;
    t->values[i] = value;
    t->n_used++;
    return value;
}
