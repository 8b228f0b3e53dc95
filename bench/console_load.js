// console_load.js URL PID - 200 concurrent API requests per round (the
// overview, pages of dead letters with and without filters, row details),
// one warm-up round and 10 measured ones; the server's VmRSS after each.
// First each request alone (median of 5), the baseline of the same run.
'use strict';
const http = require('http');
const fs = require('fs');

const [url, pid] = process.argv.slice(2);
const CONCURRENT = 200;
const ROUNDS = 10;
const agent = new http.Agent({ keepAlive: false, maxSockets: CONCURRENT });

const paths = [
  '/api/overview',
  '/api/rows?state=dead&limit=50',
  '/api/rows?state=dead&type=shop.orders.ProcessOrder&error=timeout%203&limit=25',
  '/api/rows?state=failed&limit=25&offset=1000',
  '/api/row?id=bulk-12345',
  '/api/row?id=bulk-99990',
  '/api/rows?state=processed&limit=100',
];

function get(path) {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => {
    const req = http.get(url + path, { agent, timeout: 60000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ok: res.statusCode === 200, status: res.statusCode,
        ms: Number(process.hrtime.bigint() - t0) / 1e6, path }));
    });
    req.on('error', (e) => resolve({ ok: false, status: e.code, ms: Number(process.hrtime.bigint() - t0) / 1e6, path }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

function rss() {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync('/proc/' + pid + '/status', 'utf8'));
  return m ? Number(m[1]) : 0;
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

(async () => {
  // The baseline, in the same run: each request alone, median of 5.
  for (const p of paths) {
    const alone = [];
    for (let i = 0; i < 5; i++) alone.push((await get(p)).ms);
    alone.sort((a, b) => a - b);
    console.log(`alone ${p}: median ${alone[2].toFixed(1)} ms`);
  }
  const all = [];
  const byPath = new Map(paths.map((p) => [p, []]));
  let failures = 0;
  const mem = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: CONCURRENT },
      (_, i) => get(paths[(i + round) % paths.length])));
    const bad = results.filter((r) => !r.ok);
    const ms = results.map((r) => r.ms).sort((a, b) => a - b);
    mem.push(rss());
    console.log(`round ${round}${round ? '' : ' (warm-up)'}: ${CONCURRENT} requests in ${Date.now() - t0} ms,` +
      ` p50 ${pct(ms, 0.5).toFixed(1)} ms, p99 ${pct(ms, 0.99).toFixed(1)} ms, failed ${bad.length}` +
      (bad.length ? ' ' + JSON.stringify(bad.slice(0, 3)) : '') + `, server RSS ${mem[round]} kB`);
    if (round > 0) {
      all.push(...ms);
      failures += bad.length;
      for (const r of results) byPath.get(r.path).push(r.ms);
    }
  }
  all.sort((a, b) => a - b);
  for (const [p, v] of byPath) {
    v.sort((a, b) => a - b);
    console.log(`  ${p}: p50 ${pct(v, 0.5).toFixed(1)} ms, p99 ${pct(v, 0.99).toFixed(1)} ms (${v.length} requests)`);
  }
  const grew = mem[ROUNDS] / mem[1];
  console.log(`all ${all.length} measured requests: p50 ${pct(all, 0.5).toFixed(1)} ms,` +
    ` p99 ${pct(all, 0.99).toFixed(1)} ms, max ${all[all.length - 1].toFixed(1)} ms, failed ${failures};` +
    ` RSS ${mem[1]} kB after round 1, ${mem[ROUNDS]} kB after round ${ROUNDS} (x${grew.toFixed(2)})`);
  process.exit(failures === 0 && grew < 1.25 ? 0 : 1);
})();
