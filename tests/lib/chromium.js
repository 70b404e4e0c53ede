// The options every browser test launches headless Chromium with: Debian's
// package (/usr/bin/chromium), through playwright-core, which the caller
// requires from its own node_modules. Quiet: no updates, sync or QUIC.
//   chromium.launchPersistentContext(profile, launchOptions([EXTRA_ARG...]))
'use strict';

const launchOptions = (extraArgs = []) => ({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ...extraArgs,
  ],
});

module.exports = { launchOptions };
