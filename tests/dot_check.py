"""dot_check.py - checks the picture that `msgbusgen --emit dot` drew.

Usage: dot_check.py SCHEMA.msg RENDERED.svg [-I DIR]...

Reads the schema on its own (tests/msg_reader.py, not msgbusgen's parser), works out which nodes and edges the flow must have,
which edges lie on an emit cycle and which messages have no handler, and
compares that with the <title>s and classes of the SVG that dot rendered.
Exit 0 when they agree, 1 with the differences otherwise."""
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from msg_reader import Schema  # noqa: E402

def expected(schema):
    nodes = {schema.full(n) for _, n in schema.messages}
    edges = set()
    for h, inp, emits in schema.handlers:
        hid = schema.full(h)
        nodes.add(hid)
        i = schema.resolve(inp)
        nodes.add(i)
        edges.add((i, hid))
        for e in emits:
            m = schema.resolve(e)
            nodes.add(m)
            edges.add((hid, m))
    for t, subject in schema.routes:
        m = schema.resolve(t)
        nodes.add(m)
        nodes.add('subject:' + subject)
        edges.add((m, 'subject:' + subject))

    succ = {}
    for a, b in edges:
        if not b.startswith('subject:'):
            succ.setdefault(a, set()).add(b)

    def reaches(a, b):
        seen, todo = {a}, [a]
        while todo:
            x = todo.pop()
            if x == b:
                return True
            for y in succ.get(x, ()):
                if y not in seen:
                    seen.add(y)
                    todo.append(y)
        return False

    cycle = {(a, b) for a, b in edges if not b.startswith('subject:') and reaches(b, a)}
    # An imported file cannot name the main file's messages: only the main
    # file's handlers can handle them.
    handled = {schema.resolve(inp) for _, inp, _ in schema.handlers}
    unhandled = {schema.full(n) for _, n in schema.messages} - handled
    return nodes, edges, cycle, unhandled


def rendered(svg):
    ns = '{http://www.w3.org/2000/svg}'
    nodes, edges, cycle, unhandled = set(), [], set(), set()
    for g in ET.parse(svg).iter(ns + 'g'):
        classes = (g.get('class') or '').split()
        title = g.find(ns + 'title')
        if title is None:
            continue
        if 'node' in classes:
            nodes.add(title.text)
            if 'unhandled' in classes:
                unhandled.add(title.text)
        elif 'edge' in classes:
            a, b = title.text.split('->', 1)
            edges.append((a, b))
            if 'cycle' in classes:
                cycle.add((a, b))
    return nodes, edges, cycle, unhandled


def main(argv):
    include = [argv[i + 1] for i, a in enumerate(argv) if a == '-I']
    schema = Schema(argv[1], include)
    want = expected(schema)
    got_nodes, got_edges, got_cycle, got_unhandled = rendered(argv[2])
    ok = True
    for what, w, g in (('nodes', want[0], got_nodes),
                       ('edges', want[1], set(got_edges)),
                       ('cycle edges', want[2], got_cycle),
                       ('unhandled messages', want[3], got_unhandled)):
        if w != g:
            ok = False
            print('%s: %s differ: missing %s, unexpected %s'
                  % (argv[1], what, sorted(w - g), sorted(g - w)))
    if len(got_edges) != len(want[1]):
        ok = False
        print('%s: %d edges drawn, %d expected' % (argv[1], len(got_edges), len(want[1])))
    if ok:
        print('%s: %d nodes, %d edges, %d on a cycle, %d unhandled'
              % (argv[1], len(got_nodes), len(got_edges), len(got_cycle), len(got_unhandled)))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
