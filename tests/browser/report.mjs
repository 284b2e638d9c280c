// Drives a `ci-tracing report` page in real headless Chromium (Debian's /usr/bin/chromium,
// through playwright-core; never a downloaded browser) and checks it through the DOM.
//
//   node tests/browser/report.mjs REPORT.html EXPECT.json [SCREENSHOT.png]
//
// EXPECT.json: {"traces": N, "spans": N, "xss": bool, "big": bool, "leftOut": "text the
// page must say it left out" (optional), "factsOnly": bool (stop after the header: a
// budgeted page holds a choice of traces that the list checks below cannot assume)}. Exits non-zero with one line per failed
// check. Run by tests/report.rs and tests/artifact_interop.rs.
import { withChromium } from './chromium.mjs';
import { keyBreaks, tooltips } from './checks.mjs';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';

const [html, expectFile, screenshot] = process.argv.slice(2);
const expect = JSON.parse(readFileSync(expectFile, 'utf8'));
await withChromium('report page', async (browser, problems) => {
  const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
  page.setDefaultTimeout(120_000);
  page.on('dialog', async (dialog) => { problems.push('a dialog fired: ' + dialog.message()); await dialog.dismiss(); });
  page.on('pageerror', (err) => problems.push('page error: ' + err.message));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push('console error: ' + msg.text()); });
  page.on('request', (req) => { if (!req.url().startsWith('file:') && !req.url().startsWith('data:')) problems.push('network request: ' + req.url()); });
  await page.goto(pathToFileURL(html).href);
  await page.waitForSelector('body[data-ready="true"]');

  const rows = () => page.$$eval('#trace-list .trace-row', (els) => els
    .map((e) => ({ top: parseFloat(e.style.top), id: e.dataset.traceId, start: +e.dataset.start,
      duration: +e.dataset.duration, spans: +e.dataset.spans, error: e.classList.contains('error') }))
    .sort((a, b) => a.top - b.top));
  const count = async () => (await page.textContent('#trace-count')).split(' of ').map(Number);

  const [shown, total] = await count();
  assert.equal(total, expect.traces, 'trace count in the list');
  assert.equal(shown, total, 'nothing filtered at first');
  const facts = await page.textContent('#facts');
  assert.ok(facts.startsWith(expect.spans + ' spans'), 'facts: ' + facts);
  if (expect.leftOut) {
    const note = await page.textContent('#left-out');
    assert.ok(note.includes(expect.leftOut), 'the page says what it left out: ' + note);
  } else {
    assert.equal(await page.$('#left-out'), null, 'nothing said to be left out');
  }
  if (expect.factsOnly) {
    await page.click('#trace-list .trace-row');
    assert.ok((await page.$$('#waterfall .span-row')).length > 0, 'a waterfall is drawn');
    return;
  }
  const first = await rows();
  assert.ok(first.length > 0 && first.length < 100, 'the list is virtualised: ' + first.length + ' rows exist');
  for (let i = 1; i < first.length; i++) assert.ok(first[i - 1].start <= first[i].start, 'sorted by start');
  const startTexts = await page.$$eval('#trace-list .trace-row .start', (els) => els.map((e) => e.textContent));
  assert.ok(startTexts.every((t) => /^\d\d:\d\d:\d\d\.\d{3}$/.test(t)), 'times only, as all traces start on one day: ' + startTexts[0]);

  await page.click('#sort-duration');
  let byDuration = await rows();
  for (let i = 1; i < byDuration.length; i++) assert.ok(byDuration[i - 1].duration >= byDuration[i].duration, 'sorted by duration, longest first');
  await page.click('#sort-spans');
  const bySpans = await rows();
  for (let i = 1; i < bySpans.length; i++) assert.ok(bySpans[i - 1].spans >= bySpans[i].spans, 'sorted by spans, most first');
  await page.click('#sort-spans');
  const bySpansAsc = await rows();
  assert.ok(bySpansAsc[0].spans <= bySpansAsc[bySpansAsc.length - 1].spans, 'a second click reverses');

  // Scrolling the virtual list renders other rows.
  await page.$eval('#trace-list', (e) => { e.scrollTop = e.scrollHeight / 2; });
  await page.waitForFunction(() => parseFloat(document.querySelector('#trace-list .trace-row').style.top) > 1000);

  await page.check('#filter-errors');
  const [errorsShown] = await count();
  assert.ok(errorsShown > 0 && errorsShown < total, 'errors filter narrows: ' + errorsShown);
  assert.ok((await rows()).every((r) => r.error), 'only traces with errors');
  await page.uncheck('#filter-errors');

  await page.selectOption('#filter-service', 'storage');
  const [storageShown] = await count();
  assert.ok(storageShown > 0 && storageShown < total, 'service filter narrows: ' + storageShown);
  await page.click('#trace-list .trace-row');
  const services = await page.$$eval('#waterfall .span-row .svc', (els) => els.map((e) => e.textContent));
  assert.ok(services.includes('storage'), 'the chosen trace has a storage span');
  await page.selectOption('#filter-service', '');

  await page.fill('#filter-name', 'sync_new_node');
  await page.waitForFunction((n) => Number(document.querySelector('#trace-count').textContent.split(' of ')[0]) < n, total);
  await page.click('#trace-list .trace-row');
  const names = await page.$$eval('#waterfall .span-name', (els) => els.map((e) => e.textContent));
  assert.ok(names.includes('sync_new_node'), 'the name filter keeps traces with that span');
  await page.fill('#filter-name', '');
  await page.waitForFunction((n) => document.querySelector('#trace-count').textContent === n + ' of ' + n, total);

  // The waterfall of the trace with the most spans: one row per span, children after parents.
  await page.click('#sort-spans');
  byDuration = await rows();
  const biggest = byDuration[0];
  await page.click(`#trace-list .trace-row[data-trace-id="${biggest.id}"]`);
  const tree = await page.$$eval('#waterfall .span-row', (els) => els.map((e) => ({
    id: e.dataset.spanId, depth: +e.dataset.depth, error: e.classList.contains('error'),
    width: parseFloat(e.querySelector('.span-bar').style.width), colour: e.querySelector('.span-bar').style.backgroundColor })));
  assert.equal(tree.length, Math.min(biggest.spans, 5000), 'one waterfall row per span');
  assert.equal(tree[0].depth, 0, 'the first row is a root');
  for (let i = 1; i < tree.length; i++) assert.ok(tree[i].depth <= tree[i - 1].depth + 1, 'children follow their parent');
  assert.ok(tree.some((r) => r.depth >= 2), 'nested spans are indented');
  assert.ok(Math.abs(tree[0].width - 100) < 1 || tree[0].depth === 0, 'bars on a shared axis');
  assert.ok(new Set(tree.map((r) => r.colour)).size > 1, 'colours per service');

  // Details of an error span.
  const errorIndex = tree.findIndex((r) => r.error);
  if (errorIndex >= 0) {
    await page.click(`#waterfall .span-row:nth-child(${errorIndex + 1})`);
    const details = await page.textContent('#details');
    assert.ok(details.includes(tree[errorIndex].id), 'details show the span id');
    assert.ok(details.includes('block.height') && details.includes('exception.message'), 'attributes and events');
    assert.ok(details.includes('deployment.environment'), 'resource attributes');
    assert.ok(await page.$('#details .status-error'), 'error status marked');
  }
  const keys = await page.evaluate(keyBreaks);
  assert.deepEqual(keys.bad, [], 'attribute keys wrap only after a dot');
  assert.ok(keys.wrapped > 0, 'some attribute key wraps (or the check above proves nothing)');
  const tips = await page.evaluate(tooltips);
  assert.deepEqual(tips.missing, [], 'every truncated name has a tooltip with the full name');
  if (screenshot) await page.screenshot({ path: screenshot });

  if (expect.xss) {
    await page.fill('#filter-name', '<img');
    await page.waitForFunction(() => document.querySelector('#trace-count').textContent.startsWith('1 of'));
    await page.click('#trace-list .trace-row');
    const xssNames = await page.$$eval('#waterfall .span-name', (els) => els.map((e) => e.textContent));
    assert.ok(xssNames.includes('<img src=x onerror=alert(1)>'), 'names shown literally: ' + JSON.stringify(xssNames));
    assert.ok(xssNames.includes('</script><script>alert(2)</script>'), 'a name with </script> shown literally');
    const orphan = await page.$$eval('#waterfall .span-row.orphan', (els) => els.map((e) => +e.dataset.depth));
    assert.deepEqual(orphan, [0], 'the orphan is shown at the root');
    await page.click('#waterfall .span-row');
    const details = await page.textContent('#details');
    assert.ok(details.includes('<b>not bold</b>'), 'attribute values shown literally');
    assert.equal(await page.$$eval('img, b, iframe', (els) => els.length), 0, 'no element came from the data');
    assert.equal(await page.evaluate(() => window.xssFired), undefined, 'no script from the data ran');
  }
});
