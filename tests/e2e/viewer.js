// An independent WebSocket viewer (the ws package, RFC 6455). Connects to
// URL, checks what the camera pushes and that `count` random 16 KiB binary
// messages come back byte for byte. Prints one JSON line; exit 0 on success.
// With --expect-status N it instead expects the upgrade to be refused with
// HTTP status N and prints the status, the camrelay-reason header and body.
// --timeout S: give up after S seconds (default 20).
// With --hold it stays connected after the camera's first message: it prints
// {"open":true,...} then, when the connection closes, {"closed":true,
// "at":UNIX_SECONDS,...} and exits 0 (tests/e2e/revocation_test.sh).
'use strict';
const crypto = require('crypto');
const WebSocket = require('ws');

const args = process.argv.slice(2);
const url = args[0];
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const expectStatus = opt('--expect-status', null);
const count = Number(opt('--count', 100));
const push = Number(opt('--push', 8));
const hold = args.includes('--hold');
const CHUNK = 16 * 1024;

const fail = (why) => {
  console.log(JSON.stringify({ ok: false, why }));
  process.exit(1);
};
setTimeout(() => fail('timeout'), Number(opt('--timeout', 20)) * 1000).unref();

const ws = new WebSocket(url, { perMessageDeflate: false });
ws.on('unexpected-response', (req, res) => {
  let body = '';
  res.on('data', (d) => (body += d));
  res.on('end', () => {
    const out = { ok: false, status: res.statusCode, reason: res.headers['camrelay-reason'] || '', body };
    if (expectStatus !== null && String(res.statusCode) === expectStatus) out.ok = true;
    console.log(JSON.stringify(out));
    process.exit(out.ok ? 0 : 1);
  });
});
ws.on('error', (e) => fail('error: ' + e.message));
ws.on('close', (code) => {
  if (!hold || cameraUrl === null) return;
  console.log(JSON.stringify({ closed: true, at: Date.now() / 1000, code }));
  process.exit(0);
});
ws.on('open', () => {
  if (expectStatus !== null) fail('upgrade was accepted, expected ' + expectStatus);
});

let cameraUrl = null;
let pushed = 0;
let sent = [];
let echoed = 0;
ws.on('message', (data, isBinary) => {
  if (!isBinary) fail('text message received');
  if (cameraUrl === null) {
    cameraUrl = data.toString().replace(/^URL:/, '');
    if (hold) {
      console.log(JSON.stringify({ open: true, cameraUrl, at: Date.now() / 1000 }));
      return;
    }
    if (push === 0) sendNext();
    return;
  }
  if (hold) return;
  if (pushed < push) {
    if (data.length !== CHUNK || data.readUInt32BE(0) !== pushed) fail('pushed message ' + pushed + ' wrong');
    for (let i = 4; i < CHUNK; i++) if (data[i] !== ((pushed + i) & 0xff)) fail('pushed payload corrupt');
    pushed++;
    if (pushed === push) sendNext();
    return;
  }
  if (!data.equals(sent[echoed])) fail('echo ' + echoed + ' differs');
  echoed++;
  if (echoed === count) {
    console.log(JSON.stringify({ ok: true, cameraUrl, pushed, echoed }));
    ws.close();
    process.exit(0);
  }
  sendNext();
});
function sendNext() {
  const msg = crypto.randomBytes(CHUNK);
  sent.push(msg);
  ws.send(msg, { binary: true });
}
