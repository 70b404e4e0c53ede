#
# https.vcl: what a relay behind haproxy (TLS for wss:// viewers) adds to
# camrelay.vcl. default.vcl includes it before its own subroutines, so these
# run first; it changes nothing until it is switched on.
#
# ACME http-01 challenges
#   GET /.well-known/acme-challenge/TOKEN is passed to 127.0.0.1:8402, where
#   `certbot certonly --standalone --http-01-address 127.0.0.1
#   --http-01-port 8402` answers while it runs: certificates are issued and
#   renewed while varnishd keeps port 80 (see /etc/camrelay/haproxy.cfg).
#   Nothing listens there otherwise, and such requests get a 503.
#
# Redirecting page loads to https
#   When varnishd's environment has CAMRELAY_HTTPS_PORT=PORT (camrelay
#   setup sets it when it configures TLS, unless --no-redirect), a GET or
#   HEAD that is not a WebSocket upgrade and arrived over plain HTTP gets a
#   307 to https://HOST[:PORT]/same/url. The URL may carry a viewer key:
#   the redirect is never stored (Cache-Control: no-store, and a 307, which
#   browsers do not keep as they keep a 301) and the page it leads to gets
#   no Referer from it (Referrer-Policy: no-referrer). WebSocket upgrades
#   are never redirected: ws:// viewers keep working on port 80. A request came over
#   TLS when haproxy's PROXY v2 header says so (its SSL TLV: proxy.is_ssl()):
#   haproxy reaches varnishd on a listen address only haproxy can connect
#   to (a Unix socket of group haproxy, mode 0660).

vcl 4.1;

import proxy;
import std;

backend camrelay_acme {
	.host = "127.0.0.1";
	.port = "8402";
	.connect_timeout = 2s;
	.first_byte_timeout = 10s;
}

sub vcl_recv {
	if ((req.method == "GET" || req.method == "HEAD") &&
	    req.url ~ "^/\.well-known/acme-challenge/[A-Za-z0-9_-]+$") {
		set req.backend_hint = camrelay_acme;
		return (pass);
	}
	if (std.getenv("CAMRELAY_HTTPS_PORT") ~ "^[1-9][0-9]{0,4}$" &&
	    !proxy.is_ssl() &&
	    (req.method == "GET" || req.method == "HEAD") &&
	    req.url ~ "^/" &&
	    req.http.Upgrade !~ "(?i)websocket" &&
	    req.http.Host ~ "^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]+)?$") {
		return (synth(307, "camrelay-https"));
	}
}

sub vcl_synth {
	if (resp.status == 307 && resp.reason == "camrelay-https") {
		set resp.reason = "Temporary Redirect";
		if (std.getenv("CAMRELAY_HTTPS_PORT") == "443") {
			set resp.http.Location = "https://" +
			    regsub(req.http.Host, ":[0-9]+$", "") + req.url;
		} else {
			set resp.http.Location = "https://" +
			    regsub(req.http.Host, ":[0-9]+$", "") + ":" +
			    std.getenv("CAMRELAY_HTTPS_PORT") + req.url;
		}
		# The URL may carry a key: no browser or proxy keeps the redirect
		# (with the key in its Location), and the redirected request sends
		# no Referer (camrelay_isolate_synth is not reached from here).
		set resp.http.Cache-Control = "no-store";
		set resp.http.Referrer-Policy = "no-referrer";
		set resp.http.Content-Type = "text/plain; charset=utf-8";
		set resp.body = "307 Temporary Redirect: " + resp.http.Location + {"
"};
		return (deliver);
	}
}
