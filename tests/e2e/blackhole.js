// A camera that is there but never answers: it accepts TCP connections on
// 127.0.0.1:PORT, reads and throws away what arrives, and never writes a
// byte. Prints how many connections it holds when it gets SIGTERM.
//   node blackhole.js PORT
'use strict';
const net = require('net');

const port = Number(process.argv[2]);
let held = 0;
let total = 0;
const server = net.createServer((sock) => {
  held++;
  total++;
  sock.on('data', () => {});
  sock.on('error', () => {});
  sock.on('close', () => held--);
});
server.listen(port, '127.0.0.1', () => console.log(`black hole listening on ${port}`));
process.on('SIGTERM', () => {
  console.log(JSON.stringify({ held, total }));
  process.exit(0);
});
