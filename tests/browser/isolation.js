// Headless Chromium (Debian's, through playwright-core) as one viewer's
// browser: it opens the hostile camera's page, then the honest camera's page
// with a key, then the hostile page again, all through the relay at one
// origin, and prints what each page reported as one JSON object.
//   node isolation.js RELAY_URL KEY PROFILE_DIR
'use strict';
const { chromium } = require('playwright-core');
const { launchOptions } = require('../lib/chromium.js');

const [relay, key, profile] = process.argv.slice(2);
const visit = async (page, url, name) => {
  await page.goto(url, { waitUntil: 'load', timeout: 15000 });
  await page.waitForFunction((n) => window[n] !== undefined, name, { timeout: 15000 });
  return page.evaluate((n) => window[n], name);
};
(async () => {
  const context = await chromium.launchPersistentContext(profile, launchOptions());
  try {
    const page = await context.newPage();
    const out = {};
    out.evil_first = await visit(page, `${relay}/evil/index.html`, 'evilResult');
    out.good = await visit(page, `${relay}/good/viewer.html?k=${encodeURIComponent(key)}`, 'goodResult');
    out.evil_after = await visit(page, `${relay}/evil/index.html`, 'evilResult');
    // Cookies the browser holds for the relay, whoever set them.
    out.cookies = (await context.cookies(relay)).map((c) => `${c.name}=${c.value}; path=${c.path}`);
    out.workers = context.serviceWorkers().map((w) => w.url());
    console.log(JSON.stringify(out));
  } finally {
    await context.close();
  }
})().catch((e) => {
  console.log(JSON.stringify({ error: String(e && e.message || e) }));
  process.exit(1);
});
