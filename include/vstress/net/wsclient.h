/* A small blocking WebSocket client on libwebsockets, for probes run from a
 * plugin: one connection per handle (its own lws context), every call
 * bounded by a timeout.  Not thread-safe per handle; use one handle per
 * thread.  Link with -lwebsockets.
 *
 *   struct vs_wsc *ws; struct vs_wsc_err e;
 *   if (vs_wsc_connect(&ws, &cfg, &e)) ... e.http_status, e.msg
 *   vs_wsc_send(ws, 0, json, len, 2000);
 *   struct vs_wsc_msg m;
 *   int r = vs_wsc_recv(ws, 5000, &m);   1 message, 0 timeout, -1 closed/error
 *   vs_wsc_free(ws);
 */
#ifndef VSTRESS_UTIL_WSCLIENT_H
#define VSTRESS_UTIL_WSCLIENT_H

#include <stddef.h>

struct vs_wsc;

struct vs_wsc_cfg {
	const char *url;            /* ws://host[:port]/path?query or wss://... */
	const char *const *headers; /* "Name: value" strings, NULL-terminated, or NULL */
	int timeout_ms;             /* connect + handshake */
	size_t max_message;         /* larger messages fail the connection; 0: 16 MiB */
	int tls_insecure;           /* accept self-signed / mismatched certificates */
};

enum vs_wsc_fail {
	VS_WSC_F_NONE = 0,
	VS_WSC_F_CONNECT,   /* refused, DNS, TLS, ... */
	VS_WSC_F_HANDSHAKE, /* answered, but not 101: http_status set when known */
	VS_WSC_F_TIMEOUT,
	VS_WSC_F_CLOSED,    /* closed by the peer: close_code / msg */
	VS_WSC_F_TOOBIG,    /* a message over max_message */
	VS_WSC_F_INTERNAL,
};

struct vs_wsc_err {
	int fail;          /* enum vs_wsc_fail */
	int http_status;   /* handshake status, 0 when unknown */
	int close_code;    /* peer's close code, 0 when none */
	char msg[256];     /* lws reason, close reason, or the error header */
};

struct vs_wsc_msg {
	int binary;
	char *data; /* NUL-terminated copy, owned by the handle until the next recv or free */
	size_t len;
};

/* 0 and *out set, or -1 with e filled. */
int vs_wsc_connect(struct vs_wsc **out, const struct vs_wsc_cfg *cfg, struct vs_wsc_err *e);
/* 0 when the frame was written, -1 (vs_wsc_error() says why). */
int vs_wsc_send(struct vs_wsc *w, int binary, const void *data, size_t len, int timeout_ms);
/* 1 with *m set, 0 on timeout, -1 when closed or failed (vs_wsc_error()). */
int vs_wsc_recv(struct vs_wsc *w, int timeout_ms, struct vs_wsc_msg *m);
const struct vs_wsc_err *vs_wsc_error(const struct vs_wsc *w);
/* Sends a close frame (code) and waits up to timeout_ms for the peer's. */
void vs_wsc_close(struct vs_wsc *w, int code, int timeout_ms);
void vs_wsc_free(struct vs_wsc *w);

#endif
