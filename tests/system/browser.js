// Headless Chromium (Debian's, through playwright-core from
// tests/packaging) opens the demo camera's page through the relay, over
// https and wss://, trusting the test CA the way a user's browser trusts
// one: the CA is in the profile's NSS store (HOME/.pki/nssdb, certutil),
// no certificate error is ignored.
//   HOME=DIR node browser.js URL [FRAMES]
// Prints {"ok":...,"frames":N,"state":"live","page_status":200}; ok when
// FRAMES (5) binary frames were drawn within 20 s.
'use strict';
const path = require('path');
const { chromium } = require(path.join(__dirname, '../packaging/node_modules/playwright-core'));
const { launchOptions } = require('../lib/chromium.js');

const [url, want = '5'] = process.argv.slice(2);
(async () => {
  const context = await chromium.launchPersistentContext(path.join(process.env.HOME, 'profile'), launchOptions());
  try {
    const page = await context.newPage();
    const response = await page.goto(url, { waitUntil: 'load', timeout: 15000 });
    let stats = null;
    try {
      await page.waitForFunction((n) => window.demoStats && window.demoStats.frames >= n, Number(want),
        { timeout: 20000 });
    } finally {
      stats = await page.evaluate(() => window.demoStats || null).catch(() => null);
    }
    console.log(JSON.stringify({ ok: true, frames: stats.frames, state: stats.state,
      page_status: response ? response.status() : null }));
  } finally {
    await context.close();
  }
})().catch((e) => {
  console.log(JSON.stringify({ ok: false, why: String(e && e.message || e).split('\n')[0] }));
  process.exit(1);
});
