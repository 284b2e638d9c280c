// ci-tracing report page. Every name, attribute and id comes from an untrusted trace
// file: it is only ever put into the page with textContent or createElement, never as
// HTML. The trace list is virtualised (only visible rows exist) and the waterfall is
// built for the selected trace only, so 200,000 spans stay responsive.
// Attributes, events, links, kind, scope and resource pass through from the file as
// raw JSON of any shape (`summary` does not check them): they are read only through
// `text`, `isObject`, `has` and `pairsOf`, so that no shape can make the page throw.
(function () {
  'use strict';
  // Span fields, as ci-tracing writes them (src/report/data.rs).
  const TRACE = 0, SPAN = 1, PARENT = 2, NAME = 3, RES = 4, SEC = 5, NANOS = 6, DUR = 7;
  const CODE = 8, MESSAGE = 9, KIND = 10, ATTRS = 11, EVENTS = 12, LINKS = 13, SCOPE = 14;
  const ROW = 26, MAX_WATERFALL_ROWS = 5000;
  const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
  const STATUS = ['unset', 'ok', 'error'];
  const MARKS = {
    orphan: 'its parent span is not in the file: shown at the root',
    cycle: 'its chain of parents loops back to it: cut here and shown at the root',
  };

  const rows = JSON.parse(document.getElementById('trace-data').textContent);
  const meta = JSON.parse(document.getElementById('trace-meta').textContent);
  const resources = [];
  const spans = [];
  for (const row of rows) {
    if (Array.isArray(row)) spans.push(row); else resources.push(row);
  }
  const serviceOf = (s) => resources[s[RES]].service;
  const services = Array.from(new Set(resources.map((r) => r.service))).sort();
  const colours = new Map(services.map((name, i) => [name, 'hsl(' + Math.round((i * 137.508) % 360) + ' 62% 56%)']));

  const absent = (v) => v === null || v === undefined;
  // Any JSON value as text. Never String(value) on an object: one from the file may
  // have a "toString" key that is not a function, and String() would throw.
  function text(v) {
    if (absent(v)) return '';
    if (typeof v === 'string') return v;
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  const has = (v, key) => isObject(v) && Object.prototype.hasOwnProperty.call(v, key);
  const nameOf = (s) => s[NAME] || '(no name)';

  function el(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined && content !== null) node.textContent = text(content);
    return node;
  }

  function fmtDuration(ns) {
    if (ns < 0) return '-' + fmtDuration(-ns);
    const units = [[3.6e12, 'h'], [6e10, 'min'], [1e9, 's'], [1e6, 'ms'], [1e3, 'µs']];
    for (const [scale, unit] of units) {
      if (ns >= scale) return Number((ns / scale).toPrecision(3)) + ' ' + unit;
    }
    return Math.round(ns) + ' ns';
  }

  function fmtTime(sec, nanos) {
    if (!sec && !nanos) return '(not set)';
    const date = new Date(sec * 1000);
    if (Number.isNaN(date.getTime())) return sec + ' s since 1970';
    return date.toISOString().slice(0, 19) + '.' + String(Math.floor(nanos / 1e6)).padStart(3, '0') + 'Z';
  }

  // A trace's start in the list: the time of day, with the date in front when the
  // traces start on more than one day (UTC).
  function fmtListTime(t, dated) {
    if (!t.sec && !t.nanos) return '—';
    const full = fmtTime(t.sec, t.nanos);
    return dated ? full.slice(0, 10) + ' ' + full.slice(11, 19) : full.slice(11, 23);
  }

  // One object per trace; spans without a trace id form one group of their own.
  function buildTraces() {
    const byId = new Map();
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i];
      const id = s[TRACE] || '';
      let t = byId.get(id);
      if (!t) {
        t = { id, spans: [], sec: s[SEC], nanos: s[NANOS], start: Infinity, end: -Infinity, errors: 0, services: new Set(), names: [] };
        byId.set(id, t);
      }
      t.spans.push(i);
      const start = s[SEC] * 1e3 + s[NANOS] / 1e6;
      if (start < t.start) { t.start = start; t.sec = s[SEC]; t.nanos = s[NANOS]; t.first = i; }
      t.end = Math.max(t.end, start + s[DUR] / 1e6);
      if (s[CODE] === 2) t.errors++;
      t.services.add(serviceOf(s));
      if (!s[PARENT] && (t.root === undefined || start < t.rootStart)) { t.root = i; t.rootStart = start; }
    }
    const list = Array.from(byId.values());
    for (const t of list) {
      const head = spans[t.root !== undefined ? t.root : t.first];
      t.name = t.id ? nameOf(head) : '(spans without ids)';
      t.service = serviceOf(head);
      t.duration = Math.max(0, t.end - t.start);
      t.search = Array.from(new Set(t.spans.map((i) => text(spans[i][NAME]).toLowerCase()))).join('\n');
    }
    return list;
  }

  // `report --compare BASE`: each (service, span name)'s change against the base run,
  // as rows [service, name, flags, p50 change, p95 change, base p50 ns, head p50 ns].
  const compared = isObject(meta.compare) && Array.isArray(meta.compare.rows) ? meta.compare : null;
  const changes = new Map();
  if (compared) for (const r of compared.rows) if (Array.isArray(r)) changes.set(text(r[0]) + '\n' + text(r[1]), r);
  const FLAG_WORDS = { new_errors: 'new errors', slower: 'slower', new: 'new', vanished: 'vanished', faster: 'faster' };
  const pct = (v) => (v >= 0 ? '+' : '') + Math.round(v * 100) + '%';
  const flagsOf = (r) => (Array.isArray(r[2]) ? r[2].filter((f) => has(FLAG_WORDS, f)) : []);
  function changeText(r) {
    if (absent(r[5])) return 'new';
    if (absent(r[6])) return 'vanished';
    return typeof r[3] === 'number' ? pct(r[3]) + ' p50' : 'p50 n/a';
  }
  function changeTitle(r) {
    const p50 = (v) => (typeof v === 'number' ? fmtDuration(v) : '–');
    const flags = flagsOf(r);
    return 'against ' + text(compared.base) + ': p50 ' + p50(r[5]) + ' → ' + p50(r[6]) +
      (typeof r[4] === 'number' ? ', p95 ' + pct(r[4]) : '') +
      (flags.length ? '; flagged: ' + flags.map((f) => FLAG_WORDS[f]).join(', ') : '');
  }
  // The change badge of a span name, or null without --compare.
  function changeBadge(service, name) {
    const r = changes.get(service + '\n' + name);
    if (!r) return null;
    const flags = flagsOf(r);
    const badge = el('span', 'change' + (flags.length ? ' flagged ' + flags.join(' ') : ''),
      (flags.includes('new_errors') ? '! ' : '') + changeText(r));
    badge.title = changeTitle(r);
    return badge;
  }

  const traces = buildTraces();
  const days = new Set(traces.filter((t) => t.sec || t.nanos).map((t) => Math.floor(t.sec / 86400)));
  const dated = days.size > 1;
  const state = { sort: 'start', asc: true, shown: traces, selected: null, selectedSpan: null };

  function header() {
    const source = document.getElementById('source');
    source.textContent = meta.input;
    source.title = meta.input;
    document.getElementById('traces').classList.toggle('dated', dated);
    const facts = document.getElementById('facts');
    facts.textContent = spans.length + ' spans in ' + traces.filter((t) => t.id).length + ' traces, ' +
      services.length + ' services, ' + meta.lines + ' lines. ';
    if (meta.invalid_lines > 0) {
      facts.appendChild(el('span', 'warn', meta.invalid_lines + ' invalid lines left out (first: ' + meta.first_invalid + ')'));
    }
    if (meta.left_out) {
      const note = el('span', 'warn', ' ' + meta.left_out);
      note.id = 'left-out';
      facts.appendChild(note);
    }
    if (compared) compareFacts(facts);
    const select = document.getElementById('filter-service');
    for (const name of services) {
      const option = el('option', null, name);
      option.value = name;
      select.appendChild(option);
    }
  }

  // The verdict against the base, and every flagged name (vanished ones appear only here).
  function compareFacts(facts) {
    const flagged = compared.rows.filter((r) => Array.isArray(r) && flagsOf(r).length);
    const verdict = el('span', compared.regressed ? 'warn' : null, ' Compared with ' + text(compared.base) + ': ' +
      (flagged.length ? flagged.length + ' span names flagged' : 'no change flagged') +
      ' (p50 and p95 both past ' + Math.round(compared.threshold * 100) + '%, at least ' + compared.min_samples + ' spans a side).');
    verdict.id = 'compare-verdict';
    facts.appendChild(verdict);
    if (!flagged.length) return;
    const list = el('details');
    list.id = 'compare-list';
    list.appendChild(el('summary', null, 'flagged span names'));
    for (const r of flagged) {
      const line = el('div', 'compare-row');
      line.appendChild(el('span', 'change flagged ' + flagsOf(r).join(' '), flagsOf(r).map((f) => FLAG_WORDS[f]).join(', ')));
      line.appendChild(el('span', 'span-name', text(r[1])));
      line.appendChild(el('span', 'svc', text(r[0])));
      line.appendChild(el('span', 'how', changeText(r)));
      line.title = changeTitle(r);
      list.appendChild(line);
    }
    facts.appendChild(list);
  }

  function applyView() {
    const service = document.getElementById('filter-service').value;
    const needle = document.getElementById('filter-name').value.trim().toLowerCase();
    const errorsOnly = document.getElementById('filter-errors').checked;
    const key = state.sort;
    const dir = state.asc ? 1 : -1;
    state.shown = traces.filter((t) => (!service || t.services.has(service)) &&
      (!needle || t.search.includes(needle)) && (!errorsOnly || t.errors > 0));
    const value = (t) => (key === 'spans' ? t.spans.length : t[key]);
    state.shown.sort((a, b) => (value(a) - value(b)) * dir || (a.start - b.start));
    for (const button of document.querySelectorAll('.list-head button')) {
      button.classList.toggle('sorted', button.dataset.key === key);
      button.classList.toggle('asc', state.asc);
    }
    document.getElementById('trace-count').textContent = state.shown.length + ' of ' + traces.length;
    document.getElementById('trace-list-inner').style.height = (state.shown.length * ROW) + 'px';
    document.getElementById('trace-list').scrollTop = 0;
    renderList();
  }

  function renderList() {
    const list = document.getElementById('trace-list');
    const inner = document.getElementById('trace-list-inner');
    const first = Math.max(0, Math.floor(list.scrollTop / ROW) - 5);
    const last = Math.min(state.shown.length, first + Math.ceil((list.clientHeight || 600) / ROW) + 10);
    inner.replaceChildren();
    for (let i = first; i < last; i++) {
      const t = state.shown[i];
      const row = el('div', 'trace-row' + (t.errors ? ' error' : '') + (t === state.selected ? ' selected' : ''));
      row.style.top = (i * ROW) + 'px';
      row.dataset.traceId = t.id;
      row.dataset.start = t.start;
      row.dataset.duration = t.duration;
      row.dataset.spans = t.spans.length;
      const start = el('span', 'start', fmtListTime(t, dated));
      start.title = fmtTime(t.sec, t.nanos);
      row.appendChild(start);
      const name = el('span', 'name', t.name);
      const badge = changeBadge(t.service, t.name);
      if (badge) name.appendChild(badge);
      name.appendChild(el('span', 'svc', t.service));
      name.title = t.name + ' (' + t.service + ')';
      row.appendChild(name);
      row.appendChild(el('span', 'num duration', fmtDuration(t.duration * 1e6)));
      row.appendChild(el('span', 'num spans', t.spans.length));
      row.title = (t.id || 'spans without ids') + (t.errors ? ' — ' + t.errors + ' error spans' : '');
      row.addEventListener('click', () => selectTrace(t));
      inner.appendChild(row);
    }
  }

  // Depth-first order of a trace's spans: children under parents, by start time.
  // Spans whose parent is not in the file (orphans) are shown at the root, and so are
  // spans whose chain of parents loops (A→B→A, or a span that is its own parent): the
  // loop is cut at its earliest span, which is marked, so no span ever goes missing.
  function treeOrder(t) {
    const ids = new Map();
    for (const i of t.spans) if (spans[i][SPAN]) ids.set(spans[i][SPAN], i);
    const children = new Map();
    const roots = [];
    for (const i of t.spans) {
      const parent = spans[i][PARENT];
      if (parent && ids.has(parent) && parent !== spans[i][SPAN]) {
        if (!children.has(parent)) children.set(parent, []);
        children.get(parent).push(i);
      } else {
        roots.push(i);
      }
    }
    const offset = (i) => (spans[i][SEC] - t.sec) * 1e9 + (spans[i][NANOS] - t.nanos);
    const byStart = (a, b) => offset(a) - offset(b);
    const order = [];
    const seen = new Set();
    const visit = (root, mark) => {
      const stack = [[root, 0]];
      while (stack.length) {
        const [i, depth] = stack.pop();
        if (seen.has(i)) continue;
        seen.add(i);
        order.push({ i, depth, mark: depth === 0 ? mark : null, offset: offset(i) });
        const kids = (children.get(spans[i][SPAN]) || []).sort(byStart);
        for (let k = kids.length - 1; k >= 0; k--) stack.push([kids[k], depth + 1]);
      }
    };
    for (const i of roots.sort(byStart)) {
      const parent = spans[i][PARENT];
      visit(i, !parent ? null : (parent === spans[i][SPAN] ? 'cycle' : 'orphan'));
    }
    // What is left hangs below a loop: walk up from each such span to the loop.
    for (const i of t.spans.filter((j) => !seen.has(j)).sort(byStart)) {
      if (!seen.has(i)) visit(loopStart(i, ids, byStart), 'cycle');
    }
    return order;
  }

  // The earliest span of the parent loop above span `i` (every span on the way up has
  // its parent in `ids`, or it would have been a root).
  function loopStart(i, ids, byStart) {
    const path = new Set();
    let j = i;
    while (!path.has(j)) { path.add(j); j = ids.get(spans[j][PARENT]); }
    const loop = [j];
    for (let k = ids.get(spans[j][PARENT]); k !== j; k = ids.get(spans[k][PARENT])) loop.push(k);
    return loop.sort(byStart)[0];
  }

  function selectTrace(t) {
    state.selected = t;
    renderList();
    const title = document.getElementById('trace-title');
    title.textContent = t.name + ' — ' + fmtDuration(t.duration * 1e6) + ', ' + t.spans.length + ' spans';
    title.title = title.textContent + (t.id ? '\ntrace ' + t.id : '');
    const order = treeOrder(t);
    const total = Math.max(1, t.duration * 1e6);
    const axis = document.getElementById('axis');
    axis.replaceChildren();
    for (const f of [0, 0.25, 0.5, 0.75, 1]) {
      const tick = el('span', null, fmtDuration(total * f));
      tick.style.left = (f * 100) + '%';
      axis.appendChild(tick);
    }
    const waterfall = document.getElementById('waterfall');
    waterfall.replaceChildren();
    for (const entry of order.slice(0, MAX_WATERFALL_ROWS)) {
      waterfall.appendChild(spanRow(entry, total));
    }
    if (order.length > MAX_WATERFALL_ROWS) {
      waterfall.appendChild(el('div', 'more', (order.length - MAX_WATERFALL_ROWS) + ' more spans not drawn'));
    }
    if (order.length) showDetails(order[0].i, waterfall.firstChild);
  }

  function spanRow(entry, total) {
    const s = spans[entry.i];
    const service = serviceOf(s);
    const row = el('div', 'span-row' + (s[CODE] === 2 ? ' error' : '') + (entry.mark ? ' ' + entry.mark : ''));
    row.dataset.spanId = s[SPAN];
    row.dataset.depth = entry.depth;
    const label = el('div', 'span-label');
    label.style.paddingLeft = (4 + Math.min(entry.depth, 30) * 12) + 'px';
    label.title = nameOf(s) + ' (' + service + ')';
    if (s[CODE] === 2) label.appendChild(el('span', 'err', '!'));
    if (entry.mark) {
      const mark = el('span', 'mark ' + entry.mark, entry.mark);
      label.title += ' — ' + MARKS[entry.mark];
      label.appendChild(mark);
    }
    label.appendChild(el('span', 'span-name', nameOf(s)));
    const badge = changeBadge(service, text(s[NAME]));
    if (badge) label.appendChild(badge);
    label.appendChild(el('span', 'svc', service));
    const track = el('div', 'span-track');
    const bar = el('div', 'span-bar');
    bar.style.left = Math.min(100, (entry.offset / total) * 100) + '%';
    bar.style.width = Math.max(0, (s[DUR] / total) * 100) + '%';
    bar.style.backgroundColor = colours.get(service);
    bar.title = nameOf(s) + ' — ' + fmtDuration(s[DUR]);
    track.appendChild(bar);
    row.appendChild(label);
    row.appendChild(track);
    row.addEventListener('click', () => showDetails(entry.i, row));
    return row;
  }

  function anyValue(v) {
    if (!isObject(v)) return text(v);
    for (const key of ['stringValue', 'intValue', 'doubleValue', 'boolValue', 'bytesValue']) {
      if (has(v, key)) return text(v[key]);
    }
    if (has(v, 'arrayValue')) return list(v.arrayValue, '[', ']', anyValue);
    if (has(v, 'kvlistValue')) return list(v.kvlistValue, '{', '}', (kv) => (isObject(kv) ? text(kv.key) + ': ' + anyValue(kv.value) : JSON.stringify(kv)));
    return text(v);
  }

  // `{"values": [...]}` of an array or key-value list value; any other shape as is.
  function list(holder, open, close, item) {
    const values = has(holder, 'values') ? holder.values : (isObject(holder) ? [] : holder);
    return Array.isArray(values) ? open + values.map(item).join(', ') + close : text(holder);
  }

  function table(parent, title, pairs) {
    parent.appendChild(el('h3', null, title));
    if (!pairs.length) { parent.appendChild(el('p', 'hint', 'none')); return; }
    const body = el('table');
    for (const [key, value, className] of pairs) {
      const tr = el('tr');
      tr.appendChild(keyCell(key));
      tr.appendChild(el('td', className, value));
      body.appendChild(tr);
    }
    parent.appendChild(body);
  }

  // A key that may wrap only after its dots (`telemetry.sdk.` / `language`), never
  // inside a word, unless one part alone is wider than the column.
  function keyCell(key) {
    const cell = el('td', 'key');
    const parts = text(key).split('.');
    parts.forEach((part, n) => {
      cell.appendChild(document.createTextNode(n < parts.length - 1 ? part + '.' : part));
      if (n < parts.length - 1) cell.appendChild(el('wbr'));
    });
    return cell;
  }

  const statusMessage = (m) => (absent(m) || m === '' ? '' : ': ' + text(m));

  // Table rows of a list from the file, made by `pair` from each object in it; any other
  // item, or a list that is not an array, is shown as it is rather than dropped.
  function pairsOf(list, pair) {
    if (absent(list)) return [];
    if (!Array.isArray(list)) return [['(not a list)', text(list)]];
    return list.map((item) => (isObject(item) ? pair(item) : ['(not an object)', JSON.stringify(item)]));
  }

  const attributePairs = (attributes) => pairsOf(attributes, (kv) => [has(kv, 'key') ? kv.key : '(no key)', anyValue(kv.value)]);

  const kindOf = (kind) => (typeof kind === 'number' ? (KINDS[kind] || String(kind)) : (text(kind) || 'unspecified'));

  function eventTitle(ev, s) {
    if (!isObject(ev)) return '(not an event) ' + JSON.stringify(ev);
    let at = '';
    try {
      at = ' at +' + fmtDuration(Number(BigInt(ev.timeUnixNano) - BigInt(s[SEC]) * 1000000000n - BigInt(s[NANOS])));
    } catch (err) {
      at = ev.timeUnixNano ? ' at ' + text(ev.timeUnixNano) : '';
    }
    return (text(ev.name) || '(unnamed event)') + at;
  }

  function showDetails(i, row) {
    for (const old of document.querySelectorAll('.span-row.selected')) old.classList.remove('selected');
    if (row) row.classList.add('selected');
    const s = spans[i];
    const t = state.selected;
    const details = document.getElementById('details');
    const heading = el('h2', null, nameOf(s));
    heading.title = nameOf(s);
    details.replaceChildren(heading);
    details.scrollTop = 0;
    const offset = (s[SEC] - t.sec) * 1e9 + (s[NANOS] - t.nanos);
    const parentKnown = t.spans.some((j) => spans[j][SPAN] === s[PARENT]);
    const change = changes.get(serviceOf(s) + '\n' + text(s[NAME]));
    table(details, 'Span', [
      ['service', serviceOf(s)],
      ['trace id', s[TRACE] || '(none)'],
      ['span id', s[SPAN] || '(none)'],
      ['parent span id', s[PARENT] ? s[PARENT] + (parentKnown ? '' : ' (not in the file)') : '(root)'],
      ['start', fmtTime(s[SEC], s[NANOS]) + ' (+' + fmtDuration(offset) + ')'],
      ['duration', fmtDuration(s[DUR])],
      ...(change ? [['vs base', changeTitle(change).replace(/^against /, '')]] : []),
      ['kind', kindOf(s[KIND])],
      ['status', (STATUS[s[CODE]] || s[CODE]) + statusMessage(s[MESSAGE]), s[CODE] === 2 ? 'status-error' : null],
    ]);
    table(details, 'Attributes', attributePairs(s[ATTRS]));
    const events = Array.isArray(s[EVENTS]) ? s[EVENTS] : [];
    details.appendChild(el('h3', null, 'Events'));
    if (!events.length) details.appendChild(el('p', 'hint', absent(s[EVENTS]) || events === s[EVENTS] ? 'none' : '(not a list) ' + text(s[EVENTS])));
    for (const ev of events) table(details, eventTitle(ev, s), attributePairs(isObject(ev) ? ev.attributes : null));
    const links = pairsOf(s[LINKS], (l) => [l.traceId, l.spanId]);
    if (links.length) table(details, 'Links', links);
    const resource = resources[s[RES]].resource;
    table(details, 'Resource', attributePairs(isObject(resource) ? resource.attributes : null));
    const scope = isObject(s[SCOPE]) ? s[SCOPE] : {};
    table(details, 'Scope', [['name', scope.name], ['version', scope.version]]);
  }

  header();
  for (const button of document.querySelectorAll('.list-head button')) {
    button.addEventListener('click', () => {
      state.asc = state.sort === button.dataset.key ? !state.asc : button.dataset.key === 'start';
      state.sort = button.dataset.key;
      applyView();
    });
  }
  let pending = 0;
  const later = () => { clearTimeout(pending); pending = setTimeout(applyView, 120); };
  document.getElementById('filter-name').addEventListener('input', later);
  document.getElementById('filter-service').addEventListener('change', applyView);
  document.getElementById('filter-errors').addEventListener('change', applyView);
  let frame = 0;
  document.getElementById('trace-list').addEventListener('scroll', () => {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; renderList(); });
  });
  applyView();
  if (state.shown.length) selectTrace(state.shown[0]);
  document.body.dataset.ready = 'true';
})();
