/* RFC 6455 client on a non-blocking socket: see ws_conn.h. */
#include "ws_conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vstress/crypto/b64.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define UPGRADE_MAX 8192

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	size_t ncap = *cap ? *cap : 512;
	uint8_t *n;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*buf, ncap);
	if (!n)
		return -1;
	*buf = n;
	*cap = ncap;
	return 0;
}

static int fail(struct ws_conn *w, const char *msg)
{
	if (!w->err[0])
		snprintf(w->err, sizeof(w->err), "%s", msg);
	return -1;
}

static void tls_err(struct ws_conn *w, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(w->err, sizeof(w->err), "%s: %s", what, e ? buf : "connection closed");
	ERR_clear_error();
}

/* --- raw I/O ------------------------------------------------------------ */

/* >0 bytes, 0 would block, -1 error (err set), -2 EOF. */
/* send() and read() straight to the kernel: glibc's wrappers are thread
 * cancellation points and switch asynchronous cancellation on and off
 * around every call (2 % of the engine's CPU at 1,000 calls, two calls a
 * frame); nothing cancels the engine's threads. */
static ssize_t sys_send(int fd, const void *p, size_t n)
{
	return (ssize_t)syscall(SYS_sendto, fd, p, n, MSG_NOSIGNAL, NULL, 0);
}

static ssize_t sys_read(int fd, void *p, size_t n)
{
	return (ssize_t)syscall(SYS_read, fd, p, n);
}

static long raw_write(struct ws_conn *w, const void *p, size_t n)
{
	if (w->ssl) {
		int r = SSL_write(w->ssl, p, (int)n);

		if (r > 0)
			return r;
		switch (SSL_get_error(w->ssl, r)) {
		case SSL_ERROR_WANT_READ:
		case SSL_ERROR_WANT_WRITE:
			return 0;
		default:
			tls_err(w, "TLS write");
			return -1;
		}
	}
	for (;;) {
		ssize_t r = sys_send(w->fd, p, n);

		if (r >= 0)
			return (long)r;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		snprintf(w->err, sizeof(w->err), "write: %s", strerror(errno));
		return -1;
	}
}

static long raw_read(struct ws_conn *w, void *p, size_t n)
{
	w->tls_want_write = 0;
	if (w->ssl) {
		int r = SSL_read(w->ssl, p, (int)n);

		if (r > 0)
			return r;
		switch (SSL_get_error(w->ssl, r)) {
		case SSL_ERROR_WANT_WRITE:
			w->tls_want_write = 1;
			return 0;
		case SSL_ERROR_WANT_READ:
			return 0;
		case SSL_ERROR_ZERO_RETURN:
			return -2;
		default:
			if (ERR_peek_error() == 0)
				return -2; /* the peer closed without close_notify */
			tls_err(w, "TLS read");
			return -1;
		}
	}
	for (;;) {
		ssize_t r = sys_read(w->fd, p, n);

		if (r > 0)
			return (long)r;
		if (r == 0)
			return -2;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == ECONNRESET)
			return -2;
		snprintf(w->err, sizeof(w->err), "read: %s", strerror(errno));
		return -1;
	}
}

/* Write what is queued; the write side is shut after a close frame. */
static int flush_tx(struct ws_conn *w)
{
	while (w->txoff < w->txlen) {
		long r = raw_write(w, w->tx + w->txoff, w->txlen - w->txoff);

		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		w->txoff += (size_t)r;
	}
	w->txoff = w->txlen = 0;
	if (w->txcap > 4096) { /* a burst is over: give the memory back */
		free(w->tx);
		w->tx = NULL;
		w->txcap = 0;
	}
	if (w->close_sent && !w->ssl)
		shutdown(w->fd, SHUT_WR);
	return 0;
}

/* Queue bytes after what is already queued, or write them at once. */
static int put(struct ws_conn *w, const uint8_t *p, size_t n)
{
	if (w->txlen == 0 && w->state >= WS_UPGRADE) {
		long r = raw_write(w, p, n);

		if (r < 0)
			return -1;
		p += r;
		n -= (size_t)r;
		if (!n)
			return 0;
	}
	if (grow(&w->tx, &w->txcap, w->txlen + n) != 0)
		return fail(w, "out of memory");
	memcpy(w->tx + w->txlen, p, n);
	w->txlen += n;
	return 0;
}

/* --- start: connect and the upgrade request ----------------------------- */

int ws_conn_start(struct ws_conn *w, const struct sockaddr *addr, socklen_t alen, const char *host, int port,
		  const char *path, const char *extra_header, SSL_CTX *ssl_ctx, uint64_t seed)
{
	uint8_t key[16];
	char key64[32], req[2048], hostport[300];
	unsigned char sha[SHA_DIGEST_LENGTH];
	char cat[96];
	int one = 1, n;

	w->fd = -1;
	w->rng = seed | 1;
	for (int i = 0; i < 16; i += 8) {
		uint64_t r = rng_next(&w->rng);

		memcpy(key + i, &r, 8);
	}
	if (vs_b64_encode(key, sizeof(key), key64, sizeof(key64)) < 0)
		return fail(w, "base64");
	snprintf(cat, sizeof(cat), "%s%s", key64, WS_GUID);
	SHA1((const unsigned char *)cat, strlen(cat), sha);
	if (vs_b64_encode(sha, sizeof(sha), w->accept, sizeof(w->accept)) < 0)
		return fail(w, "base64");
	if ((port == 80 && !ssl_ctx) || (port == 443 && ssl_ctx))
		snprintf(hostport, sizeof(hostport), "%s", host);
	else
		snprintf(hostport, sizeof(hostport), "%s%s%s:%d", strchr(host, ':') ? "[" : "", host,
			 strchr(host, ':') ? "]" : "", port);
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s%s\r\n",
		     path, hostport, key64, extra_header ? extra_header : "", extra_header ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(req))
		return fail(w, "upgrade request too long");
	if (grow(&w->tx, &w->txcap, (size_t)n) != 0)
		return fail(w, "out of memory");
	memcpy(w->tx, req, (size_t)n);
	w->txlen = (size_t)n;
	w->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (w->fd < 0) {
		snprintf(w->err, sizeof(w->err), "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(w->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(w->fd, addr, alen) != 0 && errno != EINPROGRESS) {
		snprintf(w->err, sizeof(w->err), "connect: %s", strerror(errno));
		return -1;
	}
	if (ssl_ctx) {
		w->ssl = SSL_new(ssl_ctx);
		if (!w->ssl || SSL_set_fd(w->ssl, w->fd) != 1) {
			tls_err(w, "TLS");
			return -1;
		}
		SSL_set_tlsext_host_name(w->ssl, host);
		if (SSL_CTX_get_verify_mode(ssl_ctx) != SSL_VERIFY_NONE)
			SSL_set1_host(w->ssl, host);
		SSL_set_connect_state(w->ssl);
	}
	w->state = WS_CONNECTING;
	return 0;
}

/* --- receiving ---------------------------------------------------------- */

static const char *hdr_value(const char *head, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);

	for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
		const char *l = p + 2, *e;
		size_t n;

		if (strncasecmp(l, name, nl) != 0 || l[nl] != ':')
			continue;
		l += nl + 1;
		while (*l == ' ' || *l == '\t')
			l++;
		e = strstr(l, "\r\n");
		n = e ? (size_t)(e - l) : strlen(l);
		while (n && (l[n - 1] == ' ' || l[n - 1] == '\t'))
			n--;
		if (n >= outlen)
			n = outlen - 1;
		memcpy(out, l, n);
		out[n] = '\0';
		return out;
	}
	return NULL;
}

/* The upgrade reply in p[0..n): bytes consumed, 0 incomplete, -1 refused. */
static long parse_upgrade(struct ws_conn *w, const uint8_t *p, size_t n)
{
	char head[UPGRADE_MAX + 1], v[128];
	const uint8_t *end = NULL;
	size_t hl;

	for (size_t i = 3; i < n && i < UPGRADE_MAX; i++)
		if (p[i] == '\n' && p[i - 1] == '\r' && p[i - 2] == '\n' && p[i - 3] == '\r') {
			end = p + i + 1;
			break;
		}
	if (!end)
		return n >= UPGRADE_MAX ? fail(w, "the upgrade reply's headers are over 8 KiB") : 0;
	hl = (size_t)(end - p);
	memcpy(head, p, hl);
	head[hl] = '\0';
	if (sscanf(head, "HTTP/1.%*d %d", &w->http_status) != 1) {
		snprintf(w->err, sizeof(w->err), "the upgrade reply is not HTTP: '%.40s'", head);
		return -1;
	}
	if (w->http_status != 101) {
		snprintf(w->err, sizeof(w->err), "HTTP status %d, not 101 Switching Protocols", w->http_status);
		return -1;
	}
	if (!hdr_value(head, "Upgrade", v, sizeof(v)) || strcasecmp(v, "websocket") != 0)
		return fail(w, "upgrade reply without 'Upgrade: websocket'");
	if (!hdr_value(head, "Connection", v, sizeof(v)) || !strcasestr(v, "upgrade"))
		return fail(w, "upgrade reply without 'Connection: Upgrade'");
	if (!hdr_value(head, "Sec-WebSocket-Accept", v, sizeof(v)) || strcmp(v, w->accept) != 0) {
		snprintf(w->err, sizeof(w->err), "Sec-WebSocket-Accept '%.40s' does not match the key (want '%s')",
			 hdr_value(head, "Sec-WebSocket-Accept", v, sizeof(v)) ? v : "(none)", w->accept);
		return -1;
	}
	return (long)hl;
}

static int deliver(struct ws_conn *w, int op, const uint8_t *p, size_t n)
{
	if (w->cb && w->cb->on_message) /* also after our close: echoes of the last frames */
		w->cb->on_message(w->user, op, (const char *)p, n);
	return 0;
}

/* One frame at p[0..n): bytes consumed, 0 incomplete, -1 error. */
static long parse_frame(struct ws_conn *w, const uint8_t *p, size_t n)
{
	int fin, op;
	uint64_t len;
	size_t hl = 2;

	if (n < 2) {
		w->in_frame = n > 0;
		return 0;
	}
	fin = p[0] & 0x80;
	op = p[0] & 0x0f;
	len = p[1] & 0x7f;
	if (p[0] & 0x70)
		return fail(w, "frame with reserved bits set (no extension was negotiated)");
	if (p[1] & 0x80)
		return fail(w, "masked frame from the server (RFC 6455 5.1)");
	if (len == 126)
		hl = 4;
	else if (len == 127)
		hl = 10;
	if (n < hl) {
		w->in_frame = 1;
		return 0;
	}
	if (len == 126)
		len = (uint64_t)p[2] << 8 | p[3];
	else if (len == 127) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | p[2 + i];
	}
	if (op >= 8) {
		if (op > WS_OP_PONG)
			goto bad_op;
		if (len > 125 || !fin)
			return fail(w, "control frame over 125 bytes or fragmented");
	} else if (op > WS_OP_BINARY) {
	bad_op:
		snprintf(w->err, sizeof(w->err), "frame with unknown opcode %d", op);
		return -1;
	} else {
		if (len > w->max_msg) {
			snprintf(w->err, sizeof(w->err), "frame of %llu bytes over the %zu MiB limit (connection closed)",
				 (unsigned long long)len, w->max_msg >> 20);
			return -1;
		}
		if (op == WS_OP_CONT && !w->msg_op)
			return fail(w, "continuation frame without a message to continue");
		if (op != WS_OP_CONT && w->msg_op)
			return fail(w, "new message inside a fragmented one");
		if (op == WS_OP_CONT && w->msglen + len > w->max_msg) {
			snprintf(w->err, sizeof(w->err),
				 "fragmented message of more than %zu bytes over the %zu MiB limit (connection closed)",
				 w->max_msg, w->max_msg >> 20);
			return -1;
		}
	}
	w->in_frame = 1;
	w->frame_size = len;
	w->frame_got = n - hl < len ? n - hl : len;
	if (n - hl < len)
		return 0;
	w->in_frame = 0;
	p += hl;
	switch (op) {
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		if (fin) {
			deliver(w, op, p, (size_t)len);
			break;
		}
		w->msg_op = op;
		/* fall through */
	case WS_OP_CONT:
		if (grow(&w->msg, &w->msgcap, w->msglen + (size_t)len + 1) != 0)
			return fail(w, "out of memory");
		memcpy(w->msg + w->msglen, p, (size_t)len);
		w->msglen += (size_t)len;
		if (fin && op == WS_OP_CONT) {
			deliver(w, w->msg_op, w->msg, w->msglen);
			w->msg_op = 0;
			w->msglen = 0;
			free(w->msg);
			w->msg = NULL;
			w->msgcap = 0;
		}
		break;
	case WS_OP_PING:
		if (!w->close_sent && ws_conn_send(w, WS_OP_PONG, p, (size_t)len) != 0)
			return -1;
		break;
	case WS_OP_CLOSE:
		w->peer_closed = 1;
		if (!w->close_sent) {
			int code = len >= 2 ? p[0] << 8 | p[1] : 1000;

			ws_conn_close(w, code);
		}
		break;
	default:
		break;
	}
	return (long)(hl + len);
}

/* Consume p[0..n); returns bytes used or -1. */
static long parse(struct ws_conn *w, const uint8_t *p, size_t n)
{
	size_t used = 0;

	while (used < n && w->state != WS_CLOSED) {
		long r;

		if (w->state == WS_UPGRADE) {
			r = parse_upgrade(w, p + used, n - used);
			if (r > 0) {
				w->state = WS_OPEN;
				if (w->cb && w->cb->on_open)
					w->cb->on_open(w->user);
			}
		} else if (w->state >= WS_OPEN) {
			r = parse_frame(w, p + used, n - used);
		} else {
			return fail(w, "data before the connection was set up");
		}
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		used += (size_t)r;
	}
	return (long)used;
}

static int on_bytes(struct ws_conn *w, const uint8_t *p, size_t n)
{
	long used;

	if (w->rxlen) { /* the rest of a frame that was incomplete */
		if (grow(&w->rx, &w->rxcap, w->rxlen + n) != 0)
			return fail(w, "out of memory");
		memcpy(w->rx + w->rxlen, p, n);
		w->rxlen += n;
		used = parse(w, w->rx, w->rxlen);
		if (used < 0)
			return -1;
		memmove(w->rx, w->rx + used, w->rxlen - (size_t)used);
		w->rxlen -= (size_t)used;
		if (!w->rxlen && w->rxcap > 4096) {
			free(w->rx);
			w->rx = NULL;
			w->rxcap = 0;
		}
		return 0;
	}
	used = parse(w, p, n);
	if (used < 0)
		return -1;
	if ((size_t)used < n) {
		if (grow(&w->rx, &w->rxcap, n - (size_t)used) != 0)
			return fail(w, "out of memory");
		memcpy(w->rx, p + used, n - (size_t)used);
		w->rxlen = n - (size_t)used;
	}
	return 0;
}

int ws_conn_io(struct ws_conn *w, uint32_t events, uint8_t *scratch, size_t scratch_len)
{
	if (w->state == WS_CLOSED)
		return -1;
	if (w->state == WS_CONNECTING) {
		int e = 0;
		socklen_t el = sizeof(e);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return 0;
		if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
			e = errno;
		if (e) {
			snprintf(w->err, sizeof(w->err), "%s", strerror(e));
			return -1;
		}
		w->state = w->ssl ? WS_TLS : WS_UPGRADE;
	}
	if (w->state == WS_TLS) {
		int r = SSL_do_handshake(w->ssl);

		if (r != 1) {
			int e = SSL_get_error(w->ssl, r);

			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
				w->tls_want_write = e == SSL_ERROR_WANT_WRITE;
				return 0;
			}
			tls_err(w, "TLS handshake");
			return -1;
		}
		w->tls_want_write = 0;
		w->state = WS_UPGRADE;
	}
	if (w->txlen && flush_tx(w) != 0)
		return -1;
	/* at most a few reads per wake, so one busy socket cannot starve the others */
	for (int i = 0; i < 4; i++) {
		long r = raw_read(w, scratch, scratch_len);

		if (r == 0)
			break;
		if (r == -1)
			return -1;
		if (r == -2) {
			w->eof = 1;
			w->state = WS_CLOSED;
			return -1;
		}
		if (on_bytes(w, scratch, (size_t)r) != 0)
			return -1;
		if (w->txlen && flush_tx(w) != 0)
			return -1;
		if ((size_t)r < scratch_len && !(w->ssl && SSL_pending(w->ssl)))
			break;
	}
	if (w->peer_closed && w->close_sent && !w->txlen) {
		w->state = WS_CLOSED;
		return -1;
	}
	return 0;
}

uint32_t ws_conn_events(const struct ws_conn *w)
{
	if (w->state == WS_CONNECTING)
		return EPOLLOUT;
	if (w->state == WS_TLS)
		return w->tls_want_write ? EPOLLOUT : EPOLLIN;
	return EPOLLIN | (w->txlen || w->tls_want_write ? EPOLLOUT : 0);
}

/* --- sending ------------------------------------------------------------ */

int ws_conn_send(struct ws_conn *w, int op, const void *data, size_t len)
{
	uint8_t stackbuf[2048], *f = stackbuf;
	size_t hl = 2, i = 0;
	uint64_t r = rng_next(&w->rng);
	uint8_t mask[4];
	const uint8_t *src = data;
	int rc;

	if (w->state < WS_OPEN || w->state == WS_CLOSED || (w->close_sent && op != WS_OP_CLOSE))
		return -1;
	if (len >= 126)
		hl = len > 0xffff ? 10 : 4;
	if (hl + 4 + len > sizeof(stackbuf) && !(f = malloc(hl + 4 + len)))
		return fail(w, "out of memory");
	f[0] = (uint8_t)(0x80 | op);
	if (hl == 2) {
		f[1] = (uint8_t)(0x80 | len);
	} else if (hl == 4) {
		f[1] = 0x80 | 126;
		f[2] = (uint8_t)(len >> 8);
		f[3] = (uint8_t)len;
	} else {
		f[1] = 0x80 | 127;
		for (int k = 0; k < 8; k++)
			f[2 + k] = (uint8_t)((uint64_t)len >> (56 - 8 * k));
	}
	memcpy(mask, &r, 4);
	memcpy(f + hl, mask, 4);
	{
		uint8_t *dst = f + hl + 4;
		uint64_t m8;

		memcpy(&m8, mask, 4);
		memcpy((uint8_t *)&m8 + 4, mask, 4);
		for (; i + 8 <= len; i += 8) {
			uint64_t v;

			memcpy(&v, src + i, 8);
			v ^= m8;
			memcpy(dst + i, &v, 8);
		}
		for (; i < len; i++)
			dst[i] = src[i] ^ mask[i & 3];
	}
	rc = put(w, f, hl + 4 + len);
	if (f != stackbuf)
		free(f);
	return rc;
}

int ws_conn_close(struct ws_conn *w, int code)
{
	uint8_t c[2] = {(uint8_t)(code >> 8), (uint8_t)code};

	if (w->close_sent || w->state < WS_OPEN || w->state == WS_CLOSED)
		return 0;
	if (ws_conn_send(w, WS_OP_CLOSE, c, 2) != 0)
		return -1;
	w->close_sent = 1;
	w->state = WS_CLOSING;
	if (!w->txlen && !w->ssl)
		shutdown(w->fd, SHUT_WR);
	return 0;
}

void ws_conn_free(struct ws_conn *w)
{
	if (w->ssl) {
		SSL_free(w->ssl);
		w->ssl = NULL;
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	free(w->tx);
	free(w->rx);
	free(w->msg);
	w->tx = w->rx = w->msg = NULL;
	w->txlen = w->txoff = w->txcap = w->rxlen = w->rxcap = w->msglen = w->msgcap = 0;
	w->state = WS_CLOSED;
}
