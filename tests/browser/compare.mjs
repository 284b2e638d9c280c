// Drives a `ci-tracing report --compare BASE` page in real headless Chromium (Debian's
// /usr/bin/chromium, through playwright-core) and checks that each span name's change
// against BASE is shown beside it: in the header (verdict and flagged names), in the
// trace list, in the waterfall and in the details.
//
//   node tests/browser/compare.mjs REPORT.html EXPECT.json
//
// EXPECT.json: {"slower": NAME, "new": NAME, "errors": NAME, "vanished": NAME or null,
// "base": BASE as the page names it}. Exits non-zero with one line per failed check.
// Run by tests/compare.rs.
import { withChromium } from './chromium.mjs';
import { tooltips } from './checks.mjs';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';

const [html, expectFile] = process.argv.slice(2);
const expect = JSON.parse(readFileSync(expectFile, 'utf8'));
await withChromium('compare page', async (browser, problems) => {
  const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
  page.setDefaultTimeout(60_000);
  page.on('pageerror', (err) => problems.push('page error: ' + err.message));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push('console error: ' + msg.text()); });
  page.on('request', (req) => { if (!req.url().startsWith('file:') && !req.url().startsWith('data:')) problems.push('network request: ' + req.url()); });
  await page.goto(pathToFileURL(html).href);
  await page.waitForSelector('body[data-ready="true"]');

  const verdict = await page.textContent('#compare-verdict');
  assert.ok(verdict.includes('Compared with ' + expect.base), 'the header names the base: ' + verdict);
  assert.ok(/\d+ span names flagged/.test(verdict), 'the header counts the flagged names: ' + verdict);
  assert.ok(await page.$eval('#compare-verdict', (e) => e.classList.contains('warn')), 'a regression is marked');
  const listed = await page.$$eval('#compare-list .compare-row', (els) => els.map((e) => ({
    flags: e.querySelector('.change').textContent, name: e.querySelector('.span-name').textContent })));
  const flagOf = (name) => (listed.find((r) => r.name === name) || {}).flags;
  assert.equal(flagOf(expect.slower), 'slower', 'the slower name is listed: ' + JSON.stringify(listed));
  assert.equal(flagOf(expect.new), 'new', 'the new name is listed');
  assert.equal(flagOf(expect.errors), 'new errors', 'the name with new errors is listed');
  if (expect.vanished) assert.equal(flagOf(expect.vanished), 'vanished', 'the vanished name is listed');

  // The trace list: the root span's change beside its name.
  const listBadges = await page.$$eval('#trace-list .trace-row .name .change', (els) => els.map((e) => e.textContent));
  assert.ok(listBadges.length > 0 && listBadges.every((t) => /^[+-]\d+% p50$/.test(t)), 'list badges: ' + listBadges.slice(0, 3));

  // The waterfall of the first trace: every span name has its change beside it.
  await page.click('#trace-list .trace-row');
  const badges = await page.$$eval('#waterfall .span-label', (els) => els.map((e) => ({
    name: e.querySelector('.span-name').textContent,
    change: e.querySelector('.change') ? e.querySelector('.change').textContent : null,
    classes: e.querySelector('.change') ? e.querySelector('.change').className : '',
    title: e.querySelector('.change') ? e.querySelector('.change').title : '' })));
  const of = (name) => badges.find((b) => b.name === name);
  assert.ok(badges.length > 1 && badges.every((b) => b.change !== null), 'every span name has a badge: ' + JSON.stringify(badges));
  const slower = of(expect.slower);
  const percent = Number(slower.change.replace(/% p50$/, ''));
  assert.ok(slower.classes.includes('flagged') && slower.classes.includes('slower'), 'slower marked: ' + slower.classes);
  assert.ok(percent >= 80 && percent <= 125, 'twice as slow reads about +100% p50: ' + slower.change);
  assert.ok(slower.title.includes('against ' + expect.base) && slower.title.includes('flagged: slower'), 'tooltip: ' + slower.title);
  assert.equal(of(expect.new).change, 'new', 'a new name says new');
  assert.ok(of(expect.new).classes.includes('flagged'), 'a new name is flagged');
  const errors = of(expect.errors);
  assert.ok(errors.change.startsWith('! ') && errors.classes.includes('new_errors'), 'new errors marked: ' + JSON.stringify(errors));
  const quiet = badges.filter((b) => !b.classes.includes('flagged'));
  assert.ok(quiet.length > 0, 'unflagged names have a plain badge');

  // The details of the slower span say how it compares.
  const index = badges.findIndex((b) => b.name === expect.slower);
  await page.click(`#waterfall .span-row:nth-child(${index + 1})`);
  const details = await page.textContent('#details');
  assert.ok(details.includes('vs base') && details.includes('flagged: slower'), 'details: ' + details.slice(0, 300));
  const tips = await page.evaluate(tooltips);
  assert.deepEqual(tips.missing, [], 'every truncated name has a tooltip with the full name');
});
