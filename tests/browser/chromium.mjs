// Shared by the browser checks: Debian's chromium (never a downloaded browser) through
// playwright-core, and one way to report failures: a line per problem, exit status 1.
import { chromium } from 'playwright-core';

/** Runs `checks(browser, problems)` in headless Chromium, then reports and exits. */
export async function withChromium(name, checks) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const problems = [];
  try {
    await checks(browser, problems);
  } catch (err) {
    problems.push(err.message);
  } finally {
    await browser.close();
  }
  if (problems.length) {
    for (const p of problems) console.error('FAILED: ' + p);
    process.exit(1);
  }
  console.log(name + ' checks passed');
}
