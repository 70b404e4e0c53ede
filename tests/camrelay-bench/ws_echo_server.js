// An echo server built on Node's ws package, the independent implementation
// camrelay-bench's client is checked against. Every other message goes back
// in three fragments; each connection gets a ping first. It logs what the
// test asserts on: pongs and close codes.
//   node ws_echo_server.js                  ws://
//   node ws_echo_server.js CERT.pem KEY.pem  wss://, TLS by Node
'use strict';
const fs = require('fs');
const https = require('https');
const { WebSocketServer } = require('ws');

const [certFile, keyFile] = process.argv.slice(2);
const maxPayload = 64 << 20;
let server;
let listener;
if (certFile) {
  listener = https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) });
  server = new WebSocketServer({ server: listener, maxPayload });
  listener.listen(0, '127.0.0.1');
} else {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload });
  listener = server;
}
let messages = 0;

listener.on('listening', () => console.log(`listening on ${listener.address().port}`));
server.on('connection', (socket, request) => {
  console.log(`connection ${request.url}`);
  socket.ping(Buffer.from('are you there'));
  socket.on('pong', (data) => console.log(`pong ${data.toString()}`));
  socket.on('message', (data, isBinary) => {
    messages += 1;
    if (messages % 2 === 0 && data.length >= 3) {
      const third = Math.floor(data.length / 3);
      socket.send(data.subarray(0, third), { binary: isBinary, fin: false });
      socket.send(data.subarray(third, 2 * third), { binary: isBinary, fin: false });
      socket.send(data.subarray(2 * third), { binary: isBinary, fin: true });
    } else {
      socket.send(data, { binary: isBinary });
    }
  });
  socket.on('close', (code) => console.log(`close ${code}`));
});

setTimeout(() => process.exit(0), 120000);  // never outlive the test
