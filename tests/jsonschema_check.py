"""jsonschema_check.py - the JSON Schema that msgbusgen writes for
schemas/alltypes.msg must accept exactly the documents the decoder accepts.

Usage: jsonschema_check.py SCHEMA.json VERDICT-PROGRAM WORKDIR
           --captured FILE --jsonsuite DIR --fuzz DIR

The documents: every text the codec tests decode (captured from
tests/corpus_codec), every file of JSONTestSuite's test_parsing (as a
document, as the value of an unknown key in a valid document, and, for
files holding a one-element array, that element as the value of several
fields), and the decoder's fuzz corpus.  The decoder's verdict comes from
VERDICT-PROGRAM (tests/codec_verdict.c); the validator is python3-jsonschema
(Draft 2020-12, formats asserted).  A document is accepted by the validator
when it is JSON text in UTF-8 without NaN/Infinity or lone surrogates that
Python can parse and it validates.

Every disagreement fails, except the cases msgbusgen(1) lists as beyond JSON
Schema, recognised by the decoder's own error: a duplicate key, a number with
a fraction or exponent in an integer field, the depth and size limits, and a
timestamp whose offset moves it out of years 1 to 9999."""
import json
import os
import re
import subprocess
import sys

import jsonschema

# The required fields of test.all.Everything with valid values, as raw JSON.
BASE = [(b'b', b'true'), (b'i8', b'0'), (b'i16', b'0'), (b'i32', b'0'), (b'i64', b'0'),
        (b'u8', b'0'), (b'u16', b'0'), (b'u32', b'0'), (b'u64', b'0'), (b'f32', b'0'),
        (b'f64', b'0'), (b's', b'""'), (b'raw', b'""'), (b'at', b'"2024-05-01T12:00:00Z"'),
        (b'id', b'"00000000-0000-0000-0000-000000000000"'), (b'color', b'"RED"'),
        (b'inner', b'{"label":"x","tags":[]}'), (b'numbers', b'[]'),
        (b'unsigned_numbers', b'[]'), (b'inners', b'[]'), (b'colors', b'[]'),
        (b'attrs', b'{}'), (b'counts', b'{}'), (b'places', b'{}')]
EVERYTHING = 'test.all.Everything'
# Fields that take the element of a one-element JSONTestSuite array.
SLOTS = ['s', 'maybe_s', 'i8', 'i64', 'u64', 'maybe_i32', 'f32', 'f64', 'b',
         'raw', 'at', 'id', 'color', 'numbers', 'attrs', 'inner']

# Disagreements the JSON Schema cannot avoid, by the decoder's error text.
BEYOND = [
    ('duplicate key', re.compile(r'duplicate key')),
    ('number with a fraction or exponent in an integer field',
     re.compile(r'expected integer, got -?[0-9]')),
    ('depth or size limit', re.compile(r'^-6 ')),
    ('timestamp moved out of years 1-9999 by its offset',
     re.compile(r'invalid RFC 3339 timestamp "(0001-01-01[Tt].*\+|9999-12-31[Tt].*-[0-9][0-9]:[0-9][0-9]")')),
]


def read_captured(path):
    docs = []
    with open(path, 'rb') as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        nl = data.index(b'\n', pos)
        name = data[pos:nl].decode()
        nl2 = data.index(b'\n', nl + 1)
        n = int(data[nl + 1:nl2])
        docs.append(('codec test', name, data[nl2 + 1:nl2 + 1 + n]))
        pos = nl2 + 1 + n + 1
    return docs


def with_field(key, value):
    """The valid document with key set to value (raw JSON bytes), added when
    it is not a required field."""
    key = key.encode()
    fields = [(k, value if k == key else v) for k, v in BASE]
    if all(k != key for k, _ in BASE):
        fields.append((key, value))
    return b'{' + b','.join(b'"%s":%s' % kv for kv in fields) + b'}'


def suite_docs(directory):
    docs = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith('.json'):
            continue
        with open(os.path.join(directory, name), 'rb') as f:
            text = f.read()
        docs.append(('JSONTestSuite ' + name, EVERYTHING, text))
        docs.append(('JSONTestSuite ' + name + ' as extra', EVERYTHING,
                     with_field('extra', text)))
        m = re.fullmatch(rb'\s*\[(.*)\]\s*', text, re.S)
        if m and len(text) < 10000:
            for slot in SLOTS:
                docs.append(('JSONTestSuite %s in %s' % (name, slot), EVERYTHING,
                             with_field(slot, m.group(1))))
    return docs


# Values at the edges of what each field takes, on both sides.
EDGES = {
    'i8': ['-128', '127', '-129', '128'],
    'i16': ['-32768', '32767', '-32769', '32768'],
    'i32': ['-2147483648', '2147483647', '-2147483649', '2147483648', '-0'],
    'i64': ['-9223372036854775808', '9223372036854775807',
            '-9223372036854775809', '9223372036854775808'],
    'u8': ['0', '255', '-1', '256'],
    'u16': ['65535', '65536'],
    'u32': ['4294967295', '4294967296'],
    'u64': ['18446744073709551615', '18446744073709551616', '-1', '-0'],
    'maybe_i32': ['null', '2147483648'],
    'f32': ['3.4028234663852886e38', '3.4028235677973362e38', '3.4028235677973366e38',
            '-3.4028235677973366e38', '1e39', '1e-50', '-0.0'],
    'f64': ['1.7976931348623157e308', '-1.7976931348623157e308', '1.7976931348623159e308',
            '1e-400', '2e308'],
    'at': ['"0001-01-01T00:00:00Z"', '"0000-12-31T00:00:00Z"', '"2024-02-29T00:00:00Z"',
           '"2023-02-29T00:00:00Z"', '"1900-02-29T00:00:00Z"', '"2000-02-29T00:00:00Z"',
           '"9999-12-31T23:59:59Z"', '"9999-12-31T23:59:59-00:01"',
           '"0001-01-01T00:00:00+00:01"', '"0001-01-01T00:01:00+00:01"',
           '"2024-04-31T00:00:00Z"', '"2024-04-30T24:00:00Z"', '"2024-04-30T23:59:60Z"',
           '"2024-04-30t23:59:59z"', '"2024-04-30T23:59:59.123456789Z"',
           '"2024-04-30T23:59:59.1234567890Z"', '"2024-04-30T23:59:59.Z"',
           '"2024-04-30T23:59:59+23:59"', '"2024-04-30T23:59:59+24:00"',
           '"2024-04-30T23:59:59"', '"2024-04-30 23:59:59Z"', '"\\u0032024-04-30T23:59:59Z"'],
    'id': ['"0123456789abcdef0123456789ABCDEF"', '"01234567-89ab-cdef-0123-456789ABCDEF"',
           '"01234567-89ab-cdef-0123-456789abcde"', '"{01234567-89ab-cdef-0123-456789abcdef}"',
           '"01234567-89ab-cdef-0123-456789abcdeg"'],
    'raw': ['"AA=="', '"AB=="', '"AAA="', '"AAB="', '"AAAA"', '"A==="', '"=AAA"', '"-_-_"',
            '"AA"', '"AAAA\\nAAAA"', '"+/+/"'],
    'color': ['"RED"', '"GREEN"', '"BLUE"', '"red"', '"PURPLE"', '5', 'null'],
    'maybe_color': ['null', '"BLUE"', '"blue"'],
    's': ['"a\\u0000b"', '"\\u00e9\\ud83d\\ude00"', 'null'],
    'maybe_s': ['null', '"\\u0000"'],
    'attrs': ['{"\\u0000":"x"}', '{"a\\u0000":"x"}', '{"k":"\\u0000"}', '{"k":null}'],
    'counts': ['{"k":2147483648}', '{"k":-2147483648}'],
    'places': ['{"k":{"label":"x","tags":[]}}', '{"k":{"tags":[]}}'],
    'inner': ['{"label":"x","tags":[],"next":null}', '{"label":"x","tags":[],"next":{}}',
              '{"label":"x","tags":[],"\\u0000":1}', '{"label":"x"}'],
    'maybe_inner': ['null', '{}'],
    'unsigned_numbers': ['[18446744073709551615]', '[-1]'],
    'colors': ['["RED","BLUE"]', '[null]'],
    'with_default': ['null', '-2147483648'],
    'name_default': ['null', '"\\u0000"'],
    'extra\\u0000': ['1'],
}


def edge_docs():
    return [('edge %s=%s' % (k, v), EVERYTHING, with_field(k, v.encode()))
            for k, values in EDGES.items() for v in values]


def fuzz_docs(directory):
    docs = []
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), 'rb') as f:
            docs.append(('fuzz ' + name, EVERYTHING, f.read()))
    return docs


def no_constant(name):
    raise ValueError('not JSON: ' + name)


def has_lone_surrogate(value):
    todo = [value]
    while todo:
        v = todo.pop()
        if isinstance(v, str):
            if re.search('[\ud800-\udfff]', v):
                return True
        elif isinstance(v, list):
            todo.extend(v)
        elif isinstance(v, dict):
            todo.extend(v.keys())
            todo.extend(v.values())
    return False


def validator_verdict(validators, schema, type_name, text):
    try:
        value = json.loads(text.decode('utf-8'), parse_constant=no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        return False, 'not parsed: %s' % str(e)[:80]
    if has_lone_surrogate(value):
        return False, 'lone surrogate'
    v = validators.get(type_name)
    if v is None:
        root = dict(schema)
        root['$ref'] = '#/$defs/' + type_name
        v = jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())
        validators[type_name] = v
    try:
        error = jsonschema.exceptions.best_match(v.iter_errors(value))
    except RecursionError:
        return False, 'too deep for the validator'
    return error is None, None if error is None else error.message[:100]


def main(argv):
    schema_path, verdict_program, work = argv[1:4]
    opts = dict(zip(argv[4::2], argv[5::2]))
    schema = json.load(open(schema_path))
    jsonschema.Draft202012Validator.check_schema(schema)

    docs = read_captured(opts['--captured'])
    n_captured = len(docs)
    docs += suite_docs(opts['--jsonsuite'])
    docs += fuzz_docs(opts['--fuzz'])
    docs += edge_docs()

    corpus = os.path.join(work, 'corpus')
    with open(corpus, 'wb') as f:
        for _, type_name, text in docs:
            f.write(b'%s\n%d\n%s\n' % (type_name.encode(), len(text), text))
    verdicts = subprocess.run([verdict_program, corpus], check=True,
                              stdout=subprocess.PIPE).stdout.decode('utf-8', 'replace').split('\n')[:-1]
    if len(verdicts) != len(docs):
        print('FAIL: %d verdicts for %d documents' % (len(verdicts), len(docs)))
        return 1

    validators = {}
    counts = {'accept': 0, 'reject': 0, 'skip': 0}
    beyond = {}
    failures = 0
    for (origin, type_name, text), verdict in zip(docs, verdicts):
        if verdict == 'skip':
            counts['skip'] += 1
            continue
        decoder_ok = verdict == 'accept'
        counts['accept' if decoder_ok else 'reject'] += 1
        ok, why = validator_verdict(validators, schema, type_name, text)
        if ok == decoder_ok:
            continue
        reason = None
        if not decoder_ok:
            error = verdict[len('reject '):]
            for label, pattern in BEYOND:
                if pattern.search(error):
                    reason = label
                    break
        if reason:
            beyond[reason] = beyond.get(reason, 0) + 1
            continue
        failures += 1
        if failures <= 30:
            print('FAIL: %s (%s): decoder %s, validator %s%s\n      %r'
                  % (origin, type_name, verdict, 'accepts' if ok else 'rejects',
                     '' if ok else ' (%s)' % why, text[:300]))
    print('%d documents (%d from the codec tests): decoder accepts %d, rejects %d; '
          '%d of types outside alltypes skipped'
          % (len(docs), n_captured, counts['accept'], counts['reject'], counts['skip']))
    for label, n in sorted(beyond.items()):
        print('  beyond JSON Schema (listed in msgbusgen(1)): %s: %d' % (label, n))
    if n_captured < 50:
        print('FAIL: only %d documents captured from the codec tests' % n_captured)
        failures += 1
    print('%d disagreements' % failures)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
