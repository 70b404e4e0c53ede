// Live streams for the fault tests (tests/faults): cameras that push a
// numbered stream to every viewer, and one process that plays many viewers
// and accounts for every message. The ws package (RFC 6455), as tests/e2e.
//
//   node stream.js camera NAME=PORT... [--rate N] [--size BYTES]
//       Camera servers (one process, so SIGSTOP freezes them all): to each
//       WebSocket connection a camera sends "HELLO NAME URL", then N
//       messages a second (default 20) of BYTES (default 1024): a 32-bit
//       sequence number from 0, the send time (float64 ms), a pattern of the
//       number. A binary "FIN" from the viewer stops its stream and is
//       answered "END COUNT" (how many were sent). Plain HTTP gets a small
//       page. Logs one line per connection.
//
//   node stream.js viewers --status FILE [--reconnect] [--send-every MS] SPEC...
//       One viewer per SPEC, NAME,LOCAL_ADDRESS,URL (the address it connects
//       from: the relay admits a few viewers per address). Each checks every
//       message (HELLO first, then numbers 0, 1, 2... and the pattern: a
//       missing, repeated or corrupt message is counted). With --reconnect a
//       closed or refused viewer connects again (0.1 s, doubling to 1 s);
//       with --send-every it sends the camera 16 bytes that often, as a
//       viewer's controls do. FILE is rewritten every 0.1 s, a line each:
//         NAME STATE OPENS CLOSES REFUSALS LAST_STATUS RECEIVED GAPS CORRUPT
//         LAST_MSG_MS CLOSED_MS RESUMED_MS END CAMERA MAX_STALL_MS
//       STATE: connecting, open (upgraded, no data yet), streaming, waiting
//       (to reconnect), closed, done; *_MS are Unix milliseconds (0: never):
//       the last message, the last close, the first message after the last
//       (re)connection; END: - until finished, then ok or bad:WHY;
//       MAX_STALL_MS: the longest wait between two messages of a connection.
//       SIGUSR2 finishes: each streaming viewer sends FIN and checks that
//       what it received on this connection is exactly the camera's END
//       COUNT, in order (no loss); then all close, FILE is written a last
//       time with a line "finished", and the process exits.
//
//   node stream.js probe LOCAL_ADDRESS URL
//       One upgrade: prints {"status":101} once the camera's HELLO came, or
//       the refusal {"status":N,"reason":camrelay-reason}; exits 0 either way.
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
// tests/e2e's ws (its package.json; npm ci there, as tools/dev/install-deps.sh does)
const WebSocket = require(path.join(__dirname, '..', 'e2e', 'node_modules', 'ws'));

const HEADER = 12; // sequence number, send time
const pattern = (seq, i) => (seq * 7 + i) & 0xff;
const now = () => Date.now();
const option = (args, name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};

function camera(args) {
  const rate = Number(option(args, '--rate', 20));
  const size = Math.max(HEADER, Number(option(args, '--size', 1024)));
  const conns = new Set();
  for (const spec of args.filter((a) => !a.startsWith('--') && a.includes('='))) {
    const [name, port] = spec.split('=');
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`camera ${name} page for ${req.url}\n`);
    });
    const wss = new WebSocket.WebSocketServer({ server, perMessageDeflate: false });
    wss.on('connection', (ws, req) => {
      const conn = { ws, seq: 0, streaming: true };
      conns.add(conn);
      console.log(`${now()} ${name} open ${req.url.replace(/k=[^&]*/, 'k=...')}`);
      ws.send(Buffer.from(`HELLO ${name} ${req.url}`), { binary: true });
      ws.on('message', (data) => {
        if (data.toString() !== 'FIN' || !conn.streaming) return;
        conn.streaming = false;
        ws.send(Buffer.from(`END ${conn.seq}`), { binary: true });
      });
      ws.on('close', () => {
        conns.delete(conn);
        console.log(`${now()} ${name} close after ${conn.seq} messages`);
      });
      ws.on('error', () => {});
    });
    server.listen(Number(port), '127.0.0.1', () => console.log(`${now()} camera ${name} listening on ${port}`));
  }
  setInterval(() => {
    for (const conn of conns) {
      if (!conn.streaming || conn.ws.readyState !== WebSocket.OPEN) continue;
      const msg = Buffer.alloc(size);
      msg.writeUInt32BE(conn.seq, 0);
      msg.writeDoubleBE(now(), 4);
      for (let i = HEADER; i < size; i++) msg[i] = pattern(conn.seq, i);
      conn.ws.send(msg, { binary: true });
      conn.seq++;
    }
  }, 1000 / rate);
  process.on('SIGTERM', () => process.exit(0));
}

function viewers(args) {
  const statusFile = option(args, '--status', null);
  const reconnect = args.includes('--reconnect');
  const sendEvery = Number(option(args, '--send-every', 0));
  if (!statusFile) throw new Error('viewers: --status FILE is required');
  const specs = args.filter((a, i) => a.includes(',') && !['--status', '--send-every'].includes(args[i - 1]));
  let finishing = false;
  const all = specs.map((spec) => {
    const [name, local, ...rest] = spec.split(',');
    return {
      name, local, url: rest.join(','), state: 'connecting', opens: 0, closes: 0, refusals: 0, lastStatus: 0,
      received: 0, gaps: 0, corrupt: 0, lastMsg: 0, closedAt: 0, resumedAt: 0, end: '-', camera: '-',
      maxStall: 0, ws: null, expect: 0, hello: false, delay: 100,
    };
  });

  const write = (last) => {
    const lines = all.map((v) => [v.name, v.state, v.opens, v.closes, v.refusals, v.lastStatus, v.received, v.gaps,
      v.corrupt, v.lastMsg, v.closedAt, v.resumedAt, v.end, v.camera, v.maxStall].join(' '));
    if (last) lines.push('finished');
    fs.writeFileSync(statusFile + '.tmp', lines.join('\n') + '\n');
    fs.renameSync(statusFile + '.tmp', statusFile);
  };

  const again = (v) => {
    if (!reconnect || finishing) {
      v.state = v.end === '-' ? 'closed' : 'done';
      return;
    }
    v.state = 'waiting';
    setTimeout(() => connect(v), v.delay);
    v.delay = Math.min(1000, v.delay * 2);
  };

  const connect = (v) => {
    v.state = 'connecting';
    v.hello = false;
    v.expect = 0;
    const ws = new WebSocket(v.url, { perMessageDeflate: false, localAddress: v.local, handshakeTimeout: 10000 });
    v.ws = ws;
    let refused = false;
    ws.on('unexpected-response', (req, res) => {
      refused = true;
      v.refusals++;
      v.lastStatus = res.statusCode;
      res.resume();
      req.destroy();
      again(v);
    });
    let chatter = null;
    ws.on('open', () => {
      v.opens++;
      v.state = 'open';
      if (sendEvery > 0) chatter = setInterval(() => ws.send(Buffer.alloc(16, 0x43), { binary: true }), sendEvery);
    });
    ws.on('message', (data) => {
      if (!v.hello) {
        const hello = data.toString();
        if (!hello.startsWith('HELLO ')) v.corrupt++;
        v.camera = hello.split(' ')[1] || '?';
        v.hello = true;
        return;
      }
      if (data.length < HEADER || data.toString('latin1', 0, 4) === 'END ') {
        const sent = Number(data.toString().split(' ')[1]);
        v.end = sent === v.expect ? 'ok' : `bad:sent=${sent},received=${v.expect}`;
        ws.close();
        return;
      }
      const seq = data.readUInt32BE(0);
      if (seq !== v.expect) v.gaps++;
      for (let i = HEADER; i < data.length; i += 97) {
        if (data[i] !== pattern(seq, i)) {
          v.corrupt++;
          break;
        }
      }
      v.expect = seq + 1;
      v.received++;
      if (v.state === 'streaming') v.maxStall = Math.max(v.maxStall, now() - v.lastMsg);
      v.lastMsg = now();
      if (v.state !== 'streaming') {
        v.state = 'streaming';
        v.resumedAt = v.lastMsg;
        v.delay = 100;
      }
    });
    ws.on('close', () => {
      if (chatter) clearInterval(chatter);
      if (refused) return;
      if (v.end !== '-') {
        v.state = 'done';
        return;
      }
      if (v.opens > 0 && v.state !== 'connecting') {
        v.closes++;
        v.closedAt = now();
      }
      again(v);
    });
    ws.on('error', () => {}); // a close follows
  };

  all.forEach(connect);
  setInterval(() => write(false), 100);
  process.on('SIGUSR2', () => {
    finishing = true;
    for (const v of all) {
      if (v.state === 'streaming' || v.state === 'open') v.ws.send(Buffer.from('FIN'), { binary: true });
      else v.state = v.end === '-' ? 'closed' : 'done';
    }
    const done = () => all.every((v) => v.state === 'closed' || v.state === 'done');
    const until = now() + 10000;
    const wait = setInterval(() => {
      if (!done() && now() < until) return;
      clearInterval(wait);
      write(true);
      process.exit(0);
    }, 50);
  });
  process.on('SIGTERM', () => {
    write(false);
    process.exit(0);
  });
}

function probe(args) {
  const [local, url] = args;
  const ws = new WebSocket(url, { perMessageDeflate: false, localAddress: local, handshakeTimeout: 10000 });
  const out = (o) => {
    console.log(JSON.stringify(o));
    process.exit(0);
  };
  ws.on('unexpected-response', (req, res) => out({ status: res.statusCode, reason: res.headers['camrelay-reason'] || '' }));
  ws.on('message', () => out({ status: 101 }));
  ws.on('error', (e) => out({ status: 0, error: e.message }));
  setTimeout(() => out({ status: 0, error: 'timeout' }), 15000).unref();
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'camera') camera(rest);
else if (mode === 'viewers') viewers(rest);
else if (mode === 'probe') probe(rest);
else {
  console.error('usage: stream.js camera|viewers|probe ...');
  process.exit(2);
}
