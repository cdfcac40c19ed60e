/* A small RFC 6455 WebSocket client over one non-blocking socket (plain
 * TCP or TLS through OpenSSL), driven by an event loop: the owner calls
 * ws_conn_io() when epoll reports the socket and polls ws_conn_events()
 * for what to wait on next.  No threads, no timers of its own.
 *
 * - HTTP/1.1 upgrade with Sec-WebSocket-Key, checked against the server's
 *   Sec-WebSocket-Accept (SHA-1 + base64 of key + the RFC's GUID);
 * - client frames masked (a fresh key per frame);
 * - text/binary messages, fragmentation (continuation frames, control
 *   frames interleaved), ping answered with pong, close answered with close;
 * - a frame or reassembled message over max_msg is refused from its declared
 *   length on its first bytes (ws_conn.err says so), before it is buffered.
 * Bytes are read into a caller-provided scratch buffer (one per loop) and
 * only an incomplete frame's tail is kept per connection, so an idle
 * connection holds no buffers. */
#ifndef VS_CALLER_WS_CONN_H
#define VS_CALLER_WS_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

enum ws_state { WS_CONNECTING = 0, WS_TLS, WS_UPGRADE, WS_OPEN, WS_CLOSING, WS_CLOSED };

enum ws_op { WS_OP_CONT = 0, WS_OP_TEXT = 1, WS_OP_BINARY = 2, WS_OP_CLOSE = 8, WS_OP_PING = 9, WS_OP_PONG = 10 };

struct ws_conn;

struct ws_conn_cb {
	void (*on_open)(void *user);
	/* A complete text or binary message (data valid during the call). */
	void (*on_message)(void *user, int op, const char *data, size_t len);
};

struct ws_conn {
	int fd;
	SSL *ssl;
	enum ws_state state;
	const struct ws_conn_cb *cb;
	void *user;
	size_t max_msg;
	char accept[32];          /* expected Sec-WebSocket-Accept */
	uint8_t *tx;              /* bytes the socket did not take yet */
	size_t txlen, txoff, txcap;
	uint8_t *rx;              /* an incomplete frame (or upgrade reply) */
	size_t rxlen, rxcap;
	uint8_t *msg;             /* a fragmented message being reassembled */
	size_t msglen, msgcap;
	int msg_op;               /* 0: no fragmented message in progress */
	int close_sent, peer_closed, eof;
	int tls_want_write;       /* SSL_read wants the socket writeable */
	uint64_t rng;             /* masking keys */
	/* the frame being received, for "closed mid-frame" */
	uint64_t frame_size, frame_got;
	int in_frame;
	int http_status;          /* the upgrade reply's status */
	char err[200];            /* why the connection failed ("" none) */
};

/* Start a non-blocking connect to addr; the upgrade request (GET path,
 * Host, the key, extra_header "Name: value" or NULL) goes out once
 * connected.  ssl_ctx non-NULL = TLS (host is the SNI and the name
 * checked unless the context skips verification).  0 or -1 (err set). */
int ws_conn_start(struct ws_conn *w, const struct sockaddr *addr, socklen_t alen, const char *host, int port,
		  const char *path, const char *extra_header, SSL_CTX *ssl_ctx, uint64_t seed);
/* Handle readiness (EPOLLIN/EPOLLOUT/EPOLLERR bits as from epoll); scratch
 * is a buffer of scratch_len bytes shared by the loop.  Returns 0 while the
 * connection lives, -1 when it is over (err set unless a clean close). */
int ws_conn_io(struct ws_conn *w, uint32_t events, uint8_t *scratch, size_t scratch_len);
/* The epoll events to wait for now. */
uint32_t ws_conn_events(const struct ws_conn *w);
/* Send one message (text or binary, one frame) or control frame; bytes the
 * socket does not take are kept and flushed by ws_conn_io.  0 or -1. */
int ws_conn_send(struct ws_conn *w, int op, const void *data, size_t len);
/* Send a close frame (code, e.g. 1000) once; the socket's write side is
 * shut when everything is flushed. */
int ws_conn_close(struct ws_conn *w, int code);
/* Close the socket and free the buffers (safe twice). */
void ws_conn_free(struct ws_conn *w);

#endif
