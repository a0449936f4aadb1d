// Drives `postbode serve`'s preference page in headless Chromium as a reader
// would, at phone and desktop widths: opens the link from a digest, checks
// the page (styled, nothing sideways, every checkbox and the button in
// view), ticks the daily digest and one category, sets a pause, clicks
// Save, and checks that the page then shows what was saved. Saves a
// screenshot before and after; fails when a page has the wrong status or
// words, or when the browser blocked anything (the CSP admits the style
// block by its nonce, and no script at all).
//
// usage: node preferences-page.js OUT_DIR BASE_URL TOKEN...
// One TOKEN (an active subscriber's) per width, in the order of WIDTHS.
'use strict';
const fs = require('fs');
const path = require('path');
const { launch } = require('./browser');

const WIDTHS = [375, 1024];
const PAGE_BG = 'rgb(244, 241, 234)';
const PAUSE = '2099-01-04';

async function main() {
  const [outDir, base, ...tokens] = process.argv.slice(2);
  if (!outDir || !base || tokens.length !== WIDTHS.length) {
    console.error(`usage: node preferences-page.js OUT_DIR BASE_URL TOKEN×${WIDTHS.length}`);
    process.exit(2);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const context = await launch();
  const problems = [];
  try {
    for (const [i, width] of WIDTHS.entries()) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height: 800 });
      const blocked = [];
      page.on('console', (m) => {
        if (m.type() === 'error') blocked.push(m.text());
      });
      await page.route('**/*', (route) =>
        route.request().url().startsWith(base) ? route.continue() : route.abort(),
      );
      const report = () =>
        page.evaluate(() => {
          const inView = (el) => {
            const r = el.getBoundingClientRect();
            return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= window.innerWidth + 0.5;
          };
          const boxes = [...document.querySelectorAll('input[type=checkbox]')];
          return {
            h1: (document.querySelector('h1') || {}).textContent || '',
            text: document.body.innerText,
            bg: getComputedStyle(document.body).backgroundColor,
            scrollWidth: document.documentElement.scrollWidth,
            vw: window.innerWidth,
            checked: boxes.filter((b) => b.checked).map((b) => `${b.name}=${b.value}`),
            boxesInView: boxes.every(inView),
            boxes: boxes.length,
            button: !!document.querySelector('button') && inView(document.querySelector('button')),
            pause: (document.querySelector('input[type=date]') || {}).value,
          };
        });
      const check = async (name, response, expect) => {
        const r = await report();
        const shot = path.join(outDir, `${name}-${width}.png`);
        await page.screenshot({ path: shot, fullPage: true });
        const own = [];
        if (response.status() !== 200) own.push(`status ${response.status()}`);
        if (r.h1 !== 'Je voorkeuren') own.push(`heading "${r.h1}"`);
        for (const t of expect.text || []) if (!r.text.includes(t)) own.push(`no "${t}" on the page`);
        if (r.bg !== PAGE_BG) own.push(`not styled (background ${r.bg}): was the style blocked?`);
        if (r.scrollWidth > r.vw) own.push(`scrolls sideways: ${r.scrollWidth} px in ${r.vw} px`);
        if (r.boxes < 3 || !r.boxesInView) own.push(`checkboxes missing or cut off (${r.boxes})`);
        if (!r.button) own.push('the Save button is missing or cut off');
        if (JSON.stringify(r.checked) !== JSON.stringify(expect.checked)) own.push(`checked ${r.checked}, expected ${expect.checked}`);
        if (r.pause !== expect.pause) own.push(`pause "${r.pause}", expected "${expect.pause}"`);
        console.log(`${shot}: ${response.status()} "${r.h1}"${own.length ? '' : ', ok'}`);
        for (const p of own) console.log(`  ${p}`);
        problems.push(...own.map((p) => `${name}-${width}: ${p}`));
      };

      let response = await page.goto(`${base}/preferences/${tokens[i]}`, { waitUntil: 'load' });
      await check('preferences', response, { checked: ['digest=weekly'], pause: '' });
      // The reader's choice: daily too, one category, a pause; by clicks.
      await page.click('input[name=digest][value=daily]');
      const category = await page.$eval('input[name=category]', (b) => b.value);
      await page.click(`input[name=category][value="${category}"]`);
      await page.fill('input[type=date]', PAUSE);
      const [saved] = await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.click('button'),
      ]);
      await check('preferences-saved', saved, {
        text: ['Je voorkeuren zijn opgeslagen.'],
        checked: ['digest=daily', 'digest=weekly', `category=${category}`],
        pause: PAUSE,
      });
      for (const b of blocked) problems.push(`${width}: the browser reported: ${b}`);
      await page.close();
    }
  } finally {
    await context.close();
  }
  if (problems.length) {
    for (const p of problems) console.error(`  ${p}`);
    console.error('preference page: failed');
    process.exit(1);
  }
  console.log('preference page: right at every width, and saved as clicked');
}

main().catch((e) => {
  console.error(`preference page: ${e.message}`);
  process.exit(1);
});
