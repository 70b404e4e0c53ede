// A stand-in for a Picam360 camera server: HTTP page + WebSocket on one port.
// Binary messages only, as the real camera. On each WebSocket connection it
// first reports the URL it was asked for (so the test can check that k= was
// removed by the relay), then pushes `push` messages of 16 KiB, then echoes
// every message it receives.
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2]);
const push = Number(process.argv[3] || 8);
const CHUNK = 16 * 1024;

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(`<!doctype html><title>camera</title><p>camera page for ${req.url}</p>\n`);
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
