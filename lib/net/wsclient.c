/* Blocking WebSocket client on libwebsockets: see vstress/net/wsclient.h.
 * Each handle owns an lws context with one client connection; every wait
 * arms an lws_sul timer at the caller's deadline so lws_service() returns
 * by then. */
#include "vstress/net/wsclient.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

struct qmsg {
	struct qmsg *next;
	int binary;
	size_t len;
	char data[];
};

struct vs_wsc {
	struct lws_context *ctx;
	struct lws *wsi;
	lws_sorted_usec_list_t sul;
	int established, closed, close_req, close_code_out;
	struct vs_wsc_err err;
	char **headers;
	size_t nheaders, max_message;
	char *rx;
	size_t rxlen, rxcap;
	int rxbin;
	struct qmsg *qh, *qt;
	char *cur;
	unsigned char *tx;
	size_t txlen;
	int txbin, txpending;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void set_err(struct vs_wsc *w, int fail, const char *msg)
{
	if (w->err.fail != VS_WSC_F_NONE)
		return; /* the first cause wins */
	w->err.fail = fail;
	snprintf(w->err.msg, sizeof w->err.msg, "%s", msg ? msg : "");
}

static int rx_append(struct vs_wsc *w, const void *in, size_t len)
{
	if (w->rxlen + len > w->max_message) {
		set_err(w, VS_WSC_F_TOOBIG, "message larger than the limit");
		return -1;
	}
	if (w->rxlen + len + 1 > w->rxcap) {
		size_t cap = w->rxcap ? w->rxcap : 4096;
		while (cap < w->rxlen + len + 1)
			cap *= 2;
		char *n = realloc(w->rx, cap);
		if (!n) {
			set_err(w, VS_WSC_F_INTERNAL, "out of memory");
			return -1;
		}
		w->rx = n;
		w->rxcap = cap;
	}
	memcpy(w->rx + w->rxlen, in, len);
	w->rxlen += len;
	return 0;
}

static int rx_push(struct vs_wsc *w)
{
	struct qmsg *m = malloc(sizeof *m + w->rxlen + 1);
	if (!m) {
		set_err(w, VS_WSC_F_INTERNAL, "out of memory");
		return -1;
	}
	m->next = NULL;
	m->binary = w->rxbin;
	m->len = w->rxlen;
	if (w->rxlen)
		memcpy(m->data, w->rx, w->rxlen);
	m->data[w->rxlen] = '\0';
	if (w->qt)
		w->qt->next = m;
	else
		w->qh = m;
	w->qt = m;
	w->rxlen = 0;
	return 0;
}

static void handshake_failed(struct vs_wsc *w, struct lws *wsi, const char *in)
{
	char st[128] = ""; /* the whole status line: "429 Too Many Requests" */
	if (wsi && lws_hdr_copy(wsi, st, sizeof st, WSI_TOKEN_HTTP) > 0)
		w->err.http_status = atoi(st);
	if (w->err.http_status > 0 && w->err.http_status != 101) {
		char v[200] = "";
		/* Deepgram puts its reason in dg-error; others only in the body,
		 * which lws does not hand to a failed ws client. */
		if (lws_hdr_custom_copy(wsi, v, sizeof v, "dg-error:", 9) <= 0)
			snprintf(v, sizeof v, "%s", in ? in : "upgrade refused");
		char m[256];
		snprintf(m, sizeof m, "HTTP %d: %s", w->err.http_status, v);
		set_err(w, VS_WSC_F_HANDSHAKE, m);
		return;
	}
	set_err(w, in && strstr(in, "HS:") ? VS_WSC_F_HANDSHAKE : VS_WSC_F_CONNECT, in ? in : "connection failed");
}

static int cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct vs_wsc *w = wsi ? lws_get_opaque_user_data(wsi) : NULL;
	(void)user;
	if (!w)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
		unsigned char **p = (unsigned char **)in, *end = (*p) + len;
		for (size_t i = 0; i < w->nheaders; i++) {
			char *h = w->headers[i], *colon = strchr(h, ':');
			if (!colon)
				continue;
			const char *v = colon + 1;
			while (*v == ' ')
				v++;
			char name[128];
			size_t nl = (size_t)(colon - h) + 1;
			if (nl >= sizeof name)
				continue;
			memcpy(name, h, nl);
			name[nl] = '\0';
			if (lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)v,
							(int)strlen(v), p, end))
				return -1;
		}
		return 0;
	}
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		w->established = 1;
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (lws_is_first_fragment(wsi)) {
			w->rxlen = 0;
			w->rxbin = lws_frame_is_binary(wsi);
		}
		if (rx_append(w, in, len))
			return -1;
		if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi))
			return rx_push(w) ? -1 : 0;
		return 0;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (w->close_req) {
			lws_close_reason(wsi, (enum lws_close_status)w->close_code_out, NULL, 0);
			return -1;
		}
		if (w->txpending) {
			int n = lws_write(wsi, w->tx + LWS_PRE, w->txlen, w->txbin ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
			w->txpending = 0;
			if (n < (int)w->txlen) {
				set_err(w, VS_WSC_F_CLOSED, "write failed");
				return -1;
			}
		}
		return 0;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			const unsigned char *b = in;
			w->err.close_code = (b[0] << 8) | b[1];
			char m[256];
			snprintf(m, sizeof m, "closed by peer (%d)%s%.*s", w->err.close_code, len > 2 ? ": " : "",
				 (int)(len > 200 ? 198 : len - 2), (const char *)b + 2);
			set_err(w, VS_WSC_F_CLOSED, m);
		} else {
			w->err.close_code = 1005;
			set_err(w, VS_WSC_F_CLOSED, "closed by peer");
		}
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		handshake_failed(w, wsi, in);
		w->closed = 1;
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		set_err(w, VS_WSC_F_CLOSED, "connection closed");
		w->closed = 1;
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		if (!w->established)
			set_err(w, VS_WSC_F_CONNECT, "connection failed");
		else
			set_err(w, VS_WSC_F_CLOSED, "connection closed");
		w->closed = 1;
		w->wsi = NULL;
		lws_set_opaque_user_data(wsi, NULL);
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
	{"vs-wsc", cb, 0, 65536, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

static void sul_cb(lws_sorted_usec_list_t *s)
{
	(void)s; /* only wakes lws_service() */
}

/* Services until done(w) or the deadline: 1 done, 0 timeout. */
static int service_until(struct vs_wsc *w, uint64_t deadline, int (*done)(const struct vs_wsc *))
{
	while (!done(w)) {
		uint64_t now = mono_ns();
		if (now >= deadline)
			return 0;
		/* lws 4.1 does not always leave its poll() for a sul timer armed
		 * between services (seen with a paced sender: 10 s stalls), so
		 * poll without blocking and sleep at most 2 ms in between. */
		lws_sul_schedule(w->ctx, 0, &w->sul, sul_cb, (lws_usec_t)((deadline - now) / 1000 + 1));
		if (lws_service(w->ctx, -1) < 0) {
			set_err(w, VS_WSC_F_INTERNAL, "lws_service failed");
			w->closed = 1;
		}
		if (!done(w)) {
			uint64_t left = deadline > mono_ns() ? deadline - mono_ns() : 0;
			struct timespec ts = {0, (long)(left < 2000000 ? left : 2000000)};
			nanosleep(&ts, NULL);
		}
	}
	lws_sul_cancel(&w->sul);
	return 1;
}

static int d_connected(const struct vs_wsc *w)
{
	return w->established || w->closed;
}

static int d_sent(const struct vs_wsc *w)
{
	return !w->txpending || w->closed;
}

static int d_msg(const struct vs_wsc *w)
{
	return w->qh || w->closed;
}

static int d_closed(const struct vs_wsc *w)
{
	return w->closed;
}

static uint64_t deadline_of(int timeout_ms)
{
	return mono_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000ull;
}

/* ws[s]://host[:port][/path]: host, port and path written to the buffers. */
static int parse_url(const char *url, int *tls, char *host, size_t hl, int *port, char *path, size_t pl)
{
	const char *p;
	if (!strncmp(url, "ws://", 5)) {
		*tls = 0;
		p = url + 5;
	} else if (!strncmp(url, "wss://", 6)) {
		*tls = 1;
		p = url + 6;
	} else {
		return -1;
	}
	size_t n = strcspn(p, ":/?");
	if (!n || n >= hl)
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	p += n;
	*port = *tls ? 443 : 80;
	if (*p == ':') {
		char *e;
		long v = strtol(p + 1, &e, 10);
		if (v <= 0 || v > 65535)
			return -1;
		*port = (int)v;
		p = e;
	}
	if (snprintf(path, pl, "%s%s", *p == '/' ? "" : "/", p) >= (int)pl)
		return -1;
	return 0;
}

int vs_wsc_connect(struct vs_wsc **out, const struct vs_wsc_cfg *cfg, struct vs_wsc_err *e)
{
	struct vs_wsc *w = NULL;
	char host[256], hosthdr[300], path[4096];
	int tls, port, rc = -1;
	uint64_t deadline = deadline_of(cfg->timeout_ms);

	*out = NULL;
	memset(e, 0, sizeof *e);
	if (!cfg->url || parse_url(cfg->url, &tls, host, sizeof host, &port, path, sizeof path)) {
		e->fail = VS_WSC_F_CONNECT;
		snprintf(e->msg, sizeof e->msg, "not a ws:// or wss:// URL");
		return -1;
	}
	w = calloc(1, sizeof *w);
	if (!w)
		goto oom;
	w->max_message = cfg->max_message ? cfg->max_message : 16u << 20;
	for (const char *const *h = cfg->headers; h && *h; h++)
		w->nheaders++;
	if (w->nheaders) {
		w->headers = calloc(w->nheaders, sizeof *w->headers);
		if (!w->headers)
			goto oom;
		for (size_t i = 0; i < w->nheaders; i++)
			if (!(w->headers[i] = strdup(cfg->headers[i])))
				goto oom;
	}
	lws_set_log_level(0, NULL);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.gid = -1;
	info.uid = -1;
	info.options = tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0;
	info.count_threads = 1;
	info.fd_limit_per_thread = 16;
	info.timeout_secs = (unsigned)(cfg->timeout_ms / 1000 + 2);
	w->ctx = lws_create_context(&info);
	if (!w->ctx) {
		e->fail = VS_WSC_F_INTERNAL;
		snprintf(e->msg, sizeof e->msg, "cannot create an lws context");
		goto out;
	}
	if ((tls && port == 443) || (!tls && port == 80))
		snprintf(hosthdr, sizeof hosthdr, "%s", host);
	else
		snprintf(hosthdr, sizeof hosthdr, "%s:%d", host, port);
	struct lws_client_connect_info ci;
	memset(&ci, 0, sizeof ci);
	ci.context = w->ctx;
	ci.address = host;
	ci.port = port;
	ci.path = path;
	ci.host = hosthdr;
	ci.origin = hosthdr;
	ci.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
	if (tls && cfg->tls_insecure)
		ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
				     LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
	ci.local_protocol_name = "vs-wsc";
	ci.opaque_user_data = w;
	ci.pwsi = &w->wsi;
	if (!lws_client_connect_via_info(&ci) && !w->closed)
		set_err(w, VS_WSC_F_CONNECT, "connect failed");
	if (w->err.fail == VS_WSC_F_NONE && !service_until(w, deadline, d_connected))
		set_err(w, VS_WSC_F_TIMEOUT, "connect/handshake timed out");
	if (!w->established || w->closed) {
		set_err(w, VS_WSC_F_CONNECT, "connection failed");
		*e = w->err;
		goto out;
	}
	*out = w;
	w = NULL;
	rc = 0;
	goto out;
oom:
	e->fail = VS_WSC_F_INTERNAL;
	snprintf(e->msg, sizeof e->msg, "out of memory");
out:
	vs_wsc_free(w);
	return rc;
}

int vs_wsc_send(struct vs_wsc *w, int binary, const void *data, size_t len, int timeout_ms)
{
	if (w->closed || !w->wsi) {
		set_err(w, VS_WSC_F_CLOSED, "connection closed");
		return -1;
	}
	unsigned char *b = realloc(w->tx, LWS_PRE + len + 1);
	if (!b) {
		set_err(w, VS_WSC_F_INTERNAL, "out of memory");
		return -1;
	}
	w->tx = b;
	memcpy(b + LWS_PRE, data, len);
	w->txlen = len;
	w->txbin = binary;
	w->txpending = 1;
	lws_callback_on_writable(w->wsi);
	if (!service_until(w, deadline_of(timeout_ms), d_sent)) {
		set_err(w, VS_WSC_F_TIMEOUT, "send timed out");
		return -1;
	}
	return w->txpending ? -1 : 0;
}

int vs_wsc_recv(struct vs_wsc *w, int timeout_ms, struct vs_wsc_msg *m)
{
	free(w->cur);
	w->cur = NULL;
	if (!w->qh && !w->closed && !service_until(w, deadline_of(timeout_ms), d_msg))
		return 0;
	if (!w->qh)
		return -1;
	struct qmsg *q = w->qh;
	w->qh = q->next;
	if (!w->qh)
		w->qt = NULL;
	/* hand out the payload: move it to its own buffer */
	w->cur = malloc(q->len + 1);
	if (!w->cur) {
		free(q);
		set_err(w, VS_WSC_F_INTERNAL, "out of memory");
		return -1;
	}
	memcpy(w->cur, q->data, q->len + 1);
	m->binary = q->binary;
	m->len = q->len;
	m->data = w->cur;
	free(q);
	return 1;
}

const struct vs_wsc_err *vs_wsc_error(const struct vs_wsc *w)
{
	return &w->err;
}

void vs_wsc_close(struct vs_wsc *w, int code, int timeout_ms)
{
	if (!w || w->closed || !w->wsi)
		return;
	w->close_req = 1;
	w->close_code_out = code ? code : 1000;
	lws_callback_on_writable(w->wsi);
	service_until(w, deadline_of(timeout_ms), d_closed);
}

void vs_wsc_free(struct vs_wsc *w)
{
	if (!w)
		return;
	if (w->ctx) {
		lws_sul_cancel(&w->sul);
		if (w->wsi)
			lws_set_opaque_user_data(w->wsi, NULL);
		lws_context_destroy(w->ctx);
	}
	while (w->qh) {
		struct qmsg *n = w->qh->next;
		free(w->qh);
		w->qh = n;
	}
	for (size_t i = 0; i < w->nheaders; i++)
		free(w->headers[i]);
	free(w->headers);
	free(w->rx);
	free(w->tx);
	free(w->cur);
	free(w);
}
