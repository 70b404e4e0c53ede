// The soak's cameras: one WebSocket server per camera, all in this process.
// A viewer's session (its URL's s=, which the relay passes on once it has
// removed k= and the camera's prefix) gets `rate` data messages a second
// (protocol.js) until it says bye; then the camera sends end with its
// counts and closes. Upstream messages are echoed as they come. When a
// session's connection closes, one JSON line goes to the log:
//   {"t":UNIX_S,"camera":NAME,"session":N,"sent":DATA_SENT,"upstream":RECEIVED,"bye":BOOL}
// (with "open_at_exit":true for a connection still open when it ends).
//   node soak_camera.js --log FILE [--rate N] NAME=PORT...
'use strict';
const fs = require('fs');
const http = require('http');
const { WebSocketServer } = require('ws');
const p = require('./protocol.js');

const args = process.argv.slice(2);
let rate = 20;
let logFile = null;
const cameras = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--rate') rate = Number(args[++i]);
  else if (args[i] === '--log') logFile = args[++i];
  else cameras.push(args[i].split('='));
}
if (!logFile || cameras.length === 0 || !(rate > 0)) {
  console.error('usage: soak_camera.js --log FILE [--rate N] NAME=PORT...');
  process.exit(2);
}
const log = fs.createWriteStream(logFile, { flags: 'a' });
// Messages a session may have queued in this process before the camera
// skips a beat (a viewer that cannot keep up): the sequence goes on.
const MAX_BUFFERED = 1 << 20;
const live = new Set();  // the record function of each open connection

for (const [name, port] of cameras) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`soak camera ${name}\n`);
  });
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    const session = Number(new URL(req.url, 'http://x').searchParams.get('s') || 0) >>> 0;
    let sent = 0;
    let received = 0;
    let bye = false;
    const timer = setInterval(() => {
      if (ws.readyState !== ws.OPEN || ws.bufferedAmount > MAX_BUFFERED) return;
      ws.send(p.data(session, sent), { binary: true });
      sent++;
    }, 1000 / rate);
    ws.on('message', (m) => {
      if (bye) return;
      if (m.length >= p.HEADER && m[0] === p.UPSTREAM) {
        received++;
        ws.send(m, { binary: true });
      } else if (m.length >= p.HEADER && m[0] === p.BYE) {
        bye = true;
        clearInterval(timer);
        ws.send(p.header(p.END, session, sent, received), { binary: true });
        ws.close(1000, 'bye');
      }
    });
    ws.on('error', () => {});
    const record = (extra) => {
      clearInterval(timer);
      log.write(
        JSON.stringify({ t: Date.now() / 1000, camera: name, session, sent, upstream: received, bye, ...extra }) + '\n',
      );
    };
    ws.on('close', () => {
      live.delete(record);
      record({});
    });
    live.add(record);
  });
  server.listen(Number(port), '127.0.0.1', () => console.log(`camera ${name} listening on ${port}`));
}
// Connections still open at the end are recorded too (open_at_exit).
process.on('SIGTERM', () => {
  for (const record of live) record({ open_at_exit: true });
  log.end(() => process.exit(0));
});
