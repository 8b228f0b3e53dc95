// console_browser.js - drives the console's pages in Debian's headless
// Chromium with puppeteer-core (never a downloaded browser).
//   node console_browser.js walkthrough URL OUTDIR TOOL DB
//   node console_browser.js hostile URL OUTDIR
//   node console_browser.js csrf URL OUTDIR
// Prints "ok: ..." per check and "FAIL: ..." on failure; exits 1 on any
// failure.  Screenshots go to OUTDIR.  Every wait is bounded.
'use strict';
const puppeteer = require('puppeteer-core');
const { execFileSync } = require('child_process');
const http = require('http');
const path = require('path');

const [mode, url, outdir, tool, db] = process.argv.slice(2);
const T = 15000;
let failed = 0;
function check(name, cond, detail) {
  if (cond) console.log('ok: ' + name);
  else { console.log('FAIL: ' + name + (detail !== undefined ? ': ' + JSON.stringify(detail) : '')); failed++; }
}

async function text(page, sel) {
  return page.$eval(sel, (e) => e.textContent);
}

async function waitText(page, sel, want) {
  try {
    await page.waitForFunction((s, w) => {
      const e = document.querySelector(s);
      return e && !e.closest('[hidden]') && (w.re ? new RegExp(w.re).test(e.textContent) : e.textContent.includes(w.s));
    }, { timeout: T }, sel, want instanceof RegExp ? { re: want.source } : { s: want });
    return true;
  } catch (e) {
    return false;
  }
}

async function rowIds(page) {
  return page.$$eval('#rows-body tr', (trs) => trs.map((t) => t.getAttribute('data-id')));
}

async function waitRows(page, n) {
  try {
    await page.waitForFunction((k) => document.querySelectorAll('#rows-body tr').length === k &&
      !document.querySelector('#view-rows').hidden, { timeout: T }, n);
  } catch (e) { /* checked by the caller */ }
  return rowIds(page);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(outdir, name), fullPage: true });
}

async function confirmDialog(page) {
  await page.waitForSelector('#confirm[open]', { timeout: T });
  const question = await text(page, '#confirm-text');
  await page.click('#confirm-ok');
  return question;
}

async function walkthrough(page) {
  await page.goto(url + '/', { waitUntil: 'load' });
  check('the overview shows the planted dead letters', await waitText(page, '#count-dead', '5'));
  const counts = {};
  for (const k of ['pending', 'failed', 'dead', 'processed']) counts[k] = await text(page, '#count-' + k);
  check('and every planted count', JSON.stringify(counts) ===
    JSON.stringify({ pending: '3', failed: '1', dead: '5', processed: '4' }), counts);
  check('the age of the oldest pending row', /\d+ (s|min)/.test(await text(page, '#age-pending')));
  check('processed per minute', (await text(page, '#rate-processed')) === '4');
  check('no banner while the database is fine', await page.$eval('#banner', (b) => b.hidden));
  await shot(page, 'console-overview.png');

  await page.click('#nav-rows');
  let ids = await waitRows(page, 5);
  check('the dead letters', ids.length === 5, ids);
  await page.type('#filter-type', 'shop.orders.ProcessOrder');
  await page.click('#filter-apply');
  ids = await waitRows(page, 3);
  check('filtered by type', JSON.stringify(ids) === '["dead-pay-1","dead-pay-2","dead-pay-3"]', ids);
  await page.$eval('#filter-type', (e) => { e.value = ''; });
  await page.type('#filter-error', 'mailbox');
  await page.click('#filter-apply');
  ids = await waitRows(page, 2);
  check('filtered by error text', JSON.stringify(ids) === '["dead-mail-1","dead-mail-2"]', ids);
  const cells = await page.$$eval('#rows-body tr:first-child td', (tds) => tds.map((t) => t.textContent));
  check('a row shows type, attempts, error, age',
    cells[0] === 'shop.orders.OrderProcessed' && cells[1] === '1' &&
    cells[2] === 'console_plant: mailer refused: 550 mailbox full' && /\d+ s|min/.test(cells[3]), cells);
  await shot(page, 'console-dead-letters.png');

  await page.click('#rows-body tr[data-id="dead-mail-1"]');
  check('the detail view pretty-prints the payload',
    await waitText(page, '#row-payload', '"order_id": 7'));
  check('with the full error', (await text(page, '#row-error')).includes('550 mailbox full'));
  check('the meta', (await text(page, '#row-meta')).includes('"source": "console_plant"'));
  check('the correlation id', (await text(page, 'dd[data-field="correlation id"]')) ===
    '0190aaaa-0000-7000-8000-000000000001');
  check('the trace id', (await text(page, 'dd[data-field="trace id"]')) === '4bf92f3577b34da6a3ce929d0e0e4736');
  check('state dead', (await text(page, 'dd[data-field="state"]')) === 'dead');
  await shot(page, 'console-row.png');

  await page.click('#row-retry');
  const question = await confirmDialog(page);
  check('retry asks first', /Retry the dead row dead-mail-1/.test(question), question);
  check('the row becomes pending', await waitText(page, 'dd[data-field="state"]', 'pending'));
  // A relay runs (the CLI's): the page, still open, sees the row processed.
  const out = execFileSync(tool, ['--db', db, 'relay', '--ndjson', '--once'], { timeout: T }).toString();
  check('the relay sent it', out.includes('"id":"dead-mail-1"'));
  check('the open page shows it processed', await waitText(page, 'dd[data-field="state"]', 'processed'));
  await shot(page, 'console-row-processed.png');

  // Bulk retry with its confirmation, of the one remaining mail dead letter.
  await page.goto(url + '/#/rows?state=dead&error=mailbox', { waitUntil: 'load' });
  ids = await waitRows(page, 1);
  check('one mail dead letter left', JSON.stringify(ids) === '["dead-mail-2"]', ids);
  await page.click('#retry-all');
  const q2 = await confirmDialog(page);
  check('retry all asks with the count', /Retry 1 dead rows whose error contains "mailbox"/.test(q2), q2);
  check('and retries', await waitText(page, '#toast', '1 rows made pending'));

  await page.click('#nav-flow');
  try {
    await page.waitForSelector('#flow-svg svg g.node', { timeout: T });
  } catch (e) { /* checked below */ }
  const nodes = await page.$$eval('#flow-svg g.node title', (ts) => ts.map((t) => t.textContent));
  check('the flow is drawn, nodes by full name', nodes.includes('shop.orders.ProcessOrder') &&
    nodes.includes('shop.orders.process_order'), nodes);
  const failing = await page.$$eval('#flow-svg g.failing', (gs) => gs.map((g) =>
    [g.querySelector('title').textContent, g.getAttribute('data-failing'), g.querySelector('text.badge').textContent]));
  check('failing types highlighted with counts', JSON.stringify(failing) ===
    JSON.stringify([['shop.orders.ProcessOrder', '3', '3 dead'], ['shop.orders.OrderRejected', '1', '1 failing']]), failing);
  await shot(page, 'console-flow.png');

  // The database goes away (its table is renamed): a clear banner.
  execFileSync('sqlite3', [db, 'ALTER TABLE msgbus_outbox RENAME TO gone'], { timeout: T });
  await page.click('#nav-overview');
  check('a banner when the database cannot be read', await waitText(page, '#banner', /Database unreachable: .*(no such table|no outbox table)/));
  await shot(page, 'console-banner.png');
  execFileSync('sqlite3', [db, 'ALTER TABLE gone RENAME TO msgbus_outbox'], { timeout: T });
  check('and it goes when the database is back', await page.waitForFunction(
    () => document.querySelector('#banner').hidden, { timeout: T }).then(() => true, () => false));
}

const EVIL_TYPE = 'shop.orders.<img src=x onerror=window.__pwned=1>';

async function hostile(page) {
  await page.goto(url + '/#/rows?state=dead', { waitUntil: 'load' });
  const ids = await waitRows(page, 6);
  check('the hostile row is listed', ids.includes('evil-1'), ids);
  const cells = await page.$$eval('#rows-body tr[data-id="evil-1"] td', (tds) => tds.map((t) => t.textContent));
  check('its type shows as text', cells[0] === EVIL_TYPE, cells);
  check('its error shows as text', cells[2] ===
    'console_plant: "><img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>', cells);
  await shot(page, 'console-hostile-list.png');
  await page.click('#rows-body tr[data-id="evil-1"]');
  check('the payload shows as text', await waitText(page, '#row-payload', '"customer": "<script>window.__pwned=1</script>"'));
  check('with the list item', (await text(page, '#row-payload')).includes('"\\"><img src=x onerror=\\"window.__pwned=1\\">"'));
  check('the meta shows as text', (await text(page, '#row-meta')).includes('"<svg onload=window.__pwned=1>"'));
  check('the correlation id shows as text',
    (await text(page, 'dd[data-field="correlation id"]')) === '<script>window.__pwned=1</script>');
  check('the error shows as text', (await text(page, '#row-error')).includes('second line <b>bold</b>'));
  await shot(page, 'console-hostile-row.png');
  await page.click('#nav-flow');
  check('the flow lists the hostile type as text', await waitText(page, '#flow-failing', EVIL_TYPE));
}

// A page of another origin tries to retry a row: with the browser's
// cookies (a form POST, and fetch with credentials).  Nothing may change.
async function csrf(page) {
  await page.goto(url + '/', { waitUntil: 'load' });      // the operator's session cookie
  await waitText(page, '#count-dead', '5');
  const evil = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end('<!DOCTYPE html><form id="f" method="post" action="' + url +
      '/api/row/retry?id=dead-pay-1"></form><script>' +
      'fetch("' + url + '/api/rows/retry?state=dead", {method: "POST", credentials: "include",' +
      ' headers: {"X-CSRF-Token": "guess"}}).catch(() => {}).finally(() => ' +
      'fetch("' + url + '/api/row/retry?id=dead-pay-2", {method: "POST", credentials: "include",' +
      ' mode: "no-cors"}).catch(() => {}).finally(() => { window.done = 1; document.getElementById("f").submit(); }));' +
      '</script>');
  });
  await new Promise((r) => evil.listen(0, '127.0.0.1', r));
  const evilUrl = 'http://127.0.0.1:' + evil.address().port + '/';
  const other = await page.browser().newPage();
  await other.goto(evilUrl, { waitUntil: 'load' });
  try { await other.waitForNavigation({ timeout: 5000 }); } catch (e) { /* the form's answer */ }
  const answer = await other.evaluate(() => document.body ? document.body.textContent : '');
  check('the cross-site form POST is refused', /refused|CSRF|session/.test(answer), answer.slice(0, 200));
  await other.close();
  evil.close();
  await page.reload({ waitUntil: 'load' });
  check('nothing changed: still 5 dead letters', await waitText(page, '#count-dead', '5'));
}

(async () => {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    timeout: T,
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 800 });
  const dialogs = [];
  const errors = [];
  const violations = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.evaluateOnNewDocument(() => {
    window.__pwned = 0;
    document.addEventListener('securitypolicyviolation', (e) => {
      (window.__violations = window.__violations || []).push(e.violatedDirective + ' ' + e.blockedURI);
    });
  });
  const timer = setTimeout(() => { console.log('FAIL: the browser test took over 120 s'); process.exit(1); }, 120000);
  try {
    if (mode === 'walkthrough') await walkthrough(page);
    else if (mode === 'hostile') await hostile(page);
    else if (mode === 'csrf') await csrf(page);
    else throw new Error('unknown mode ' + mode);
    const pwned = await page.evaluate(() => window.__pwned);
    const v = await page.evaluate(() => window.__violations || []);
    const imgs = await page.evaluate(() => document.querySelectorAll('img').length);
    const scripts = await page.evaluate(() => [...document.scripts].map((s) => s.src));
    check('no injected script ran', pwned === 0, pwned);
    check('no native dialog opened', dialogs.length === 0, dialogs);
    check('no Content-Security-Policy violation (nothing even tried)', v.length === 0, v);
    check('no injected element in the page', imgs === 0 && scripts.length === 1, { imgs, scripts });
    const real = errors.filter((e) => !/status of (404|409|503)/.test(e));
    check('no script error in the page', real.length === 0, real);
  } catch (e) {
    console.log('FAIL: ' + e.stack);
    failed++;
  }
  clearTimeout(timer);
  await browser.close();
  process.exit(failed ? 1 : 0);
})();
