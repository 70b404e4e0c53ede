#
# camrelay.vcl: the camera relay, to include from your VCL.
#
# Viewers' WebSocket upgrades need a valid k= key, a free viewer slot and a
# connected tunnel, and are then piped to the camera; other GET and HEAD
# requests (the camera's own viewer page) are routed to the camera without a
# key and passed; other methods get 405. Refusals are short synthetic
# answers with a "camrelay-reason: <outcome>" header. A client address that
# collects 20 refusals within 60 s gets 429 for every request for 120 s.
# See vmod_camrelay(3) for the module and every outcome.
#
# Use it like default.vcl does:
#
#     vcl 4.1;
#     backend default none;
#     include "./camrelay.vcl";
#     sub vcl_recv { call camrelay_recv; }
#     sub vcl_pipe { call camrelay_pipe; }
#     sub vcl_synth { call camrelay_synth; }
#     sub vcl_backend_error { call camrelay_backend_error; }
#
# The relay object reads /etc/camrelay/cameras.conf and secrets.conf, or the
# directory named by $CAMRELAY_CONFIG in varnishd's environment.
#
# varnishd parameters this VCL is written for:
#
#   -p vsl_mask=-ReqURL   varnishd logs every request URL, k= key included,
#                         before any VCL runs; this keeps keys out of the
#                         shared log. camrelay logs each decision itself
#                         (VCL_Log, key without its MAC).
#   -p pipe_timeout=30    a pipe that carried nothing either way for 30 s is
#                         closed. A live Picam360 stream is never quiet that
#                         long (parameter updates every 33 ms besides the
#                         video); a tunnel that died silently frees its
#                         viewer slot and worker thread within 30 s instead
#                         of the default 60. Never 0: dead viewers would then
#                         hold their slots forever.
#   thread_pool_max       every viewer holds one worker thread while piped;
#                         each of the thread_pools should have room for all
#                         viewers plus other traffic.
#   pipe_sess_max         the most viewers at once: one more gets a 503 at
#                         once, and page loads still find a free thread.
#                         `camrelay setup --max-viewers N` sets thread_pools=2,
#                         thread_pool_max=N+100 (at least 500) and
#                         pipe_sess_max=N (BENCHMARKS.md, "Tuning").
#
# The camera's page without a key: the Picam360 page must load before its
# script opens the WebSocket with the key. To require the key for the page
# too, change `key = false` to `key = true` in camrelay_recv below; then
# every URL of the page (scripts, images) needs k= as well.

vcl 4.1;

import camrelay;
import std;
import vsthrottle;

sub vcl_init {
	# config_dir "": $CAMRELAY_CONFIG, else /etc/camrelay.
	new relay = camrelay.relay();
}

# Count one refusal for the client's address; past 20 in 60 s the address
# is blocked for 120 s. The four arguments name the bucket: keep them the
# same here and in camrelay_recv.
sub camrelay_count_refusal {
	if (vsthrottle.is_denied("camrelay-refusals:" + client.ip, 20, 60s, 120s)) {
		return (synth(429, "camrelay:throttled"));
	}
}

sub camrelay_refuse {
	call camrelay_count_refusal;
	return (synth(relay.status(), "camrelay:" + relay.outcome()));
}

sub camrelay_recv {
	if (vsthrottle.blocked("camrelay-refusals:" + client.ip, 20, 60s, 120s) > 0s) {
		return (synth(429, "camrelay:throttled"));
	}

	if (req.http.Upgrade ~ "(?i)websocket") {
		if (req.method != "GET") {
			call camrelay_count_refusal;
			return (synth(405, "camrelay:method_not_allowed"));
		}
		# A viewer: key, tunnel and a free viewer slot (held until the
		# pipe closes).
		relay.decide(key = true, viewer = true);
		if (!relay.allowed()) {
			call camrelay_refuse;
		}
		set req.backend_hint = relay.backend();
		set req.url = relay.url();
		return (pipe);
	}

	if (req.method != "GET" && req.method != "HEAD") {
		call camrelay_count_refusal;
		return (synth(405, "camrelay:method_not_allowed"));
	}
	# The camera's own page and its files: routed, tunnel checked, no key.
	relay.decide(key = false, viewer = false);
	if (!relay.allowed()) {
		call camrelay_refuse;
	}
	set req.backend_hint = relay.backend();
	set req.url = relay.url();
	return (pass);
}

sub camrelay_pipe {
	# Without these the request goes out with "Connection: close" and the
	# camera never upgrades.
	if (req.http.Upgrade) {
		set bereq.http.Upgrade = req.http.Upgrade;
		set bereq.http.Connection = req.http.Connection;
	}
	return (pipe);
}

# Our refusals carry "camrelay:<reason>" as their reason phrase until here.
sub camrelay_synth {
	if (resp.reason ~ "^camrelay:") {
		set resp.http.camrelay-reason = regsub(resp.reason, "^camrelay:", "");
		if (resp.status == 400) {
			set resp.reason = "Bad Request";
		} elsif (resp.status == 403) {
			set resp.reason = "Forbidden";
		} elsif (resp.status == 404) {
			set resp.reason = "Not Found";
		} elsif (resp.status == 405) {
			set resp.reason = "Method Not Allowed";
		} elsif (resp.status == 429) {
			set resp.reason = "Too Many Requests";
		} elsif (resp.status == 503) {
			set resp.reason = "Service Unavailable";
		} else {
			set resp.reason = "Refused";
		}
		set resp.http.Content-Type = "text/plain; charset=utf-8";
		set resp.http.Cache-Control = "no-store";
		if (resp.http.camrelay-reason == "throttled") {
			set resp.http.Retry-After = std.integer(
			    duration = vsthrottle.blocked("camrelay-refusals:" + client.ip,
			    20, 60s, 120s), fallback = 120) + 1;
			set resp.http.Connection = "close";
			set resp.body = "429 Too Many Requests: too many refused requests" +
			    " from your address, try again later" + {"
"};
		} elsif (resp.http.camrelay-reason == "method_not_allowed") {
			set resp.http.Allow = "GET, HEAD";
			set resp.body = "405 Method Not Allowed: only GET and HEAD" + {"
"};
		} else {
			set resp.body = "" + resp.status + " " + resp.reason + ": " +
			    relay.reason() + {"
"};
		}
		return (deliver);
	}
}

# A passed request (the camera's page) whose camera did not answer: its
# tunnel went down after the check in camrelay_recv, or the camera itself
# does not answer. Say so instead of "Backend fetch failed".
sub camrelay_backend_error {
	set beresp.status = 503;
	set beresp.reason = "Service Unavailable";
	set beresp.http.camrelay-reason = "offline";
	set beresp.http.Content-Type = "text/plain; charset=utf-8";
	set beresp.http.Cache-Control = "no-store";
	if (relay.camera_of(bereq.backend) != "") {
		set beresp.body = "503 Service Unavailable: camera " +
		    relay.camera_of(bereq.backend) + " is offline or not answering" + {"
"};
	} else {
		set beresp.body = "503 Service Unavailable: camera offline or not answering" + {"
"};
	}
	return (deliver);
}
