/* scc.h - strongly connected components of a small directed graph, so that
 * the passes that care about cycles (emit cycles in sema, cycle edges in the
 * dot picture) find them in linear time. */
#ifndef MSGBUSGEN_SCC_H
#define MSGBUSGEN_SCC_H

#include <stddef.h>

/* A graph in compressed form: the successors of node v are
 * edges[first[v]] .. edges[first[v + 1] - 1]; first has n + 1 entries. */
typedef struct scc_graph {
    size_t n;
    const size_t *first;
    const size_t *edges;
} scc_graph;

/* Fills component[v] (n entries) with the number of v's component, and
 * on_cycle[v] with 1 when v lies on a cycle: its component has two or more
 * nodes, or v has an edge to itself.  Iterative Tarjan: O(nodes + edges),
 * no recursion however deep the graph. */
void scc_compute(const scc_graph *g, size_t *component, unsigned char *on_cycle);

#endif /* MSGBUSGEN_SCC_H */
