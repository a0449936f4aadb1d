// Drives `postbode serve`'s pages in headless Chromium as a reader would, at
// phone and desktop widths: opens the unsubscribe link from a digest, checks
// the page and clicks its button, signs up on the form, opens the link from
// the confirmation mail and clicks that button, and opens a dead link.
// Saves a screenshot of every page and fails when a page has the wrong
// status or words, scrolls sideways, hides its button, or when the
// browser blocked anything (the style block must pass the CSP by its nonce).
//
// usage: node serve-pages.js OUT_DIR BASE_URL OUTBOX_DIR TOKEN...
// One TOKEN (an active subscriber's) per width, in the order of WIDTHS.
// Chromium: $CHROMIUM, else /usr/bin/chromium.
'use strict';
const fs = require('fs');
const path = require('path');
const { launch } = require('./browser');

const WIDTHS = [375, 1024];
const PAGE_BG = 'rgb(244, 241, 234)';
const ACCENT = 'rgb(164, 35, 28)';

async function main() {
  const [outDir, base, outbox, ...tokens] = process.argv.slice(2);
  if (!outDir || !base || !outbox || tokens.length !== WIDTHS.length) {
    console.error(`usage: node serve-pages.js OUT_DIR BASE_URL OUTBOX_DIR TOKEN×${WIDTHS.length}`);
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
      // CSP refusals and the like; not the 404s this check asks for.
      page.on('console', (m) => {
        if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) blocked.push(m.text());
      });
      // The server and nothing else.
      await page.route('**/*', (route) =>
        route.request().url().startsWith(base) ? route.continue() : route.abort(),
      );
      const check = async (name, response, expect) => {
        const report = await page.evaluate(() => {
          const button = document.querySelector('button');
          const r = button && button.getBoundingClientRect();
          return {
            h1: (document.querySelector('h1') || {}).textContent || '',
            text: document.body.innerText,
            lang: document.documentElement.lang,
            bg: getComputedStyle(document.body).backgroundColor,
            site: getComputedStyle(document.querySelector('.site')).color,
            scrollWidth: document.documentElement.scrollWidth,
            vw: window.innerWidth,
            button: button ? { visible: r.width > 0 && r.height > 0, inside: r.left >= 0 && r.right <= window.innerWidth + 0.5 } : null,
          };
        });
        const shot = path.join(outDir, `${name}-${width}.png`);
        await page.screenshot({ path: shot, fullPage: true });
        const own = [];
        if (response.status() !== expect.status) own.push(`status ${response.status()}, expected ${expect.status}`);
        if (report.h1 !== expect.h1) own.push(`heading "${report.h1}", expected "${expect.h1}"`);
        for (const t of expect.text || []) if (!report.text.includes(t)) own.push(`no "${t}" on the page`);
        if (report.lang !== 'nl') own.push(`lang="${report.lang}"`);
        if (report.bg !== PAGE_BG || report.site !== ACCENT) own.push(`not styled like the digest (background ${report.bg}, site name ${report.site}): was the style blocked?`);
        if (report.scrollWidth > report.vw) own.push(`scrolls sideways: ${report.scrollWidth} px in ${report.vw} px`);
        if (expect.button && !(report.button && report.button.visible && report.button.inside)) own.push('the button is missing, hidden or cut off');
        if (!expect.button && report.button) own.push('a button where none belongs');
        console.log(`${shot}: ${response.status()} "${report.h1}"${own.length ? '' : ', ok'}`);
        for (const p of own) console.log(`  ${p}`);
        problems.push(...own.map((p) => `${name}-${width}: ${p}`));
      };
      const click = async () => {
        const [response] = await Promise.all([
          page.waitForNavigation({ waitUntil: 'load' }),
          page.click('button'),
        ]);
        return response;
      };

      // The link in the digest, then its button.
      let response = await page.goto(`${base}/afmelden/${tokens[i]}`, { waitUntil: 'load' });
      await check('unsubscribe', response, { status: 200, h1: 'Afmelden voor Leest Meer?', button: true });
      response = await click();
      await check('unsubscribed', response, {
        status: 200,
        h1: 'Je bent uitgeschreven',
        text: ['krijgt hem niet meer'],
      });

      // Signing up, and the link in the confirmation mail.
      const email = `nieuw-${width}@example.org`;
      response = await page.goto(`${base}/subscribe`, { waitUntil: 'load' });
      await check('subscribe', response, { status: 200, h1: 'Aanmelden voor Leest Meer', button: true });
      await page.fill('input[type=email]', email);
      response = await click();
      await check('check-mail', response, { status: 200, h1: 'Kijk in je mailbox' });
      const link = await confirmationLink(path.join(outbox, 'confirm', `${email}.eml`));
      response = await page.goto(link.replace(/^https:\/\/[^/]+/, base), { waitUntil: 'load' });
      await check('confirm', response, { status: 200, h1: 'Bevestig je aanmelding', text: [email], button: true });
      response = await click();
      await check('confirmed', response, { status: 200, h1: 'Je bent aangemeld', text: [email] });

      // A dead link.
      response = await page.goto(`${base}/afmelden/${'0'.repeat(32)}`, { waitUntil: 'load' });
      await check('not-found', response, { status: 404, h1: 'Deze link werkt niet' });

      for (const b of blocked) problems.push(`${width}: the browser reported: ${b}`);
      await page.close();
    }
  } finally {
    await context.close();
  }
  if (problems.length) {
    for (const p of problems) console.error(`  ${p}`);
    console.error('serve pages: failed');
    process.exit(1);
  }
  console.log('serve pages: every page right at every width');
}

/** Waits for the confirmation mail and reads the link out of it. */
async function confirmationLink(file) {
  const deadline = Date.now() + 20000;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`no confirmation mail at ${file}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  let text = fs.readFileSync(file, 'utf8');
  if (/content-transfer-encoding:\s*quoted-printable/i.test(text)) {
    text = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  }
  const m = text.match(/https?:\/\/\S+\/confirm\/[0-9a-f]+/);
  if (!m) throw new Error(`no confirmation link in ${file}`);
  return m[0];
}

main().catch((e) => {
  console.error(`serve pages: ${e.message}`);
  process.exit(1);
});
