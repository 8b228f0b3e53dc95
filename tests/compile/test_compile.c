/* test_compile.c - msgbusgen_compile and msgbusgen_compat (msgbusgen.h),
 * the compiler as a library: buffers and files, the diagnostics callback,
 * output kinds, warning options and the compatibility check. */
#define _XOPEN_SOURCE 700   /* mkdtemp */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msgbusgen.h"

/* Every diagnostic the callback received, one after the other. */
typedef struct captured {
    char text[8192];
    size_t len;
    int calls;
} captured;

static void capture(void *ctx, const char *text, size_t len)
{
    captured *c = ctx;

    ck_assert_uint_eq(text[len], '\0');
    if (c->len + len < sizeof c->text) {
        memcpy(c->text + c->len, text, len + 1);
        c->len += len;
    }
    c->calls++;
}

static char dir[64];

static void make_dir(void)
{
    strcpy(dir, "/tmp/msgbusgen-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static char *in_dir(const char *name)
{
    static char path[2][256];
    static int which;
    which = !which;
    snprintf(path[which], sizeof path[which], "%s/%s", dir, name);
    return path[which];
}

static void write_text(const char *name, const char *text)
{
    FILE *f = fopen(in_dir(name), "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static int exists(const char *name)
{
    struct stat st;
    return stat(in_dir(name), &st) == 0;
}

static char *read_text(const char *name)
{
    static char buf[65536];
    FILE *f = fopen(in_dir(name), "r");
    size_t n;
    ck_assert_ptr_nonnull(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static const char orders[] =
    "package shop;\n"
    "command Order { id: int64; }\n"
    "event Placed { id: int64; }\n"
    "handler place(Order) emits Placed;\n"
    "outbox Placed -> \"shop.placed\";\n";

START_TEST(buffer_with_errors_goes_to_the_callback)
{
    static const char text[] = "package shop;\nevent Placed { id: in64; }\n";
    msgbusgen_options opts;
    captured c = { .len = 0 };

    msgbusgen_options_init(&opts);
    opts.check_only = true;
    opts.diag = capture;
    opts.diag_ctx = &c;
    /* The text is not NUL-terminated where len ends. */
    ck_assert_int_eq(msgbusgen_compile("mem.msg", text, strlen(text), &opts), MSGBUSGEN_ESCHEMA);
    ck_assert_int_eq(c.calls, 1);
    ck_assert_str_eq(c.text,
                     "mem.msg:2:20: error: unknown type 'in64'; did you mean 'int64'?\n"
                     "event Placed { id: in64; }\n"
                     "                   ^~~~\n");
}
END_TEST

START_TEST(buffer_is_read_only_up_to_len)
{
    static const char text[] = "package shop; event Placed { id: int64; } garbage that is not a schema";
    msgbusgen_options opts;
    captured c = { .len = 0 };

    msgbusgen_options_init(&opts);
    opts.check_only = true;
    opts.diag = capture;
    opts.diag_ctx = &c;
    ck_assert_int_eq(msgbusgen_compile("mem.msg", text, strlen("package shop; event Placed { id: int64; }"),
                                       &opts), MSGBUSGEN_OK);
    ck_assert_int_eq(c.calls, 0);
}
END_TEST

START_TEST(buffer_imports_relative_to_its_path)
{
    static const char text[] = "package shop;\nimport \"money.msg\";\n"
                               "event Paid { amount: common.Money; }\n";
    msgbusgen_options opts;
    captured c = { .len = 0 };

    make_dir();
    write_text("money.msg", "package shop.common;\nrecord Money { cents: int64; }\n");
    msgbusgen_options_init(&opts);
    opts.out_dir = dir;
    opts.emit = MSGBUSGEN_EMIT_JSONSCHEMA;
    opts.diag = capture;
    opts.diag_ctx = &c;
    ck_assert_int_eq(msgbusgen_compile(in_dir("paid.msg"), text, strlen(text), &opts), MSGBUSGEN_OK);
    ck_assert(exists("paid.msg.schema.json"));
    ck_assert(!exists("paid.msg.h"));
    ck_assert_ptr_nonnull(strstr(read_text("paid.msg.schema.json"), "\"shop.common.Money\": {"));
    remove_dir();
}
END_TEST

START_TEST(file_to_every_kind_with_depfile)
{
    msgbusgen_options opts;
    const char *dep;

    make_dir();
    write_text("orders.msg", orders);
    msgbusgen_options_init(&opts);
    opts.out_dir = dir;
    opts.emit = MSGBUSGEN_EMIT_C | MSGBUSGEN_EMIT_DOT | MSGBUSGEN_EMIT_ASYNCAPI;
    opts.api_version = "3.1.4";
    opts.depfile = in_dir("orders.d");
    ck_assert_int_eq(msgbusgen_compile(in_dir("orders.msg"), NULL, 0, &opts), MSGBUSGEN_OK);
    ck_assert(exists("orders.msg.h") && exists("orders.msg.c") && exists("orders.msg.dot"));
    ck_assert(exists("orders.msg.asyncapi.json") && !exists("orders.msg.schema.json"));
    ck_assert_ptr_nonnull(strstr(read_text("orders.msg.asyncapi.json"), "\"version\": \"3.1.4\""));
    ck_assert_ptr_nonnull(strstr(read_text("orders.msg.dot"), "\"shop.Order\" -> \"shop.place\""));
    dep = read_text("orders.d");
    ck_assert_ptr_nonnull(strstr(dep, "orders.msg.h "));
    ck_assert_ptr_nonnull(strstr(dep, "orders.msg.asyncapi.json "));
    ck_assert_ptr_nonnull(strstr(dep, "orders.msg.dot:"));
    remove_dir();
}
END_TEST

START_TEST(check_only_writes_nothing)
{
    msgbusgen_options opts;

    make_dir();
    write_text("orders.msg", orders);
    msgbusgen_options_init(&opts);
    opts.out_dir = dir;
    opts.check_only = true;
    ck_assert_int_eq(msgbusgen_compile(in_dir("orders.msg"), NULL, 0, &opts), MSGBUSGEN_OK);
    ck_assert(!exists("orders.msg.h"));
    remove_dir();
}
END_TEST

START_TEST(missing_file_is_a_usage_error)
{
    msgbusgen_options opts;
    captured c = { .len = 0 };

    msgbusgen_options_init(&opts);
    opts.diag = capture;
    opts.diag_ctx = &c;
    ck_assert_int_eq(msgbusgen_compile("/nonexistent/x.msg", NULL, 0, &opts), MSGBUSGEN_EUSAGE);
    ck_assert_ptr_nonnull(strstr(c.text, "msgbusgen: error: cannot open '/nonexistent/x.msg'"));
}
END_TEST

START_TEST(warning_options_in_order)
{
    static const char text[] = "package shop;\nrecord Unused { x: int32; }\ncommand Lonely {}\n";
    static const char *const all[] = { "-Wall", "-Werror=unused-type" };
    static const char *const off[] = { "-Werror=unused-type", "-Wno-unused-type",
                                       "-Wno-unhandled-command" };
    static const char *const bad[] = { "-Wunused-types" };
    msgbusgen_options opts;
    captured c = { .len = 0 };

    msgbusgen_options_init(&opts);
    opts.check_only = true;
    opts.diag = capture;
    opts.diag_ctx = &c;
    opts.warning_options = all;
    opts.n_warning_options = 2;
    ck_assert_int_eq(msgbusgen_compile("w.msg", text, strlen(text), &opts), MSGBUSGEN_ESCHEMA);
    ck_assert_ptr_nonnull(strstr(c.text, "error: record 'Unused' is not used by any field [-Werror=unused-type]"));
    ck_assert_ptr_nonnull(strstr(c.text, "warning: command 'Lonely' has no handler [-Wunhandled-command]"));

    memset(&c, 0, sizeof c);
    opts.warning_options = off;
    opts.n_warning_options = 3;
    ck_assert_int_eq(msgbusgen_compile("w.msg", text, strlen(text), &opts), MSGBUSGEN_OK);
    ck_assert_int_eq(c.calls, 0);

    opts.warning_options = bad;
    opts.n_warning_options = 1;
    ck_assert_int_eq(msgbusgen_compile("w.msg", text, strlen(text), &opts), MSGBUSGEN_EUSAGE);
    ck_assert_ptr_nonnull(strstr(c.text, "unknown warning option '-Wunused-types'; did you mean '-Wunused-type'?"));
    ck_assert_int_eq(msgbusgen_warning_option("-Wemit-cycle", &(const char *){ NULL }), 0);
}
END_TEST

START_TEST(compat_through_the_library)
{
    msgbusgen_options opts;
    captured c = { .len = 0 };

    make_dir();
    write_text("old.msg", orders);
    write_text("new.msg",
               "package shop;\n"
               "command Order { id: int64; coupon: string; }\n"
               "event Placed { id: int32; }\n"
               "handler place(Order) emits Placed;\n"
               "outbox Placed -> \"shop.placed\";\n");
    msgbusgen_options_init(&opts);
    opts.diag = capture;
    opts.diag_ctx = &c;
    ck_assert_int_eq(msgbusgen_compat(in_dir("old.msg"), in_dir("new.msg"), &opts), MSGBUSGEN_ESCHEMA);
    ck_assert_int_eq(c.calls, 4);   /* two errors, each with its note */
    ck_assert_ptr_nonnull(strstr(c.text, "error: shop.Order.coupon: required field added (breaks backward compatibility)"));
    ck_assert_ptr_nonnull(strstr(c.text, "error: shop.Placed.id: type narrowed from 'int64' to 'int32' (breaks backward compatibility)"));

    memset(&c, 0, sizeof c);
    opts.compat_mode = MSGBUSGEN_COMPAT_FORWARD;
    ck_assert_int_eq(msgbusgen_compat(in_dir("old.msg"), in_dir("new.msg"), &opts), MSGBUSGEN_OK);
    ck_assert_int_eq(c.calls, 0);
    ck_assert_int_eq(msgbusgen_compat(in_dir("old.msg"), in_dir("missing.msg"), &opts), MSGBUSGEN_EUSAGE);
    remove_dir();
}
END_TEST

static Suite *compile_suite(void)
{
    Suite *s = suite_create("compile");
    TCase *t = tcase_create("library");

    tcase_add_test(t, buffer_with_errors_goes_to_the_callback);
    tcase_add_test(t, buffer_is_read_only_up_to_len);
    tcase_add_test(t, buffer_imports_relative_to_its_path);
    tcase_add_test(t, file_to_every_kind_with_depfile);
    tcase_add_test(t, check_only_writes_nothing);
    tcase_add_test(t, missing_file_is_a_usage_error);
    tcase_add_test(t, warning_options_in_order);
    tcase_add_test(t, compat_through_the_library);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(compile_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
