// jsonschema_ajv.js - ajv (2020-12, strict, formats) must compile every
// definition of each JSON Schema document given, and validate a sample.
// Usage: NODE_PATH=.deps/npm/node_modules node jsonschema_ajv.js FILE...
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

let failed = 0;
for (const file of process.argv.slice(2)) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  try {
    ajv.addSchema(doc);
    for (const name of Object.keys(doc.$defs)) {
      if (!ajv.getSchema(doc.$id + '#/$defs/' + name)) throw new Error('no ' + name);
    }
    console.log('ok: ' + path.basename(file) + ': ' + Object.keys(doc.$defs).length + ' definitions');
  } catch (e) {
    console.log('FAIL: ' + path.basename(file) + ': ' + e.message);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
