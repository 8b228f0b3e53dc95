/* msgbus/types.h - message descriptors shared by generated code and libmsgbus.
 *
 * Generated code describes every record, command and event with a
 * msgbus_type: one msgbus_field per schema field, built with offsetof.  The
 * runtime uses these tables to init, clear, copy, compare and (de)serialize
 * any message generically, the way protobuf-c's descriptors do. */
#ifndef MSGBUS_TYPES_H
#define MSGBUS_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <msgbus/alloc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the runtime; generated headers refuse older runtimes. */
#define MSGBUS_VERSION_MAJOR 0
#define MSGBUS_VERSION_MINOR 1
#define MSGBUS_VERSION_PATCH 0
#define MSGBUS_VERSION_NUMBER \
    ((MSGBUS_VERSION_MAJOR << 16) | (MSGBUS_VERSION_MINOR << 8) | MSGBUS_VERSION_PATCH)

/* Return codes.  0 is success; errors are negative. */
enum {
    MSGBUS_OK = 0,
    MSGBUS_PENDING = 1,      /* async handler: will complete later */
    MSGBUS_EINVAL = -1,      /* invalid argument */
    MSGBUS_ENOMEM = -2,      /* out of memory */
    MSGBUS_ESYNTAX = -3,     /* malformed JSON text */
    MSGBUS_ETYPE = -4,       /* JSON does not match the schema */
    MSGBUS_ERANGE = -5,      /* number out of range for its field */
    MSGBUS_ELIMIT = -6,      /* depth, size or emit limit exceeded */
    MSGBUS_ENOHANDLER = -7,  /* command without a handler */
    MSGBUS_EHANDLER = -8,    /* a handler failed */
    MSGBUS_EEMIT = -9,       /* handler emitted a type it did not declare */
    MSGBUS_ENOTFOUND = -10,  /* unknown type name, row, key ... */
    MSGBUS_EIO = -11,        /* storage or network failure */
    MSGBUS_ESTATE = -12,     /* call not valid in the object's state */
    MSGBUS_ECANCELED = -13,  /* async bus shut down before the work started */
    MSGBUS_ENOTSUP = -14,    /* the object does not implement the operation */
    MSGBUS_EUNAVAILABLE = -15 /* server or connection unavailable: a transport failure */
};

#define MSGBUS_ERROR_TEXT_LENGTH 200
#define MSGBUS_ERROR_PATH_LENGTH 200

/* Error details, put on the stack by the caller (like Jansson's json_error_t).
 * Every function taking a msgbus_error * accepts NULL. */
typedef struct msgbus_error {
    int code;                                /* the MSGBUS_E* code returned */
    char text[MSGBUS_ERROR_TEXT_LENGTH];     /* human-readable message */
    char path[MSGBUS_ERROR_PATH_LENGTH];     /* field path, "$.ship_to.zip", or "" */
    int line;                                /* 1-based line in JSON text, 0 if n/a */
    int column;                              /* 1-based column (bytes), 0 if n/a */
    size_t position;                         /* byte offset in JSON text */
} msgbus_error;

/* Binary data; base64 in JSON.  data is malloc'd and owned by the message. */
typedef struct msgbus_bytes {
    uint8_t *data;
    size_t len;
} msgbus_bytes;

/* A point in time, UTC.  RFC 3339 text in JSON. */
typedef struct msgbus_timestamp {
    int64_t seconds;      /* since 1970-01-01T00:00:00Z */
    int32_t nanos;        /* 0 .. 999999999 */
} msgbus_timestamp;

/* A UUID, 16 bytes in network order; lowercase canonical text in JSON. */
typedef struct msgbus_uuid {
    uint8_t bytes[16];
} msgbus_uuid;

struct msgbus_type;

/* First member of every generated command and event struct. */
typedef struct msgbus_msg {
    const struct msgbus_type *type;
} msgbus_msg;

typedef enum msgbus_kind {
    MSGBUS_KIND_RECORD = 0,
    MSGBUS_KIND_COMMAND = 1,
    MSGBUS_KIND_EVENT = 2
} msgbus_kind;

/* Scalar type of a field (or of a list/map element). */
typedef enum msgbus_scalar {
    MSGBUS_BOOL = 0,        /* bool */
    MSGBUS_INT8, MSGBUS_INT16, MSGBUS_INT32, MSGBUS_INT64,
    MSGBUS_UINT8, MSGBUS_UINT16, MSGBUS_UINT32, MSGBUS_UINT64,
    MSGBUS_FLOAT,           /* float */
    MSGBUS_DOUBLE,          /* double */
    MSGBUS_STRING,          /* char *, NUL-terminated UTF-8 */
    MSGBUS_BYTES,           /* msgbus_bytes */
    MSGBUS_TIMESTAMP,       /* msgbus_timestamp */
    MSGBUS_UUID,            /* msgbus_uuid */
    MSGBUS_ENUM,            /* a generated C enum, stored as int */
    MSGBUS_RECORD           /* a generated record struct */
} msgbus_scalar;

typedef enum msgbus_container {
    MSGBUS_SINGLE = 0,      /* one value */
    MSGBUS_LIST = 1,        /* size_t n_x; T *x; */
    MSGBUS_MAP = 2          /* size_t n_x; <entry> *x; entry = { char *key; T value; } */
} msgbus_container;

typedef struct msgbus_enum_value {
    const char *name;       /* schema spelling, used in JSON: "PENDING" */
    int32_t value;
} msgbus_enum_value;

typedef struct msgbus_enum_type {
    const char *name;                   /* full name: "shop.orders.OrderStatus" */
    size_t n_values;
    const msgbus_enum_value *values;    /* in schema order */
} msgbus_enum_type;

/* One field.  How the value is stored in the struct:
 *  - SINGLE, required:        T x;                at offset
 *  - SINGLE, optional record: T *x (NULL absent); at offset
 *  - SINGLE, optional string: char *x (NULL absent); at offset
 *  - SINGLE, other optional:  bool has_x; T x;    has_offset, offset
 *  - LIST:                    size_t n_x; T *x;   count_offset, offset
 *  - MAP:                     size_t n_x; E *x;   count_offset, offset;
 *                             E is a struct { char *key; T value; } of
 *                             elem_size bytes with value at value_offset.
 *  - nested (element set):    T above is an inner list or map struct,
 *                             see element below.
 * A required string that is NULL stands for its default, or "" without one. */
/* How a field is held in its struct.  Generated descriptors always say;
 * MSGBUS_STORAGE_DERIVED (0, what a hand-written descriptor without the
 * member has) derives it from optional and scalar, as before the member
 * existed: optional records are pointers, optional strings plain, other
 * optionals have a has_ flag. */
typedef enum msgbus_storage {
    MSGBUS_STORAGE_DERIVED = 0,
    MSGBUS_STORAGE_PLAIN,       /* T x; optional strings: char *x, NULL when absent */
    MSGBUS_STORAGE_HAS_FLAG,    /* bool has_x (at has_offset); T x */
    MSGBUS_STORAGE_POINTER      /* T *x, NULL when absent */
} msgbus_storage;

typedef struct msgbus_field {
    const char *name;                       /* JSON key: the schema's field name */
    msgbus_scalar scalar;
    msgbus_container container;
    bool optional;
    size_t offset;
    size_t has_offset;                      /* optional scalars only */
    size_t count_offset;                    /* lists and maps only */
    size_t elem_size;                       /* sizeof(T), or sizeof(E) for maps */
    size_t value_offset;                    /* maps: offsetof(E, value) */
    const struct msgbus_type *record;       /* MSGBUS_RECORD only */
    const msgbus_enum_type *enumeration;    /* MSGBUS_ENUM only */
    /* Default when absent from JSON, or NULL.  Points to a value of the
     * field's C type (an int for enums), except for strings, where it is
     * the default text itself. */
    const void *default_value;
    msgbus_storage storage;                 /* single fields (lists and maps: plain) */
    /* Lists and maps whose elements are themselves lists or maps
     * (list<list<T>>, map<string, list<T>> ...), else NULL.  Each element
     * (a map's value) is then a struct { size_t n; T *items; } that *element
     * describes as a LIST or MAP field of that struct: offset locates items,
     * count_offset n; its own element may nest further.  scalar, record and
     * enumeration give the innermost element's type on every level. */
    const struct msgbus_field *element;
} msgbus_field;

struct msgbus_module;

typedef struct msgbus_type {
    const char *name;                   /* full name: "shop.orders.ProcessOrder" */
    msgbus_kind kind;
    size_t size;                        /* sizeof the generated struct */
    size_t n_fields;
    const msgbus_field *fields;         /* in schema order */
    uint32_t index;                     /* position in module->types */
    const struct msgbus_module *module; /* module that defines it */
} msgbus_type;

struct msgbus_ctx;

/* The C signature behind every handler in a dispatch table. */
typedef int (*msgbus_handler_fn)(struct msgbus_ctx *ctx, const msgbus_msg *msg);

/* A handler declared in the schema. */
typedef struct msgbus_handler_desc {
    const char *name;                   /* full name: "shop.orders.process_order" */
    const msgbus_type *input;           /* the command or event it handles */
    msgbus_handler_fn fn;               /* trampoline to the user's function */
    size_t n_emits;
    const msgbus_type *const *emits;    /* declared emits, in schema order */
} msgbus_handler_desc;

/* An `outbox Type -> "subject";` route. */
typedef struct msgbus_route {
    const msgbus_type *type;
    const char *subject;
} msgbus_route;

/* One compiled schema file: types by name plus the static dispatch table. */
typedef struct msgbus_module {
    uint32_t runtime_version;           /* MSGBUS_VERSION_NUMBER it was built for */
    const char *package;                /* "shop.orders", or "" */
    const char *source;                 /* schema file name as given to msgbusgen */
    size_t n_types;
    const msgbus_type *const *types;    /* records, commands, events; sorted by name */
    size_t n_enums;
    const msgbus_enum_type *const *enums;
    size_t n_handlers;
    const msgbus_handler_desc *handlers;    /* in schema order */
    size_t n_routes;
    const msgbus_route *routes;
    size_t n_imports;
    const struct msgbus_module *const *imports;
} msgbus_module;

#ifdef __cplusplus
}
#endif

#endif /* MSGBUS_TYPES_H */
