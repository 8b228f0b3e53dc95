/* test_parse.c - the msgbusgen front end: scanner, parser, loader and
 * diagnostics, checked through parse_schema, load_program and diag_*. */
#define _XOPEN_SOURCE 700   /* mkdtemp, open_memstream */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ast.h"
#include "diag.h"
#include "load.h"

/* One parse of an in-memory schema, with its diagnostics captured. */
typedef struct parsed {
    program prog;
    diag_sink sink;
    schema *s;
    char *out;
    size_t out_len;
} parsed;

static parsed *parse_text(const char *text)
{
    parsed *p = xcalloc(1, sizeof *p);
    source_file *f = AST_PUSH(p->prog.files, p->prog.n_files);

    f->path = xstrdup("test.msg");
    f->text = xstrdup(text);
    f->len = strlen(text);
    p->sink.out = open_memstream(&p->out, &p->out_len);
    p->sink.prog = &p->prog;
    p->s = parse_schema(&p->prog, 0, &p->sink);
    ck_assert_ptr_nonnull(p->s);
    p->prog.schemas = xcalloc(1, sizeof *p->prog.schemas);
    p->prog.schemas[p->prog.n_schemas++] = p->s;
    fflush(p->sink.out);
    return p;
}

static void parsed_free(parsed *p)
{
    fclose(p->sink.out);
    free(p->out);
    ast_program_free(&p->prog);
    free(p);
}

/* The source text a span covers. */
static char *spelled(const parsed *p, span sp)
{
    return xstrndup(p->prog.files[sp.file].text + sp.start, sp.end - sp.start);
}

#define ck_assert_span(p, sp, text) do {               \
        char *got_ = spelled((p), (sp));               \
        ck_assert_str_eq(got_, (text));                \
        free(got_);                                    \
    } while (0)

static const char orders[] =
    "// orders\n"
    "package shop.orders;\n"
    "import \"common.msg\";\n"
    "\n"
    "/// Where an order stands.\n"
    "///   indented second line\n"
    "enum OrderStatus {\n"
    "    /// waiting\n"
    "    PENDING,\n"
    "    COMPLETED,\n"
    "    CANCELLED = 9,\n"
    "}\n"
    "\n"
    "/* a block\n   comment */\n"
    "command ProcessOrder {\n"
    "    order_id: int64;\n"
    "    /// who ordered\n"
    "    customer: string;\n"
    "    items:    list<string>;\n"
    "    ship_to:  Address?;\n"
    "    total:    double = 0.5;\n"
    "    price:    common.Money?;\n"
    "    attrs:    map<string, int32>;\n"
    "    event:    bool = true;\n"
    "}\n"
    "handler process_order(ProcessOrder) emits OrderProcessed, shop.x.Other;\n"
    "handler notify(OrderProcessed);\n"
    "outbox OrderProcessed -> \"shop.orders.processed\";\n";

START_TEST(test_package_imports_and_decl_kinds)
{
    parsed *p = parse_text(orders);

    ck_assert_str_eq(p->out ? p->out : "", "");
    ck_assert_int_eq(p->sink.n_errors, 0);
    ck_assert_str_eq(p->s->package, "shop.orders");
    ck_assert_span(p, p->s->package_span, "shop.orders");
    ck_assert_uint_eq(p->s->n_imports, 1);
    ck_assert_str_eq(p->s->imports[0].path, "common.msg");
    ck_assert_span(p, p->s->imports[0].span, "\"common.msg\"");
    ck_assert_uint_eq(p->s->n_decls, 5);
    ck_assert_int_eq(p->s->decls[0]->kind, DECL_ENUM);
    ck_assert_int_eq(p->s->decls[1]->kind, DECL_COMMAND);
    ck_assert_int_eq(p->s->decls[2]->kind, DECL_HANDLER);
    ck_assert_int_eq(p->s->decls[3]->kind, DECL_HANDLER);
    ck_assert_int_eq(p->s->decls[4]->kind, DECL_OUTBOX);
    ck_assert_ptr_eq(p->s->decls[1]->schema, p->s);
    parsed_free(p);
}
END_TEST

START_TEST(test_enum_values_and_docs)
{
    parsed *p = parse_text(orders);
    decl *e = p->s->decls[0];

    ck_assert_str_eq(e->name, "OrderStatus");
    ck_assert_span(p, e->name_span, "OrderStatus");
    ck_assert_str_eq(e->doc, "Where an order stands.\n  indented second line");
    ck_assert_uint_eq(e->n_values, 3);
    ck_assert_str_eq(e->values[0].name, "PENDING");
    ck_assert_str_eq(e->values[0].doc, "waiting");
    ck_assert_ptr_null(e->values[1].doc);
    ck_assert(!e->values[1].explicit_value);
    ck_assert(e->values[2].explicit_value);
    ck_assert_int_eq(e->values[2].value, 9);
    ck_assert_span(p, e->values[2].name_span, "CANCELLED");
    ck_assert_span(p, e->values[2].value_literal->span, "9");
    /* the decl runs from its keyword to the closing brace */
    ck_assert_uint_eq(p->prog.files[0].text[e->span.start], 'e');
    ck_assert_uint_eq(p->prog.files[0].text[e->span.end - 1], '}');
    parsed_free(p);
}
END_TEST

START_TEST(test_fields_types_and_defaults)
{
    parsed *p = parse_text(orders);
    decl *c = p->s->decls[1];
    field *f = c->fields;

    ck_assert_str_eq(c->name, "ProcessOrder");
    ck_assert_ptr_null(c->doc);
    ck_assert_uint_eq(c->n_fields, 8);

    ck_assert_str_eq(f[0].name, "order_id");
    ck_assert_int_eq(f[0].type.form, TF_SINGLE);
    ck_assert_int_eq(f[0].type.builtin, BT_INT64);
    ck_assert(!f[0].type.optional);
    ck_assert_ptr_null(f[0].default_value);
    ck_assert_span(p, f[0].span, "order_id: int64;");

    ck_assert_str_eq(f[1].doc, "who ordered");
    ck_assert_int_eq(f[1].type.builtin, BT_STRING);

    ck_assert_int_eq(f[2].type.form, TF_LIST);
    ck_assert_int_eq(f[2].type.builtin, BT_STRING);
    ck_assert_span(p, f[2].type.span, "list<string>");
    ck_assert_span(p, f[2].type.name_span, "string");

    ck_assert_int_eq(f[3].type.builtin, BT_NONE);
    ck_assert_str_eq(f[3].type.name, "Address");
    ck_assert(f[3].type.optional);
    ck_assert_span(p, f[3].type.span, "Address?");
    ck_assert_span(p, f[3].type.name_span, "Address");

    ck_assert_int_eq(f[4].type.builtin, BT_DOUBLE);
    ck_assert_ptr_nonnull(f[4].default_value);
    ck_assert_int_eq(f[4].default_value->kind, LIT_FLOAT);
    ck_assert(f[4].default_value->real == 0.5);
    ck_assert_span(p, f[4].default_value->span, "0.5");

    ck_assert_str_eq(f[5].type.name, "common.Money");
    ck_assert(f[5].type.optional);

    ck_assert_int_eq(f[6].type.form, TF_MAP);
    ck_assert_int_eq(f[6].type.key_builtin, BT_STRING);
    ck_assert_span(p, f[6].type.key_span, "string");
    ck_assert_int_eq(f[6].type.builtin, BT_INT32);

    /* keywords are fine as field names */
    ck_assert_str_eq(f[7].name, "event");
    ck_assert_int_eq(f[7].default_value->kind, LIT_BOOL);
    ck_assert(f[7].default_value->truth);
    parsed_free(p);
}
END_TEST

START_TEST(test_handlers_and_outbox)
{
    parsed *p = parse_text(orders);
    decl *h = p->s->decls[2], *n = p->s->decls[3], *o = p->s->decls[4];

    ck_assert_str_eq(h->name, "process_order");
    ck_assert_str_eq(h->input.name, "ProcessOrder");
    ck_assert_span(p, h->input.span, "ProcessOrder");
    ck_assert_uint_eq(h->n_emits, 2);
    ck_assert_str_eq(h->emits[0].name, "OrderProcessed");
    ck_assert_str_eq(h->emits[1].name, "shop.x.Other");
    ck_assert_span(p, h->emits[1].span, "shop.x.Other");
    ck_assert_uint_eq(n->n_emits, 0);
    ck_assert_ptr_null(n->emits);
    ck_assert_ptr_null(o->name);
    ck_assert_str_eq(o->route_type.name, "OrderProcessed");
    ck_assert_str_eq(o->subject, "shop.orders.processed");
    ck_assert_span(p, o->subject_span, "\"shop.orders.processed\"");
    ck_assert_span(p, o->span, "outbox OrderProcessed -> \"shop.orders.processed\";");
    parsed_free(p);
}
END_TEST

START_TEST(test_literals)
{
    parsed *p = parse_text(
        "record R {\n"
        "  a: int64 = -9223372036854775808;\n"
        "  b: uint64 = 0xFFFFFFFFFFFFFFFF;\n"
        "  c: uint64 = 18446744073709551616;\n"
        "  d: double = -2.5e3;\n"
        "  e: string = \"t\\\"ab\\\\\\n\\u00e9\\ud83d\\ude00\";\n"
        "  f: Color = RED;\n"
        "  g: bool = false;\n"
        "}\n");
    field *f = p->s->decls[0]->fields;

    ck_assert_int_eq(p->sink.n_errors, 0);
    ck_assert_int_eq(f[0].default_value->kind, LIT_INT);
    ck_assert(f[0].default_value->negative);
    ck_assert_uint_eq(f[0].default_value->magnitude, 9223372036854775808u);
    ck_assert_str_eq(f[0].default_value->text, "-9223372036854775808");
    ck_assert(!f[1].default_value->too_large);
    ck_assert_uint_eq(f[1].default_value->magnitude, UINT64_MAX);
    ck_assert(f[2].default_value->too_large);
    ck_assert_int_eq(f[3].default_value->kind, LIT_FLOAT);
    ck_assert(f[3].default_value->real == -2500.0);
    ck_assert_int_eq(f[4].default_value->kind, LIT_STRING);
    ck_assert_str_eq(f[4].default_value->text, "t\"ab\\\n\xc3\xa9\xf0\x9f\x98\x80");
    ck_assert_int_eq(f[5].default_value->kind, LIT_IDENT);
    ck_assert_str_eq(f[5].default_value->text, "RED");
    ck_assert_int_eq(f[6].default_value->kind, LIT_BOOL);
    ck_assert(!f[6].default_value->truth);
    parsed_free(p);
}
END_TEST

START_TEST(test_doc_comments_attach_only_forward)
{
    parsed *p = parse_text(
        "//// not a doc comment\n"
        "record A { x: int32; } /// for B, not for A\n"
        "/// second line\n"
        "event B {}\n"
        "/// documents nothing\n");

    ck_assert_int_eq(p->sink.n_errors, 0);
    ck_assert_ptr_null(p->s->decls[0]->doc);
    ck_assert_str_eq(p->s->decls[1]->doc, "for B, not for A\nsecond line");
    parsed_free(p);
}
END_TEST

START_TEST(test_syntax_error_position)
{
    parsed *p = parse_text("record A {\n  x: int32\n  y: string;\n}\n");

    ck_assert_int_eq(p->sink.n_errors, 1);
    ck_assert_str_eq(p->out,
        "test.msg:3:3: error: syntax error: unexpected identifier 'y', expected ';' or '='\n"
        "  y: string;\n"
        "  ^\n");
    parsed_free(p);
}
END_TEST

START_TEST(test_recovery_reports_several_errors)
{
    parsed *p = parse_text(
        "record A {\n"
        "  x: int32 = ;\n"          /* error 1 */
        "  y: list<int32>>;\n"      /* error 2 */
        "  z: string;\n"
        "}\n"
        "handler h(A) emits ;\n"    /* error 3 */
        "event E { s: string; }\n");

    ck_assert_int_eq(p->sink.n_errors, 3);
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:2:14: error:"));
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:3:17: error:"));
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:6:20: error:"));
    /* what parses around the errors is kept */
    ck_assert_uint_eq(p->s->n_decls, 2);
    ck_assert_str_eq(p->s->decls[0]->name, "A");
    ck_assert_uint_eq(p->s->decls[0]->n_fields, 1);
    ck_assert_str_eq(p->s->decls[0]->fields[0].name, "z");
    ck_assert_str_eq(p->s->decls[1]->name, "E");
    parsed_free(p);
}
END_TEST

START_TEST(test_unterminated_comment)
{
    parsed *p = parse_text("record A { x: int32; }\n  /* never closed\nrecord B {}\n");

    ck_assert_int_eq(p->sink.n_errors, 1);
    ck_assert_str_eq(p->out,
        "test.msg:2:3: error: unterminated comment\n"
        "  /* never closed\n"
        "  ^~\n");
    parsed_free(p);
}
END_TEST

START_TEST(test_unterminated_string)
{
    parsed *p = parse_text("outbox A -> \"subj;\n");

    ck_assert_int_ge(p->sink.n_errors, 1);
    ck_assert_ptr_nonnull(strstr(p->out,
        "test.msg:1:13: error: missing terminating '\"' character\n"
        "outbox A -> \"subj;\n"
        "            ^~~~~~\n"));
    parsed_free(p);
}
END_TEST

START_TEST(test_bad_string_contents)
{
    parsed *p = parse_text(
        "record A {\n"
        "  a: string = \"x\\qy\";\n"
        "  b: string = \"\\u0000\";\n"
        "  c: string = \"\\ud800\";\n"
        "  d: string = \"\\u12\";\n"
        "  e: string = \"\xff\";\n"
        "}\n");

    ck_assert_int_eq(p->sink.n_errors, 5);
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:2:17: error: unknown escape sequence '\\q'"));
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:3:16: error: '\\u0000' is not allowed"));
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:4:16: error: unpaired UTF-16 surrogate"));
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:5:16: error: '\\u' needs four hex digits"));
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:6:16: error: invalid UTF-8 in string"));
    /* the bad parts are left out, the rest kept */
    ck_assert_str_eq(p->s->decls[0]->fields[0].default_value->text, "xy");
    parsed_free(p);
}
END_TEST

START_TEST(test_stray_characters_and_bad_numbers)
{
    parsed *p = parse_text("record A {\n\tx: int32 = $$$ 5;\n  y: int32 = 12ab;\n}\n");

    /* a run of stray bytes is one error, and the token after it adds none */
    ck_assert_int_eq(p->sink.n_errors, 2);
    ck_assert_ptr_nonnull(strstr(p->out,
        "test.msg:2:13: error: stray '$' in schema\n"
        "\tx: int32 = $$$ 5;\n"
        "\t           ^\n"));
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:3:14: error: invalid number '12ab'\n"
                                         "  y: int32 = 12ab;\n"
                                         "             ^~~~\n"));
    parsed_free(p);
}
END_TEST

START_TEST(test_error_at_end_of_file)
{
    parsed *p = parse_text("record A { x: int32;\n\n");

    ck_assert_int_eq(p->sink.n_errors, 1);
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:1:21: error: syntax error: unexpected end of file"));
    parsed_free(p);
}
END_TEST

START_TEST(test_nested_and_optional_elements)
{
    parsed *p = parse_text("record A {\n  a: list<list<int32>>;\n  b: map<string, int32?>;\n"
                           "  c: list<map<string, list<int32>?>>;\n}\n");

    ck_assert_int_eq(p->sink.n_errors, 2);
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:3:18: error: a map element cannot be optional"));
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:4:23: error: a map element cannot be optional"));
    parsed_free(p);
}
END_TEST

/* Nesting is recorded outermost first, each level with its own spans. */
START_TEST(test_nested_levels)
{
    parsed *p = parse_text("record A {\n  a: list<map<uuid, list<Point>>>;\n}\n");
    const type_ref *t = &p->s->decls[0]->fields[0].type;

    ck_assert_int_eq(p->sink.n_errors, 0);
    ck_assert_int_eq(t->form, TF_LIST);
    ck_assert_uint_eq(t->n_inner, 2);
    ck_assert_int_eq(t->inner[0].form, TF_MAP);
    ck_assert_int_eq(t->inner[0].key_builtin, BT_UUID);
    ck_assert_span(p, t->inner[0].key_span, "uuid");
    ck_assert_span(p, t->inner[0].span, "map<uuid, list<Point>>");
    ck_assert_int_eq(t->inner[1].form, TF_LIST);
    ck_assert_span(p, t->inner[1].span, "list<Point>");
    ck_assert_span(p, t->span, "list<map<uuid, list<Point>>>");
    ck_assert_str_eq(t->name, "Point");
    ck_assert_int_eq(t->builtin, BT_NONE);
    parsed_free(p);
}
END_TEST

START_TEST(test_package_must_come_first)
{
    parsed *q = parse_text("import \"x.msg\";\npackage a;\n");
    parsed *p = parse_text("package a;\nrecord R {}\npackage b;\n");

    ck_assert_int_eq(p->sink.n_errors, 1);
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:3:9: error: duplicate 'package' declaration"));
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:1:9: note: first declared here"));
    parsed_free(p);
    ck_assert_int_eq(q->sink.n_errors, 1);
    ck_assert_ptr_nonnull(strstr(q->out, "test.msg:2:1: error: 'package' must come before"));
    parsed_free(q);
}
END_TEST

START_TEST(test_misspelled_keyword_suggestion)
{
    parsed *p = parse_text("recrod A { x: int32; }\n");

    ck_assert_int_eq(p->sink.n_errors, 1);
    ck_assert_str_eq(p->out,
        "test.msg:1:1: error: syntax error: unexpected identifier 'recrod'; did you mean 'record'?\n"
        "recrod A { x: int32; }\n"
        "^~~~~~\n");
    parsed_free(p);
}
END_TEST

START_TEST(test_recovery_in_every_declaration_kind)
{
    parsed *p = parse_text(
        "import common.msg;\n"              /* 1: import needs a string */
        "enum E { A B }\n"                  /* 2: missing ',' */
        "record R x { a: int32; }\n"        /* 3: junk in the header */
        "handler h(R) emits ;\n"            /* 4 */
        "outbox R \"subject\";\n"           /* 5: missing '->' */
        "event Fine { a: int32; }\n");

    ck_assert_int_eq(p->sink.n_errors, 5);
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:1:8: error:"));
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:2:12: error:"));
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:3:10: error:"));
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:4:20: error:"));
    ck_assert_ptr_nonnull(strstr(p->out, "test.msg:5:10: error:"));
    ck_assert_uint_eq(p->s->n_decls, 2);   /* the enum's good part and Fine */
    ck_assert_str_eq(p->s->decls[0]->name, "E");
    ck_assert_str_eq(p->s->decls[1]->name, "Fine");
    parsed_free(p);
}
END_TEST

/* No input crashes or leaks: every truncation of a valid schema, and the
 * same schema with bytes overwritten (a fixed, reproducible sequence). */
START_TEST(test_damaged_input_never_crashes)
{
    size_t len = strlen(orders), cut, i;
    unsigned seed = 12345;
    char *text = xstrdup(orders);

    for (cut = 0; cut <= len; cut++) {
        char *prefix = xstrndup(orders, cut);
        parsed *p = parse_text(prefix);
        ck_assert_ptr_nonnull(p->s);
        free(prefix);
        parsed_free(p);
    }
    for (i = 0; i < 400; i++) {
        parsed *p;
        seed = seed * 1103515245u + 12345u;
        text[(seed >> 8) % len] = (char)(seed >> 20);
        if (text[(seed >> 8) % len] == '\0')
            text[(seed >> 8) % len] = '\x01';
        p = parse_text(text);
        ck_assert_ptr_nonnull(p->s);
        parsed_free(p);
    }
    free(text);
}
END_TEST

START_TEST(test_bom_and_crlf)
{
    parsed *p = parse_text("\xEF\xBB\xBFrecord A {\r\n  x: int32\r\n}\r\n");

    ck_assert_int_eq(p->sink.n_errors, 1);
    ck_assert_str_eq(p->out,
        "test.msg:3:1: error: syntax error: unexpected '}', expected ';' or '='\n"
        "}\n"
        "^\n");
    ck_assert_str_eq(p->s->decls[0]->name, "A");
    ck_assert_uint_eq(p->s->decls[0]->name_span.start, 10);   /* offsets count the BOM */
    parsed_free(p);
}
END_TEST

/* ---- diagnostics ---- */

START_TEST(test_diag_werror_and_plain)
{
    program prog;
    diag_sink sink;
    char *out = NULL;
    size_t len = 0;
    source_file *f;
    span where = { 0, 4, 7 };

    memset(&prog, 0, sizeof prog);
    memset(&sink, 0, sizeof sink);
    f = AST_PUSH(prog.files, prog.n_files);
    f->path = xstrdup("w.msg");
    f->text = xstrdup("abc def\n");
    f->len = strlen(f->text);
    sink.out = open_memstream(&out, &len);
    sink.prog = &prog;

    diag_report(&sink, DIAG_WARNING, where, "careful %d", 1);
    sink.werror = true;
    diag_report(&sink, DIAG_WARNING, where, "careful %d", 2);
    diag_report(&sink, DIAG_NOTE, where, "here");
    diag_plain(&sink, DIAG_ERROR, "cannot open '%s'", "x");
    fclose(sink.out);

    ck_assert_str_eq(out,
        "w.msg:1:5: warning: careful 1\nabc def\n    ^~~\n"
        "w.msg:1:5: error: careful 2 [-Werror]\nabc def\n    ^~~\n"
        "w.msg:1:5: note: here\nabc def\n    ^~~\n"
        "msgbusgen: error: cannot open 'x'\n");
    ck_assert_int_eq(sink.n_warnings, 1);
    ck_assert_int_eq(sink.n_errors, 2);
    free(out);
    ast_program_free(&prog);
}
END_TEST

START_TEST(test_diag_line_col)
{
    source_file f = { (char *)"x", (char *)"ab\ncd\n\nef", 9 };
    int line, col;

    diag_line_col(&f, 0, &line, &col);
    ck_assert_int_eq(line, 1);
    ck_assert_int_eq(col, 1);
    diag_line_col(&f, 4, &line, &col);
    ck_assert_int_eq(line, 2);
    ck_assert_int_eq(col, 2);
    diag_line_col(&f, 8, &line, &col);
    ck_assert_int_eq(line, 4);
    ck_assert_int_eq(col, 2);
    diag_line_col(&f, 6, &line, &col);   /* the empty line */
    ck_assert_int_eq(line, 3);
    ck_assert_int_eq(col, 1);
}
END_TEST

START_TEST(test_diag_suggest)
{
    static const char *const names[] = { "OrderStatus", "ProcessOrder", "Address", "id" };

    ck_assert_str_eq(diag_suggest("ProcesOrder", names, 4), "ProcessOrder");
    ck_assert_str_eq(diag_suggest("Adress", names, 4), "Address");
    ck_assert_str_eq(diag_suggest("ix", names, 4), "id");   /* short: distance 1 allowed */
    ck_assert_ptr_null(diag_suggest("Customer", names, 4));
    ck_assert_ptr_null(diag_suggest("xyz", names, 4));
}
END_TEST

/* ---- loading files and imports ---- */

static char tmpdir[64];

static void write_text(const char *name, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void make_tmpdir(void)
{
    char sub[128];

    strcpy(tmpdir, "/tmp/test_parse.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(sub, sizeof sub, "%s/inc", tmpdir);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
}

typedef struct loaded {
    program prog;
    diag_sink sink;
    char *out;
    size_t out_len;
    int status;
} loaded;

static loaded *load(const char *name, const char *prefix)
{
    loaded *l = xcalloc(1, sizeof *l);
    char path[256], inc[256];
    const char *dirs[1];
    load_options opts;

    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    snprintf(inc, sizeof inc, "%s/inc", tmpdir);
    dirs[0] = inc;
    opts.include_dirs = dirs;
    opts.n_include_dirs = 1;
    opts.prefix = prefix;
    l->sink.out = open_memstream(&l->out, &l->out_len);
    l->sink.prog = &l->prog;
    l->status = load_program(path, &opts, &l->sink, &l->prog);
    fflush(l->sink.out);
    return l;
}

static void loaded_free(loaded *l)
{
    fclose(l->sink.out);
    free(l->out);
    ast_program_free(&l->prog);
    free(l);
}

static void remove_tmpdir(void)
{
    char cmd[128];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_load_imports_once)
{
    loaded *l;
    schema *main_schema, *a, *b;

    make_tmpdir();
    write_text("main.msg", "package shop.orders;\nimport \"a.msg\";\nimport \"b.msg\";\n"
                           "record M { x: b.B; }\n");
    write_text("a.msg", "package a;\nimport \"b.msg\";\nrecord A {}\n");
    write_text("inc/b.msg", "package b;\nrecord B {}\n");

    l = load("main.msg", NULL);
    ck_assert_str_eq(l->out ? l->out : "", "");
    ck_assert_int_eq(l->status, 0);
    /* b.msg is imported twice (from -I) but loaded once */
    ck_assert_uint_eq(l->prog.n_schemas, 3);
    ck_assert_uint_eq(l->prog.n_files, 3);
    main_schema = l->prog.schemas[0];
    a = main_schema->imports[0].resolved;
    b = main_schema->imports[1].resolved;
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(a->package, "a");
    ck_assert_str_eq(b->package, "b");
    ck_assert_ptr_eq(a->imports[0].resolved, b);
    ck_assert_ptr_nonnull(strstr(l->prog.files[b->file].path, "/inc/b.msg"));
    ck_assert_str_eq(main_schema->prefix, "shop_orders_");
    ck_assert_str_eq(b->prefix, "b_");
    loaded_free(l);

    /* --prefix applies to the main file only and gets its '_' */
    l = load("main.msg", "my");
    ck_assert_int_eq(l->status, 0);
    ck_assert_str_eq(l->prog.schemas[0]->prefix, "my_");
    ck_assert_str_eq(l->prog.schemas[1]->prefix, "a_");
    loaded_free(l);
    l = load("main.msg", "");
    ck_assert_str_eq(l->prog.schemas[0]->prefix, "");
    loaded_free(l);
    remove_tmpdir();
}
END_TEST

START_TEST(test_import_cycle)
{
    loaded *l;
    char expected[1024];

    make_tmpdir();
    write_text("c1.msg", "import \"c2.msg\";\n");
    write_text("c2.msg", "\nimport \"c1.msg\";\n");
    l = load("c1.msg", NULL);
    ck_assert_int_eq(l->status, 1);
    ck_assert_int_eq(l->sink.n_errors, 1);
    snprintf(expected, sizeof expected,
             "%s/c2.msg:2:8: error: import cycle: '%s/c1.msg' -> '%s/c2.msg' -> '%s/c1.msg'\n"
             "import \"c1.msg\";\n"
             "       ^~~~~~~~\n"
             "%s/c1.msg:1:8: note: '%s/c1.msg' imports 'c2.msg' here\n",
             tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir);
    ck_assert_ptr_nonnull(strstr(l->out, expected));
    loaded_free(l);

    write_text("self.msg", "import \"self.msg\";\n");
    l = load("self.msg", NULL);
    ck_assert_int_eq(l->status, 1);
    ck_assert_ptr_nonnull(strstr(l->out, "self.msg:1:8: error: import cycle"));
    loaded_free(l);
    remove_tmpdir();
}
END_TEST

START_TEST(test_missing_import_and_errors_in_imports)
{
    loaded *l;

    make_tmpdir();
    write_text("m.msg", "package m;\n\nimport \"nowhere.msg\";\nimport \"broken.msg\";\n");
    write_text("broken.msg", "record B { x int32; }\n");
    l = load("m.msg", NULL);
    ck_assert_int_eq(l->status, 1);
    ck_assert_int_eq(l->sink.n_errors, 2);
    ck_assert_ptr_nonnull(strstr(l->out, "m.msg:3:8: error: cannot find imported file 'nowhere.msg'\n"
                                         "import \"nowhere.msg\";\n"
                                         "       ^~~~~~~~~~~~~\n"));
    ck_assert_ptr_nonnull(strstr(l->out, "broken.msg:1:14: error: syntax error"));
    loaded_free(l);
    remove_tmpdir();
}
END_TEST

START_TEST(test_cannot_open_main_file)
{
    loaded *l;

    make_tmpdir();
    l = load("absent.msg", NULL);
    ck_assert_int_eq(l->status, 2);
    ck_assert_ptr_nonnull(strstr(l->out, "msgbusgen: error: cannot open '"));
    ck_assert_ptr_nonnull(strstr(l->out, "absent.msg': No such file or directory\n"));
    ck_assert_uint_eq(l->prog.n_schemas, 0);
    loaded_free(l);
    remove_tmpdir();
}
END_TEST

static Suite *parse_suite(void)
{
    Suite *s = suite_create("parse");
    TCase *syntax = tcase_create("syntax");
    TCase *errors = tcase_create("errors");
    TCase *diag = tcase_create("diag");
    TCase *load_tc = tcase_create("load");

    tcase_add_test(syntax, test_package_imports_and_decl_kinds);
    tcase_add_test(syntax, test_enum_values_and_docs);
    tcase_add_test(syntax, test_fields_types_and_defaults);
    tcase_add_test(syntax, test_handlers_and_outbox);
    tcase_add_test(syntax, test_literals);
    tcase_add_test(syntax, test_doc_comments_attach_only_forward);
    suite_add_tcase(s, syntax);

    tcase_add_test(errors, test_syntax_error_position);
    tcase_add_test(errors, test_recovery_reports_several_errors);
    tcase_add_test(errors, test_unterminated_comment);
    tcase_add_test(errors, test_unterminated_string);
    tcase_add_test(errors, test_bad_string_contents);
    tcase_add_test(errors, test_stray_characters_and_bad_numbers);
    tcase_add_test(errors, test_error_at_end_of_file);
    tcase_add_test(errors, test_nested_and_optional_elements);
    tcase_add_test(errors, test_nested_levels);
    tcase_add_test(errors, test_package_must_come_first);
    tcase_add_test(errors, test_misspelled_keyword_suggestion);
    tcase_add_test(errors, test_bom_and_crlf);
    tcase_add_test(errors, test_recovery_in_every_declaration_kind);
    tcase_add_test(errors, test_damaged_input_never_crashes);
    tcase_set_timeout(errors, 60);
    suite_add_tcase(s, errors);

    tcase_add_test(diag, test_diag_werror_and_plain);
    tcase_add_test(diag, test_diag_line_col);
    tcase_add_test(diag, test_diag_suggest);
    suite_add_tcase(s, diag);

    tcase_add_test(load_tc, test_load_imports_once);
    tcase_add_test(load_tc, test_import_cycle);
    tcase_add_test(load_tc, test_missing_import_and_errors_in_imports);
    tcase_add_test(load_tc, test_cannot_open_main_file);
    suite_add_tcase(s, load_tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(parse_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
