// A viewer of the demo camera through the relay, for the booted-machine
// tests (tests/system/run.sh): WebSocket from tests/e2e's node modules.
//   node viewer.js URL --ca FILE [--frames N] [--timeout S]
//     connects, waits for N binary messages (10); prints
//     {"ok":true,"first_ms":...,"frames":N}: first_ms from the start of the
//     connection (TCP, TLS and WebSocket handshakes included) to the first
//     binary message
//   node viewer.js URL --ca FILE --hold S [--retry-ms MS] [--events FILE]
//     watches for S seconds (0: until SIGTERM); when the connection closes it connects again
//     every MS ms (500) until binary messages flow again; prints
//     {"ok":...,"frames":...,"disconnects":D,"gaps_ms":[...],"longest_gap_ms":...}
//     (a gap: from the last message before a close to the first after it)
//     ok: a message arrived and the last connection was live at the end;
//     FILE gets a line {"at":EPOCH_S,"event":"frames"|"closed"} when a
//     connection's first message arrives and when a live one closes
// The URL's k= key is never printed.
'use strict';
const fs = require('fs');
const path = require('path');
const WebSocket = require(path.join(__dirname, '../e2e/node_modules/ws'));

const args = process.argv.slice(2);
const url = args[0];
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const ca = opt('--ca') ? fs.readFileSync(opt('--ca')) : undefined;
const holding = args.includes('--hold');
const hold = holding ? Number(opt('--hold')) * 1000 : 0;
const frames = Number(opt('--frames', '10'));
const timeout = Number(opt('--timeout', '20')) * 1000;
const retryMs = Number(opt('--retry-ms', '500'));
const now = () => Number(process.hrtime.bigint()) / 1e6;

const result = { ok: false, frames: 0 };
const done = (ok, why) => {
  result.ok = ok;
  if (why) result.why = why;
  console.log(JSON.stringify(result));
  process.exit(ok ? 0 : 1);
};

if (!holding) {
  const start = now();
  const socket = new WebSocket(url, { ca, handshakeTimeout: timeout });
  setTimeout(() => done(false, 'timed out'), timeout);
  socket.on('message', (data, isBinary) => {
    if (!isBinary) return;
    if (result.frames === 0) result.first_ms = Math.round((now() - start) * 10) / 10;
    result.frames += 1;
    if (result.frames >= frames) done(true);
  });
  socket.on('unexpected-response', (req, res) => done(false, 'HTTP ' + res.statusCode + ' ' + (res.headers['camrelay-reason'] || '')));
  socket.on('error', (e) => done(false, String(e.message)));
  socket.on('close', () => done(false, 'closed after ' + result.frames + ' messages'));
} else {
  result.disconnects = 0;
  result.gaps_ms = [];
  const events = opt('--events');
  const note = (event) => {
    if (events) fs.appendFileSync(events, JSON.stringify({ at: Date.now() / 1000, event }) + '\n');
  };
  let lastMessage = null;
  let down = false;
  let live = false;
  const connect = () => {
    const socket = new WebSocket(url, { ca, handshakeTimeout: 5000 });
    socket.on('message', (data, isBinary) => {
      if (!isBinary) return;
      const t = now();
      if (down) {
        result.gaps_ms.push(Math.round(t - lastMessage));
        down = false;
      }
      if (!live) note('frames');
      live = true;
      lastMessage = t;
      result.frames += 1;
    });
    socket.on('unexpected-response', () => socket.terminate());
    socket.on('error', () => {});
    socket.on('close', () => {
      if (live) {
        note('closed');
        result.disconnects += 1;
        down = true;
      }
      live = false;
      setTimeout(connect, retryMs);
    });
  };
  connect();
  const finish = () => {
    if (down) result.gaps_ms.push(Math.round(now() - lastMessage));
    result.longest_gap_ms = result.gaps_ms.length ? Math.max(...result.gaps_ms) : 0;
    done(result.frames > 0 && live);
  };
  process.on('SIGTERM', finish);
  if (hold > 0) setTimeout(finish, hold);
}
