"""msg_reader.py - a small regex reader of the .msg language, independent of
msgbusgen's parser, for the tests that check msgbusgen's outputs against the
schema: what it declares (commands, events, handlers, outbox routes), what
it imports, and what a name written in it refers to.

Run as a program, `msg_reader.py counts FILE.msg [-I DIR]...` prints the
number of outbox routes of the file and of commands and events of the file
and everything it imports."""
import os
import re
import sys

TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?\*/|[^"/]+|/', re.S)


def strip_comments(text):
    return ''.join(t for t in TOKEN.findall(text)
                   if not t.startswith('//') and not t.startswith('/*'))


def unquote(s):
    return re.sub(r'\\(.)', r'\1', s)


class Schema:
    def __init__(self, path, include):
        self.path = path
        text = strip_comments(open(path, encoding='utf-8').read())
        m = re.search(r'\bpackage\s+([\w.]+)\s*;', text)
        self.package = m.group(1) if m else ''
        self.messages = [(k, n) for k, n in
                         re.findall(r'\b(command|event)\s+(\w+)\s*\{', text)]
        self.handlers = []
        for name, inp, emits in re.findall(
                r'\bhandler\s+(\w+)\s*\(\s*([\w.]+)\s*\)\s*(?:emits\s+([^;]*))?;', text):
            self.handlers.append((name, inp,
                                  [e.strip() for e in emits.split(',') if e.strip()]))
        self.routes = [(t, unquote(s)) for t, s in
                       re.findall(r'\boutbox\s+([\w.]+)\s*->\s*("(?:[^"\\]|\\.)*")\s*;', text)]
        self.routes = [(t, s[1:-1]) for t, s in self.routes]
        self.imports = []
        for imp in re.findall(r'\bimport\s+"([^"]+)"\s*;', text):
            for d in [os.path.dirname(path)] + include:
                p = os.path.join(d, imp)
                if os.path.exists(p):
                    self.imports.append(Schema(p, include))
                    break

    def full(self, name):
        return self.package + '.' + name if self.package else name

    def resolve(self, written):
        """Full name of the message `written` names, as msgbusgen would."""
        if '.' in written:
            qual, name = written.rsplit('.', 1)
            for s in [self] + self.imports:
                last = s.package.rsplit('.', 1)[-1]
                if qual in (s.package, last) and any(n == name for _, n in s.messages):
                    return s.full(name)
        else:
            for s in [self] + [i for i in self.imports if i.package == self.package]:
                if any(n == written for _, n in s.messages):
                    return s.full(written)
        raise SystemExit('dot_check: cannot resolve %r' % written)

    def all_schemas(self, seen=None):
        """This file and every file it imports, each once."""
        seen = {} if seen is None else seen
        key = os.path.realpath(self.path)
        if key not in seen:
            seen[key] = self
            for i in self.imports:
                i.all_schemas(seen)
        return list(seen.values())


if __name__ == '__main__':
    if len(sys.argv) < 3 or sys.argv[1] != 'counts':
        sys.exit('usage: msg_reader.py counts FILE.msg [-I DIR]...')
    include = [sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == '-I']
    main = Schema(sys.argv[2], include)
    print(len(main.routes), sum(len(s.messages) for s in main.all_schemas()))
