// Run by tests/tmlanguage.test: node check-tmlanguage.js GRAMMAR SAMPLE SCHEMA...
// Checks the TextMate grammar: valid JSON, the keys an editor needs, every
// regex compiles, every include resolves; then tokenizes the schemas with a
// small TextMate engine (first match wins, earliest position first, a
// begin/end rule's end tried first) and checks the scopes of tokens found
// by patterns that do not depend on the grammar.  The sample must exercise
// every check.
'use strict';
const fs = require('fs');
const [grammarFile, sampleFile, ...schemas] = process.argv.slice(2);
const failures = [];
const fail = (msg) => failures.push(msg);

let g;
try {
  g = JSON.parse(fs.readFileSync(grammarFile, 'utf8'));
} catch (e) {
  console.log(`FAIL: ${grammarFile}: not JSON: ${e.message}`);
  process.exit(1);
}
if (g.scopeName !== 'source.msgbus') fail(`scopeName is ${g.scopeName}, not source.msgbus`);
if (!Array.isArray(g.fileTypes) || !g.fileTypes.includes('msg')) fail('fileTypes lacks "msg"');
if (!Array.isArray(g.patterns) || g.patterns.length === 0) fail('no top-level patterns');

// ---- every regex compiles, every include resolves ------------------------
const compiled = new Map();
function re(src, where) {
  if (!compiled.has(src)) {
    try {
      compiled.set(src, new RegExp(src, 'dg'));
    } catch (e) {
      fail(`${where}: regex ${JSON.stringify(src)} does not compile: ${e.message}`);
      compiled.set(src, /(?!)/g);
    }
  }
  return compiled.get(src);
}
function walk(rule, where) {
  if (typeof rule !== 'object' || rule === null) return fail(`${where}: not a rule`);
  for (const k of ['match', 'begin', 'end']) if (k in rule) re(rule[k], `${where}.${k}`);
  if ('begin' in rule && !('end' in rule)) fail(`${where}: begin without end`);
  if ('include' in rule && rule.include !== '$self' &&
      !(rule.include.startsWith('#') && g.repository && rule.include.slice(1) in g.repository))
    fail(`${where}: include ${rule.include} does not resolve`);
  (rule.patterns || []).forEach((r, i) => walk(r, `${where}.patterns[${i}]`));
}
g.patterns.forEach((r, i) => walk(r, `patterns[${i}]`));
for (const [k, r] of Object.entries(g.repository || {})) walk(r, `repository.${k}`);

// ---- a small TextMate engine -----------------------------------------------
function leaves(patterns, out = [], seen = new Set()) {
  for (const p of patterns) {
    if (p.include) {
      const target = p.include === '$self' ? { patterns: g.patterns } : g.repository[p.include.slice(1)];
      if (!target || seen.has(target)) continue;
      seen.add(target);
      leaves(target.match || target.begin ? [target] : target.patterns || [], out, seen);
      seen.delete(target);
    } else if (p.match || p.begin) out.push(p);
    else if (p.patterns) leaves(p.patterns, out, seen);
  }
  return out;
}
function exec(src, line, pos) {
  const r = re(src, 'engine');
  r.lastIndex = pos;
  return r.exec(line);
}
// Scopes of each character of each line: arrays of scope names.
function tokenize(text) {
  const stack = [{ rule: null, patterns: g.patterns, scopes: [g.scopeName] }];
  return text.split('\n').map((line) => {
    const scopes = new Array(line.length + 1).fill(null);
    let pos = 0;
    for (let guard = 0; guard < 10 * (line.length + 2); guard++) {
      const top = stack[stack.length - 1];
      let best = null;
      if (top.rule) {
        const m = exec(top.rule.end, line, pos);
        if (m) best = { m, end: true };
      }
      for (const rule of leaves(top.patterns)) {
        const m = exec(rule.match || rule.begin, line, pos);
        if (m && (!best || m.index < best.m.index)) best = { m, rule };
      }
      const stop = best ? best.m.index : line.length;
      for (let i = pos; i < stop; i++) scopes[i] = top.scopes;
      if (!best) break;
      const { m } = best;
      const endAt = m.index + m[0].length;
      const paint = (base, captures) => {
        for (let i = m.index; i < endAt; i++) scopes[i] = base;
        if (!captures) return;
        const d = m.indices;
        for (const [n, c] of Object.entries(captures)) {
          if (!d[n] || !c.name) continue;
          for (let i = d[n][0]; i < d[n][1]; i++) scopes[i] = base.concat(c.name);
        }
      };
      if (best.end) {
        paint(top.scopes, top.rule.endCaptures || top.rule.captures);
        stack.pop();
      } else if (best.rule.match) {
        const base = best.rule.name ? top.scopes.concat(best.rule.name) : top.scopes;
        paint(base, best.rule.captures);
      } else {
        const base = best.rule.name ? top.scopes.concat(best.rule.name) : top.scopes;
        paint(base, best.rule.beginCaptures || best.rule.captures);
        stack.push({ rule: best.rule, patterns: best.rule.patterns || [], scopes: base });
      }
      pos = endAt > pos ? endAt : pos + 1;
      if (pos > line.length) break;
    }
    return scopes;
  });
}

// ---- checks: [pattern whose group 1 marks the token, expected scope] -------
const field = String.raw`^\s*[A-Za-z_]\w*\s*:\s*`;
const types = String.raw`(?:bool|u?int(?:8|16|32|64)|float|double|string|bytes|timestamp|uuid)\b`;
const checks = [
  [String.raw`^\s*(package|import)\b`, /^keyword\.(other\.package|control\.import)\./],
  [String.raw`^\s*package\s+([A-Za-z_])`, /^entity\.name\.namespace\./],
  [String.raw`^\s*import\s+(")`, /^string\.quoted\.double\./],
  [String.raw`^\s*(record|command|event|enum)\b`, /^storage\.type\./],
  [String.raw`^\s*(?:record|command|event|enum)\s+([A-Za-z_])`, /^entity\.name\.type\./],
  [String.raw`^\s*(handler)\b`, /^storage\.type\.handler\./],
  [String.raw`^\s*handler\s+([A-Za-z_])`, /^entity\.name\.function\./],
  [String.raw`^\s*handler\b[^/]*\)\s*(emits)\b`, /^keyword\.other\.emits\./],
  [String.raw`^\s*(outbox)\b`, /^keyword\.other\.outbox\./],
  [String.raw`^\s*outbox\b[^/"]*(->)`, /^keyword\.operator\.arrow\./],
  [String.raw`^\s*(\/\/\/)(?!\/)`, /^comment\.line\.documentation\./],
  [String.raw`^\s*(\/\/)(?!\/(?!\/))`, /^comment\.line\.double-slash\./],
  [String.raw`[^ \t/]\s*(\/\/)(?!\/)[^"]*$`, /^comment\.line\.double-slash\./],
  [String.raw`[^ \t/]\s*(\/\/\/)(?!\/)[^"]*$`, /^comment\.line\.documentation\./],
  [String.raw`^\s*([A-Za-z_])\w*\s*:`, /^variable\.other\.property\./],
  [field + '(' + types + ')', /^support\.type\.primitive\./],
  [field + String.raw`(?:list|map)\s*<(?:string\s*,\s*)?(` + types + ')', /^support\.type\.primitive\./],
  [field + String.raw`(list|map)\b`, /^support\.type\.container\./],
  [field + String.raw`[^/"=;]*(\?)`, /^keyword\.operator\.optional\./],
  [field + String.raw`[^/"=;]*(=)`, /^keyword\.operator\.assignment\./],
  [field + String.raw`[^/"=;]*=\s*(")`, /^string\.quoted\.double\./],
  [field + String.raw`[^/"=;]*=\s*(-?\d+)\s*;`, /^constant\.numeric\.integer\./],
  [field + String.raw`[^/"=;]*=\s*(-?\d+\.\d+)`, /^constant\.numeric\.float\./],
  [field + String.raw`[^/"=;]*=\s*(true|false)\b`, /^constant\.language\.boolean\./],
  [field + String.raw`[^/"=;]*=\s*([A-Z]\w*)\s*;`, /^variable\.other\.enummember\./],
];
const sampleChecks = [
  [String.raw`\/\*.*(record)`, /^comment\.block\./],
  [String.raw`^\s*(\/\/\/\/)`, /^comment\.line\.double-slash\./],
  [String.raw`"[^"]*(\\n)`, /^constant\.character\.escape\./],
  [String.raw`"[^"]*(\\u[0-9a-fA-F]{4})`, /^constant\.character\.escape\./],
  [String.raw`"[^"]*(\\q)`, /^invalid\.illegal\.escape\./],
  [String.raw`=\s*(-?0[xX][0-9A-Fa-f]+)`, /^constant\.numeric\.hex\./],
  [String.raw`=\s*(\d+e\d+)`, /^constant\.numeric\.float\./],
  [String.raw`=\s*(\d+abc)`, /^invalid\.illegal\.numeric\./],
  [String.raw`^\s*enum\s+\w+\s*\{\s*([A-Z])`, /^variable\.other\.enummember\./],
];

let checked = 0;
function checkFile(file, list, mustMatchAll) {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const scopes = tokenize(text);
  let inBlock = false;
  const blockAt = lines.map((l) => {
    const was = inBlock;
    const code = l.replace(/\/\/.*/, '');
    if (/\/\*(?!.*\*\/)/.test(code)) inBlock = true;
    else if (/\*\//.test(code)) inBlock = false;
    return was;
  });
  for (const [src, want] of list) {
    const r = new RegExp(src, 'd');
    let hits = 0;
    lines.forEach((line, i) => {
      if (blockAt[i]) return;
      const m = r.exec(line);
      if (!m) return;
      hits++;
      checked++;
      const col = m.indices[1][0];
      const got = scopes[i][col] || [];
      const inner = got[got.length - 1] || '(none)';
      if (!want.test(inner))
        fail(`${file}:${i + 1}:${col + 1}: /${src}/: expected ${want}, got ${got.join(' ')} in ${JSON.stringify(line)}`);
    });
    if (mustMatchAll && hits === 0) fail(`${file}: nothing matched /${src}/`);
  }
}
for (const file of schemas) checkFile(file, checks, false);
checkFile(sampleFile, checks.concat(sampleChecks), true);

for (const f of failures) console.log('FAIL: ' + f);
console.log(`${Object.keys(g.repository || {}).length} repository rules, ${compiled.size} regexes, ${checked} tokens checked in ${schemas.length + 1} files`);
process.exit(failures.length ? 1 : 0);
