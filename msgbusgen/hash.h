/* hash.h - open-addressing hash tables for the compiler's lookups, so that
 * finding a declaration by name or by address takes constant time and the
 * compile time stays linear in the size of the schema. */
#ifndef MSGBUSGEN_HASH_H
#define MSGBUSGEN_HASH_H

#include <stddef.h>

typedef struct hash_slot {
    const void *key;            /* NULL: empty */
    void *value;
    size_t hash;                /* of key: most mismatches cost no strcmp */
} hash_slot;

/* Keys are strings (not copied: they must outlive the table) or
 * addresses; values are pointers.  A zeroed table is an empty table of
 * string keys. */
typedef struct hash_table {
    size_t n_slots;             /* a power of two, or 0 */
    size_t n_used;
    hash_slot *slots;
    int by_address;             /* keys compared as addresses, not strings */
} hash_table;

void hash_init_strings(hash_table *t);
void hash_init_addresses(hash_table *t);
void hash_free(hash_table *t);

/* The value stored under key, or NULL. */
void *hash_get(const hash_table *t, const void *key);
/* Stores value under key unless the key is present; returns the value now
 * stored under key (the older one when it was present). */
void *hash_put(hash_table *t, const void *key, void *value);

/* FNV-1a of a NUL-terminated string, mixed so that its low bits are good. */
size_t hash_string(const char *s);

#endif /* MSGBUSGEN_HASH_H */
