// Headless Chromium (Debian's, through playwright-core) loads the camera's
// viewer page through the relay and reports what its WebSocket did.
//   node browser.js URL SPKI_SHA256_BASE64 PROFILE_DIR
// Prints the page's result as JSON; exit 0 when the page finished at all
// (the caller decides whether ok or refused was expected).
'use strict';
const { chromium } = require('playwright-core');
const { launchOptions } = require('../lib/chromium.js');

const [url, spki, profile] = process.argv.slice(2);
(async () => {
  // Trust the test server certificate by its public key (the test CA is
  // not in the system store).
  const context = await chromium.launchPersistentContext(profile,
    launchOptions([`--ignore-certificate-errors-spki-list=${spki}`]));
  try {
    const page = await context.newPage();
    const response = await page.goto(url, { waitUntil: 'load', timeout: 15000 });
    await page.waitForFunction(() => window.camrelayResult !== undefined, null, { timeout: 15000 });
    const result = await page.evaluate(() => window.camrelayResult);
    result.page_status = response ? response.status() : null;
    result.page_url = page.url().replace(/k=[^&]*/, 'k=...');
    console.log(JSON.stringify(result));
  } finally {
    await context.close();
  }
})().catch((e) => {
  console.log(JSON.stringify({ ok: false, why: String(e && e.message || e) }));
  process.exit(1);
});
