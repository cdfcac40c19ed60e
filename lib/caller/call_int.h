/* Internals shared by call_engine.c, call_loop.c, call_ear.c,
 * call_result.c and call_impair.c. */
#ifndef VSTRESS_CALL_INT_H
#define VSTRESS_CALL_INT_H

#include <pthread.h>
#include <sys/socket.h>

#include "vstress/caller/call.h"
#include "vstress/audio/vad.h"
#include "ws_conn.h"
#include "call_lat.h"

#define CALL_FRAME 160
#define CALL_RATE 8000
#define CALL_FRAME_NS 20000000ull

/* The caller's ear: the agent's audio queued for playout at 8 kHz, played
 * on one timeline (sample n is heard at t0 + n/8000) and run through the
 * VAD; marks are echoed when the audio before them has played. */
struct call_mark {
	char *name;
	int64_t at; /* listening index at which it is due */
};

struct call_ear {
	struct vs_vad vad;
	int16_t *q;        /* ring of queued samples */
	size_t qcap, qhead, qlen;
	int64_t qstart;    /* listening index of q[qhead] */
	int64_t pos;       /* next listening index to play (frame multiple) */
	int speaking;
	int64_t last_on, last_off; /* last VAD edges (-1 none) */
	struct call_mark *marks;
	size_t nmarks, capmarks;
	struct vs_call_seg *segs;
	size_t nsegs, capsegs;
	int64_t *clears;   /* listening index of each clear */
	size_t nclears, capclears;
	int16_t *heard;    /* every sample played, from index 0 (call_ear_keep) */
	size_t nheard, capheard, maxheard;
	int heard_truncated;
};

int call_ear_init(struct call_ear *e, const struct vs_call_measure_cfg *m);
void call_ear_free(struct call_ear *e);
/* Queue decoded agent audio arriving at listening index now_idx. */
int call_ear_push(struct call_ear *e, int64_t now_idx, const int16_t *pcm, size_t n);
/* Play (feed the VAD) up to now_idx. */
void call_ear_advance(struct call_ear *e, int64_t now_idx);
/* A mark from the agent: due when the queued audio has played. */
int call_ear_mark(struct call_ear *e, const char *name);
/* clear: drop the queue; all pending marks become due now. */
int call_ear_clear(struct call_ear *e, int64_t now_idx);
/* Pop one due mark (caller frees the name), or NULL. */
char *call_ear_due_mark(struct call_ear *e);
/* Keep what plays from now on, at most max samples (0 or -1). */
int call_ear_keep(struct call_ear *e, size_t max);
/* Close an open segment at the end of the call. */
void call_ear_finish(struct call_ear *e);

/* What the caller did, step by step, on the sending timeline. */
struct call_step_log {
	int step;
	enum vs_step_kind kind;
	int64_t start, end;   /* sample indexes (end exclusive) */
	int64_t speech_end;   /* absolute; -1 none */
	int64_t barge_at;     /* barge_in: start of the caller's audio; -1 none */
};

enum call_state { CALL_PENDING = 0, CALL_CONNECTING, CALL_STREAMING, CALL_CLOSING, CALL_DONE };

struct vs_call_engine;
struct vs_call;

/* --- the per-frame send hook (impairments) ----------------------------------
 * Every caller media frame passes through c->send_hook (when set) after its
 * audio is made and before it is framed and written.  The hook may change
 * the 160 mu-law bytes in place, and returns one of:
 *   CALL_SEND_NOW   send it now;
 *   CALL_SEND_DROP  do not send it (frames_sent does not count it; its slot
 *                   passes, the timeline is unchanged: a lost packet);
 *   CALL_SEND_HOLD  send it *hold_ns later than now (jitter).  TCP is in
 *                   order, so frames due meanwhile queue behind it and go
 *                   out back to back when it is released; their lateness
 *                   is measured from their own slots as always.
 * frame is the 0-based frame index, due_ns its intended send time (the
 * engine's CLOCK_MONOTONIC).  The hook runs on the engine's loop thread and
 * must not block.  call_impair_attach() (call_impair.c) is called once per
 * call in vs_call_start to set it up from the call's script; free is
 * called with arg when the call is freed. */
enum call_send_action { CALL_SEND_NOW = 0, CALL_SEND_DROP, CALL_SEND_HOLD };

struct call_send_hook {
	enum call_send_action (*fn)(void *arg, uint64_t frame, uint64_t due_ns, uint8_t fr[CALL_FRAME],
				    uint64_t *hold_ns);
	void (*free)(void *arg);
	void *arg;
};

/* Set c->send_hook for this call (default: none).  0, or -1 to refuse the
 * call (vs_call_start fails). */
int call_impair_attach(struct vs_call *c);

/* --- one event loop (thread) of an engine ------------------------------- */

/* A deadline heap entry: the key beside the call, so sifting reads one
 * array and not every call it passes. */
struct call_hent {
	uint64_t due;
	struct vs_call *c;
};

struct call_loop {
	struct vs_call_engine *e;
	int ep, tfd, efd;          /* epoll, the one timerfd, the wake-up eventfd */
	pthread_t thr;
	int started;
	pthread_mutex_t mu;        /* guards pending, stop, abort_gen */
	struct vs_call *pending;   /* submitted, to connect */
	int stop;
	unsigned abort_gen, abort_seen;
	struct call_hent *heap;    /* min-heap on due: every call's next deadline */
	size_t nheap, capheap;
	uint64_t armed;            /* the timerfd's expiry (0: disarmed) */
	/* the epoll batch being handled (loop thread only): an unwatched call's
	 * entries after batch_at are cleared, since its owner may free it */
	struct epoll_event *batch;
	int nbatch, batch_at;
	struct vs_call *active;    /* loop thread only */
	size_t load;               /* calls assigned and not freed (engine mu) */
	unsigned phase_load[20];   /* streaming calls per 1 ms start slot of the 20 ms period */
	uint64_t rng;
	pthread_mutex_t stat_mu;   /* guards lat and the counters below */
	struct call_lat lat;       /* send lateness of every frame, ns */
	uint64_t frames_sent, frames_received, late_frames, calls_done;
	uint8_t scratch[65536];    /* socket reads */
};

struct vs_call {
	struct vs_call_engine *e;
	struct call_loop *loop;
	const struct vs_call_script *s;
	struct vs_call *next;      /* loop lists */
	char *url, *host, *path, *auth_token;
	char *stream_id, *call_control_id, *call_session_id, *from, *to, *client_state, *custom_params;
	int port, tls;
	struct sockaddr_storage addr;
	socklen_t alen;
	char resolve_err[160];     /* the host did not resolve (vs_call_start) */
	struct ws_conn ws;
	uint32_t ev_armed;         /* events registered with epoll (0: not registered) */
	size_t hidx;               /* position in loop->heap + 1 (0: not scheduled); the entry holds
				    * its next deadline: a frame, start, or the close timeout */
	enum call_state state;
	int abort_req;             /* set from another thread: 1 vs_call_free (abort), 2 vs_call_hangup */
	int done;                  /* under engine lock */
	void (*on_end)(void *arg); /* vs_call_params.on_end */
	void *on_end_arg;
	uint64_t connect_ns, t0;   /* monotonic ns; t0 = the intended start instant */
	uint64_t frame;            /* next frame index */
	uint64_t seq;              /* outbound sequence_number */
	int sent_start, hangup_sent;
	int stream_id_plain;       /* no JSON escaping needed (call_send_media) */
	size_t stream_id_len;
	/* script cursor */
	size_t step;
	int64_t step_start;        /* sample index the current step began at */
	size_t clip_pos;
	int phase;                 /* step-local state */
	int64_t phase_at;
	size_t dtmf_i;
	struct call_step_log *log;
	size_t nlog;
	/* send hook: a frame held back by it */
	struct call_send_hook send_hook;
	int held;
	uint64_t held_frame, held_due, held_until;
	uint8_t held_fr[CALL_FRAME];
	/* rx */
	double mark_tokens;        /* mark rate limit (token bucket) */
	uint64_t mark_ns;
	uint64_t first_media_ns, last_media_ns; /* agent media arrivals */
	struct call_ear ear;
	struct vs_call_result res;
	struct call_messy *messy;  /* noise, backchannel, impairment (call_messy.c); NULL until the first frame */
};

/* --- the messy caller (call_messy.c) ---------------------------------------
 * The engine's frame-send hook: frame c->frame, due at slot_ns, is in fr
 * (mu-law, from the script).  Mixes the noise bed and the backchannel into
 * it, builds the `media` message and sends it through send() now, later,
 * twice or never (the script's [network]).  0, or -1 when a write failed. */
int call_messy_frame(struct vs_call *c, uint8_t fr[CALL_FRAME], uint64_t slot_ns,
		     int (*send)(struct vs_call *, const char *));
/* Sends one held message that is due at now_ns, if any; returns when the
 * next one is due (UINT64_MAX: none), or 0 when a write failed. */
uint64_t call_messy_pump(struct vs_call *c, uint64_t now_ns, int (*send)(struct vs_call *, const char *));
/* When the next held message is due (UINT64_MAX: none). */
uint64_t call_messy_next_ns(const struct vs_call *c);
/* At the end of the call: the impairment's figures and the backchannels
 * into c->res; frees the state. */
int call_messy_finish(struct vs_call *c);
/* What a loop does with its calls (call_engine.c fills it in): the loop
 * knows when, the engine knows what. */
struct call_loop_ops {
	void (*begin)(struct vs_call *c);                 /* connect (or fail) */
	void (*on_io)(struct vs_call *c, uint32_t events); /* its socket is ready */
	void (*on_timer)(struct vs_call *c, uint64_t now); /* its deadline passed */
	void (*on_abort)(struct vs_call *c, int req);      /* 1 abort, 2 far-end hang-up */
	void (*kill)(struct vs_call *c, const char *why);  /* the engine is being freed */
};

struct vs_call_engine {
	const struct call_loop_ops *ops;
	struct call_loop *loops;
	int nloops;
	int max_calls;
	SSL_CTX *ssl;              /* wss:// (verification off with tls_insecure) */
	pthread_mutex_t mu;        /* guards vs_call.done and the loops' load */
	pthread_cond_t cv;
};

/* call_loop.c, any thread: hand a call to the least loaded loop; ask its
 * loop to abort it; forget it in the load count (vs_call_free). */
void call_loop_submit(struct vs_call_engine *e, struct vs_call *c);
void call_loop_request_abort(struct vs_call *c, int req);
void call_loop_release(struct vs_call *c);
/* call_loop.c: scheduling on the call's loop (loop thread only). */
void call_loop_schedule(struct vs_call *c, uint64_t due);
void call_loop_unschedule(struct vs_call *c);
/* Register or update the call's socket with epoll (ws_conn_events). */
int call_loop_watch(struct vs_call *c);
void call_loop_unwatch(struct vs_call *c);
uint64_t call_now_ns(void);
/* The engine's loops and TLS context (vs_call_engine_new). */
int call_engine_create(struct vs_call_engine **out, const struct vs_call_engine_opts *o, const struct call_loop_ops *ops,
		       char *err, size_t errlen);

/* call_send.c: writing to the agent (loop thread). */
int call_send_text(struct vs_call *c, char *msg); /* sends and frees msg */
/* The `media` message of frame k (without a JSON tree); call_send_init
 * once the call's ids are set. */
int call_send_media(struct vs_call *c, uint64_t k, const uint8_t fr[CALL_FRAME]);
/* The `media` text for frame k into buf (a stream id needing no JSON
 * escaping, idlen bytes): its length, or 0 when cap is too small. */
size_t call_media_text(char *buf, size_t cap, const char *stream_id, size_t idlen, uint64_t seq, uint64_t k,
		       const uint8_t fr[CALL_FRAME]);
void call_send_init(struct vs_call *c);
void call_flush_marks(struct vs_call *c);          /* echo marks now due */
int64_t call_listen_idx(const struct vs_call *c, uint64_t t);
/* call_cursor.c: frame c->frame's audio into out; 1 when the caller hangs up. */
int call_next_frame(struct vs_call *c, uint8_t out[CALL_FRAME]);
/* call_rx.c: one complete agent message. */
void call_message(struct vs_call *c, const char *text, size_t len);

/* Fill r's turns, gaps, false triggers, barge-ins and segments. */
int call_result_compute(struct vs_call *c);

#endif
