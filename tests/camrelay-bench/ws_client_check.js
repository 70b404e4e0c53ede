// Node's ws package as a viewer of camrelay-bench's camera:
//   node ws_client_check.js echo ws://127.0.0.1:PORT/path
//     messages of several sizes up to 1 MiB, text, fragmented sends, ping,
//     a stream request (format checked here independently), close handshake
//   node ws_client_check.js stream ws://127.0.0.1:PORT/path
//     the camera's own stream (stream id 0) from sequence number 0
'use strict';
const WebSocket = require('ws');
const crypto = require('crypto');

const [mode, url] = process.argv.slice(2);
function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}
setTimeout(() => fail('timed out after 60 s'), 60000);

// Messages arrive in order; next() waits for the following one.
class Inbox {
  constructor(socket) {
    this.queue = [];
    this.waiting = [];
    socket.on('message', (data, isBinary) => this.push({ data, isBinary }));
    socket.on('close', (code) => this.push({ closed: code }));
  }
  push(item) {
    if (this.waiting.length) this.waiting.shift()(item);
    else this.queue.push(item);
  }
  next() {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

function open(target) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(target, { maxPayload: 64 << 20 });
    const inbox = new Inbox(socket);
    socket.once('open', () => resolve({ socket, inbox }));
    socket.once('error', reject);
  });
}

// The data message format of tools/camrelay-bench/measure/bench_message.hpp, written
// again here from its description.
const MASK64 = (1n << 64n) - 1n;
function patternSeed(sequence) {
  let z = (sequence + 0x632BE59BD9B4E019n) & MASK64;
  z = ((z ^ (z >> 30n)) * 0xBF58476D1CE4E5B9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94D049BB133111EBn) & MASK64;
  return z ^ (z >> 31n);
}
function checkDataMessage(buf, expectSequence, expectStream) {
  if (buf.length < 32) fail(`data message of ${buf.length} bytes`);
  if (buf.toString('latin1', 0, 4) !== 'CRB1') fail('data message without the CRB1 magic');
  if (buf.readUInt32LE(4) !== buf.length) fail(`length field ${buf.readUInt32LE(4)} for ${buf.length} bytes`);
  const sequence = buf.readBigUInt64LE(8);
  if (sequence !== expectSequence) fail(`sequence ${sequence}, expected ${expectSequence}`);
  if (buf.readUInt32LE(24) !== expectStream) fail(`stream id ${buf.readUInt32LE(24)}, expected ${expectStream}`);
  if (buf.readUInt32LE(28) !== 0) fail('reserved header field not zero');
  const seed = patternSeed(sequence);
  const expected = Buffer.alloc(Math.ceil((buf.length - 32) / 8) * 8);
  for (let i = 0; i < expected.length / 8; i += 1) {
    expected.writeBigUInt64LE((seed + BigInt(i) * 0x9E3779B97F4A7C15n) & MASK64, 8 * i);
  }
  if (!buf.subarray(32).equals(expected.subarray(0, buf.length - 32))) fail(`payload of message ${sequence} corrupted`);
}

async function echoChecks() {
  const { socket, inbox } = await open(url);
  for (const size of [0, 1, 125, 126, 127, 16384, 65535, 65536, 100000, 1 << 20]) {
    const data = crypto.randomBytes(size);
    socket.send(data, { binary: true });
    const echo = await inbox.next();
    if (!echo.isBinary || !Buffer.from(echo.data).equals(data)) fail(`echo of ${size} bytes differs`);
  }
  const text = 'h\u00e9llo \u20ac \u{1F4F7}';
  socket.send(text);
  const textEcho = await inbox.next();
  if (textEcho.isBinary || textEcho.data.toString('utf8') !== text) fail('text echo differs');

  const part1 = crypto.randomBytes(5000);
  const part2 = crypto.randomBytes(70000);
  socket.send(part1, { binary: true, fin: false });
  socket.send(part2, { binary: true, fin: true });
  const joined = await inbox.next();
  if (!Buffer.from(joined.data).equals(Buffer.concat([part1, part2]))) fail('fragmented message not joined');

  const pong = new Promise((resolve) => socket.once('pong', resolve));
  socket.ping(Buffer.from('ping payload'));
  if ((await pong).toString() !== 'ping payload') fail('pong payload differs');

  // Stream request: stream 7, 1000-byte messages every 2 ms.
  const request = Buffer.alloc(24);
  request.write('CRBS', 0, 'latin1');
  request.writeUInt32LE(7, 4);
  request.writeUInt32LE(1000, 8);
  request.writeBigUInt64LE(2000000n, 16);
  socket.send(request, { binary: true });
  for (let sequence = 0n; sequence < 20n; sequence += 1n) {
    const m = await inbox.next();
    if (m.closed !== undefined) fail(`closed (${m.closed}) during the stream`);
    checkDataMessage(Buffer.from(m.data), sequence, 7);
  }

  socket.close(1000, 'bye');
  let item;
  do item = await inbox.next(); while (item.closed === undefined);
  if (item.closed !== 1000) fail(`close code ${item.closed}, expected 1000`);
  console.log('echo checks: ok');
}

async function streamChecks() {
  const { socket, inbox } = await open(url);
  for (let sequence = 0n; sequence < 50n; sequence += 1n) {
    const m = await inbox.next();
    if (m.closed !== undefined) fail(`closed (${m.closed}) during the stream`);
    if (!m.isBinary) fail('text message in the stream');
    checkDataMessage(Buffer.from(m.data), sequence, 0);
  }
  socket.close(1000);
  let item;
  do item = await inbox.next(); while (item.closed === undefined);
  console.log('stream checks: ok');
}

(mode === 'stream' ? streamChecks() : echoChecks()).then(() => process.exit(0), (e) => fail(e.message || e));
