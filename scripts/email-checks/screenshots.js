// Opens digest HTML in headless Chromium at phone and desktop widths, saves
// full-page screenshots, and fails when the page scrolls sideways or an item
// title is missing, hidden or cut off.
//
// usage: node screenshots.js OUT_DIR FILE.html...
// SHOT_WIDTHS (default `600,375`) sets the window widths; SHOT_SCHEMES
// (default `light`; `light,dark`) the emulated `prefers-color-scheme`.
// The number of items expected in X.html is `count` in X.json beside it
// (what `postbode preview --json` writes).
// Chromium: $CHROMIUM, else /usr/bin/chromium. The network stays closed:
// every remote image is answered with a local 1008×567 placeholder, the
// size of a typical news photo, so that image scaling is judged too.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { launch } = require('./browser');

/** A PNG of one colour, made here so the check needs no files or network. */
function placeholderPng(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set([0x9a, 0xa7, 0xb0], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const WIDTHS = (process.env.SHOT_WIDTHS || '600,375').split(',').map(Number);
const SCHEMES = (process.env.SHOT_SCHEMES || 'light').split(',');

async function main() {
  const [outDir, ...files] = process.argv.slice(2);
  if (!outDir || files.length === 0) {
    console.error('usage: node screenshots.js OUT_DIR FILE.html...');
    process.exit(2);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const context = await launch();
  const image = placeholderPng(1008, 567);
  let failed = false;
  try {
    for (const file of files) {
      const json = file.replace(/\.html$/, '.json');
      const expected = fs.existsSync(json) ? JSON.parse(fs.readFileSync(json, 'utf8')).count : null;
      for (const scheme of SCHEMES) for (const width of WIDTHS) {
        const page = await context.newPage({});
        await page.setViewportSize({ width, height: 900 });
        await page.emulateMedia({ colorScheme: scheme });
        // The file itself, placeholder images, and nothing else.
        await page.route('**/*', (route) => {
          const request = route.request();
          if (request.url().startsWith('file:')) return route.continue();
          if (request.resourceType() === 'image') {
            return route.fulfill({ status: 200, contentType: 'image/png', body: image });
          }
          return route.abort();
        });
        await page.goto('file://' + path.resolve(file), { waitUntil: 'load' });
        const report = await page.evaluate(() => {
          const vw = window.innerWidth;
          const titles = [...document.querySelectorAll('h3')].map((h) => {
            const r = h.getBoundingClientRect();
            const style = getComputedStyle(h);
            return {
              text: h.textContent.trim(),
              visible: r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && style.display !== 'none',
              inside: r.left >= 0 && r.right <= vw + 0.5,
            };
          });
          const images = [...document.images].map((img) => {
            const r = img.getBoundingClientRect();
            return { loaded: img.complete && img.naturalWidth > 0, inside: r.left >= 0 && r.right <= vw + 0.5, src: img.src };
          });
          return {
            vw,
            images,
            scrollWidth: document.documentElement.scrollWidth,
            bodyScrollWidth: document.body ? document.body.scrollWidth : 0,
            titles,
          };
        });
        const name = path.basename(file, path.extname(file));
        const suffix = scheme === 'light' ? '' : `-${scheme}`;
        const shot = path.join(outDir, `${name}-${width}${suffix}.png`);
        await page.screenshot({ path: shot, fullPage: true });
        const problems = [];
        if (report.scrollWidth > report.vw) {
          problems.push(`scrolls sideways: ${report.scrollWidth} px wide in a ${report.vw} px window`);
        }
        if (expected !== null && report.titles.length !== expected) {
          problems.push(`shows ${report.titles.length} item titles, expected ${expected}`);
        }
        for (const img of report.images) {
          if (!img.loaded) problems.push(`image not shown: ${img.src}`);
          else if (!img.inside) problems.push(`image wider than the window: ${img.src}`);
        }
        for (const t of report.titles) {
          if (!t.visible) problems.push(`title not visible: ${t.text}`);
          else if (!t.inside) problems.push(`title cut off at the side: ${t.text}`);
        }
        console.log(`${shot}: ${report.titles.length} items, ${report.images.length} images, page ${report.scrollWidth} px in ${report.vw} px${problems.length ? '' : ', ok'}`);
        for (const p of problems) console.log(`  ${p}`);
        if (problems.length) failed = true;
        await page.close();
      }
    }
  } finally {
    await context.close();
  }
  if (failed) {
    console.error('screenshots: failed');
    process.exit(1);
  }
  console.log('screenshots: no sideways scrolling, every item shown');
}

main().catch((e) => {
  console.error(`screenshots: ${e.message}`);
  process.exit(1);
});
