// asyncapi_parse.js - every AsyncAPI document given must pass the official
// parser (@asyncapi/parser, from .deps/npm) with no error diagnostics, and
// hold what msgbusgen(1) promises: a channel and a send operation per
// outbox route, and a message per command and event whose payload is the
// CloudEvents envelope with `type` fixed to the message's full name.
// Usage: NODE_PATH=.deps/npm/node_modules node asyncapi_parse.js FILE:ROUTES:MESSAGES...
// where ROUTES and MESSAGES are the counts the schema declares.
'use strict';
const fs = require('fs');
const path = require('path');
const { Parser } = require('@asyncapi/parser');

async function check(spec) {
  const [file, routes, messages] = spec.split(':');
  const name = path.basename(file);
  const problems = [];
  const parser = new Parser();
  const { document, diagnostics } = await parser.parse(fs.readFileSync(file, 'utf8'));
  for (const d of diagnostics) {
    // 0 is error; warnings and hints are printed, not failed.
    const where = (d.path || []).join('.');
    if (d.severity === 0) problems.push('error: ' + d.message + ' at ' + where);
    else console.log('  ' + name + ': note (severity ' + d.severity + '): ' + d.code + ' ' + d.message + ' at ' + where);
  }
  if (!document) {
    problems.push('no document');
  } else {
    const channels = document.channels().all();
    const operations = document.operations().all();
    const msgs = document.components().messages().all();
    if (channels.length !== Number(routes)) problems.push(channels.length + ' channels, expected ' + routes);
    if (operations.length !== Number(routes)) problems.push(operations.length + ' operations, expected ' + routes);
    for (const op of operations) {
      if (op.action() !== 'send') problems.push('operation ' + op.id() + ' is ' + op.action());
      if (op.channels().all().length !== 1) problems.push('operation ' + op.id() + ' has no channel');
    }
    if (msgs.length !== Number(messages)) problems.push(msgs.length + ' messages, expected ' + messages);
    for (const m of msgs) {
      const payload = m.payload().json();
      const type = payload.properties && payload.properties.type;
      if (!type || type.const !== m.name()) problems.push('message ' + m.name() + ': type is not fixed to its name');
      if (!payload.properties.data) problems.push('message ' + m.name() + ': no data');
      if (m.contentType() !== 'application/json') problems.push('message ' + m.name() + ': contentType ' + m.contentType());
    }
  }
  for (const p of problems) console.log('FAIL: ' + name + ': ' + p);
  if (!problems.length) console.log('ok: ' + name + ': ' + routes + ' routes, ' + messages + ' messages');
  return problems.length;
}

(async () => {
  let failed = 0;
  for (const spec of process.argv.slice(2)) failed += await check(spec);
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.log('FAIL: ' + e.stack); process.exit(1); });
