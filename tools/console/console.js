// console.js - the pages of `msgbus-outbox serve`, over its JSON API
// (msgbus-outbox(1)).  Every text from the server goes into the page with
// textContent, never as markup: payloads, meta and errors come from
// whoever wrote the messages.
'use strict';

const $ = (id) => document.getElementById(id);
let csrf = null;
let readOnly = false;
let timer = null;

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function toast(text, bad) {
  const t = $('toast');
  t.textContent = text;
  t.className = bad ? 'toast bad' : 'toast';
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 5000);
}

function banner(text) {
  const b = $('banner');
  b.textContent = text || '';
  b.hidden = !text;
}

async function session() {
  const r = await fetch('/api/session', { credentials: 'same-origin' });
  if (r.status === 401) { location.href = '/login'; return; }
  const s = await r.json();
  csrf = s.csrf_token;
  readOnly = s.read_only;
  $('database').textContent = s.database + (s.read_only ? ' (read-only)' : '');
}

// GET or POST an API path; resolves to [status, body].
async function api(path, method) {
  const post = method === 'POST';
  for (let attempt = 0; attempt < 2; attempt++) {
    const headers = post ? { 'X-CSRF-Token': csrf || '' } : {};
    let r;
    try {
      r = await fetch(path, { method: method || 'GET', headers, credentials: 'same-origin' });
    } catch (e) {
      banner('The console itself cannot be reached: ' + e.message);
      throw e;
    }
    if (r.status === 401) { location.href = '/login'; throw new Error('signed out'); }
    const body = (r.headers.get('Content-Type') || '').startsWith('application/json')
      ? await r.json() : await r.text();
    if (post && r.status === 403 && attempt === 0 && /CSRF/.test(body.error || '')) {
      await session();            // the server forgot the session: a new one
      continue;
    }
    if (r.status === 503) banner('Database unreachable: ' + (body.error || r.statusText));
    return [r.status, body];
  }
}

function ask(text) {
  return new Promise((resolve) => {
    const d = $('confirm');
    $('confirm-text').textContent = text;
    d.returnValue = '';
    d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true });
    d.showModal();
  });
}

function age(ms) {
  if (ms === null || ms === undefined) return '–';
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  return Math.floor(s / 86400) + ' d ' + Math.floor((s % 86400) / 3600) + ' h';
}

function rate(v) {
  return v === null || v === undefined ? 'measuring…' : String(v);
}

// ---- views -------------------------------------------------------------

async function overview() {
  const [status, o] = await api('/api/overview');
  if (status !== 200 && status !== 503) return;
  banner(o.database.ok ? '' : 'Database unreachable: ' + o.database.error +
         ' (showing the last counts known)');
  for (const k of ['pending', 'in_flight', 'failed', 'dead', 'processed'])
    $('count-' + k).textContent = String(o.counts[k]);
  $('age-pending').textContent = age(o.oldest_pending_age_ms);
  $('age-due').textContent = age(o.oldest_due_age_ms);
  $('rate-processed').textContent = o.database.ok ? rate(o.processed_per_minute) : '–';
  $('rate-failures').textContent = o.database.ok ? rate(o.failures_per_minute) : '–';
  $('sampled-at').textContent = o.sampled_at || '–';
}

function filterFromHash(query) {
  const p = new URLSearchParams(query);
  return {
    state: p.get('state') || 'dead', type: p.get('type') || '', error: p.get('error') || '',
    offset: Number(p.get('offset') || 0),
  };
}

function filterQuery(f, withOffset) {
  const p = new URLSearchParams({ state: f.state });
  if (f.type) p.set('type', f.type);
  if (f.error) p.set('error', f.error);
  if (withOffset && f.offset) p.set('offset', String(f.offset));
  return p.toString();
}

const PAGE = 25;

async function rows(query) {
  const f = filterFromHash(query);
  $('filter-state').value = f.state;
  $('filter-type').value = f.type;
  $('filter-error').value = f.error;
  $('retry-all').disabled = readOnly || !['dead', 'failed'].includes(f.state);
  $('purge-all').disabled = readOnly || !['dead', 'processed'].includes(f.state);
  const [status, r] = await api('/api/rows?' + filterQuery(f, true) + '&limit=' + PAGE);
  const body = $('rows-body');
  body.replaceChildren();
  if (status !== 200) { toast(r.error || 'error ' + status, true); return; }
  for (const row of r.rows) {
    const tr = el('tr', { 'data-id': row.id },
      el('td', { text: row.type }), el('td', { text: String(row.attempts) }),
      el('td', { class: 'error', text: row.error || '' }), el('td', { text: age(row.age_ms) }),
      el('td', { class: 'id', text: row.id }));
    tr.addEventListener('click', () => { location.hash = '#/row/' + encodeURIComponent(row.id); });
    body.append(tr);
  }
  $('rows-empty').hidden = r.rows.length > 0;
  $('page-info').textContent = r.rows.length
    ? 'rows ' + (f.offset + 1) + '–' + (f.offset + r.rows.length) : '';
  $('page-prev').disabled = f.offset === 0;
  $('page-next').disabled = !r.more;
  $('page-prev').onclick = () => go({ ...f, offset: Math.max(0, f.offset - PAGE) });
  $('page-next').onclick = () => go({ ...f, offset: f.offset + PAGE });
  $('retry-all').onclick = () => bulk('retry', f);
  $('purge-all').onclick = () => bulk('purge', f);
}

function go(f) {
  location.hash = '#/rows?' + filterQuery(f, true);
}

function describe(f) {
  let t = f.state + ' rows';
  if (f.type) t += ' of type ' + f.type;
  if (f.error) t += ' whose error contains "' + f.error + '"';
  return t;
}

async function bulk(action, f) {
  const [s1, dry] = await api('/api/rows/' + action + '?' + filterQuery(f) + '&dry_run=1', 'POST');
  if (s1 !== 200) { toast(dry.error || 'error ' + s1, true); return; }
  if (dry.matching === 0) { toast('No ' + describe(f) + ' to ' + action + '.'); return; }
  const verb = action === 'retry' ? 'Retry' : 'Purge (delete for good)';
  if (!await ask(verb + ' ' + dry.matching + ' ' + describe(f) + '?')) return;
  const [s2, done] = await api('/api/rows/' + action + '?' + filterQuery(f), 'POST');
  if (s2 !== 200) { toast(done.error || 'error ' + s2, true); return; }
  toast((action === 'retry' ? done.retried + ' rows made pending' : done.purged + ' rows purged') + '.');
  route();
}

// JSON indented; a text that is not JSON (the server says why) as it is.
function pretty(value, notJson) {
  if (value === null || value === undefined) return '–';
  return notJson ? value : JSON.stringify(value, null, 2);
}

async function row(id) {
  const [status, r] = await api('/api/row?id=' + encodeURIComponent(id));
  $('row-id').textContent = id;
  const dl = $('row-fields');
  dl.replaceChildren();
  if (status !== 200) {
    $('row-error').textContent = r.error || 'error ' + status;
    $('row-payload').textContent = $('row-meta').textContent = '';
    $('row-retry').disabled = $('row-purge').disabled = true;
    return;
  }
  const fields = [['state', r.state], ['type', r.type], ['kind', r.kind],
    ['attempts', String(r.attempts)], ['created', r.created_at], ['available', r.available_at],
    ['dead-lettered', r.dead_at], ['processed', r.processed_at], ['leased by', r.locked_by],
    ['correlation id', r.correlation_id], ['causation id', r.causation_id],
    ['trace id', r.trace_id], ['traceparent', r.traceparent]];
  for (const [k, v] of fields)
    dl.append(el('dt', { text: k }), el('dd', { text: v === null || v === undefined ? '–' : v,
      'data-field': k }));
  $('row-error').textContent = r.last_error === null ? '–' : r.last_error;
  $('row-payload').textContent = pretty(r.payload, r.payload_error) +
    (r.payload_error ? '\n\n(not valid JSON: ' + r.payload_error + ')' : '');
  $('row-meta').textContent = pretty(r.meta, r.meta_error);
  $('row-retry').disabled = readOnly || !['dead', 'failed'].includes(r.state);
  $('row-purge').disabled = readOnly || !['dead', 'processed'].includes(r.state);
  $('row-retry').onclick = () => one('retry', r);
  $('row-purge').onclick = () => one('purge', r);
  $('row-back').href = '#/rows?state=' + (r.state === 'failed' ? 'failed' : 'dead');
  // Watch a pending row until a relay has processed it.
  if (r.state === 'pending' || r.state === 'failed')
    timer = setTimeout(() => { if (location.hash === '#/row/' + encodeURIComponent(id)) row(id); }, 2000);
}

async function one(action, r) {
  const verb = action === 'retry' ? 'Retry' : 'Purge (delete for good)';
  if (!await ask(verb + ' the ' + r.state + ' row ' + r.id + ' (' + r.type + ')?')) return;
  const [status, done] = await api('/api/row/' + action + '?id=' + encodeURIComponent(r.id), 'POST');
  if (status !== 200) { toast(done.error || 'error ' + status, true); return; }
  toast(action === 'retry' ? 'Row made pending: a relay will pick it up.' : 'Row purged.');
  if (action === 'purge') location.hash = '#/rows?state=' + r.state;
  else row(r.id);
}

// Graphviz writes one <g class="node"><title>FULL.NAME</title>... per node.
function sanitizeSvg(svg) {
  for (const bad of svg.querySelectorAll('script, foreignObject, iframe, object, embed'))
    bad.remove();
  for (const e of svg.querySelectorAll('*')) {
    for (const a of [...e.attributes]) {
      if (/^on/i.test(a.name) || (/href$/i.test(a.name) && !/^#/.test(a.value))) e.removeAttribute(a.name);
    }
  }
  return svg;
}

async function flow() {
  const [status, f] = await api('/api/flow');
  const box = $('flow-svg');
  box.replaceChildren();
  const list = $('flow-failing');
  list.replaceChildren();
  if (status !== 200) { toast(f.error || 'error ' + status, true); return; }
  const failing = new Map(f.failing.map((t) => [t.type, t]));
  for (const t of f.failing) {
    const a = el('a', { href: '#/rows?' + new URLSearchParams({ state: t.dead ? 'dead' : 'failed', type: t.type }),
      text: t.type });
    list.append(el('li', { 'data-type': t.type }, a, ' — ' + t.dead + ' dead, ' + t.failed + ' failing'));
  }
  if (!f.failing.length) list.append(el('li', { text: 'none' }));
  $('flow-reason').hidden = f.available;
  $('flow-reason').textContent = f.available ? '' : 'No picture: ' + f.reason;
  if (!f.available) return;
  const r = await fetch('/api/flow.svg', { credentials: 'same-origin' });
  if (!r.ok) return;
  const doc = new DOMParser().parseFromString(await r.text(), 'image/svg+xml');
  const svg = doc.documentElement;
  if (svg.nodeName !== 'svg') return;
  box.append(document.importNode(sanitizeSvg(svg), true));
  for (const g of box.querySelectorAll('g.node')) {
    const title = g.querySelector('title');
    const t = title && failing.get(title.textContent);
    if (!t) continue;
    g.classList.add('failing');
    g.setAttribute('data-failing', String(t.dead + t.failed));
    const b = g.getBBox();
    const badge = document.createElementNS('http://www.w3.org/2000/svg', 'text');
    badge.setAttribute('class', 'badge');
    badge.setAttribute('x', String(b.x + b.width + 4));
    badge.setAttribute('y', String(b.y + 10));
    badge.textContent = (t.dead ? t.dead + ' dead' : '') + (t.dead && t.failed ? ', ' : '') +
      (t.failed ? t.failed + ' failing' : '');
    g.append(badge);
  }
}

// ---- routing -------------------------------------------------------------

async function route() {
  clearInterval(timer);
  clearTimeout(timer);
  const hash = location.hash || '#/overview';
  const [path, query] = hash.slice(1).split('?');
  let view = 'overview';
  if (path.startsWith('/row/')) view = 'row';
  else if (path === '/rows') view = 'rows';
  else if (path === '/flow') view = 'flow';
  for (const v of document.querySelectorAll('.view')) v.hidden = v.id !== 'view-' + view;
  for (const a of document.querySelectorAll('nav a'))
    a.classList.toggle('active', a.id === 'nav-' + (view === 'row' ? 'rows' : view));
  if (view === 'overview') {
    await overview();
    timer = setInterval(() => overview().catch(() => {}), 3000);
  } else if (view === 'rows') {
    await rows(query || '');
  } else if (view === 'row') {
    await row(decodeURIComponent(path.slice(5)));
  } else {
    await flow();
  }
}

document.addEventListener('DOMContentLoaded', async () => {
  $('filter').addEventListener('submit', (e) => {
    e.preventDefault();
    go({ state: $('filter-state').value, type: $('filter-type').value.trim(),
      error: $('filter-error').value, offset: 0 });
  });
  window.addEventListener('hashchange', () => route().catch(() => {}));
  await session();
  document.body.setAttribute('data-ready', '1');
  await route().catch(() => {});
});
