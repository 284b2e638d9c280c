// Opens every trace and every span of a `ci-tracing report` page in real headless
// Chromium with the console captured: any page error or console error fails. Meant for
// files of odd but accepted shapes (tests/fixtures/report-hostile.jsonl). Also checks
// what a reader relies on: the counts, the marks of spans shown at the root (orphans,
// cut parent loops), dates in the trace list only when the traces span days, a tooltip
// on every truncated name, and attribute keys that wrap only after a dot.
//
//   node tests/browser/every-span.mjs REPORT.html EXPECT.json
//
// EXPECT.json: {"traces": N, "spans": N, "dated": bool,
//               "marks": {"cycle": [span ids], "orphan": [span ids]}  (marks left out: not checked),
//               "layout_cases": bool  (the file has a name long enough to be cut and a key long enough to wrap)}.
// Every failed check is one line; exits non-zero if any. Run by tests/report.rs.
import { withChromium } from './chromium.mjs';
import { keyBreaks, tooltips } from './checks.mjs';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [html, expectFile] = process.argv.slice(2);
const expect = JSON.parse(readFileSync(expectFile, 'utf8'));

await withChromium('every span', async (browser, problems) => {
  const check = (ok, message) => { if (!ok) problems.push(message); };
  const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
  page.setDefaultTimeout(20_000);
  page.on('dialog', async (dialog) => { problems.push('a dialog fired: ' + dialog.message()); await dialog.dismiss(); });
  page.on('pageerror', (err) => problems.push('page error: ' + err.message));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push('console error: ' + msg.text()); });
  page.on('request', (req) => { if (!req.url().startsWith('file:')) problems.push('network request: ' + req.url()); });
  await page.goto(pathToFileURL(html).href);
  await page.waitForSelector('body[data-ready="true"]');

  const total = Number((await page.textContent('#trace-count')).split(' of ')[1]);
  check(total === expect.traces, `${total} traces listed, expected ${expect.traces}`);
  const facts = await page.textContent('#facts');
  check(facts.startsWith(expect.spans + ' spans'), 'facts: ' + facts);
  const starts = await page.$$eval('#trace-list .trace-row .start', (els) => els.map((e) => ({
    text: e.textContent, fits: e.scrollWidth <= e.clientWidth })));
  const form = expect.dated ? /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/ : /^\d\d:\d\d:\d\d\.\d{3}$/;
  for (const start of starts.filter((s) => s.text !== '—')) {
    check(form.test(start.text), `start "${start.text}" is not of the form ${form}`);
    check(start.fits, `start "${start.text}" does not fit its column`);
  }

  const marks = { cycle: [], orphan: [] };
  let drawn = 0;
  let truncated = 0;
  let wrapped = 0;
  const traceRows = page.locator('#trace-list .trace-row');
  for (let t = 0; t < await traceRows.count(); t++) {
    await traceRows.nth(t).click();
    const row = traceRows.nth(t);
    const [id, expected] = [await row.getAttribute('data-trace-id'), Number(await row.getAttribute('data-spans'))];
    const spanRows = page.locator('#waterfall .span-row');
    const shown = await spanRows.count();
    check(shown === expected, `trace "${id}": ${shown} waterfall rows for ${expected} spans`);
    drawn += shown;
    for (const mark of Object.keys(marks)) {
      for (const r of await page.$$eval('#waterfall .span-row.' + mark, (els) => els.map((e) => ({ id: e.dataset.spanId, depth: +e.dataset.depth })))) {
        check(r.depth === 0, `${mark} span ${r.id} is not at the root`);
        marks[mark].push(r.id);
      }
    }
    for (let s = 0; s < shown; s++) {
      await spanRows.nth(s).click();
      check(await page.locator('#details h2').count() === 1, `trace "${id}", span row ${s}: no details`);
      const tips = await page.evaluate(tooltips);
      truncated += tips.truncated;
      for (const m of tips.missing) problems.push('no tooltip with the full name: ' + m);
      const keys = await page.evaluate(keyBreaks);
      wrapped += keys.wrapped;
      for (const b of keys.bad) problems.push('key wraps mid-word: ' + b);
    }
  }
  check(drawn === expect.spans, `${drawn} spans drawn in all, expected ${expect.spans}`);
  if (expect.layout_cases) {
    check(truncated > 0, 'no truncated name was checked: the file needs a longer name');
    check(wrapped > 0, 'no attribute key wrapped: the file needs a longer key');
  }
  for (const [mark, ids] of Object.entries(expect.marks || {})) {
    check(JSON.stringify(marks[mark].sort()) === JSON.stringify([...ids].sort()),
      `${mark} marks on ${JSON.stringify(marks[mark])}, expected ${JSON.stringify(ids)}`);
  }
  // Problems from events arrive asynchronously: one more round trip lets them land.
  await page.evaluate(() => new Promise((done) => setTimeout(done, 0)));
});
