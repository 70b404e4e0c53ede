#
# default.vcl: a complete camrelay relay (the article's job, with the
# checks on). Keep camrelay.vcl next to this file.
#
#     CAMRELAY_CONFIG=/etc/camrelay \
#     varnishd -a :80 -f /usr/share/camrelay/vcl/default.vcl \
#         -p vsl_mask=-ReqURL -p pipe_timeout=30 -s malloc,64m
#
# (CAMRELAY_CONFIG may be left out: /etc/camrelay is the default.)
#
#   WebSocket upgrade (GET)  route + key + tunnel up + viewer slot, then pipe
#   other GET and HEAD       route + tunnel up, no key, then pass
#   anything else            405
#   refusals                 400/403/404/405/429/503 with a short text body
#                            and "camrelay-reason: <outcome>"
#   camera answers           isolated from each other in the browser:
#                            CSP sandbox, no cookies, no service workers,
#                            Referrer-Policy: no-referrer (camrelay.vcl)
#   a client with 20 refusals in 60 s gets 429 for 120 s
#
# Why -p vsl_mask=-ReqURL and -p pipe_timeout=30: see camrelay.vcl and
# vmod_camrelay(3), PITFALLS.

vcl 4.1;

# Every request gets its backend from the camrelay module.
backend default none;

include "./camrelay.vcl";
# ACME challenges, and page loads redirected to https when TLS is on.
include "./https.vcl";

sub vcl_recv {
	call camrelay_recv;
}

sub vcl_pipe {
	call camrelay_pipe;
}

sub vcl_synth {
	call camrelay_isolate_synth;
	call camrelay_synth;
}

sub vcl_deliver {
	call camrelay_isolate_deliver;
}

sub vcl_backend_error {
	call camrelay_backend_error;
}
