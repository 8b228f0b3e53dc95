/* scc.c - Tarjan's strongly connected components, without recursion. */
#include <stdlib.h>

#include "ast.h"
#include "scc.h"

#define UNSEEN ((size_t)-1)

void scc_compute(const scc_graph *g, size_t *component, unsigned char *on_cycle)
{
    size_t n = g->n, count = 0, next_component = 0, v;
    size_t *order = xmalloc((n ? n : 1) * sizeof *order);      /* discovery number */
    size_t *low = xmalloc((n ? n : 1) * sizeof *low);
    size_t *next_edge = xmalloc((n ? n : 1) * sizeof *next_edge);
    size_t *call = xmalloc((n ? n : 1) * sizeof *call);        /* the DFS path */
    size_t *stack = xmalloc((n ? n : 1) * sizeof *stack);      /* Tarjan's stack */
    unsigned char *on_stack = xcalloc(n ? n : 1, 1);
    size_t depth, top = 0;

    for (v = 0; v < n; v++) {
        order[v] = UNSEEN;
        on_cycle[v] = 0;
    }
    for (v = 0; v < n; v++) {
        if (order[v] != UNSEEN)
            continue;
        depth = 0;
        call[depth++] = v;
        order[v] = low[v] = count++;
        next_edge[v] = g->first[v];
        stack[top++] = v;
        on_stack[v] = 1;
        while (depth > 0) {
            size_t u = call[depth - 1];
            if (next_edge[u] < g->first[u + 1]) {
                size_t w = g->edges[next_edge[u]++];
                if (w == u)
                    on_cycle[u] = 1;
                if (order[w] == UNSEEN) {
                    order[w] = low[w] = count++;
                    next_edge[w] = g->first[w];
                    stack[top++] = w;
                    on_stack[w] = 1;
                    call[depth++] = w;
                } else if (on_stack[w] && order[w] < low[u]) {
                    low[u] = order[w];
                }
                continue;
            }
            /* u is finished: close its component if it is a root. */
            if (low[u] == order[u]) {
                size_t size = 0, w;
                do {
                    w = stack[--top];
                    on_stack[w] = 0;
                    component[w] = next_component;
                    size++;
                } while (w != u);
                if (size > 1) {
                    size_t i;
                    for (i = top; i < top + size; i++)
                        on_cycle[stack[i]] = 1;
                }
                next_component++;
            }
            depth--;
            if (depth > 0 && low[u] < low[call[depth - 1]])
                low[call[depth - 1]] = low[u];
        }
    }
    free(order);
    free(low);
    free(next_edge);
    free(call);
    free(stack);
    free(on_stack);
}
