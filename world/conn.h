/* One connection of the world's epoll loop: an output queue of paced items
 * and the fault state drawn for the exchange in progress. */
#ifndef VSTRESS_WORLD_CONN_H
#define VSTRESS_WORLD_CONN_H

#include "world/internal.h"

enum wc_state { C_HTTP = 0, C_WS, C_CLOSING, C_PG };

enum wout_kind {
	O_HDR = 0, /* response head: not counted as body bytes */
	O_DATA,    /* body bytes / a frame */
	O_END,     /* the HTTP response is complete */
	O_CLOSE,   /* graceful close (FIN) once reached */
	O_RESET,   /* reset (RST) once reached */
};

struct wout {
	struct wout *next;
	uint64_t due;
	int kind;
	int is_msg; /* one message: an SSE event, a chunk, a WS frame */
	size_t len, off;
	char data[];
};

struct wconn {
	struct wconn *next;
	int fd;
	struct wlistener *ls;
	int state;
	int dead;
	int want_write;
	int busy;      /* an HTTP response is in progress */
	int keepalive;
	int sent_continue;
	struct wbuf in;
	struct wout *qh, *qt;
	uint64_t last_due;
	uint64_t next_write;
	uint64_t closing_deadline;
	struct wfault_hit hit;
	long long body_bytes, msgs_sent;
	vs_wreq rq;
	vs_wresp rs;
	vs_ws ws;
	int is_ws;
	int stalled; /* a stall fault fired mid-stream: nothing more goes out */
	struct wpoll_wait *wait;
	/* Postgres proxy */
	struct wconn *peer;
	double pg_latency_ms;
	int pg_stall;
	/* the loop's epoll registration: the events asked for (0: not added) */
	uint32_t ep_mask;
};

/* Queue data `delay_ms` after the previous item's due time (or now). */
int cq_push(struct wconn *c, uint32_t delay_ms, int kind, int is_msg, const void *d, size_t n);
/* Queue at an absolute due time (not before the previous item). */
int cq_push_at(struct wconn *c, uint64_t due, int kind, int is_msg, const void *d, size_t n);
/* Put an item first (after a partly written head): pongs, close replies. */
int cq_push_front(struct wconn *c, int kind, const void *d, size_t n);
void cq_clear(struct wconn *c);
void conn_reset(struct world *W, struct wconn *c);
void conn_begin_close(struct wconn *c);
int ws_frame(struct wconn *c, uint32_t delay_ms, int opcode, const void *d, size_t n, int front);
void conn_ws_fault_close(struct wconn *c, int code);
void wreq_clear(vs_wreq *rq);
/* Frames one HTTP/1.1 request at the start of in[0..len) (which must be
 * followed by a NUL, as a wbuf is): clears and fills rq (the head) and body.
 * Returns the bytes the request takes (head + body) when complete, 0 when
 * more is needed, -1 when malformed (or no head within 64 KiB). */
long w_http_request(vs_wreq *rq, const char *in, size_t len, struct wbuf *body);
int wresp_begin_stream(vs_wresp *rs, int mode);
int wresp_item(vs_wresp *rs, uint32_t delay_ms, const void *data, size_t len);
int wresp_sse(vs_wresp *rs, uint32_t delay_ms, const char *event, const char *data);
int wresp_error(vs_wresp *rs, int status, const char *message);

#endif
