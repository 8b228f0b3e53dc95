/* alltypes_manual.h - hand-written mirror of what msgbusgen generates for
 * schemas/alltypes.msg (structs and descriptors laid out as types.h says),
 * so the codec tests do not depend on the emitter.  Tests only use the
 * generic msgbus_value_* API on test_all_Everything_type, so switching them
 * to the generated header is a matter of changing the #include. */
#ifndef ALLTYPES_MANUAL_H
#define ALLTYPES_MANUAL_H

#include <stddef.h>
#include <msgbus/msgbus.h>

typedef enum test_all_Color {
    TEST_ALL_COLOR_RED = 0,
    TEST_ALL_COLOR_GREEN = 5,
    TEST_ALL_COLOR_BLUE = 6
} test_all_Color;

typedef struct test_all_Inner test_all_Inner;
struct test_all_Inner {
    char *label;
    size_t n_tags;
    char **tags;
    test_all_Inner *next;
};

typedef struct { char *key; char *value; } test_all_Everything_attrs_entry;
typedef struct { char *key; int32_t value; } test_all_Everything_counts_entry;
typedef struct { char *key; test_all_Inner value; } test_all_Everything_places_entry;

typedef struct test_all_Everything {
    msgbus_msg base;
    bool b;
    int8_t i8;
    int16_t i16;
    int32_t i32;
    int64_t i64;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    float f32;
    double f64;
    char *s;
    msgbus_bytes raw;
    msgbus_timestamp at;
    msgbus_uuid id;
    test_all_Color color;
    test_all_Inner inner;
    test_all_Inner *maybe_inner;
    bool has_maybe_i32;
    int32_t maybe_i32;
    char *maybe_s;
    bool has_maybe_raw;
    msgbus_bytes maybe_raw;
    bool has_maybe_at;
    msgbus_timestamp maybe_at;
    bool has_maybe_id;
    msgbus_uuid maybe_id;
    bool has_maybe_color;
    test_all_Color maybe_color;
    size_t n_numbers;
    int64_t *numbers;
    size_t n_unsigned_numbers;
    uint64_t *unsigned_numbers;
    size_t n_inners;
    test_all_Inner *inners;
    size_t n_colors;
    test_all_Color *colors;
    size_t n_attrs;
    test_all_Everything_attrs_entry *attrs;
    size_t n_counts;
    test_all_Everything_counts_entry *counts;
    size_t n_places;
    test_all_Everything_places_entry *places;
    int32_t with_default;
    char *name_default;
    test_all_Color color_default;
    bool flag_default;
    double ratio_default;
} test_all_Everything;

static const msgbus_enum_value test_all_Color_values[] = {
    { "RED", 0 }, { "GREEN", 5 }, { "BLUE", 6 },
};
static const msgbus_enum_type test_all_Color_type = { "test.all.Color", 3, test_all_Color_values };

static const msgbus_type test_all_Inner_type;

#define IN(f) offsetof(test_all_Inner, f)
static const msgbus_field test_all_Inner_fields[] = {
    { .name = "label", .scalar = MSGBUS_STRING, .offset = IN(label), .elem_size = sizeof(char *) },
    { .name = "tags", .scalar = MSGBUS_STRING, .container = MSGBUS_LIST, .offset = IN(tags),
      .count_offset = IN(n_tags), .elem_size = sizeof(char *) },
    { .name = "next", .scalar = MSGBUS_RECORD, .optional = true, .offset = IN(next),
      .elem_size = sizeof(test_all_Inner), .record = &test_all_Inner_type },
};
#undef IN

static const msgbus_type test_all_Inner_type = {
    "test.all.Inner", MSGBUS_KIND_RECORD, sizeof(test_all_Inner), 3, test_all_Inner_fields, 0, NULL
};

static const int32_t test_all_with_default_default = -42;
static const char test_all_name_default_default[] = "anon";
static const int test_all_color_default_default = TEST_ALL_COLOR_BLUE;
static const bool test_all_flag_default_default = true;
static const double test_all_ratio_default_default = 0.25;

#define EV(f) offsetof(test_all_Everything, f)
/* A required single field of C type t. */
#define SINGLE(n, sc, t) { .name = #n, .scalar = sc, .offset = EV(n), .elem_size = sizeof(t) }
/* An optional scalar with its has_ flag. */
#define MAYBE(n, sc, t) { .name = #n, .scalar = sc, .optional = true, .offset = EV(n), \
                          .has_offset = EV(has_##n), .elem_size = sizeof(t) }
#define LIST(n, sc, t) { .name = #n, .scalar = sc, .container = MSGBUS_LIST, .offset = EV(n), \
                         .count_offset = EV(n_##n), .elem_size = sizeof(t) }
#define MAP(n, sc, e) { .name = #n, .scalar = sc, .container = MSGBUS_MAP, .offset = EV(n), \
                        .count_offset = EV(n_##n), .elem_size = sizeof(e), \
                        .value_offset = offsetof(e, value) }
static const msgbus_field test_all_Everything_fields[] = {
    SINGLE(b, MSGBUS_BOOL, bool),
    SINGLE(i8, MSGBUS_INT8, int8_t),
    SINGLE(i16, MSGBUS_INT16, int16_t),
    SINGLE(i32, MSGBUS_INT32, int32_t),
    SINGLE(i64, MSGBUS_INT64, int64_t),
    SINGLE(u8, MSGBUS_UINT8, uint8_t),
    SINGLE(u16, MSGBUS_UINT16, uint16_t),
    SINGLE(u32, MSGBUS_UINT32, uint32_t),
    SINGLE(u64, MSGBUS_UINT64, uint64_t),
    SINGLE(f32, MSGBUS_FLOAT, float),
    SINGLE(f64, MSGBUS_DOUBLE, double),
    SINGLE(s, MSGBUS_STRING, char *),
    SINGLE(raw, MSGBUS_BYTES, msgbus_bytes),
    SINGLE(at, MSGBUS_TIMESTAMP, msgbus_timestamp),
    SINGLE(id, MSGBUS_UUID, msgbus_uuid),
    { .name = "color", .scalar = MSGBUS_ENUM, .offset = EV(color), .elem_size = sizeof(int),
      .enumeration = &test_all_Color_type },
    { .name = "inner", .scalar = MSGBUS_RECORD, .offset = EV(inner),
      .elem_size = sizeof(test_all_Inner), .record = &test_all_Inner_type },
    { .name = "maybe_inner", .scalar = MSGBUS_RECORD, .optional = true, .offset = EV(maybe_inner),
      .elem_size = sizeof(test_all_Inner), .record = &test_all_Inner_type },
    MAYBE(maybe_i32, MSGBUS_INT32, int32_t),
    { .name = "maybe_s", .scalar = MSGBUS_STRING, .optional = true, .offset = EV(maybe_s),
      .elem_size = sizeof(char *) },
    MAYBE(maybe_raw, MSGBUS_BYTES, msgbus_bytes),
    MAYBE(maybe_at, MSGBUS_TIMESTAMP, msgbus_timestamp),
    MAYBE(maybe_id, MSGBUS_UUID, msgbus_uuid),
    { .name = "maybe_color", .scalar = MSGBUS_ENUM, .optional = true, .offset = EV(maybe_color),
      .has_offset = EV(has_maybe_color), .elem_size = sizeof(int),
      .enumeration = &test_all_Color_type },
    LIST(numbers, MSGBUS_INT64, int64_t),
    LIST(unsigned_numbers, MSGBUS_UINT64, uint64_t),
    { .name = "inners", .scalar = MSGBUS_RECORD, .container = MSGBUS_LIST, .offset = EV(inners),
      .count_offset = EV(n_inners), .elem_size = sizeof(test_all_Inner),
      .record = &test_all_Inner_type },
    { .name = "colors", .scalar = MSGBUS_ENUM, .container = MSGBUS_LIST, .offset = EV(colors),
      .count_offset = EV(n_colors), .elem_size = sizeof(test_all_Color),
      .enumeration = &test_all_Color_type },
    MAP(attrs, MSGBUS_STRING, test_all_Everything_attrs_entry),
    MAP(counts, MSGBUS_INT32, test_all_Everything_counts_entry),
    { .name = "places", .scalar = MSGBUS_RECORD, .container = MSGBUS_MAP, .offset = EV(places),
      .count_offset = EV(n_places), .elem_size = sizeof(test_all_Everything_places_entry),
      .value_offset = offsetof(test_all_Everything_places_entry, value),
      .record = &test_all_Inner_type },
    { .name = "with_default", .scalar = MSGBUS_INT32, .offset = EV(with_default),
      .elem_size = sizeof(int32_t), .default_value = &test_all_with_default_default },
    { .name = "name_default", .scalar = MSGBUS_STRING, .offset = EV(name_default),
      .elem_size = sizeof(char *), .default_value = test_all_name_default_default },
    { .name = "color_default", .scalar = MSGBUS_ENUM, .offset = EV(color_default),
      .elem_size = sizeof(int), .enumeration = &test_all_Color_type,
      .default_value = &test_all_color_default_default },
    { .name = "flag_default", .scalar = MSGBUS_BOOL, .offset = EV(flag_default),
      .elem_size = sizeof(bool), .default_value = &test_all_flag_default_default },
    { .name = "ratio_default", .scalar = MSGBUS_DOUBLE, .offset = EV(ratio_default),
      .elem_size = sizeof(double), .default_value = &test_all_ratio_default_default },
};
#undef EV
#undef SINGLE
#undef MAYBE
#undef LIST
#undef MAP

static const msgbus_type test_all_Everything_type = {
    "test.all.Everything", MSGBUS_KIND_EVENT, sizeof(test_all_Everything),
    sizeof test_all_Everything_fields / sizeof test_all_Everything_fields[0],
    test_all_Everything_fields, 1, NULL
};

#endif /* ALLTYPES_MANUAL_H */
