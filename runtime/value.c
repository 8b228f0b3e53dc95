/* value.c - init, clear, copy and compare any message or record, driven by
 * its msgbus_type descriptor. */
#include <stdlib.h>
#include <string.h>

#include "codec.h"

size_t mb_scalar_size(const msgbus_field *f)
{
    switch (f->scalar) {
    case MSGBUS_BOOL: return sizeof(bool);
    case MSGBUS_INT8: case MSGBUS_UINT8: return 1;
    case MSGBUS_INT16: case MSGBUS_UINT16: return 2;
    case MSGBUS_INT32: case MSGBUS_UINT32: return 4;
    case MSGBUS_INT64: case MSGBUS_UINT64: return 8;
    case MSGBUS_FLOAT: return sizeof(float);
    case MSGBUS_DOUBLE: return sizeof(double);
    case MSGBUS_STRING: return sizeof(char *);
    case MSGBUS_BYTES: return sizeof(msgbus_bytes);
    case MSGBUS_TIMESTAMP: return sizeof(msgbus_timestamp);
    case MSGBUS_UUID: return sizeof(msgbus_uuid);
    case MSGBUS_ENUM: return sizeof(int);
    case MSGBUS_RECORD: return f->record->size;
    }
    return 0;
}

void mb_value_zero(const msgbus_field *f, void *p)
{
    if (mb_nested(f))       /* { size_t n; T *items; }: the value ends the map entry */
        memset(p, 0, f->container == MSGBUS_MAP ? f->elem_size - f->value_offset : f->elem_size);
    else if (f->scalar == MSGBUS_RECORD)
        msgbus_value_init(f->record, p);
    else
        memset(p, 0, mb_scalar_size(f));
}

static void release_fields(const msgbus_type *type, void *m);
static void release_container(const msgbus_field *f, void *m);

void mb_value_release(const msgbus_field *f, void *p)
{
    if (mb_nested(f)) {
        release_container(f->element, p);
        return;
    }
    switch (f->scalar) {
    case MSGBUS_STRING:
        msgbus_free(mb_load_ptr(p));
        break;
    case MSGBUS_BYTES:
        msgbus_free(((msgbus_bytes *)p)->data);
        break;
    case MSGBUS_RECORD:
        release_fields(f->record, p);
        break;
    default:
        break;
    }
}

static void release_field(const msgbus_field *f, void *m)
{
    void *slot = mb_slot(m, f->offset);
    if (f->container == MSGBUS_SINGLE) {
        if (mb_is_record_ptr(f)) {
            void *rec = mb_load_ptr(slot);
            if (rec) {
                release_fields(f->record, rec);
                msgbus_free(rec);
            }
        } else {
            mb_value_release(f, slot);
        }
        return;
    }
    release_container(f, m);
}

/* Frees the elements and the array of list or map f in *m. */
static void release_container(const msgbus_field *f, void *m)
{
    void *slot = mb_slot(m, f->offset);
    size_t n = *(size_t *)mb_slot(m, f->count_offset);
    char *items = mb_load_ptr(slot);
    for (size_t i = 0; i < n; i++) {
        char *item = items + i * f->elem_size;
        if (f->container == MSGBUS_MAP) {
            msgbus_free(mb_load_ptr(item));
            mb_value_release(f, item + f->value_offset);
        } else {
            mb_value_release(f, item);
        }
    }
    msgbus_free(items);
}

static void release_fields(const msgbus_type *type, void *m)
{
    for (size_t i = 0; i < type->n_fields; i++)
        release_field(&type->fields[i], m);
}

/* msgbus_value_init on zeroed memory: what does not start at zero.  Most
 * fields are neither records nor defaulted, so those two tests come first. */
static void init_fields(const msgbus_type *type, void *m)
{
    if (type->kind != MSGBUS_KIND_RECORD)
        ((msgbus_msg *)m)->type = type;
    const msgbus_field *f = type->fields, *end = f + type->n_fields;
    for (; f < end; f++) {
        if (f->scalar != MSGBUS_RECORD && !f->default_value)
            continue;
        if (f->container != MSGBUS_SINGLE || f->optional)
            continue;
        void *slot = mb_slot(m, f->offset);
        if (f->scalar == MSGBUS_RECORD)
            init_fields(f->record, slot);
        else if (f->scalar != MSGBUS_STRING)
            memcpy(slot, f->default_value, mb_scalar_size(f));
        /* A required string stays NULL: it stands for its default. */
    }
}

void msgbus_value_init(const msgbus_type *type, void *m)
{
    memset(m, 0, type->size);
    init_fields(type, m);
}

void msgbus_value_clear(const msgbus_type *type, void *m)
{
    if (!m)
        return;
    release_fields(type, m);
    msgbus_value_init(type, m);
}

static int copy_container(const msgbus_field *f, void *dst, const void *src);

/* Copies one value of f's scalar type; *dst is in its zero state. */
static int copy_value(const msgbus_field *f, void *dst, const void *src)
{
    if (mb_nested(f))
        return copy_container(f->element, dst, src);
    switch (f->scalar) {
    case MSGBUS_STRING: {
        const char *s = mb_load_ptr(src);
        if (s) {
            char *copy = msgbus_strndup(s, strlen(s));
            if (!copy)
                return MSGBUS_ENOMEM;
            mb_store_ptr(dst, copy);
        }
        return 0;
    }
    case MSGBUS_BYTES: {
        const msgbus_bytes *b = src;
        msgbus_bytes *d = dst;
        if (b->len > 0) {
            d->data = msgbus_malloc(b->len);
            if (!d->data)
                return MSGBUS_ENOMEM;
            memcpy(d->data, b->data, b->len);
            d->len = b->len;
        }
        return 0;
    }
    case MSGBUS_RECORD:
        return msgbus_value_copy(f->record, dst, src);
    default:
        memcpy(dst, src, mb_scalar_size(f));
        return 0;
    }
}

static int copy_field(const msgbus_field *f, void *dst, const void *src)
{
    void *dslot = mb_slot(dst, f->offset);
    const void *sslot = mb_cslot(src, f->offset);
    if (mb_has_flag(f)) {
        *(bool *)mb_slot(dst, f->has_offset) = *(const bool *)mb_cslot(src, f->has_offset);
        return copy_value(f, dslot, sslot);
    }
    if (mb_is_record_ptr(f)) {
        const void *rec = mb_load_ptr(sslot);
        if (!rec)
            return 0;
        void *copy = msgbus_malloc(f->record->size);
        if (!copy)
            return MSGBUS_ENOMEM;
        msgbus_value_init(f->record, copy);
        mb_store_ptr(dslot, copy);
        return msgbus_value_copy(f->record, copy, rec);
    }
    if (f->container == MSGBUS_SINGLE)
        return copy_value(f, dslot, sslot);
    return copy_container(f, dst, src);
}

/* Copies list or map f of *src into *dst, where it is empty.  On failure
 * *dst holds what was copied, for the caller to release. */
static int copy_container(const msgbus_field *f, void *dst, const void *src)
{
    void *dslot = mb_slot(dst, f->offset);
    const void *sslot = mb_cslot(src, f->offset);
    size_t n = *(const size_t *)mb_cslot(src, f->count_offset);
    if (n == 0)
        return 0;
    const char *items = mb_load_ptr(sslot);
    /* Zeroed elements are safe to release if a later copy fails. */
    char *copy = msgbus_calloc(n, f->elem_size);
    if (!copy)
        return MSGBUS_ENOMEM;
    mb_store_ptr(dslot, copy);
    *(size_t *)mb_slot(dst, f->count_offset) = n;
    for (size_t i = 0; i < n; i++) {
        const char *from = items + i * f->elem_size;
        char *to = copy + i * f->elem_size;
        size_t value_offset = 0;
        if (f->container == MSGBUS_MAP) {
            const char *key = mb_load_ptr(from);
            char *key_copy = key ? msgbus_strndup(key, strlen(key)) : msgbus_strndup("", 0);
            if (!key_copy)
                return MSGBUS_ENOMEM;
            mb_store_ptr(to, key_copy);
            value_offset = f->value_offset;
        }
        mb_value_zero(f, to + value_offset);
        int rc = copy_value(f, to + value_offset, from + value_offset);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int msgbus_value_copy(const msgbus_type *type, void *dst, const void *src)
{
    msgbus_value_init(type, dst);
    for (size_t i = 0; i < type->n_fields; i++) {
        int rc = copy_field(&type->fields[i], dst, src);
        if (rc < 0) {
            msgbus_value_clear(type, dst);
            return rc;
        }
    }
    return 0;
}

static bool equal_strings(const char *a, const char *b, const char *null_means)
{
    return strcmp(a ? a : null_means, b ? b : null_means) == 0;
}

static bool equal_container(const msgbus_field *f, const void *a, const void *b);

/* Compares two values of f's scalar type; a NULL string means `null_means`. */
static bool equal_value(const msgbus_field *f, const void *a, const void *b,
                        const char *null_means)
{
    if (mb_nested(f))
        return equal_container(f->element, a, b);
    switch (f->scalar) {
    case MSGBUS_BOOL: return *(const bool *)a == *(const bool *)b;
    case MSGBUS_FLOAT: {
        float x = *(const float *)a, y = *(const float *)b;
        return x == y || (x != x && y != y);
    }
    case MSGBUS_DOUBLE: {
        double x = *(const double *)a, y = *(const double *)b;
        return x == y || (x != x && y != y);
    }
    case MSGBUS_STRING:
        return equal_strings(mb_load_ptr(a), mb_load_ptr(b), null_means);
    case MSGBUS_BYTES: {
        const msgbus_bytes *x = a, *y = b;
        return x->len == y->len && (x->len == 0 || memcmp(x->data, y->data, x->len) == 0);
    }
    case MSGBUS_TIMESTAMP: {
        const msgbus_timestamp *x = a, *y = b;
        return x->seconds == y->seconds && x->nanos == y->nanos;
    }
    case MSGBUS_RECORD:
        return msgbus_value_equal(f->record, a, b);
    default:
        /* Integers, enums and UUIDs have no padding. */
        return memcmp(a, b, mb_scalar_size(f)) == 0;
    }
}

static bool equal_field(const msgbus_field *f, const void *a, const void *b)
{
    const void *sa = mb_cslot(a, f->offset), *sb = mb_cslot(b, f->offset);
    if (mb_has_flag(f)) {
        bool ha = *(const bool *)mb_cslot(a, f->has_offset);
        bool hb = *(const bool *)mb_cslot(b, f->has_offset);
        return ha == hb && (!ha || equal_value(f, sa, sb, ""));
    }
    if (mb_is_record_ptr(f) || (f->optional && f->scalar == MSGBUS_STRING &&
                                f->container == MSGBUS_SINGLE)) {
        const void *pa = mb_load_ptr(sa), *pb = mb_load_ptr(sb);
        if (!pa || !pb)
            return pa == pb;
        if (f->scalar == MSGBUS_STRING)
            return strcmp(pa, pb) == 0;
        return msgbus_value_equal(f->record, pa, pb);
    }
    if (f->container == MSGBUS_SINGLE)
        return equal_value(f, sa, sb, mb_string_default(f));
    return equal_container(f, a, b);
}

/* Compares list or map f of *a and *b, element by element, in order. */
static bool equal_container(const msgbus_field *f, const void *a, const void *b)
{
    const void *sa = mb_cslot(a, f->offset), *sb = mb_cslot(b, f->offset);
    size_t n = *(const size_t *)mb_cslot(a, f->count_offset);
    if (n != *(const size_t *)mb_cslot(b, f->count_offset))
        return false;
    const char *ia = mb_load_ptr(sa), *ib = mb_load_ptr(sb);
    for (size_t i = 0; i < n; i++) {
        const char *ea = ia + i * f->elem_size, *eb = ib + i * f->elem_size;
        if (f->container == MSGBUS_MAP) {
            if (!equal_strings(mb_load_ptr(ea), mb_load_ptr(eb), ""))
                return false;
            ea += f->value_offset;
            eb += f->value_offset;
        }
        if (!equal_value(f, ea, eb, ""))
            return false;
    }
    return true;
}

bool msgbus_value_equal(const msgbus_type *type, const void *a, const void *b)
{
    if (a == b)
        return true;
    if (!a || !b)
        return false;
    for (size_t i = 0; i < type->n_fields; i++)
        if (!equal_field(&type->fields[i], a, b))
            return false;
    return true;
}
