// Headless Chromium (Debian's, through playwright-core) opens the demo
// camera's browser link, as a person would, and prints what it saw as one
// JSON object: the page's counters (window.demoStats) a moment apart, whether
// the canvas changed between two screenshots, a few of its pixels, the
// page's origin (the relay's sandbox makes it "null") and any script error;
// then what the page says with a wrong key. Saves a screenshot of the whole
// page.
//   node demo_page.js BROWSER_LINK SCREENSHOT.png PROFILE_DIR
'use strict';
const { chromium } = require('playwright-core');
const { launchOptions } = require('../lib/chromium.js');

const [link, screenshot, profile] = process.argv.slice(2);
const stats = (page) => page.evaluate(() => ({ ...window.demoStats }));
(async () => {
  const context = await chromium.launchPersistentContext(profile, {
    ...launchOptions(), viewport: { width: 720, height: 640 }, deviceScaleFactor: 1,
  });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e && e.message || e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(link, { waitUntil: 'load', timeout: 15000 });
    await page.waitForFunction(() => window.demoStats && window.demoStats.frames >= 5, null, { timeout: 15000 });
    const canvas = page.locator('canvas');
    const out = { origin: await page.evaluate(() => self.origin) };
    out.first = await stats(page);
    const firstShot = await canvas.screenshot();
    await page.waitForTimeout(1500);
    out.second = await stats(page);
    const secondShot = await canvas.screenshot();
    out.canvasChanged = !firstShot.equals(secondShot);
    out.shown = await page.evaluate(() => ({
      fps: document.getElementById('fps').textContent,
      latency: document.getElementById('latency').textContent,
      frames: document.getElementById('frames').textContent,
      status: document.getElementById('status').textContent,
    }));
    // The first two colour bars (75% white, yellow) and the band, as drawn.
    out.pixels = await page.evaluate(() => {
      const context = document.getElementById('picture').getContext('2d');
      const at = (x, y) => Array.from(context.getImageData(x, y, 1, 1).data.slice(0, 3));
      return { size: [context.canvas.width, context.canvas.height], bar0: at(22, 60), bar1: at(68, 60), band: at(2, 178) };
    });
    await page.screenshot({ path: screenshot });
    // The same page with a key whose signature is wrong: it says so, and
    // draws nothing.
    const refused = await context.newPage();
    const wrong = link.slice(0, -10) + (link.at(-10) === 'A' ? 'B' : 'A') + link.slice(-9);  // in the MAC
    await refused.goto(wrong, { waitUntil: 'load', timeout: 15000 });
    await refused.waitForFunction(() => /refused/.test(window.demoStats.state), null, { timeout: 15000 });
    out.refused = { ...(await stats(refused)), shown: await refused.evaluate(() => document.getElementById('status').textContent) };
    out.errors = errors;
    console.log(JSON.stringify(out));
  } finally {
    await context.close();
  }
})().catch((e) => {
  console.log(JSON.stringify({ error: String(e && e.message || e) }));
  process.exit(1);
});
