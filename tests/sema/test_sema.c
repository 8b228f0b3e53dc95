/* test_sema.c - msgbusgen's names (names.h) and semantic analysis (sema.h):
 * what the emitters rely on: C names, resolved references, enum values,
 * decl.index, and the error count sema_check returns.  The wording of each
 * diagnostic is covered by the golden files in tests/diag/. */
#define _XOPEN_SOURCE 700   /* mkdtemp, open_memstream */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ast.h"
#include "diag.h"
#include "load.h"
#include "names.h"
#include "sema.h"

/* One in-memory schema, parsed and checked, with diagnostics captured. */
typedef struct checked {
    program prog;
    diag_sink sink;
    schema *s;
    int errors;
    char *out;
    size_t out_len;
} checked;

static checked *check_text(const char *text, bool werror)
{
    checked *c = xcalloc(1, sizeof *c);
    source_file *f = AST_PUSH(c->prog.files, c->prog.n_files);

    f->path = xstrdup("test.msg");
    f->text = xstrdup(text);
    f->len = strlen(text);
    c->sink.out = open_memstream(&c->out, &c->out_len);
    c->sink.prog = &c->prog;
    c->sink.werror = werror;
    c->s = parse_schema(&c->prog, 0, &c->sink);
    ck_assert_ptr_nonnull(c->s);
    ck_assert_int_eq(c->sink.n_errors, 0);
    c->prog.schemas = xcalloc(1, sizeof *c->prog.schemas);
    c->prog.schemas[c->prog.n_schemas++] = c->s;
    c->errors = sema_check(&c->prog, &c->sink);
    fflush(c->sink.out);
    return c;
}

static void checked_free(checked *c)
{
    fclose(c->sink.out);
    free(c->out);
    ast_program_free(&c->prog);
    free(c);
}

static decl *find_decl(const schema *s, const char *name)
{
    size_t i;
    for (i = 0; i < s->n_decls; i++)
        if (s->decls[i]->name && strcmp(s->decls[i]->name, name) == 0)
            return s->decls[i];
    ck_abort_msg("no declaration %s", name);
    return NULL;
}

#define ck_assert_name(call, expected) do {     \
        char *got_ = (call);                    \
        ck_assert_str_eq(got_, (expected));     \
        free(got_);                             \
    } while (0)

/* ---- names ---- */

START_TEST(upper_snake_splits_words)
{
    ck_assert_name(names_upper_snake("OrderStatus"), "ORDER_STATUS");
    ck_assert_name(names_upper_snake("HTTPCode"), "HTTP_CODE");
    ck_assert_name(names_upper_snake("already_snake"), "ALREADY_SNAKE");
    ck_assert_name(names_upper_snake("shop_orders_"), "SHOP_ORDERS_");
    ck_assert_name(names_upper_snake("PENDING"), "PENDING");
    ck_assert_name(names_upper_snake("Int32Value"), "INT32_VALUE");
    ck_assert_name(names_upper_snake("myHTTPServer"), "MY_HTTP_SERVER");
    ck_assert_name(names_upper_snake("Foo_Bar"), "FOO_BAR");
    ck_assert_name(names_upper_snake("FooBar"), "FOO_BAR");
    ck_assert_name(names_upper_snake("A"), "A");
    ck_assert_name(names_upper_snake(""), "");
}
END_TEST

START_TEST(prefix_from_package)
{
    ck_assert_name(names_prefix_for_package("shop.orders"), "shop_orders_");
    ck_assert_name(names_prefix_for_package("shop"), "shop_");
    ck_assert_name(names_prefix_for_package(""), "");
    ck_assert_name(names_prefix_for_package(NULL), "");
}
END_TEST

START_TEST(c_names_follow_design_table)
{
    checked *c = check_text(
        "package shop.orders;\n"
        "enum OrderStatus { PENDING, COMPLETED }\n"
        "command ProcessOrder { id: int64; }\n"
        "event OrderProcessed { id: int64; }\n"
        "handler process_order(ProcessOrder) emits OrderProcessed;\n"
        "handler on_processed(OrderProcessed);\n", false);
    decl *status = find_decl(c->s, "OrderStatus");
    decl *handler = find_decl(c->s, "process_order");
    decl *event = find_decl(c->s, "OrderProcessed");

    ck_assert_int_eq(c->errors, 0);
    ck_assert_name(names_c_name(c->s, "ProcessOrder"), "shop_orders_ProcessOrder");
    ck_assert_name(names_enum_constant(c->s, status, "PENDING"), "SHOP_ORDERS_ORDER_STATUS_PENDING");
    ck_assert_name(names_full_name(c->s, "ProcessOrder"), "shop.orders.ProcessOrder");
    ck_assert_name(names_emit_function(c->s, handler, event),
                   "shop_orders_process_order_emit_OrderProcessed");
    checked_free(c);
}
END_TEST

START_TEST(no_package_means_no_prefix)
{
    checked *c = check_text("record Point { x: int32; }\n", false);
    ck_assert_int_eq(c->errors, 0);
    ck_assert_name(names_c_name(c->s, "Point"), "Point");
    ck_assert_name(names_full_name(c->s, "Point"), "Point");
    checked_free(c);
}
END_TEST

START_TEST(reserved_names)
{
    static const char *const reserved[] = {
        "int", "struct", "class", "delete", "new", "bool", "true", "false",
        "NULL", "xor_eq", "alignas", "typeof", "restrict", "template", "and",
        "_x", "_X", "__x", "a__b"
    };
    static const char *const allowed[] = {
        "Order", "items", "x_", "integer", "Int", "classes", "newline", "base", "type"
    };
    size_t i;
    for (i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        ck_assert_msg(names_is_reserved(reserved[i]), "%s should be reserved", reserved[i]);
    for (i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        ck_assert_msg(!names_is_reserved(allowed[i]), "%s should be allowed", allowed[i]);
}
END_TEST

/* ---- sema ---- */

START_TEST(enum_implicit_values)
{
    checked *c = check_text("enum E { A, B, C = 10, D, F = -1, G = 2147483647 }\n", false);
    decl *e = find_decl(c->s, "E");
    static const int64_t expected[] = { 0, 1, 10, 11, -1, 2147483647 };
    size_t i;

    ck_assert_int_eq(c->errors, 0);
    ck_assert_uint_eq(e->n_values, 6);
    for (i = 0; i < 6; i++)
        ck_assert_int_eq(e->values[i].value, expected[i]);
    checked_free(c);
}
END_TEST

START_TEST(indices_follow_module_tables)
{
    checked *c = check_text(
        "package p;\n"
        "enum Zed { Z }\n"
        "command Charlie { x: int32; }\n"
        "record Bravo { x: int32; }\n"
        "enum Alpha { A }\n"
        "event Alpha2 { x: int32; }\n"
        "handler zulu(Charlie) emits Alpha2;\n"
        "handler alpha(Alpha2);\n"
        "outbox Alpha2 -> \"a\";\n", false);

    ck_assert_int_eq(c->errors, 0);
    /* records, commands and events sorted by name */
    ck_assert_uint_eq(find_decl(c->s, "Alpha2")->index, 0);
    ck_assert_uint_eq(find_decl(c->s, "Bravo")->index, 1);
    ck_assert_uint_eq(find_decl(c->s, "Charlie")->index, 2);
    /* enums and handlers in source order */
    ck_assert_uint_eq(find_decl(c->s, "Zed")->index, 0);
    ck_assert_uint_eq(find_decl(c->s, "Alpha")->index, 1);
    ck_assert_uint_eq(find_decl(c->s, "zulu")->index, 0);
    ck_assert_uint_eq(find_decl(c->s, "alpha")->index, 1);
    checked_free(c);
}
END_TEST

START_TEST(references_are_resolved)
{
    checked *c = check_text(
        "package p;\n"
        "enum Color { RED }\n"
        "record Box { color: Color; more: list<Box>; byname: map<string, Box>; n: int32; }\n"
        "command Paint { box: Box?; }\n"
        "event Painted { box: Box; }\n"
        "handler paint(p.Paint) emits Painted;\n"
        "handler on_painted(Painted);\n"
        "outbox Painted -> \"painted\";\n", false);
    decl *box = find_decl(c->s, "Box");
    decl *paint = find_decl(c->s, "paint");
    decl *outbox = c->s->decls[c->s->n_decls - 1];

    ck_assert_int_eq(c->errors, 0);
    ck_assert_ptr_eq(box->fields[0].type.resolved, find_decl(c->s, "Color"));
    ck_assert_ptr_eq(box->fields[1].type.resolved, box);
    ck_assert_ptr_eq(box->fields[2].type.resolved, box);
    ck_assert_ptr_null(box->fields[3].type.resolved);
    ck_assert_ptr_eq(find_decl(c->s, "Paint")->fields[0].type.resolved, box);
    ck_assert_ptr_eq(paint->input.resolved, find_decl(c->s, "Paint"));
    ck_assert_uint_eq(paint->n_emits, 1);
    ck_assert_ptr_eq(paint->emits[0].resolved, find_decl(c->s, "Painted"));
    ck_assert_int_eq(outbox->kind, DECL_OUTBOX);
    ck_assert_ptr_eq(outbox->route_type.resolved, find_decl(c->s, "Painted"));
    checked_free(c);
}
END_TEST

START_TEST(error_count_is_returned)
{
    checked *c = check_text(
        "record R { a: Nope; b: int8 = 300; }\n", false);
    ck_assert_int_eq(c->errors, 2);
    ck_assert_int_eq(c->sink.n_errors, 2);
    ck_assert_ptr_nonnull(strstr(c->out, "test.msg:1:15: error: unknown type 'Nope'"));
    ck_assert_ptr_nonnull(strstr(c->out, "test.msg:1:31: error: default 300 is out of range"));
    checked_free(c);
}
END_TEST

START_TEST(warnings_count_only_under_werror)
{
    static const char text[] = "command Lonely { x: int32; }\n";
    checked *c = check_text(text, false);

    ck_assert_int_eq(c->errors, 0);
    ck_assert_int_eq(c->sink.n_warnings, 1);
    ck_assert_ptr_nonnull(strstr(c->out, "warning: command 'Lonely' has no handler [-Wunhandled-command]"));
    checked_free(c);

    c = check_text(text, true);
    ck_assert_int_eq(c->errors, 1);
    ck_assert_ptr_nonnull(strstr(c->out, "error: command 'Lonely' has no handler [-Werror=unhandled-command]"));
    checked_free(c);
}
END_TEST

/* Writes name into dir with the given text. */
static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(qualified_names_resolve_across_imports)
{
    char dir[] = "/tmp/test_sema.XXXXXX";
    char path[512];
    program prog;
    diag_sink sink;
    load_options opts;
    char *out = NULL;
    size_t out_len = 0;
    decl *pay, *money;
    size_t i;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    write_file(dir, "common.msg", "package shop.common;\nrecord Money { amount: int64; }\n");
    write_file(dir, "main.msg",
               "package shop.orders;\nimport \"common.msg\";\n"
               "command Pay { a: common.Money; b: shop.common.Money; }\n"
               "handler pay(Pay);\n");
    memset(&prog, 0, sizeof prog);
    memset(&sink, 0, sizeof sink);
    memset(&opts, 0, sizeof opts);
    sink.out = open_memstream(&out, &out_len);
    sink.prog = &prog;
    snprintf(path, sizeof path, "%s/main.msg", dir);
    ck_assert_int_eq(load_program(path, &opts, &sink, &prog), 0);
    ck_assert_int_eq(sema_check(&prog, &sink), 0);
    fflush(sink.out);
    ck_assert_str_eq(out, "");

    ck_assert_uint_eq(prog.n_schemas, 2);
    pay = find_decl(prog.schemas[0], "Pay");
    for (i = 1; i < prog.n_schemas; i++)
        if (prog.schemas[i]->package && strcmp(prog.schemas[i]->package, "shop.common") == 0)
            break;
    ck_assert_uint_lt(i, prog.n_schemas);
    money = find_decl(prog.schemas[i], "Money");
    ck_assert_ptr_eq(pay->fields[0].type.resolved, money);
    ck_assert_ptr_eq(pay->fields[1].type.resolved, money);

    fclose(sink.out);
    free(out);
    ast_program_free(&prog);
    snprintf(path, sizeof path, "%s/main.msg", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/common.msg", dir);
    unlink(path);
    rmdir(dir);
}
END_TEST

static Suite *sema_suite(void)
{
    Suite *s = suite_create("sema");
    TCase *names = tcase_create("names");
    TCase *checks = tcase_create("sema");

    tcase_add_test(names, upper_snake_splits_words);
    tcase_add_test(names, prefix_from_package);
    tcase_add_test(names, c_names_follow_design_table);
    tcase_add_test(names, no_package_means_no_prefix);
    tcase_add_test(names, reserved_names);
    tcase_add_test(checks, enum_implicit_values);
    tcase_add_test(checks, indices_follow_module_tables);
    tcase_add_test(checks, references_are_resolved);
    tcase_add_test(checks, error_count_is_returned);
    tcase_add_test(checks, warnings_count_only_under_werror);
    tcase_add_test(checks, qualified_names_resolve_across_imports);
    suite_add_tcase(s, names);
    suite_add_tcase(s, checks);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sema_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
