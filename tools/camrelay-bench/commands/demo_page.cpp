// camrelay-bench: the demo camera's page. The frame format it reads is
// demo_frame.hpp's.
#include "demo_page.hpp"

namespace camrelay::bench {

std::string demo_page() {
    return R"page(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>camrelay demo camera</title>
<link rel="icon" href="data:,">
<style>
  body { margin: 0; background: #111318; color: #e6e7ee; font: 15px/1.45 system-ui, sans-serif; }
  main { max-width: 960px; margin: 0 auto; padding: 12px 14px; }
  h1 { font-size: 18px; font-weight: 600; margin: 2px 0 10px; }
  canvas { display: block; width: 100%; aspect-ratio: 16 / 9; background: #000; border-radius: 4px;
           image-rendering: pixelated; }
  dl { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 8px; margin: 10px 0 6px; }
  dl div { background: #1c1f28; border-radius: 4px; padding: 6px 10px; }
  dt { color: #9ba1b3; font-size: 12px; }
  dd { margin: 0; font: 600 20px/1.3 ui-monospace, monospace; }
  p { color: #9ba1b3; font-size: 13px; margin: 6px 0; }
  #status { color: #e6e7ee; }
  #status.bad { color: #ff8f80; }
</style>
</head>
<body>
<main>
<h1>camrelay demo camera</h1>
<canvas id="picture" width="320" height="180"></canvas>
<dl>
  <div><dt>frame rate</dt><dd id="fps">-</dd></div>
  <div><dt>latency *</dt><dd id="latency">-</dd></div>
  <div><dt>frames</dt><dd id="frames">0</dd></div>
  <div><dt>frames missed</dt><dd id="missed">0</dd></div>
  <div><dt>received</dt><dd id="rate">-</dd></div>
</dl>
<p id="status">connecting...</p>
<p>* From the camera's send time to this device's clock: exact when both run on
one machine, as in the demo, or keep their clocks in step.</p>
<p>Every frame is a raw picture, 320&times;180 pixels at 4 bits, in one binary
WebSocket message from the camera, through its tunnel and the relay.</p>
</main>
<script>
'use strict';
(() => {
  const canvas = document.getElementById('picture');
  const context = canvas.getContext('2d');
  const stats = { state: 'connecting', frames: 0, missed: 0, fps: 0, latencyMs: null, bytesPerSecond: 0,
                  lastFrame: null };
  window.demoStats = stats;
  const recent = [];  // {at, latency, bytes} of the frames of the last second
  let image = null;
  let pixels = null;
  // This page's own address, its query (the k= key) included, as ws: or
  // wss:: the relay pipes it to the camera that served the page.
  const url = location.href.replace(/^http/, 'ws').replace(/#.*$/, '');
  const hasKey = new URLSearchParams(location.search).has('k');

  const show = (id, text) => { document.getElementById(id).textContent = text; };
  const setStatus = (text, bad) => {
    const element = document.getElementById('status');
    element.textContent = text;
    element.className = bad ? 'bad' : '';
    stats.state = text;
  };

  const update = () => {
    const now = performance.now();
    while (recent.length > 0 && now - recent[0].at > 1000) recent.shift();
    const span = recent.length > 1 ? recent[recent.length - 1].at - recent[0].at : 0;
    stats.fps = span > 0 ? (recent.length - 1) * 1000 / span : 0;
    stats.latencyMs = recent.length === 0 ? null : recent.reduce((sum, f) => sum + f.latency, 0) / recent.length;
    // Over the same span: the bytes of the frames after the first.
    stats.bytesPerSecond = span > 0 ? recent.slice(1).reduce((sum, f) => sum + f.bytes, 0) * 1000 / span : 0;
    show('fps', stats.fps.toFixed(1));
    show('latency', stats.latencyMs === null ? '-' : stats.latencyMs.toFixed(1) + ' ms');
    show('frames', String(stats.frames));
    show('missed', String(stats.missed));
    show('rate', Math.round(stats.bytesPerSecond / 1024) + ' KiB/s');
  };

  // One frame (demo_frame.hpp): header, palette, pixels two a byte.
  const draw = (buffer) => {
    const view = new DataView(buffer);
    if (buffer.byteLength < 28 || view.getUint32(0, true) !== 0x31445243) return false;  // "CRD1"
    const width = view.getUint16(4, true);
    const height = view.getUint16(6, true);
    const frame = Number(view.getBigUint64(8, true));
    const sentUs = Number(view.getBigUint64(16, true));
    const colours = view.getUint8(25);
    const start = view.getUint16(26, true);
    if (view.getUint8(24) !== 4 || start !== 28 + 3 * colours || buffer.byteLength !== start + width * height / 2) {
      return false;
    }
    if (image === null || image.width !== width || image.height !== height) {
      canvas.width = width;
      canvas.height = height;
      image = context.createImageData(width, height);
      pixels = new Uint32Array(image.data.buffer);
    }
    const palette = new Uint32Array(16);
    for (let i = 0; i < colours; i++) {
      const [r, g, b] = [0, 1, 2].map((c) => view.getUint8(28 + 3 * i + c));
      palette[i] = (0xff000000 | (b << 16) | (g << 8) | r) >>> 0;  // R, G, B, A in memory
    }
    const bytes = new Uint8Array(buffer, start);
    for (let i = 0; i < bytes.length; i++) {
      pixels[2 * i] = palette[bytes[i] >> 4];
      pixels[2 * i + 1] = palette[bytes[i] & 15];
    }
    context.putImageData(image, 0, 0);

    if (stats.lastFrame !== null && frame > stats.lastFrame + 1) stats.missed += frame - stats.lastFrame - 1;
    stats.lastFrame = frame;
    stats.frames += 1;
    const latency = ((performance.timeOrigin + performance.now()) * 1000 - sentUs) / 1000;
    recent.push({ at: performance.now(), latency, bytes: buffer.byteLength });
    update();
    return true;
  };

  // Another try after 3 s, twice as long after each one that got no frame
  // (up to a minute): a refused key is not retried at full speed, and the
  // relay's throttle of refused keys is not reached by one open page.
  let retryS = 3;
  const connect = () => {
    setStatus('connecting...', false);
    const framesBefore = stats.frames;
    const socket = new WebSocket(url);
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => setStatus('live', false);
    socket.onmessage = (event) => {
      if (!(event.data instanceof ArrayBuffer) || !draw(event.data)) {
        setStatus('a message that is not a demo frame arrived: is this the demo camera?', true);
      }
    };
    socket.onclose = (event) => {
      stats.lastFrame = null;
      const gotFrames = stats.frames > framesBefore;
      const why = gotFrames ? 'the connection closed' : !hasKey ? 'this link has no key (k=)' :
        'refused or not reachable: an expired or wrong key, another viewer on this key, or the camera is offline';
      retryS = gotFrames ? 3 : Math.min(retryS * 2, 60);
      setStatus(why + ' (' + event.code + '); trying again in ' + retryS + ' s', true);
      setTimeout(connect, retryS * 1000);
    };
  };

  setInterval(update, 500);
  connect();
})();
</script>
</body>
</html>
)page";
}

}  // namespace camrelay::bench
