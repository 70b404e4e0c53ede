// Keyless page requests held open against one relay: N GETs of URL at once,
// each from its own loopback address (127.0.1.1, 127.0.1.2, ...), so that a
// per-address rate limit does not stop them: only a per-camera bound can.
// Prints one JSON line when all have ended (or on SIGTERM): how many ended,
// their statuses and camrelay-reason headers, the slowest answer in seconds.
//   node hold_pages.js URL N
'use strict';
const http = require('http');

const url = new URL(process.argv[2]);
const n = Number(process.argv[3] || 200);
const t0 = process.hrtime.bigint();
const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;
const statuses = {};
const reasons = {};
let ended = 0;
let slowest = 0;

const report = () => {
  console.log(JSON.stringify({ sent: n, ended, statuses, reasons, slowest: Number(slowest.toFixed(3)) }));
};
const done = (status, reason) => {
  statuses[status] = (statuses[status] || 0) + 1;
  if (reason) reasons[reason] = (reasons[reason] || 0) + 1;
  slowest = Math.max(slowest, seconds());
  if (++ended === n) {
    report();
    process.exit(0);
  }
};
for (let i = 0; i < n; i++) {
  const req = http.request({
    host: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    localAddress: `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`,
    agent: false,
  });
  req.on('response', (res) => {
    res.resume();
    res.on('end', () => done(String(res.statusCode), res.headers['camrelay-reason']));
  });
  req.on('error', (e) => done('error:' + e.code));
  req.end();
}
process.on('SIGTERM', () => {
  report();
  process.exit(0);
});
