#
# camrelay.vcl: the camera relay, to include from your VCL.
#
# Viewers' WebSocket upgrades need a valid k= key, a free viewer slot and a
# connected tunnel, and are then piped to the camera; other GET and HEAD
# requests (the camera's own viewer page) are routed to the camera without a
# key and passed; other methods get 405. Refusals are short synthetic
# answers with a "camrelay-reason: <outcome>" header. A WebSocket upgrade
# whose Connection header lacks the "upgrade" token is refused (400), never
# piped. Paths with "." or ".." segments are refused (400).
#
# The refusal throttle: only keys that fail the check (key_* outcomes)
# count; a client address with 20 of them within 60 s gets 429 "throttled"
# instead of its next key failures for 120 s. A valid key always gets in,
# and offline, full cameras, bad URLs and wrong methods never count, so a
# player reconnecting to an offline camera or viewers sharing a NAT address
# cannot lock each other out. The numbers are the relay object's
# throttle_refusals, throttle_window and throttle_block (see vcl_init);
# its max_viewers_per_key (1) and max_viewers_per_address (4) stop one key
# or one address from taking every viewer slot of a camera.
# See vmod_camrelay(3) for the module and every outcome.
#
# Use it like default.vcl does:
#
#     vcl 4.1;
#     backend default none;
#     include "./camrelay.vcl";
#     sub vcl_recv { call camrelay_recv; }
#     sub vcl_pipe { call camrelay_pipe; }
#     sub vcl_backend_error { call camrelay_backend_error; }
#     sub vcl_deliver { call camrelay_isolate_deliver; }
#     sub vcl_synth { call camrelay_isolate_synth; call camrelay_synth; }
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
	# config_dir "": $CAMRELAY_CONFIG, else /etc/camrelay. The viewer
	# limits per key and per client address, and the refusal throttle, with
	# their defaults (vmod_camrelay(3)): change them here.
	new relay = camrelay.relay(
	    max_viewers_per_key = 1,
	    max_viewers_per_address = 4,
	    throttle_refusals = 20,
	    throttle_window = 60s,
	    throttle_block = 120s,
	    # The camera's page (no key): at most 10 requests of one camera and
	    # 40 of all cameras at once, 10 s for its camera to answer, 60
	    # requests per address within 10 s (camrelay_recv).
	    page_connections = 10,
	    page_connections_total = 40,
	    page_timeout = 10s,
	    page_rate = 60,
	    page_rate_window = 10s);
}

# A refused decision. A key that failed the check counts for the client's
# address; past relay.throttle_refusals() within relay.throttle_window(),
# the address's key failures get 429 for relay.throttle_block(). The
# arguments name the vsthrottle bucket: keep them the same here and in
# camrelay_synth.
sub camrelay_refuse {
	if (relay.outcome() ~ "^key_" && vsthrottle.is_denied("camrelay-refusals:" + client.ip,
	    relay.throttle_refusals(), relay.throttle_window(), relay.throttle_block())) {
		return (synth(429, "camrelay:throttled"));
	}
	return (synth(relay.status(), "camrelay:" + relay.outcome()));
}

sub camrelay_recv {
	call camrelay_isolate_recv;

	if (req.http.Upgrade ~ "(?i)websocket") {
		if (req.method != "GET") {
			return (synth(405, "camrelay:method_not_allowed"));
		}
		# Without the "upgrade" token in Connection this is no upgrade
		# (RFC 9110, 7.8): piped anyway, the connection's later requests
		# would reach the camera unchecked, k= and prefix included.
		if (req.http.Connection !~ "(?i)(^|,)[ \t]*upgrade[ \t]*(,|$)") {
			return (synth(400, "camrelay:upgrade_without_connection"));
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
		return (synth(405, "camrelay:method_not_allowed"));
	}
	# Without a key anyone may ask, so keyless requests are bounded: per
	# client address, at most relay.page_rate() within
	# relay.page_rate_window() (429 page_rate); per camera, at most
	# page_connections at once (503 busy, no fetch), each waiting at most
	# page_timeout for the camera (its page backend). A camera that never
	# answers then holds a few threads, never all of them.
	if (vsthrottle.is_denied("camrelay-pages:" + client.ip,
	    relay.page_rate(), relay.page_rate_window())) {
		return (synth(429, "camrelay:page_rate"));
	}
	# The camera's own page and its files: routed, tunnel checked, no key.
	relay.decide(key = false, viewer = false);
	if (!relay.allowed()) {
		call camrelay_refuse;
	}
	if (!relay.take_page_slot()) {
		return (synth(503, "camrelay:busy"));
	}
	set req.backend_hint = relay.page_backend();
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
			    relay.throttle_refusals(), relay.throttle_window(),
			    relay.throttle_block()), fallback = 120) + 1;
			set resp.http.Connection = "close";
			set resp.body = "429 Too Many Requests: too many refused keys" +
			    " from your address, try again later" + {"
"};
		} elsif (resp.http.camrelay-reason == "upgrade_without_connection") {
			set resp.http.Connection = "close";
			set resp.body = "400 Bad Request: Upgrade without" +
			    " Connection: upgrade" + {"
"};
		} elsif (resp.http.camrelay-reason == "page_rate") {
			set resp.http.Retry-After = std.integer(
			    duration = relay.page_rate_window(), fallback = 10);
			set resp.body = "429 Too Many Requests: too many requests" +
			    " from your address, try again later" + {"
"};
		} elsif (resp.http.camrelay-reason == "busy") {
			set resp.http.Retry-After = "5";
			set resp.body = "503 Service Unavailable: camera " +
			    relay.camera() + " is busy (too many page requests at" +
			    " once), try again later" + {"
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
# does not answer within page_timeout. Say so instead of "Backend fetch
# failed". (A camera with page_connections requests in progress is "busy",
# answered by camrelay_recv without a fetch. The page backend's own
# max_connections, which fails a fetch at once in Varnish 7.1, only stops
# fetches of clients that already left: VCL cannot tell that failure from
# a camera that closed the connection, so both are "offline" here.)
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

# Camera isolation (vmod_camrelay(3), CAMERA ISOLATION). Every camera is
# served from the relay's one origin, so whatever one camera's server sends
# to a browser must not reach the origin's shared state: cookies, storage,
# service workers, origin-wide policies, other cameras' URLs and keys.

# Request side, first thing in camrelay_recv.
sub camrelay_isolate_recv {
	# A browser fetching a service worker script says so (Fetch standard).
	# No camera's script may become a worker of the relay's origin: it
	# would see, and could answer, the viewer's requests to every camera.
	if (req.http.Service-Worker) {
		return (synth(403, "camrelay-isolation:service_worker_refused"));
	}
	# The relay sets no cookie and lets no camera set one: any cookie here
	# was made for another camera, or before this policy.
	unset req.http.Cookie;
	# A page opened with ?k=KEY would name its key in Referer: drop the
	# query of a Referer (the key is only ever in a query). Browsers send
	# none after our Referrer-Policy; this is for those that do anyway.
	if (req.http.Referer ~ "[?#]") {
		set req.http.Referer = regsub(req.http.Referer, "[?#].*$", "");
	}
}

# Every delivered answer: the cameras' pages and files (passed), and the
# answers of camrelay_backend_error.
sub camrelay_isolate_deliver {
	# An opaque origin for every camera document: its scripts run, but it
	# cannot read or write the relay's cookies, localStorage, IndexedDB or
	# caches, register a service worker, or script another camera's page.
	# Added to the camera's own policy (both are enforced).
	std.collect(resp.http.Content-Security-Policy, ", ");
	set resp.http.Content-Security-Policy = regsub(
	    resp.http.Content-Security-Policy + ", sandbox allow-scripts" +
	    " allow-forms allow-popups allow-modals allow-downloads" +
	    " allow-pointer-lock allow-orientation-lock allow-presentation",
	    "^, ", "");
	# The sandboxed page's fetch() and XMLHttpRequest of its own files are
	# cross-origin (from origin "null"): let them read the answer. Camera
	# answers are public (no key needed) and carry no cookies.
	if (!resp.http.Access-Control-Allow-Origin) {
		set resp.http.Access-Control-Allow-Origin = "*";
	}
	unset resp.http.Access-Control-Allow-Credentials;
	# Headers whose effect reaches beyond this one answer, to the whole
	# origin: cookies, service worker scope, wiping the origin's data, HSTS,
	# alternative services, client hints, network error reports (which
	# carry other cameras' URLs).
	unset resp.http.Set-Cookie;
	unset resp.http.Set-Cookie2;
	unset resp.http.Service-Worker-Allowed;
	unset resp.http.Clear-Site-Data;
	unset resp.http.Strict-Transport-Security;
	unset resp.http.Alt-Svc;
	unset resp.http.Accept-CH;
	unset resp.http.Critical-CH;
	unset resp.http.NEL;
	unset resp.http.Report-To;
	unset resp.http.Reporting-Endpoints;
	# Never send this page's URL (its k= key) along with its requests.
	set resp.http.Referrer-Policy = "no-referrer";
}

# Our synthetic answers (refusals, 429): no referrer, no script. Call it
# before camrelay_synth; it answers the refusal of camrelay_isolate_recv.
sub camrelay_isolate_synth {
	set resp.http.Referrer-Policy = "no-referrer";
	set resp.http.Content-Security-Policy = "sandbox";
	set resp.http.X-Content-Type-Options = "nosniff";
	if (resp.reason == "camrelay-isolation:service_worker_refused") {
		set resp.reason = "Forbidden";
		set resp.http.camrelay-reason = "service_worker_refused";
		set resp.http.Content-Type = "text/plain; charset=utf-8";
		set resp.http.Cache-Control = "no-store";
		set resp.body = "403 Forbidden: camera scripts cannot be service" +
		    " workers of the relay" + {"
"};
		return (deliver);
	}
}
