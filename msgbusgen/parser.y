/* parser.y - pure bison grammar of .msg schemas (msgbus-schema(5)).
 *
 * Builds the tree of ast.h into parse_state.schema.  Locations are byte
 * spans (ast.h `span`); errors recover at ';' and '}' so one run reports
 * several of them. */
%code top {
#define _POSIX_C_SOURCE 200809L  /* open_memstream */
}

%code requires {
#include "ast.h"
#include "diag.h"

#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif

/* A /// comment, waiting for the declaration, field or enum value whose
 * first token starts at `offset`. */
typedef struct parse_doc {
    uint32_t offset;
    char *text;
} parse_doc;

/* Everything one parse of one file needs; shared by scanner and parser. */
typedef struct parse_state {
    program *prog;
    uint32_t file;
    diag_sink *sink;
    schema *schema;             /* being built */
    const char *text;           /* the source, for token spellings */

    /* scanner */
    uint32_t offset;            /* byte offset of the next token */
    uint32_t last_token_end;    /* where "end of file" is reported */
    uint32_t comment_start;     /* of the open block comment */
    uint32_t stray_end;         /* merges runs of stray bytes into one error */
    bool stray_pending;         /* a stray byte since the last token */
    bool after_stray;           /* the current token follows a stray byte */
    char *pending_doc;          /* /// lines seen since the last token */
    size_t pending_len;
    parse_doc *docs;
    size_t n_docs;
} parse_state;

#define YYLTYPE span
#define YYLTYPE_IS_DECLARED 1
}

%code provides {
int yylex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner);
/* Moves the doc comment of the token starting at offset out of st, or NULL. */
char *parse_take_doc(parse_state *st, uint32_t offset);
}

%code {
#include <stdlib.h>
#include <string.h>

/* A span from the first to the last symbol of a rule (empty rules get an
 * empty span where the previous symbol ends). */
#define YYLLOC_DEFAULT(cur, rhs, n)                                     \
    do {                                                                \
        if (n) {                                                        \
            (cur).file = YYRHSLOC(rhs, 1).file;                         \
            (cur).start = YYRHSLOC(rhs, 1).start;                       \
            (cur).end = YYRHSLOC(rhs, n).end;                           \
        } else {                                                        \
            (cur).file = YYRHSLOC(rhs, 0).file;                         \
            (cur).start = (cur).end = YYRHSLOC(rhs, 0).end;             \
        }                                                               \
    } while (0)

static void yyerror(YYLTYPE *loc, yyscan_t scanner, parse_state *st, const char *msg);
static decl *new_decl(parse_state *st, decl_kind kind, span where);
static void add_decl(parse_state *st, decl *d);
static void set_package(parse_state *st, char *name, span where, span keyword);
static void add_import(parse_state *st, char *path, span where, span keyword);
static type_ref *named_type(char *name, span where);
static type_ref *container_type(parse_state *st, type_form form, type_ref *key,
                                type_ref *elem, span where);
static literal *string_literal(char *value, span where);
static literal *bool_literal(bool truth, span where);
static literal *ident_literal(char *name, span where);
static void take_fields(decl *d, decl *list);
}

%define api.pure full
%define parse.error custom
%locations
%expect 0
%lex-param {yyscan_t scanner}
%parse-param {yyscan_t scanner} {parse_state *st}

%union {
    char *str;
    literal *lit;
    type_ref *type;
    decl *decl;
}

%token YYEOF 0 "end of file"
%token PACKAGE "'package'" IMPORT "'import'" ENUM "'enum'" RECORD "'record'"
       COMMAND "'command'" EVENT "'event'" HANDLER "'handler'" EMITS "'emits'"
       OUTBOX "'outbox'" LIST "'list'" MAP "'map'" TRUE "'true'" FALSE "'false'"
       ARROW "'->'"
%token <str> IDENT "identifier" QNAME "qualified name" STRING "string"
%token <lit> INTEGER "integer" REAL "number"

%type <str> qname field_name
%type <lit> literal
%type <type> type base_type
%type <decl> decl message_decl fields field enum_decl enum_values enum_body
%type <decl> handler_decl emits emit_list outbox_decl
%type <decl> message_kind enum_value

%destructor { free($$); } <str>
%destructor { ast_literal_free($$); } <lit>
%destructor { if ($$) { free($$->name); free($$->inner); } free($$); } <type>
%destructor { ast_decl_free($$); } <decl>

%%

schema_file
    : %empty
    | schema_file item
    ;

item
    : PACKAGE qname ';'          { set_package(st, $2, @2, @1); }
    | IMPORT STRING ';'          { add_import(st, $2, @2, @1); }
    | decl                       { add_decl(st, $1); }
    | ';'                        /* a stray ';' after '}' is harmless */
    /* An error after a known keyword ends at that declaration's ';' or
     * '}': the next token starts afresh, so its errors are reported. */
    | PACKAGE error ';'          { yyerrok; }
    | IMPORT error ';'           { yyerrok; }
    | HANDLER error ';'          { yyerrok; }
    | OUTBOX error ';'           { yyerrok; }
    | ENUM error '}'             { yyerrok; }
    | message_kind error '}'     { ast_decl_free($1); yyerrok; }
    /* Anywhere else we may be inside a body: bison stays quiet until
     * three tokens parse again. */
    | error ';'
    | error '}'
    ;

qname
    : IDENT
    | QNAME
    ;

decl
    : message_decl
    | enum_decl
    | handler_decl
    | outbox_decl
    ;

/* record, command and event share one body of fields. */
message_decl
    : message_kind IDENT '{' fields '}' {
          $$ = $1;
          $$->name = $2;
          $$->name_span = @2;
          $$->span = (span){ @1.file, @1.start, @5.end };
          take_fields($$, $4);
      }
    | message_kind IDENT '{' fields error '}' {
          $$ = $1;
          $$->name = $2;
          $$->name_span = @2;
          $$->span = (span){ @1.file, @1.start, @6.end };
          take_fields($$, $4);
      }
    ;

message_kind
    : RECORD                     { $$ = new_decl(st, DECL_RECORD, @1); }
    | COMMAND                    { $$ = new_decl(st, DECL_COMMAND, @1); }
    | EVENT                      { $$ = new_decl(st, DECL_EVENT, @1); }
    ;

fields
    : %empty                     { $$ = xcalloc(1, sizeof *$$); }
    | fields field               { $$ = $1; take_fields($$, $2); }
    | fields error ';'           { $$ = $1; yyerrok; }
    ;

field
    : field_name ':' type ';' {
          field *f;
          $$ = xcalloc(1, sizeof *$$);
          f = AST_PUSH($$->fields, $$->n_fields);
          f->name = $1;
          f->name_span = @1;
          f->type = *$3;
          free($3);
          f->doc = parse_take_doc(st, @1.start);
          f->span = @$;
      }
    | field_name ':' type '=' literal ';' {
          field *f;
          $$ = xcalloc(1, sizeof *$$);
          f = AST_PUSH($$->fields, $$->n_fields);
          f->name = $1;
          f->name_span = @1;
          f->type = *$3;
          free($3);
          f->default_value = $5;
          f->doc = parse_take_doc(st, @1.start);
          f->span = @$;
      }
    ;

/* Keywords are fine as field names: `event: string;` is unambiguous. */
field_name
    : IDENT
    | PACKAGE                    { $$ = xstrdup("package"); }
    | IMPORT                     { $$ = xstrdup("import"); }
    | ENUM                       { $$ = xstrdup("enum"); }
    | RECORD                     { $$ = xstrdup("record"); }
    | COMMAND                    { $$ = xstrdup("command"); }
    | EVENT                      { $$ = xstrdup("event"); }
    | HANDLER                    { $$ = xstrdup("handler"); }
    | EMITS                      { $$ = xstrdup("emits"); }
    | OUTBOX                     { $$ = xstrdup("outbox"); }
    | LIST                       { $$ = xstrdup("list"); }
    | MAP                        { $$ = xstrdup("map"); }
    | TRUE                       { $$ = xstrdup("true"); }
    | FALSE                      { $$ = xstrdup("false"); }
    ;

type
    : base_type
    | base_type '?'              { $$ = $1; $$->optional = true; $$->span = @$; }
    ;

base_type
    : qname                      { $$ = named_type($1, @1); }
    | LIST '<' type '>'          { $$ = container_type(st, TF_LIST, NULL, $3, @$); }
    | MAP '<' type ',' type '>'  { $$ = container_type(st, TF_MAP, $3, $5, @$); }
    ;

literal
    : INTEGER
    | REAL
    | STRING                     { $$ = string_literal($1, @1); }
    | TRUE                       { $$ = bool_literal(true, @1); }
    | FALSE                      { $$ = bool_literal(false, @1); }
    | IDENT                      { $$ = ident_literal($1, @1); }
    ;

enum_decl
    : ENUM IDENT enum_body {
          $$ = $3;
          $$->kind = DECL_ENUM;
          $$->name = $2;
          $$->name_span = @2;
          $$->span = @$;
          $$->doc = parse_take_doc(st, @1.start);
          $$->schema = st->schema;
      }
    ;

enum_body
    : '{' '}'                    { $$ = xcalloc(1, sizeof *$$); }
    | '{' enum_values '}'        { $$ = $2; }
    | '{' enum_values ',' '}'    { $$ = $2; }
    | '{' enum_values error '}'  { $$ = $2; yyerrok; }
    ;

enum_values
    : enum_value                 { $$ = $1; }
    | enum_values ',' enum_value { $$ = $1; take_fields($$, $3); }
    ;

enum_value
    : IDENT {
          enum_value *v;
          $$ = xcalloc(1, sizeof *$$);
          v = AST_PUSH($$->values, $$->n_values);
          v->name = $1;
          v->name_span = @1;
          v->doc = parse_take_doc(st, @1.start);
      }
    | IDENT '=' INTEGER {
          enum_value *v;
          $$ = xcalloc(1, sizeof *$$);
          v = AST_PUSH($$->values, $$->n_values);
          v->name = $1;
          v->name_span = @1;
          v->doc = parse_take_doc(st, @1.start);
          v->explicit_value = true;
          v->value_literal = $3;
          /* sema checks the range; a value that fits is filled in here */
          if (!$3->too_large && !$3->negative && $3->magnitude <= (uint64_t)INT64_MAX)
              v->value = (int64_t)$3->magnitude;
          else if (!$3->too_large && $3->negative && $3->magnitude <= (uint64_t)INT64_MAX + 1)
              v->value = $3->magnitude == (uint64_t)INT64_MAX + 1
                         ? INT64_MIN : -(int64_t)$3->magnitude;
      }
    ;

handler_decl
    : HANDLER IDENT '(' qname ')' emits ';' {
          $$ = $6 ? $6 : xcalloc(1, sizeof *$$);
          $$->kind = DECL_HANDLER;
          $$->name = $2;
          $$->name_span = @2;
          $$->input.name = $4;
          $$->input.span = @4;
          $$->span = @$;
          $$->doc = parse_take_doc(st, @1.start);
          $$->schema = st->schema;
      }
    ;

emits
    : %empty                     { $$ = NULL; }
    | EMITS emit_list            { $$ = $2; }
    ;

emit_list
    : qname {
          name_ref *r;
          $$ = xcalloc(1, sizeof *$$);
          r = AST_PUSH($$->emits, $$->n_emits);
          r->name = $1;
          r->span = @1;
      }
    | emit_list ',' qname {
          name_ref *r;
          $$ = $1;
          r = AST_PUSH($$->emits, $$->n_emits);
          r->name = $3;
          r->span = @3;
      }
    ;

outbox_decl
    : OUTBOX qname ARROW STRING ';' {
          $$ = new_decl(st, DECL_OUTBOX, @1);
          $$->route_type.name = $2;
          $$->route_type.span = @2;
          $$->name_span = @2;
          $$->subject = $4;
          $$->subject_span = @4;
          $$->span = @$;
      }
    ;

%%

/* Shows a token in a message.  The aliases above are written for this:
 * keywords and punctuation quoted, the others by their kind. */
static void print_symbol(FILE *out, yysymbol_kind_t sym)
{
    fputs(yysymbol_name(sym), out);
}

/* The keyword a token stands for ("record" for "'record'"), or NULL. */
static char *keyword_of(yysymbol_kind_t sym)
{
    const char *name = yysymbol_name(sym);
    size_t len = strlen(name);

    if (len > 2 && name[0] == '\'' && name[1] >= 'a' && name[1] <= 'z')
        return xstrndup(name + 1, len - 2);
    return NULL;
}

/* "did you mean 'record'?" for a misspelled keyword that fits here. */
static void suggest_keyword(FILE *msg, const char *word, const yysymbol_kind_t *expected, int n)
{
    char **keywords = xcalloc((size_t)n, sizeof *keywords);
    const char *best;
    int i;

    for (i = 0; i < n; i++)
        keywords[i] = keyword_of(expected[i]);
    best = diag_suggest(word, (const char *const *)keywords, (size_t)n);
    if (best)
        fprintf(msg, "; did you mean '%s'?", best);
    for (i = 0; i < n; i++)
        free(keywords[i]);
    free(keywords);
}

static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, parse_state *st)
{
    enum { MAX_LISTED = 6 };
    yysymbol_kind_t expected[YYNTOKENS];
    yysymbol_kind_t unexpected = yypcontext_token(ctx);
    const span *at = yypcontext_location(ctx);
    int n = yypcontext_expected_tokens(ctx, expected, YYNTOKENS);
    char *text = NULL, *word = NULL;
    size_t size = 0;
    FILE *msg;
    int i;

    (void)scanner;
    /* A token right after a stray byte fails only because the stray byte
     * was dropped: that error is already reported. */
    if (st->after_stray)
        return 0;
    msg = open_memstream(&text, &size);
    if (!msg || unexpected == YYSYMBOL_YYEMPTY) {
        if (msg)
            fclose(msg);
        free(text);
        diag_report(st->sink, DIAG_ERROR, *at, "syntax error");
        return 0;
    }
    fputs("syntax error: unexpected ", msg);
    print_symbol(msg, unexpected);
    if (unexpected == YYSYMBOL_IDENT || unexpected == YYSYMBOL_QNAME) {
        word = xstrndup(st->text + at->start, at->end - at->start);
        fprintf(msg, " '%s'", word);
    }
    /* Past MAX_LISTED alternatives the list stops helping. */
    if (n > 0 && n <= MAX_LISTED) {
        fputs(", expected ", msg);
        for (i = 0; i < n; i++) {
            if (i > 0)
                fputs(i == n - 1 ? " or " : ", ", msg);
            print_symbol(msg, expected[i]);
        }
    }
    if (word && n > 0)
        suggest_keyword(msg, word, expected, n);
    fclose(msg);
    diag_report(st->sink, DIAG_ERROR, *at, "%s", text);
    free(text);
    free(word);
    return 0;
}

static void yyerror(YYLTYPE *loc, yyscan_t scanner, parse_state *st, const char *msg)
{
    (void)scanner;
    diag_report(st->sink, DIAG_ERROR, *loc, "%s", msg);
}

char *parse_take_doc(parse_state *st, uint32_t offset)
{
    size_t i;

    for (i = 0; i < st->n_docs; i++) {
        if (st->docs[i].offset == offset) {
            char *text = st->docs[i].text;
            st->docs[i] = st->docs[--st->n_docs];
            return text;
        }
    }
    return NULL;
}

static decl *new_decl(parse_state *st, decl_kind kind, span where)
{
    decl *d = xcalloc(1, sizeof *d);
    d->kind = kind;
    d->schema = st->schema;
    d->span = where;
    d->doc = parse_take_doc(st, where.start);
    return d;
}

static void add_decl(parse_state *st, decl *d)
{
    schema *s = st->schema;
    s->decls = xrealloc(s->decls, (s->n_decls + 1) * sizeof *s->decls);
    s->decls[s->n_decls++] = d;
}

static void set_package(parse_state *st, char *name, span where, span keyword)
{
    schema *s = st->schema;

    if (s->package) {
        diag_report(st->sink, DIAG_ERROR, where, "duplicate 'package' declaration");
        diag_report(st->sink, DIAG_NOTE, s->package_span, "first declared here");
        free(name);
        return;
    }
    if (s->n_imports > 0 || s->n_decls > 0)
        diag_report(st->sink, DIAG_ERROR, keyword,
                    "'package' must come before imports and declarations");
    s->package = name;
    s->package_span = where;
}

static void add_import(parse_state *st, char *path, span where, span keyword)
{
    schema *s = st->schema;
    import *imp;

    if (s->n_decls > 0)
        diag_report(st->sink, DIAG_ERROR, keyword, "'import' must come before declarations");
    imp = AST_PUSH(s->imports, s->n_imports);
    imp->path = path;
    imp->span = where;
}

static const struct {
    const char *name;
    builtin_type type;
} builtins[] = {
    { "bool", BT_BOOL },
    { "int8", BT_INT8 }, { "int16", BT_INT16 }, { "int32", BT_INT32 }, { "int64", BT_INT64 },
    { "uint8", BT_UINT8 }, { "uint16", BT_UINT16 }, { "uint32", BT_UINT32 },
    { "uint64", BT_UINT64 },
    { "float", BT_FLOAT }, { "double", BT_DOUBLE },
    { "string", BT_STRING }, { "bytes", BT_BYTES },
    { "timestamp", BT_TIMESTAMP }, { "uuid", BT_UUID },
};

/* Builtin type names are ordinary identifiers to the scanner; they are
 * recognised here, where a type is expected. */
static type_ref *named_type(char *name, span where)
{
    type_ref *t = xcalloc(1, sizeof *t);
    size_t i;

    t->form = TF_SINGLE;
    t->span = where;
    t->name_span = where;
    for (i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        if (strcmp(name, builtins[i].name) == 0) {
            t->builtin = builtins[i].type;
            free(name);
            return t;
        }
    }
    t->builtin = BT_NONE;
    t->name = name;
    return t;
}

/* list<T> and map<K, T>.  The element may itself be a list or map (its
 * form becomes the first inner level); it cannot be optional, which has no
 * meaning for an element, so that is reported here. */
static type_ref *container_type(parse_state *st, type_form form, type_ref *key,
                                type_ref *elem, span where)
{
    if (elem->optional)
        diag_report(st->sink, DIAG_ERROR, elem->span,
                    "a %s element cannot be optional", form == TF_LIST ? "list" : "map");
    if (elem->form != TF_SINGLE) {
        type_level *levels = xcalloc(elem->n_inner + 1, sizeof *levels);
        levels[0].form = elem->form;
        levels[0].key_span = elem->key_span;
        levels[0].key_builtin = elem->key_builtin;
        levels[0].span = elem->span;
        if (elem->n_inner)
            memcpy(levels + 1, elem->inner, elem->n_inner * sizeof *levels);
        free(elem->inner);
        elem->inner = levels;
        elem->n_inner++;
    }
    elem->form = form;
    elem->optional = false;
    elem->span = where;
    elem->key_span = (span){ 0, 0, 0 };
    elem->key_builtin = BT_NONE;
    if (key) {
        elem->key_span = key->span;
        elem->key_builtin = key->form == TF_SINGLE && !key->optional ? key->builtin : BT_NONE;
        free(key->name);
        free(key->inner);
        free(key);
    }
    return elem;
}

static literal *string_literal(char *value, span where)
{
    literal *lit = xcalloc(1, sizeof *lit);
    lit->kind = LIT_STRING;
    lit->text = value;
    lit->span = where;
    return lit;
}

static literal *bool_literal(bool truth, span where)
{
    literal *lit = xcalloc(1, sizeof *lit);
    lit->kind = LIT_BOOL;
    lit->text = xstrdup(truth ? "true" : "false");
    lit->truth = truth;
    lit->span = where;
    return lit;
}

static literal *ident_literal(char *name, span where)
{
    literal *lit = xcalloc(1, sizeof *lit);
    lit->kind = LIT_IDENT;
    lit->text = name;
    lit->span = where;
    return lit;
}

/* Moves the fields (or enum values) collected in list into d. */
static void take_fields(decl *d, decl *list)
{
    size_t i;

    for (i = 0; i < list->n_fields; i++)
        *AST_PUSH(d->fields, d->n_fields) = list->fields[i];
    for (i = 0; i < list->n_values; i++)
        *AST_PUSH(d->values, d->n_values) = list->values[i];
    list->n_fields = list->n_values = 0;
    ast_decl_free(list);
}
