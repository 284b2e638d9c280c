// Renders the Mermaid charts of a markdown file (the job summary `upload` writes) with the
// real Mermaid library in headless Chromium, as GitHub does, and checks that every task
// line became one bar whose label is the task's name: escaped span names must neither
// break the chart nor merge into other statements. Each service has one section, and
// no bar is too short to see.
//
//   node tests/browser/mermaid.mjs SUMMARY.md
//
// Exits non-zero with one line per failed check. Run by tests/report.rs.
import { withChromium } from './chromium.mjs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const markdown = readFileSync(process.argv[2], 'utf8');
const charts = [...markdown.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
const mermaidJs = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');

await withChromium('mermaid chart', async (browser, problems) => {
  assert.equal(charts.length, 1, 'one chart in the markdown');
  const page = await browser.newPage();
  page.on('pageerror', (err) => problems.push('page error: ' + err.message));
  await page.setContent('<!DOCTYPE html><html><body><div id="out"></div></body></html>');
  await page.addScriptTag({ path: mermaidJs });
  for (const chart of charts) {
    const tasks = chart.split('\n').filter((l) => /^ {4}\S.* :/.test(l) && !l.trim().startsWith('section '));
    const names = tasks.map((l) => l.trim().replace(/ :.*$/, ''));
    const sections = chart.split('\n').filter((l) => l.startsWith('    section ')).map((l) => l.slice(12));
    assert.ok(sections.length > 1, 'the chart has several services: ' + sections.join(', '));
    assert.equal(new Set(sections).size, sections.length, 'one section per service: ' + sections.join(', '));
    const rendered = await page.evaluate(async (text) => {
      window.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
      try {
        const { svg } = await window.mermaid.render('chart', text);
        const out = document.getElementById('out');
        out.innerHTML = svg; // Mermaid's own sanitised output, as GitHub shows it
        return {
          bars: out.querySelectorAll('rect.task').length,
          widths: [...out.querySelectorAll('rect.task')].map((r) => r.getBoundingClientRect().width),
          sections: [...out.querySelectorAll('text.sectionTitle')].map((t) => t.textContent.trim()),
          labels: [...out.querySelectorAll('text.taskText, text.taskTextOutsideRight, text.taskTextOutsideLeft')].map((t) => t.textContent.trim()),
          critical: out.querySelectorAll('rect.crit, rect.crit0, rect.crit1, rect.crit2, rect.crit3').length,
        };
      } catch (err) {
        return { error: String(err && err.message || err) };
      }
    }, chart);
    assert.equal(rendered.error, undefined, 'Mermaid rejected the chart: ' + rendered.error);
    assert.equal(rendered.bars, tasks.length, 'one bar per task line');
    assert.deepEqual(rendered.sections, sections, 'one section title per service, in order');
    const chartWidth = Math.max(...rendered.widths);
    const thin = rendered.widths.filter((w) => w < Math.max(2, chartWidth / 200));
    assert.deepEqual(thin, [], 'no bar too short to see (the widest is ' + chartWidth + ' px)');
    assert.deepEqual([...rendered.labels].sort(), [...names].sort(), 'labels are the task names');
    const crit = tasks.filter((l) => / :crit, /.test(l)).length;
    assert.equal(rendered.critical, crit, 'error spans drawn as critical');
  }
});
