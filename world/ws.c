/* WebSocket (RFC 6455) server side for the world: handshake and frames.
 * No extensions are negotiated, so frames are never compressed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "world/conn.h"

int w_ws_accept_key(const char *key, char out[64]);
int w_ws_accept_key(const char *key, char out[64])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	char buf[256];
	unsigned char md[SHA_DIGEST_LENGTH];
	int n = snprintf(buf, sizeof buf, "%s%s", key, guid);
	if (n < 0 || (size_t)n >= sizeof buf)
		return -1;
	SHA1((const unsigned char *)buf, (size_t)n, md);
	EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
	return 0;
}

int ws_frame(struct wconn *c, uint32_t delay_ms, int opcode, const void *d, size_t n, int front)
{
	unsigned char h[10];
	size_t hl;
	h[0] = (unsigned char)(0x80 | (opcode & 0x0f));
	if (n < 126) {
		h[1] = (unsigned char)n;
		hl = 2;
	} else if (n < 65536) {
		h[1] = 126;
		h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)n;
		hl = 4;
	} else {
		h[1] = 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	char *f = malloc(hl + n + 1);
	if (!f)
		return -1;
	memcpy(f, h, hl);
	if (n)
		memcpy(f + hl, d, n);
	int rc;
	if (front)
		rc = cq_push_front(c, O_DATA, f, hl + n);
	else
		rc = cq_push(c, delay_ms, O_DATA, opcode < 8, f, hl + n);
	free(f);
	return rc;
}

static int close_payload(int code, const char *reason, char *buf, size_t cap)
{
	size_t rl = reason ? strlen(reason) : 0;
	if (rl > 120)
		rl = 120;
	if (cap < rl + 2)
		return 0;
	buf[0] = (char)((code >> 8) & 0xff);
	buf[1] = (char)(code & 0xff);
	if (rl)
		memcpy(buf + 2, reason, rl);
	return (int)(rl + 2);
}

/* Close for a fault: whatever is queued is dropped. */
void conn_ws_fault_close(struct wconn *c, int code)
{
	char p[8];
	cq_clear(c);
	int n = close_payload(code ? code : 1011, NULL, p, sizeof p);
	ws_frame(c, 0, 8, p, (size_t)n, 0);
	c->ws.close_sent = 1;
	cq_push(c, 0, O_CLOSE, 0, NULL, 0);
}

int w_ws_close(vs_ws *ws, uint32_t delay_ms, int code, const char *reason);
int w_ws_close(vs_ws *ws, uint32_t delay_ms, int code, const char *reason)
{
	struct wconn *c = ws->c;
	char p[128];
	if (ws->close_sent)
		return 0;
	int n = close_payload(code ? code : 1000, reason, p, sizeof p);
	if (ws_frame(c, delay_ms, 8, p, (size_t)n, 0) < 0)
		return -1;
	ws->close_sent = 1;
	return cq_push(c, 0, O_CLOSE, 0, NULL, 0);
}

static void deliver(struct world *W, struct wconn *c, int op, const char *d, size_t n)
{
	vs_ws *ws = &c->ws;
	const struct wroute *r = ws->route;
	if (!r->wsh.on_message || ws->close_sent)
		return;
	/* W is NULL when a fuzz target drives the parser without a world */
	if (r->wsh.on_message(W ? W->api : NULL, ws->wc, ws, op == 2, d, n, r->arg) != 0 && !ws->close_sent)
		w_ws_close(ws, 0, 1011, "internal error");
}

void w_ws_closed_cb(struct wconn *c, int code);
void w_ws_closed_cb(struct wconn *c, int code)
{
	vs_ws *ws = &c->ws;
	if (!c->is_ws || ws->closed_cb)
		return;
	ws->closed_cb = 1;
	if (ws->route && ws->route->wsh.on_close)
		ws->route->wsh.on_close(ws->wc ? ws->wc->W->api : NULL, ws->wc, ws, code, ws->route->arg);
	if (ws->wc)
		world_timers_drop_ws(ws->wc->W, c);
}

/* Parses the frames in c->in.  Returns 0, or -1 when the peer broke the
 * protocol (the connection is then closed). */
int w_ws_input(struct world *W, struct wconn *c);
int w_ws_input(struct world *W, struct wconn *c)
{
	while (c->in.len >= 2 && !c->dead && c->state == C_WS) {
		unsigned char *b = (unsigned char *)c->in.p;
		int fin = b[0] & 0x80, op = b[0] & 0x0f, masked = b[1] & 0x80;
		uint64_t len = b[1] & 0x7f;
		size_t hl = 2;
		if (len == 126) {
			if (c->in.len < 4)
				return 0;
			len = ((uint64_t)b[2] << 8) | b[3];
			hl = 4;
		} else if (len == 127) {
			if (c->in.len < 10)
				return 0;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = (len << 8) | b[2 + i];
			hl = 10;
		}
		if (len > W_MAX_BODY) {
			conn_ws_fault_close(c, 1009);
			return -1;
		}
		size_t mo = hl;
		if (masked)
			hl += 4;
		if (c->in.len < hl + len)
			return 0;
		char *pl = c->in.p + hl;
		if (masked)
			for (uint64_t i = 0; i < len; i++)
				pl[i] ^= (char)b[mo + (i & 3)];
		switch (op) {
		case 0:
			wbuf_add(&c->ws.frag, pl, (size_t)len);
			if (fin) {
				deliver(W, c, c->ws.frag_op, c->ws.frag.p ? c->ws.frag.p : "", c->ws.frag.len);
				c->ws.frag.len = 0;
			}
			break;
		case 1:
		case 2:
			if (fin) {
				char save = pl[len];
				pl[len] = '\0'; /* text handlers may treat it as a string */
				deliver(W, c, op, pl, (size_t)len);
				if (!c->dead && c->in.len >= hl + len)
					pl[len] = save;
			} else {
				c->ws.frag.len = 0;
				c->ws.frag_op = op;
				wbuf_add(&c->ws.frag, pl, (size_t)len);
			}
			break;
		case 8: {
			int code = len >= 2 ? ((unsigned char)pl[0] << 8) | (unsigned char)pl[1] : 1005;
			if (!c->ws.close_sent) {
				cq_clear(c);
				ws_frame(c, 0, 8, pl, len >= 2 ? 2 : 0, 0);
				c->ws.close_sent = 1;
				cq_push(c, 0, O_CLOSE, 0, NULL, 0);
			} else {
				conn_begin_close(c);
			}
			wbuf_consume(&c->in, hl + (size_t)len);
			w_ws_closed_cb(c, code);
			return 0;
		}
		case 9:
			ws_frame(c, 0, 10, pl, (size_t)len, 1);
			break;
		default:
			break;
		}
		wbuf_consume(&c->in, hl + (size_t)len);
	}
	return 0;
}
