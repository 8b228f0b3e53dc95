/* emit_dot.c - writes <schema>.msg.dot: the message flow of the main file
 * as a Graphviz graph (msgbusgen(1), OUTPUT KINDS).
 *
 * Nodes: every command and event of the file, the imported messages its
 * handlers and routes name, every handler, and one node per outbox
 * subject.  Node ids are full names ("shop.orders.ProcessOrder"), so the
 * SVG that dot renders has <title>FULL.NAME</title> in each node's group;
 * subjects are "subject:" + subject, which no full name can be.  Edges:
 * message -> handler "handles", handler -> message "emits", message ->
 * subject "outbox".  Edges on an emit cycle and messages without a handler
 * are drawn in red, and carry the SVG classes "cycle" and "unhandled". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "emit_util.h"
#include "hash.h"
#include "names.h"
#include "scc.h"

#define ALERT "#c0392b"

typedef struct flow {
    const decl **nodes;         /* messages, then handlers */
    size_t n_nodes;
    size_t n_messages;
    hash_table index;           /* decl -> node index + 1 */
    size_t *first;              /* successors, compressed (scc.h) */
    size_t *edges;
    size_t *component;
    unsigned char *on_cycle;
    size_t *n_handlers;         /* per message: handlers in the whole program */
} flow;

static int is_command_or_event(const decl *d)
{
    return (d->kind == DECL_COMMAND || d->kind == DECL_EVENT) && d->name != NULL;
}

static size_t node_of(const flow *f, const decl *d)
{
    return (size_t)(uintptr_t)hash_get(&f->index, d) - 1;
}

static void add_node(flow *f, const decl *d)
{
    if (d == NULL || hash_get(&f->index, d))
        return;
    f->nodes[f->n_nodes] = d;
    hash_put(&f->index, d, (void *)(uintptr_t)(f->n_nodes + 1));
    f->n_nodes++;
}

static void build_flow(flow *f, const program *prog, const schema *s)
{
    size_t i, j, cap = 0, n_edges = 0, *fill;

    for (i = 0; i < s->n_decls; i++)
        cap += 1 + s->decls[i]->n_emits;
    memset(f, 0, sizeof *f);
    hash_init_addresses(&f->index);
    f->nodes = xcalloc(cap ? cap : 1, sizeof *f->nodes);

    for (i = 0; i < s->n_decls; i++)
        if (is_command_or_event(s->decls[i]))
            add_node(f, s->decls[i]);
    for (i = 0; i < s->n_decls; i++) {
        const decl *d = s->decls[i];
        if (d->kind == DECL_HANDLER) {
            add_node(f, d->input.resolved);
            for (j = 0; j < d->n_emits; j++)
                add_node(f, d->emits[j].resolved);
        } else if (d->kind == DECL_OUTBOX) {
            add_node(f, d->route_type.resolved);
        }
    }
    f->n_messages = f->n_nodes;
    for (i = 0; i < s->n_decls; i++)
        if (s->decls[i]->kind == DECL_HANDLER)
            add_node(f, s->decls[i]);

    /* Handlers anywhere in the program count for "has a handler". */
    f->n_handlers = xcalloc(f->n_messages ? f->n_messages : 1, sizeof *f->n_handlers);
    for (i = 0; i < prog->n_schemas; i++)
        for (j = 0; j < prog->schemas[i]->n_decls; j++) {
            const decl *h = prog->schemas[i]->decls[j];
            if (h->kind == DECL_HANDLER && h->input.resolved && hash_get(&f->index, h->input.resolved))
                f->n_handlers[node_of(f, h->input.resolved)]++;
        }

    /* The graph for the cycle search: message -> its handlers in this
     * file, handler -> what it emits. */
    f->first = xcalloc(f->n_nodes + 1, sizeof *f->first);
    for (i = f->n_messages; i < f->n_nodes; i++) {
        const decl *h = f->nodes[i];
        if (h->input.resolved)
            f->first[node_of(f, h->input.resolved) + 1]++;
        for (j = 0; j < h->n_emits; j++)
            if (h->emits[j].resolved)
                f->first[i + 1]++;
    }
    for (i = 0; i < f->n_nodes; i++)
        f->first[i + 1] += f->first[i];
    n_edges = f->first[f->n_nodes];
    f->edges = xcalloc(n_edges ? n_edges : 1, sizeof *f->edges);
    fill = xcalloc(f->n_nodes ? f->n_nodes : 1, sizeof *fill);
    for (i = 0; i < f->n_nodes; i++)
        fill[i] = f->first[i];
    for (i = f->n_messages; i < f->n_nodes; i++) {
        const decl *h = f->nodes[i];
        if (h->input.resolved)
            f->edges[fill[node_of(f, h->input.resolved)]++] = i;
        for (j = 0; j < h->n_emits; j++)
            if (h->emits[j].resolved)
                f->edges[fill[i]++] = node_of(f, h->emits[j].resolved);
    }
    free(fill);

    f->component = xcalloc(f->n_nodes ? f->n_nodes : 1, sizeof *f->component);
    f->on_cycle = xcalloc(f->n_nodes ? f->n_nodes : 1, 1);
    {
        scc_graph g;
        g.n = f->n_nodes;
        g.first = f->first;
        g.edges = f->edges;
        scc_compute(&g, f->component, f->on_cycle);
    }
}

static void free_flow(flow *f)
{
    hash_free(&f->index);
    free(f->nodes);
    free(f->first);
    free(f->edges);
    free(f->component);
    free(f->on_cycle);
    free(f->n_handlers);
}

/* An edge lies on a cycle when both ends are in one component. */
static int edge_on_cycle(const flow *f, size_t from, size_t to)
{
    return f->on_cycle[from] && f->on_cycle[to] && f->component[from] == f->component[to];
}

/* A double-quoted DOT string. */
static void dot_string(emitter *e, const char *text)
{
    fputc('"', e->out);
    for (; *text; text++) {
        if (*text == '"' || *text == '\\')
            fputc('\\', e->out);
        if (*text == '\n')
            fputs("\\n", e->out);
        else
            fputc(*text, e->out);
    }
    fputc('"', e->out);
}

static const char *node_id(emitter *e, const decl *d)
{
    return em_keep(e, names_full_name(d->schema, d->name));
}

static void emit_message_node(emitter *e, const flow *f, size_t i)
{
    const decl *d = f->nodes[i];
    int command = d->kind == DECL_COMMAND;
    int imported = d->schema != e->s;
    int unhandled = !imported && f->n_handlers[i] == 0;

    em_printf(e, "    ");
    dot_string(e, node_id(e, d));
    em_printf(e, " [label=");
    dot_string(e, d->name);
    if (command)
        em_printf(e, ", shape=box, style=\"rounded,filled%s\", fillcolor=\"#dbe8fb\"",
                  imported || unhandled ? ",dashed" : "");
    else
        em_printf(e, ", shape=ellipse, style=\"filled%s\", fillcolor=\"#dcf2dc\"",
                  imported || unhandled ? ",dashed" : "");
    if (unhandled)
        em_printf(e, ", color=\"" ALERT "\", fontcolor=\"" ALERT "\", penwidth=2"
                     ", xlabel=\"no handler\"");
    em_printf(e, ", class=\"%s%s%s\"];\n", command ? "command" : "event",
              imported ? " imported" : "", unhandled ? " unhandled" : "");
}

static void emit_edge(emitter *e, const char *from, const char *to, const char *label, int cycle,
                      const char *extra)
{
    em_printf(e, "    ");
    dot_string(e, from);
    em_printf(e, " -> ");
    dot_string(e, to);
    em_printf(e, " [label=\"%s\"%s%s];\n", label, extra,
              cycle ? ", color=\"" ALERT "\", fontcolor=\"" ALERT "\", penwidth=2, class=\"cycle\"" : "");
}

int emit_dot(FILE *out, const program *prog, const schema *s)
{
    emitter e;
    flow f;
    hash_table subjects;
    size_t i, j;
    const char *title;

    em_start(&e, out, prog, s);
    title = s->package ? s->package : em_file_base(&e, s);
    build_flow(&f, prog, s);
    hash_init_strings(&subjects);

    em_printf(&e, "// %s.dot - the message flow of %s, written by msgbusgen; DO NOT EDIT.\n",
              em_file_base(&e, s), em_file_base(&e, s));
    em_printf(&e, "// Render with: dot -Tsvg %s.dot -o %s.svg\n", em_file_base(&e, s),
              em_file_base(&e, s));
    em_printf(&e, "digraph ");
    dot_string(&e, title);
    em_printf(&e, " {\n    graph [rankdir=LR, fontname=\"Helvetica\", labelloc=t, forcelabels=true, label=");
    dot_string(&e, title);
    em_printf(&e, "];\n    node [fontname=\"Helvetica\", fontsize=11];\n"
                  "    edge [fontname=\"Helvetica\", fontsize=9];\n");

    em_printf(&e, "\n    // commands (boxes) and events (ellipses)\n");
    for (i = 0; i < f.n_messages; i++)
        emit_message_node(&e, &f, i);

    em_printf(&e, "\n    // handlers\n");
    for (i = f.n_messages; i < f.n_nodes; i++) {
        em_printf(&e, "    ");
        dot_string(&e, node_id(&e, f.nodes[i]));
        em_printf(&e, " [label=");
        dot_string(&e, f.nodes[i]->name);
        em_printf(&e, ", shape=component, style=filled, fillcolor=\"#f4f4f4\", class=\"handler\"];\n");
    }

    em_printf(&e, "\n    // outbox subjects\n");
    for (i = 0; i < s->n_decls; i++) {
        const decl *d = s->decls[i];
        if (d->kind != DECL_OUTBOX || d->subject == NULL || hash_get(&subjects, d->subject))
            continue;
        hash_put(&subjects, d->subject, (void *)d);
        em_printf(&e, "    ");
        dot_string(&e, em_fmt(&e, "subject:%s", d->subject));
        em_printf(&e, " [label=");
        dot_string(&e, d->subject);
        em_printf(&e, ", shape=cds, style=filled, fillcolor=\"#fff3c4\", class=\"subject\"];\n");
    }

    em_printf(&e, "\n    // message -> handler, handler -> message, message -> subject\n");
    for (i = f.n_messages; i < f.n_nodes; i++) {
        const decl *h = f.nodes[i];
        const char *hid = node_id(&e, h);
        if (h->input.resolved) {
            size_t m = node_of(&f, h->input.resolved);
            emit_edge(&e, node_id(&e, h->input.resolved), hid, "handles", edge_on_cycle(&f, m, i), "");
        }
        for (j = 0; j < h->n_emits; j++) {
            const decl *m = h->emits[j].resolved;
            if (m)
                emit_edge(&e, hid, node_id(&e, m), "emits", edge_on_cycle(&f, i, node_of(&f, m)), "");
        }
    }
    for (i = 0; i < s->n_decls; i++) {
        const decl *d = s->decls[i];
        if (d->kind == DECL_OUTBOX && d->route_type.resolved && d->subject)
            emit_edge(&e, node_id(&e, d->route_type.resolved), em_fmt(&e, "subject:%s", d->subject),
                      "outbox", 0, ", style=dashed");
    }
    em_printf(&e, "}\n");

    hash_free(&subjects);
    free_flow(&f);
    return em_finish(&e);
}
