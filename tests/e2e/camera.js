// A stand-in for a Picam360 camera server: one HTTP port that serves pages
// and takes WebSocket connections, binary messages only, as the real camera.
// On each WebSocket connection it first reports the URL it was asked for
// ("URL:<url>", so a test can check that the relay removed k=), then pushes
// `push` messages of 16 KiB (sequence number + pattern), then echoes every
// message it receives. tests/e2e/viewer.js drives it.
//
// GET /viewer.html is the page a browser loads through the relay: its
// script opens ws(s)://<same host>/<camera>/?k=<k of the page's own URL>,
// checks the pushed messages, sends 5 binary messages, checks their echoes,
// and leaves the outcome in window.camrelayResult (and document.title).
//   node camera.js PORT [PUSH]
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2]);
const push = Number(process.argv[3] || 8);
const CHUNK = 16 * 1024;

const page = `<!doctype html>
<meta charset="utf-8">
<title>camera viewer</title>
<p id="status">connecting</p>
<script>
'use strict';
const done = (result) => {
  if (window.camrelayResult) return;
  window.camrelayResult = result;
  document.title = result.ok ? 'ok' : 'failed';
  document.getElementById('status').textContent = JSON.stringify(result);
};
const key = new URLSearchParams(location.search).get('k') || '';
const base = location.pathname.replace(/[^/]*$/, '');
const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + base + '?k=' + encodeURIComponent(key);
const ws = new WebSocket(url);
ws.binaryType = 'arraybuffer';
let first = true, pushed = 0, echoed = 0, opened = false;
const sent = [];
ws.onopen = () => { opened = true; };
ws.onerror = () => { if (!opened) done({ ok: false, refused: true, url }); };
ws.onclose = (e) => { if (!opened) done({ ok: false, refused: true, code: e.code, url }); };
ws.onmessage = (e) => {
  if (!(e.data instanceof ArrayBuffer)) return done({ ok: false, why: 'text message' });
  const bytes = new Uint8Array(e.data);
  if (first) { first = false; return; }
  if (pushed < ${push}) {
    const view = new DataView(e.data);
    if (bytes.length !== ${CHUNK} || view.getUint32(0) !== pushed) return done({ ok: false, why: 'pushed message ' + pushed });
    pushed++;
    if (pushed === ${push}) {
      for (let i = 0; i < 5; i++) {
        const m = new Uint8Array(1000 + i);
        for (let j = 0; j < m.length; j++) m[j] = (i * 7 + j) & 0xff;
        sent.push(m);
        ws.send(m);
      }
    }
    return;
  }
  const want = sent[echoed];
  if (!want || want.length !== bytes.length || want.some((b, j) => b !== bytes[j])) return done({ ok: false, why: 'echo ' + echoed });
  echoed++;
  if (echoed === sent.length) { done({ ok: true, pushed, echoed, url: url.replace(/k=[^&]*/, 'k=...') }); ws.close(); }
};
</script>
`;

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/viewer.html')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(page);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`camera page for ${req.url}\n`);
});
const wss = new WebSocketServer({ server });
wss.on('connection', (ws, req) => {
  ws.send(Buffer.from('URL:' + req.url), { binary: true });
  for (let seq = 0; seq < push; seq++) {
    const msg = Buffer.alloc(CHUNK);
    msg.writeUInt32BE(seq, 0);
    for (let i = 4; i < CHUNK; i++) msg[i] = (seq + i) & 0xff;
    ws.send(msg, { binary: true });
  }
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
server.listen(port, '127.0.0.1', () => console.log(`camera listening on ${port}`));
process.on('SIGTERM', () => process.exit(0));
