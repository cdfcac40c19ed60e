/* The call engine's RFC 6455 client (lib/caller/ws_conn.c) against a
 * server written here byte by byte on loopback: the accept check,
 * fragmentation with a ping in between (answered with the same payload,
 * masked), the close handshake, the frame size limit and protocol errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../ws_conn.h"
#include "vstress/crypto/b64.h"

struct got {
	char msg[256];
	int nmsg, op, opened;
};

static void on_open(void *u)
{
	((struct got *)u)->opened = 1;
}

static void on_message(void *u, int op, const char *d, size_t n)
{
	struct got *g = u;

	snprintf(g->msg, sizeof(g->msg), "%.*s", (int)n, d);
	g->op = op;
	g->nmsg++;
}

static const struct ws_conn_cb cb = {.on_open = on_open, .on_message = on_message};
static uint8_t scratch[65536];

/* Client connected to a fresh listener; *srv is the accepted server side. */
static void start(struct ws_conn *w, struct got *g, int *srv)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &al), 0);
	memset(w, 0, sizeof(*w));
	memset(g, 0, sizeof(*g));
	w->cb = &cb;
	w->user = g;
	w->max_msg = 1u << 20;
	assert_int_equal(ws_conn_start(w, (struct sockaddr *)&a, al, "127.0.0.1", ntohs(a.sin_port), "/media", NULL, NULL,
				       12345),
			 0);
	*srv = accept(l, NULL, NULL);
	assert_true(*srv >= 0);
	close(l);
	/* until the upgrade request is written */
	for (int i = 0; i < 300 && !(w->state == WS_UPGRADE && !w->txlen); i++) {
		struct pollfd p = {.fd = w->fd, .events = POLLOUT};

		if (poll(&p, 1, 10) > 0)
			assert_int_equal(ws_conn_io(w, EPOLLOUT, scratch, sizeof(scratch)), 0);
	}
	assert_int_equal(w->state, WS_UPGRADE);
}

/* Run the client until cond or it ends; returns ws_conn_io's last result. */
static int drive(struct ws_conn *w, const int *cond, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		struct pollfd p = {.fd = w->fd, .events = 0};
		uint32_t want = ws_conn_events(w), ev = 0;
		int rc;

		p.events = (short)((want & EPOLLIN ? POLLIN : 0) | (want & EPOLLOUT ? POLLOUT : 0));
		if (poll(&p, 1, 10) <= 0)
			continue;
		ev = (p.revents & POLLIN ? EPOLLIN : 0) | (p.revents & POLLOUT ? EPOLLOUT : 0) |
		     (p.revents & POLLERR ? EPOLLERR : 0) | (p.revents & POLLHUP ? EPOLLHUP : 0);
		rc = ws_conn_io(w, ev, scratch, sizeof(scratch));
		if (rc != 0 || (cond && *cond))
			return rc;
	}
	return 0;
}

/* Read the upgrade request; answer 101 with the right (or a wrong) accept. */
static void serve_upgrade(int s, int wrong)
{
	char req[2048] = "", key[64] = "", cat[128], acc[64], resp[256];
	unsigned char sha[SHA_DIGEST_LENGTH];
	size_t n = 0;
	char *k;

	while (n < sizeof(req) - 1 && !strstr(req, "\r\n\r\n")) {
		ssize_t r = read(s, req + n, sizeof(req) - 1 - n);

		assert_true(r > 0);
		n += (size_t)r;
		req[n] = '\0';
	}
	assert_non_null(strstr(req, "GET /media HTTP/1.1\r\n"));
	assert_non_null(strstr(req, "Sec-WebSocket-Version: 13\r\n"));
	k = strstr(req, "Sec-WebSocket-Key: ");
	assert_non_null(k);
	sscanf(k + 19, "%63[^\r]", key);
	assert_int_equal(strlen(key), 24);
	snprintf(cat, sizeof(cat), "%s%s", key, wrong ? "not the GUID" : "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
	SHA1((const unsigned char *)cat, strlen(cat), sha);
	vs_b64_encode(sha, sizeof(sha), acc, sizeof(acc));
	snprintf(resp, sizeof(resp),
		 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Accept: %s\r\n\r\n",
		 acc);
	assert_int_equal(write(s, resp, strlen(resp)), (ssize_t)strlen(resp));
}

static void put_frame(int s, int b0, const char *p, size_t n)
{
	uint8_t f[256];

	f[0] = (uint8_t)b0;
	f[1] = (uint8_t)n;
	memcpy(f + 2, p, n);
	assert_int_equal(write(s, f, n + 2), (ssize_t)(n + 2));
}

/* One masked frame from the client: opcode and unmasked payload. */
static int read_client_frame(int s, char *out, size_t cap)
{
	uint8_t h[8], m[4];
	size_t n;

	assert_int_equal(read(s, h, 2), 2);
	assert_true(h[1] & 0x80); /* clients mask every frame */
	n = h[1] & 0x7f;
	assert_true(n < cap && n < 126);
	assert_int_equal(read(s, m, 4), 4);
	assert_int_equal(read(s, out, n), (ssize_t)n);
	for (size_t i = 0; i < n; i++)
		out[i] ^= (char)m[i & 3];
	out[n] = '\0';
	return h[0] & 0x0f;
}

static void fragments_and_ping(void **st)
{
	struct ws_conn w;
	struct got g;
	char pl[64];
	int s;
	(void)st;

	start(&w, &g, &s);
	serve_upgrade(s, 0);
	put_frame(s, 0x01, "hel", 3);    /* text, not final */
	put_frame(s, 0x89, "p1", 2);     /* ping between fragments */
	put_frame(s, 0x00, "lo ", 3);    /* continuation */
	put_frame(s, 0x80, "world", 5);  /* final continuation */
	assert_int_equal(drive(&w, &g.nmsg, 3000), 0);
	assert_true(g.opened);
	assert_int_equal(g.nmsg, 1);
	assert_int_equal(g.op, WS_OP_TEXT);
	assert_string_equal(g.msg, "hello world");
	assert_int_equal(read_client_frame(s, pl, sizeof(pl)), WS_OP_PONG);
	assert_string_equal(pl, "p1");
	/* a message from the client, then the close handshake from the server */
	assert_int_equal(ws_conn_send(&w, WS_OP_TEXT, "hi", 2), 0);
	assert_int_equal(read_client_frame(s, pl, sizeof(pl)), WS_OP_TEXT);
	assert_string_equal(pl, "hi");
	put_frame(s, 0x88, "\x03\xe8", 2);
	assert_int_equal(drive(&w, NULL, 3000), -1);
	assert_string_equal(w.err, "");
	assert_true(w.peer_closed && w.close_sent);
	assert_int_equal(read_client_frame(s, pl, sizeof(pl)), WS_OP_CLOSE);
	assert_memory_equal(pl, "\x03\xe8", 2);
	ws_conn_free(&w);
	close(s);
}

static void wrong_accept_refused(void **st)
{
	struct ws_conn w;
	struct got g;
	int s;
	(void)st;

	start(&w, &g, &s);
	serve_upgrade(s, 1);
	assert_int_equal(drive(&w, NULL, 3000), -1);
	assert_false(g.opened);
	assert_non_null(strstr(w.err, "Sec-WebSocket-Accept"));
	assert_non_null(strstr(w.err, "does not match"));
	ws_conn_free(&w);
	close(s);
}

static void oversized_frame_refused_from_its_header(void **st)
{
	struct ws_conn w;
	struct got g;
	uint8_t h[10] = {0x82, 127, 0, 0, 0, 0, 0, 0x20, 0, 0}; /* 2 MiB, no payload sent */
	int s;
	(void)st;

	start(&w, &g, &s);
	serve_upgrade(s, 0);
	assert_int_equal(write(s, h, sizeof(h)), (ssize_t)sizeof(h));
	assert_int_equal(drive(&w, NULL, 3000), -1);
	assert_string_equal(w.err, "frame of 2097152 bytes over the 1 MiB limit (connection closed)");
	assert_int_equal(g.nmsg, 0);
	ws_conn_free(&w);
	close(s);
}

static void protocol_errors(void **st)
{
	static const struct {
		uint8_t b0, b1;
		const char *want;
	} cases[] = {
		{0x81, 0x82, "masked frame from the server"},
		{0xc1, 0x00, "reserved bits"},
		{0x83, 0x00, "unknown opcode 3"},
		{0x80, 0x00, "continuation frame without a message"},
		{0x09, 0x00, "control frame over 125 bytes or fragmented"},
	};
	(void)st;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ws_conn w;
		struct got g;
		uint8_t f[2] = {cases[i].b0, cases[i].b1};
		int s;

		start(&w, &g, &s);
		serve_upgrade(s, 0);
		assert_int_equal(write(s, f, 2), 2);
		assert_int_equal(drive(&w, NULL, 3000), -1);
		if (!strstr(w.err, cases[i].want))
			fail_msg("case %zu: error '%s' lacks '%s'", i, w.err, cases[i].want);
		ws_conn_free(&w);
		close(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fragments_and_ping),
		cmocka_unit_test(wrong_accept_refused),
		cmocka_unit_test(oversized_frame_refused_from_its_header),
		cmocka_unit_test(protocol_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
