// Checks of a report page's layout, run inside the page with `page.evaluate(fn)` (so
// each function must stand alone: no closures over this module). Shared by report.mjs
// and every-span.mjs.

// In the page: each truncated name (list, waterfall, headings) whose nearest tooltip
// does not hold the whole name, and how many truncated names there were.
export function tooltips() {
  const named = [
    ['#trace-list .trace-row .name', (e) => e.firstChild.textContent],
    ['#waterfall .span-label', (e) => e.querySelector('.span-name').textContent],
    ['#trace-title', (e) => e.textContent],
    ['#details h2', (e) => e.textContent],
  ];
  const missing = [];
  let truncated = 0;
  for (const [selector, nameOf] of named) {
    for (const e of document.querySelectorAll(selector)) {
      if (e.scrollWidth <= e.clientWidth) continue;
      truncated++;
      const holder = e.closest('[title]');
      if (!holder || !holder.title.includes(nameOf(e))) missing.push(selector + ': ' + nameOf(e).slice(0, 60));
    }
  }
  return { missing, truncated };
}

// In the page: the key cells of the details panel that wrap inside a word (between two
// letters or digits; allowed only in a part, between dots or spaces, that is
// wider than the cell on its own), and how many key cells wrap at all.
export function keyBreaks() {
  const bad = [];
  let wrapped = 0;
  for (const cell of document.querySelectorAll('#details tr > td:first-child')) {
    const style = getComputedStyle(cell);
    const room = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const chars = [];
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let k = 0; k < node.data.length; k++) {
        const range = document.createRange();
        range.setStart(node, k);
        range.setEnd(node, k + 1);
        const rect = range.getClientRects()[0];
        if (rect) chars.push({ char: node.data[k], top: rect.top, width: rect.width });
      }
    }
    const word = (i) => /[\p{L}\p{N}_]/u.test(chars[i].char);
    const part = (i) => !/[.\s]/.test(chars[i].char);
    // The width of the part that holds characters i - 1 and i.
    const partWidth = (i) => {
      let [from, to] = [i - 1, i];
      while (from > 0 && part(from - 1)) from--;
      while (to < chars.length - 1 && part(to + 1)) to++;
      return chars.slice(from, to + 1).reduce((sum, c) => sum + c.width, 0);
    };
    let breaks = 0;
    for (let i = 1; i < chars.length; i++) {
      if (chars[i].top <= chars[i - 1].top + 2) continue;
      breaks++;
      if (word(i - 1) && word(i) && partWidth(i) <= room) {
        bad.push(cell.textContent + ' breaks after "' + cell.textContent.slice(0, i) + '"');
      }
    }
    if (breaks) wrapped++;
  }
  return { bad, wrapped };
}
