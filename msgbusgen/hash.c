/* hash.c - open addressing with linear probing, grown at half full; each
 * slot holds key, value and hash together, so a probe is one cache line. */
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
    free(t->slots);
    t->slots = NULL;
    t->n_slots = t->n_used = 0;
}

/* MurmurHash3's finalizer: every input bit reaches the low bits, which
 * are the ones a power-of-two table uses. */
static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return h;
}

size_t hash_string(const char *s)
{
    uint64_t h = 14695981039346656037u;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211u;
    }
    return (size_t)mix(h);
}

static size_t hash_key(const hash_table *t, const void *key)
{
    if (t->by_address)
        return (size_t)mix((uint64_t)(uintptr_t)key);
    return hash_string(key);
}

/* The slot holding key (whose hash is h), or the empty slot where it
 * would go. */
static hash_slot *find_slot(const hash_table *t, const void *key, size_t h)
{
    size_t mask = t->n_slots - 1, i = h & mask;

    for (;; i = (i + 1) & mask) {
        hash_slot *s = &t->slots[i];
        if (s->key == NULL)
            return s;
        if (s->hash == h && (t->by_address ? s->key == key : strcmp(s->key, key) == 0))
            return s;
    }
}

void *hash_get(const hash_table *t, const void *key)
{
    if (t->n_slots == 0)
        return NULL;
    return find_slot(t, key, hash_key(t, key))->value;
}

static void grow(hash_table *t)
{
    hash_table bigger = *t;
    size_t i;

    bigger.n_slots = t->n_slots ? 2 * t->n_slots : 16;
    bigger.slots = xcalloc(bigger.n_slots, sizeof *bigger.slots);
    for (i = 0; i < t->n_slots; i++)
        if (t->slots[i].key)
            *find_slot(&bigger, t->slots[i].key, t->slots[i].hash) = t->slots[i];
    free(t->slots);
    *t = bigger;
}

void *hash_put(hash_table *t, const void *key, void *value)
{
    size_t h = hash_key(t, key);
    hash_slot *s;

    if (2 * (t->n_used + 1) > t->n_slots)
        grow(t);
    s = find_slot(t, key, h);
    if (s->key)
        return s->value;
    s->key = key;
    s->value = value;
    s->hash = h;
    t->n_used++;
    return value;
}
