/* codec.h - helpers shared by the generic value code and the JSON codecs
 * (internal to libmsgbus): where a field lives in a struct, and the field
 * path used in error messages. */
#ifndef MSGBUS_CODEC_H
#define MSGBUS_CODEC_H

#include <string.h>
#include <msgbus/types.h>
#include <msgbus/value.h>
#include <msgbus/json_get.h>

/* ------------------------------------------------------------ field slots */

static inline void *mb_slot(void *m, size_t offset)
{
    return (char *)m + offset;
}

static inline const void *mb_cslot(const void *m, size_t offset)
{
    return (const char *)m + offset;
}

/* Pointer members (T *x, T *items) are read and written through memcpy:
 * their real type is T *, never void *. */
static inline void *mb_load_ptr(const void *slot)
{
    void *p;
    memcpy(&p, slot, sizeof p);
    return p;
}

static inline void mb_store_ptr(void *slot, void *p)
{
    memcpy(slot, &p, sizeof p);
}

/* Optional record: T *x, NULL when absent.  The descriptor says (msgbusgen
 * decides once, in sema); MSGBUS_STORAGE_DERIVED descriptors are read as
 * before the member existed. */
static inline bool mb_is_record_ptr(const msgbus_field *f)
{
    if (f->storage != MSGBUS_STORAGE_DERIVED)
        return f->storage == MSGBUS_STORAGE_POINTER;
    return f->container == MSGBUS_SINGLE && f->optional && f->scalar == MSGBUS_RECORD;
}

/* Optional scalar with a has_x flag (every optional but records and strings). */
static inline bool mb_has_flag(const msgbus_field *f)
{
    if (f->storage != MSGBUS_STORAGE_DERIVED)
        return f->storage == MSGBUS_STORAGE_HAS_FLAG;
    return f->container == MSGBUS_SINGLE && f->optional && f->scalar != MSGBUS_RECORD &&
           f->scalar != MSGBUS_STRING;
}

/* The text a NULL required string stands for. */
static inline const char *mb_string_default(const msgbus_field *f)
{
    return f->default_value ? (const char *)f->default_value : "";
}

/* The inner list or map that each element of f (a map's value) is, or NULL
 * when f's elements are plain values (msgbus_field.element). */
static inline const msgbus_field *mb_nested(const msgbus_field *f)
{
    return f->container != MSGBUS_SINGLE ? f->element : NULL;
}

/* sizeof the C type of one value of f's scalar type.  The functions below
 * that take "one value of f's scalar type" take, for a field whose elements
 * are lists or maps (mb_nested), one such element. */
size_t mb_scalar_size(const msgbus_field *f);

/* Sets the value of f's scalar type at p to its zero state (records are
 * initialized), ready to be filled or released. */
void mb_value_zero(const msgbus_field *f, void *p);

/* Frees what one value of f's scalar type at p owns (no re-init). */
void mb_value_release(const msgbus_field *f, void *p);

/* ------------------------------------------------------------ field paths */

typedef enum mb_frame_kind {
    MB_FRAME_FIELD = MSGBUS_JSON_PATH_FIELD,
    MB_FRAME_INDEX = MSGBUS_JSON_PATH_INDEX,
    MB_FRAME_KEY = MSGBUS_JSON_PATH_KEY
} mb_frame_kind;

/* One step of the path from the root ("$") to the value being decoded.
 * Frames live on the decoder's stack; text is built only on error.  The
 * public msgbus_json_path, which generated decoders build too. */
typedef struct msgbus_json_path mb_frame;

/* Writes "$.a.b[3]" or "$.attrs[\"key\"]" (truncated to fit). */
void mb_path_format(const mb_frame *at, char *out, size_t size);

/* msgbus_error_set with the path of `at`. */
int mb_fail(msgbus_error *err, int code, const mb_frame *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#endif /* MSGBUS_CODEC_H */
