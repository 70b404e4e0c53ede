// The soak's message accounts: the viewers' sessions (soak_viewers.js),
// joined by session number with what the cameras counted (soak_camera.js),
// and the events the soak caused (bench/soak.sh: {"t","kind","camera"}
// lines, kind "flap" for a camera's ssh killed, "revoke" for camrelay
// camera revoke + reload). Prints one JSON object: the totals, and
// "failures", each a sentence; none means every message is accounted for:
//   - a session that ended in order got every data message the camera sent
//     and every echo of what it sent upstream, in order and intact;
//   - a session cut short (no end message) was cut by a flap or a revoke of
//     its camera shortly before, and got an unbroken, intact prefix of what
//     the camera sent (the rest was in flight: counted, not lost silently);
//   - no data message skipped, repeated or out of order, none altered;
//   - a refusal is one the soak caused: offline after its camera's flap (or
//     no answer at all, for a join that came as the tunnel went),
//     key_revoked after its revoke, the key still busy right after its
//     previous session (too_many_viewers_for_key, for at most a few
//     seconds), and every forged or revoked key was refused;
//   - no session stalled.
//   node account.js VIEWER_LOG CAMERA_LOG EVENTS_LOG
'use strict';
const fs = require('fs');

const lines = (file) =>
  fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    : [];
const [viewerLog, cameraLog, eventsLog] = process.argv.slice(2);
const sessions = lines(viewerLog);
const cameraSide = new Map(lines(cameraLog).map((c) => [c.session, c]));
const events = lines(eventsLog);

const CUT_WINDOW = 15;      // s from a flap or a revoke to the cuts it causes
const OFFLINE_WINDOW = 45;  // s a flapped camera may stay offline (ssh's back-off, reconnect)
const KEY_BUSY_LIMIT = 10;  // s a key may stay busy after its session ended

const after = (kinds, camera, t, window) =>
  events.some((e) => kinds.includes(e.kind) && e.camera === camera && e.t <= t + 1 && t - e.t <= window);

const out = {
  sessions: sessions.length,
  admitted: 0,
  orderly: 0,
  cut: 0,
  refused: {},
  negative: 0,
  data_sent: 0,
  data_received: 0,
  in_flight_at_cuts: 0,
  upstream_sent: 0,
  echoes: 0,
  upstream_in_flight_at_cuts: 0,
  lost: 0,
  out_of_order: 0,
  corrupt: 0,
  longest_key_busy_s: 0,
  failures: [],
};
const fail = (s, why) => {
  if (out.failures.length < 50) out.failures.push(`session ${s.session} (${s.camera}): ${why}`);
  else out.failures_left_out = (out.failures_left_out || 0) + 1;
};
const busySince = new Map();

for (const s of sessions.sort((a, b) => a.t0 - b.t0)) {
  const cam = cameraSide.get(s.session);
  if (s.negative) {
    out.negative++;
    if (s.status === 101) fail(s, 'a forged or revoked key was let in');
    else if (!(s.status === 403 || s.status === 429)) fail(s, `a forged or revoked key got ${s.status} ${s.reason}`);
    continue;
  }
  if (s.status !== 101) {
    const why = s.status ? `${s.status} ${s.reason}`.trim() : `no answer (${s.error || 'closed'})`;
    out.refused[why] = (out.refused[why] || 0) + 1;
    if (s.reason === 'too_many_viewers_for_key') {
      if (!busySince.has(s.slot)) busySince.set(s.slot, s.t0);
      const busy = s.t1 - busySince.get(s.slot);
      out.longest_key_busy_s = Math.max(out.longest_key_busy_s, Math.round(busy * 10) / 10);
      if (busy > KEY_BUSY_LIMIT) fail(s, `its key refused as busy for ${busy.toFixed(1)} s: a viewer slot not given back`);
      continue;
    }
    busySince.delete(s.slot);
    if (s.reason === 'offline' && after(['flap'], s.camera, s.t0, OFFLINE_WINDOW)) continue;
    if (s.reason === 'key_revoked' && after(['revoke'], s.camera, s.t0, CUT_WINDOW)) continue;
    // joined as its camera's tunnel went: the pipe to it ended at once
    if (!s.status && after(['flap'], s.camera, s.t0, CUT_WINDOW)) continue;
    fail(s, `refused, ${why}, with nothing the soak did to explain it`);
    continue;
  }
  busySince.delete(s.slot);
  out.admitted++;
  out.data_received += s.received;
  out.upstream_sent += s.upstream_sent;
  out.echoes += s.echoes;
  out.corrupt += s.bad + s.bad_echoes;
  out.lost += s.lost;
  out.out_of_order += s.out_of_order;
  if (s.bad || s.bad_echoes || s.lost || s.out_of_order)
    fail(s, `${s.lost} data messages skipped, ${s.out_of_order} out of order, ${s.bad} data and ` +
      `${s.bad_echoes} echoes not intact (first: ${s.first_bad})`);
  if (s.stalled) fail(s, 'no message for 10 s while open');
  if (!cam) {
    fail(s, 'the camera has no record of it');
    continue;
  }
  if (cam.open_at_exit) fail(s, 'its camera connection was still open at the end');
  out.data_sent += cam.sent;
  if (s.end === 'orderly') {
    out.orderly++;
    if (s.sent !== cam.sent || s.received !== cam.sent || s.next !== cam.sent)
      fail(s, `ended in order but got ${s.received} of the ${cam.sent} data messages sent`);
    if (s.upstream !== s.upstream_sent || cam.upstream !== s.upstream_sent || s.echoes !== s.upstream_sent)
      fail(s, `sent ${s.upstream_sent} upstream, the camera got ${cam.upstream}, ${s.echoes} came back`);
  } else {
    out.cut++;
    out.in_flight_at_cuts += cam.sent - s.received;
    out.upstream_in_flight_at_cuts += s.upstream_sent - s.echoes;
    if (s.next > cam.sent) fail(s, `got data message ${s.next - 1}, but the camera sent ${cam.sent}`);
    if (!after(['flap', 'revoke'], s.camera, s.t1, CUT_WINDOW))
      fail(s, `cut after ${(s.t1 - s.t0).toFixed(1)} s (${s.error || 'closed'}) with no flap or revoke of its camera`);
  }
}
// Sessions the cameras saw that no viewer reported.
const seen = new Set(sessions.map((s) => s.session));
out.camera_sessions_unreported = [...cameraSide.keys()].filter((n) => !seen.has(n)).length;
if (out.camera_sessions_unreported)
  out.failures.push(`${out.camera_sessions_unreported} sessions the cameras served are missing from the viewers' log`);
console.log(JSON.stringify(out, null, 1));
