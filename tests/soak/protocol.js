// The soak's messages between the stand-in cameras (soak_camera.js) and the
// viewers (soak_viewers.js), every one of them checkable:
//
//   data      camera -> viewer: type 1, session, sequence, length; the
//             rest a pattern of those three (its size varies with them)
//   upstream  viewer -> camera: type 2, session, sequence; echoed back as is
//   bye       viewer -> camera: type 3, session: "I am leaving"
//   end       camera -> viewer: type 4, session, data messages sent,
//             upstream messages received: the last message of a session
//             that ended in order
// A header is 16 bytes: type (1 byte, 3 zero bytes), session, sequence and
// length (or the two counts), big-endian 32-bit numbers.
'use strict';

const DATA = 1;
const UPSTREAM = 2;
const BYE = 3;
const END = 4;
const HEADER = 16;
const UPSTREAM_SIZE = 64;

// The size of data message `seq` of session `session`: 64 B to 12 KiB.
function dataSize(session, seq) {
  return HEADER + 48 + ((seq * 7919 + session * 104729) % 12224);
}

function patternByte(session, seq, i) {
  return (seq * 31 + session * 17 + i) & 0xff;
}

function header(type, session, a, b) {
  const m = Buffer.alloc(HEADER);
  m[0] = type;
  m.writeUInt32BE(session >>> 0, 4);
  m.writeUInt32BE(a >>> 0, 8);
  m.writeUInt32BE(b >>> 0, 12);
  return m;
}

function data(session, seq) {
  const size = dataSize(session, seq);
  const m = Buffer.alloc(size);
  m[0] = DATA;
  m.writeUInt32BE(session >>> 0, 4);
  m.writeUInt32BE(seq >>> 0, 8);
  m.writeUInt32BE(size, 12);
  for (let i = HEADER; i < size; i++) m[i] = patternByte(session, seq, i);
  return m;
}

// What is wrong with data message `m` of `session` (its header says which
// sequence number it is): "" if nothing, else why.
function checkData(m, session) {
  if (m.length < HEADER || m[0] !== DATA) return 'not a data message';
  const seq = m.readUInt32BE(8);
  if (m.readUInt32BE(4) !== session) return `data of session ${m.readUInt32BE(4)}`;
  const size = dataSize(session, seq);
  if (m.length !== size || m.readUInt32BE(12) !== size) return `data ${seq}: ${m.length} bytes, not ${size}`;
  for (let i = HEADER; i < size; i++) if (m[i] !== patternByte(session, seq, i)) return `data ${seq}: byte ${i} differs`;
  return '';
}

function upstream(session, seq) {
  const m = Buffer.alloc(UPSTREAM_SIZE);
  header(UPSTREAM, session, seq, UPSTREAM_SIZE).copy(m);
  for (let i = HEADER; i < UPSTREAM_SIZE; i++) m[i] = patternByte(session, seq, i) ^ 0x55;
  return m;
}

function isUpstream(m, session, seq) {
  return m.length === UPSTREAM_SIZE && m.equals(upstream(session, seq));
}

module.exports = { DATA, UPSTREAM, BYE, END, HEADER, header, data, checkData, upstream, isUpstream };
