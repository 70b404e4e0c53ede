// The soak's viewers: `viewers` slots, each a viewer that joins its camera
// through the relay, stays for a random while, says bye and leaves, then
// joins again, until SIGTERM (then all say bye, and the process exits once
// they are gone). Slot i watches camera i mod C with the key in
// KEYS/<camera>.<i> (read anew at each join: the soak replaces keys), from
// its own loopback address 127.0.1.<i+1> (the relay allows 4 viewers per
// address and camera). Every data message is checked against its sequence
// and pattern (protocol.js), every upstream message's echo too. A refused
// join (the camera offline, a revoked key) is tried again a second later.
// Now and then a join with a revoked or a forged key, from 127.0.2.1, must
// be refused.
//
// One JSON line per session in the log when it ends:
//   {"session","camera","slot","t0","t1","status","reason","received",
//    "next" (the data sequence number expected next), "lost" (numbers
//    skipped), "out_of_order", "bad" (not intact), "upstream_sent",
//    "echoes","bad_echoes","end","sent","upstream","negative","stalled",
//    "error","first_bad" (what the first wrong message was)}
// end: "orderly" (the camera's end message came: "sent" and "upstream" are
// its counts), "cut" (the connection closed without it), "refused".
// Every second the status file gets {"t","open" (sessions connecting or
// open),"sessions","longest_key_busy"}.
//   node soak_viewers.js --relay HOST:PORT --cameras A,B,... --keys DIR
//        --viewers N --log FILE --status FILE [--min S] [--max S]
//        [--negative-every S] [--upstream-hz N]
'use strict';
const fs = require('fs');
const WebSocket = require('ws');
const p = require('./protocol.js');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const relay = opt('--relay');
const cameras = (opt('--cameras') || '').split(',').filter(Boolean);
const keysDir = opt('--keys');
const viewers = Number(opt('--viewers', 8));
const logFile = opt('--log');
const statusFile = opt('--status');
const minS = Number(opt('--min', 3));
const maxS = Number(opt('--max', 20));
const negativeEvery = Number(opt('--negative-every', 5));
const upstreamHz = Number(opt('--upstream-hz', 5));
if (!relay || cameras.length === 0 || !keysDir || !logFile || !statusFile || !(viewers > 0)) {
  console.error('usage: soak_viewers.js --relay HOST:PORT --cameras A,B --keys DIR --viewers N --log FILE --status FILE');
  process.exit(2);
}
const log = fs.createWriteStream(logFile, { flags: 'a' });
const STALL_S = 10;  // an open session without any message this long is stalled
let nextSession = 1;
let stopping = false;
const active = new Set();  // sessions connecting or open
const keyBusySince = new Array(viewers).fill(0);  // first "too_many_viewers_for_key" of a streak
let longestKeyBusy = 0;
const now = () => Date.now() / 1000;
const later = (s, f) => setTimeout(f, s * 1000);

function readKey(name) {
  try {
    return fs.readFileSync(`${keysDir}/${name}`, 'utf8').trim();
  } catch (e) {
    return null;
  }
}

// A key the relay must refuse: a revoked one if the soak left one, else a
// current key with its MAC's first character changed (still well formed).
function badKey(camera, slot) {
  const revoked = readKey(`revoked.${camera}`);
  if (revoked && Math.random() < 0.5) return revoked;
  const good = readKey(`${camera}.${slot}`) || 'v1.x';
  const dot = good.lastIndexOf('.') + 1;
  return good.slice(0, dot) + (good[dot] === 'A' ? 'B' : 'A') + good.slice(dot + 1);
}

function session(slot, negative) {
  const keySlot = negative ? Math.floor(Math.random() * viewers) : slot;
  const camera = cameras[keySlot % cameras.length];
  const key = negative ? badKey(camera, keySlot) : readKey(`${camera}.${slot}`);
  const rec = {
    session: nextSession++, camera, slot, t0: now(), t1: 0, status: 0, reason: '', received: 0, next: 0, lost: 0,
    out_of_order: 0, bad: 0, upstream_sent: 0, echoes: 0, bad_echoes: 0, end: '', sent: null, upstream: null, negative,
    stalled: false, error: '', first_bad: '',
  };
  const url = `ws://${relay}/${camera}/?s=${rec.session}&k=${encodeURIComponent(key || '')}`;
  const ws = new WebSocket(url, {
    perMessageDeflate: false,
    handshakeTimeout: 15000,
    localAddress: negative ? '127.0.2.1' : `127.0.1.${slot + 1}`,
  });
  active.add(ws);
  let last = now();
  let upTimer = null;
  let leaveTimer = null;
  let byeSent = false;
  let done = false;
  const watchdog = setInterval(() => {
    if (rec.status === 101 && now() - last > STALL_S) {
      rec.stalled = true;
      ws.terminate();
    }
  }, 1000);
  const finish = () => {
    if (done) return;
    done = true;
    clearInterval(watchdog);
    clearInterval(upTimer);
    clearTimeout(leaveTimer);
    active.delete(ws);
    rec.t1 = now();
    if (!rec.end) rec.end = rec.status === 101 ? 'cut' : 'refused';
    log.write(JSON.stringify(rec) + '\n');
    if (negative) return;
    if (rec.reason === 'too_many_viewers_for_key') {
      if (!keyBusySince[slot]) keyBusySince[slot] = rec.t0;
      longestKeyBusy = Math.max(longestKeyBusy, rec.t1 - keyBusySince[slot]);
    } else {
      keyBusySince[slot] = 0;
    }
    if (!stopping) later(rec.status === 101 ? 0.3 + Math.random() * 0.7 : 1, () => session(slot, false));
  };
  const bye = () => {
    if (byeSent || ws.readyState !== WebSocket.OPEN) return;
    byeSent = true;
    clearInterval(upTimer);
    ws.send(p.header(p.BYE, rec.session, 0, 0), { binary: true });
  };
  ws.on('unexpected-response', (req, res) => {
    rec.status = res.statusCode;
    rec.reason = res.headers['camrelay-reason'] || '';
    res.resume();
    req.destroy();
    finish();
  });
  ws.on('open', () => {
    rec.status = 101;
    last = now();
    if (stopping) return bye();
    if (!negative) {
      upTimer = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.send(p.upstream(rec.session, rec.upstream_sent++), { binary: true });
      }, 1000 / upstreamHz);
    }
    leaveTimer = later(negative ? 0.5 : minS + Math.random() * (maxS - minS), bye);
  });
  ws.on('message', (m) => {
    last = now();
    const type = m.length >= p.HEADER ? m[0] : 0;
    if (type === p.DATA) {
      const wrong = p.checkData(m, rec.session);
      const seq = m.length >= p.HEADER ? m.readUInt32BE(8) : -1;
      if (wrong) {
        rec.bad++;
        if (!rec.first_bad) rec.first_bad = wrong;
      } else if (seq === rec.next) {
        rec.received++;
        rec.next++;
      } else {
        // Intact, but not the one expected: the gap (or the step back)
        // is counted, and the sequence followed from this one on.
        if (seq > rec.next) rec.lost += seq - rec.next;
        else rec.out_of_order++;
        if (!rec.first_bad) rec.first_bad = `data ${seq} where ${rec.next} was expected`;
        rec.received++;
        rec.next = seq + 1;
      }
    } else if (type === p.UPSTREAM) {
      if (p.isUpstream(m, rec.session, rec.echoes)) rec.echoes++;
      else {
        rec.bad_echoes++;
        if (!rec.first_bad) rec.first_bad = `echo ${m.readUInt32BE(8)} where ${rec.echoes} was expected`;
      }
    } else if (type === p.END && m.readUInt32BE(4) === rec.session) {
      rec.end = 'orderly';
      rec.sent = m.readUInt32BE(8);
      rec.upstream = m.readUInt32BE(12);
    } else {
      rec.bad++;
      if (!rec.first_bad) rec.first_bad = `a message of type ${type}, ${m.length} bytes: ${m.slice(0, 24).toString('hex')}`;
    }
  });
  ws.on('error', (e) => {
    if (!rec.error) rec.error = e.message;
  });
  ws.on('close', finish);
  ws.bye = bye;
}

function writeStatus() {
  const tmp = statusFile + '.tmp';
  fs.writeFileSync(
    tmp,
    JSON.stringify({ t: now(), open: active.size, sessions: nextSession - 1, longest_key_busy: longestKeyBusy }) + '\n',
  );
  fs.renameSync(tmp, statusFile);
}

for (let slot = 0; slot < viewers; slot++) later((slot * 0.5) / viewers, () => session(slot, false));
const negativeTimer = setInterval(() => session(-1, true), negativeEvery * 1000);
const statusTimer = setInterval(writeStatus, 1000);
writeStatus();

process.on('SIGTERM', () => {
  stopping = true;
  clearInterval(negativeTimer);
  for (const ws of active) ws.bye();
  const deadline = now() + 15;
  const wait = setInterval(() => {
    if (active.size > 0 && now() < deadline) return;
    clearInterval(wait);
    clearInterval(statusTimer);
    writeStatus();
    log.end(() => process.exit(0));
  }, 100);
});
