/* ast.h - the syntax tree of .msg schemas, shared by every msgbusgen pass.
 *
 * The parser builds it, sema resolves names (filling the `resolved` and
 * `index` members) and checks it, and the emitters read it.  All strings are
 * malloc'd and owned by the tree; ast_program_free releases everything. */
#ifndef MSGBUSGEN_AST_H
#define MSGBUSGEN_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A range of bytes in one source file; line and column are computed only
 * when a diagnostic is printed. */
typedef struct span {
    uint32_t file;      /* index into program.files */
    uint32_t start;     /* byte offset of the first byte */
    uint32_t end;       /* byte offset one past the last byte */
} span;

typedef enum builtin_type {
    BT_NONE = 0,        /* a named type: enum or record */
    BT_BOOL,
    BT_INT8, BT_INT16, BT_INT32, BT_INT64,
    BT_UINT8, BT_UINT16, BT_UINT32, BT_UINT64,
    BT_FLOAT, BT_DOUBLE,
    BT_STRING, BT_BYTES, BT_TIMESTAMP, BT_UUID
} builtin_type;

typedef enum type_form {
    TF_SINGLE = 0,      /* T */
    TF_LIST,            /* list<T> */
    TF_MAP              /* map<string, T> */
} type_form;

struct decl;

/* A list or map held inside another one: list<map<string, T>> is a TF_LIST
 * type_ref with one inner level, TF_MAP. */
typedef struct type_level {
    type_form form;             /* TF_LIST or TF_MAP */
    span key_span;              /* TF_MAP: the key type as written */
    builtin_type key_builtin;   /* TF_MAP: must be BT_STRING (checked by sema) */
    span span;                  /* this level's whole type */
} type_level;

typedef struct type_ref {
    type_form form;             /* the outermost form */
    size_t n_inner;             /* lists and maps: levels inside the outer one */
    type_level *inner;          /* outermost first; the element is within the last */
    builtin_type builtin;       /* of the (innermost) element for lists and maps */
    char *name;                 /* BT_NONE: as written, "Address" or "common.Money" */
    span name_span;             /* the element's type name */
    span key_span;              /* TF_MAP: the key type as written */
    builtin_type key_builtin;   /* TF_MAP: must be BT_STRING (checked by sema) */
    bool optional;              /* trailing ? */
    span span;                  /* the whole type */
    struct decl *resolved;      /* sema: the enum or record named */
} type_ref;

typedef enum literal_kind {
    LIT_INT,            /* 42, -7, 0x1F */
    LIT_FLOAT,          /* 0.5, 1e9, -2.0 */
    LIT_STRING,         /* "text" (value holds the unescaped bytes) */
    LIT_BOOL,           /* true / false */
    LIT_IDENT           /* an enum member: PENDING */
} literal_kind;

typedef struct literal {
    literal_kind kind;
    char *text;         /* source spelling (LIT_STRING: unescaped value) */
    bool negative;      /* leading '-' on a number */
    uint64_t magnitude; /* LIT_INT: absolute value; overflow flagged below */
    bool too_large;     /* LIT_INT: magnitude does not fit in uint64 */
    double real;        /* LIT_FLOAT (and LIT_INT converted) */
    bool truth;         /* LIT_BOOL */
    span span;
} literal;

/* How a field is held in its struct (msgbusgen(1), GENERATED NAMES):
 * decided once by sema, read by the header, the descriptors and, through
 * the descriptors, the runtime. */
typedef enum field_storage {
    STORAGE_PLAIN = 0,      /* T x (lists and maps: size_t n_x; T *x; optional
                               strings: char *x, NULL when absent) */
    STORAGE_HAS_FLAG,       /* bool has_x; T x: optional scalars and enums */
    STORAGE_POINTER         /* T *x, NULL when absent: optional records */
} field_storage;

typedef struct field {
    char *name;
    span name_span;
    type_ref type;
    field_storage storage;      /* sema */
    literal *default_value;     /* NULL when none */
    char *doc;                  /* /// text, lines joined with '\n', or NULL */
    span span;
} field;

typedef struct enum_value {
    char *name;
    span name_span;
    bool explicit_value;
    int64_t value;              /* sema fills implicit values (previous + 1) */
    literal *value_literal;     /* NULL when implicit */
    char *doc;
} enum_value;

typedef struct name_ref {
    char *name;                 /* as written, maybe qualified: "common.Money" */
    span span;
    struct decl *resolved;      /* sema */
} name_ref;

typedef enum decl_kind {
    DECL_ENUM,
    DECL_RECORD,
    DECL_COMMAND,
    DECL_EVENT,
    DECL_HANDLER,
    DECL_OUTBOX
} decl_kind;

struct schema;

typedef struct decl {
    decl_kind kind;
    char *name;                 /* handlers: the function name; outbox: NULL */
    span name_span;
    span span;                  /* from keyword to closing ; or } */
    char *doc;
    struct schema *schema;      /* file that declares it */
    uint32_t index;             /* sema: position among the module's types
                                   (records, commands, events sorted by full name),
                                   among its enums, or among its handlers */

    /* DECL_RECORD, DECL_COMMAND, DECL_EVENT */
    size_t n_fields;
    field *fields;

    /* DECL_ENUM */
    size_t n_values;
    enum_value *values;

    /* DECL_HANDLER: handler name(input) emits a, b; */
    name_ref input;
    size_t n_emits;
    name_ref *emits;

    /* DECL_OUTBOX: outbox type -> "subject"; */
    name_ref route_type;
    char *subject;
    span subject_span;
} decl;

typedef struct import {
    char *path;                 /* as written: "common.msg" */
    span span;
    struct schema *resolved;    /* loader: the imported file */
} import;

/* One .msg file. */
typedef struct schema {
    uint32_t file;              /* index into program.files */
    char *package;              /* "shop.orders", or NULL */
    span package_span;
    char *prefix;               /* C prefix: "shop_orders_" (or --prefix), "" */
    size_t n_imports;
    import *imports;
    size_t n_decls;
    decl **decls;               /* in source order */
} schema;

/* A source file as loaded; kept for diagnostics. */
typedef struct source_file {
    char *path;                 /* as opened (relative paths kept relative) */
    char *text;                 /* whole contents, NUL-terminated */
    size_t len;
} source_file;

/* Everything one msgbusgen run loaded: the main file and its imports. */
typedef struct program {
    size_t n_files;
    source_file *files;
    size_t n_schemas;
    schema **schemas;           /* schemas[0] is the main file */
} program;

/* Allocation helpers that never return NULL: msgbusgen is a compiler, so on
 * out-of-memory it reports and exits (the library never does this). */
/* Reports an allocation failure (where: what failed, or NULL) on stderr
 * and exits with status 2: msgbusgen is a short-lived compiler. */
#if defined(__GNUC__)
__attribute__((noreturn))
#endif
void out_of_memory_exit(const char *where);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Grows an array by one zeroed element and returns a pointer to it. */
#define AST_PUSH(array, count) \
    ((array) = xrealloc((array), ((count) + 1) * sizeof *(array)), \
     memset(&(array)[(count)], 0, sizeof *(array)), &(array)[(count)++])

void ast_literal_free(literal *lit);
void ast_decl_free(decl *d);
void ast_schema_free(schema *s);
void ast_program_free(program *p);

/* "command", "event", ... for messages. */
const char *ast_decl_kind_name(decl_kind kind);
/* "int64", "string", ... */
const char *ast_builtin_name(builtin_type bt);
/* Range of an integer builtin: from -neg to pos (uint64 for any other). */
void ast_integer_range(builtin_type bt, uint64_t *neg, uint64_t *pos);

#endif /* MSGBUSGEN_AST_H */
