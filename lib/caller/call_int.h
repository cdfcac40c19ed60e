/* Internals shared by call_engine.c, call_ear.c and call_result.c. */
#ifndef VSTRESS_CALL_INT_H
#define VSTRESS_CALL_INT_H

#include <libwebsockets.h>
#include <pthread.h>

#include "vstress/caller/call.h"
#include "vstress/audio/vad.h"

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

struct vs_call {
	struct vs_call_engine *e;
	const struct vs_call_script *s;
	struct vs_call *next;      /* engine lists */
	char *url, *host, *path, *auth_token;
	char *stream_id, *call_control_id, *call_session_id, *from, *to, *client_state, *custom_params;
	int port, tls;
	struct lws *wsi;
	lws_sorted_usec_list_t sul;
	enum call_state state;
	int abort_req;             /* set from another thread: 1 vs_call_free (abort), 2 vs_call_hangup */
	int done;                  /* under engine lock */
	uint64_t connect_ns, t0;   /* monotonic ns */
	uint64_t frame;            /* next frame index */
	uint64_t seq;              /* outbound sequence_number */
	int sent_start, hangup_sent;
	int in_connect;            /* inside lws_client_connect_via_info() */
	/* control messages waiting for a writeable callback */
	char **ctl;
	size_t nctl, capctl;
	/* script cursor */
	size_t step;
	int64_t step_start;        /* sample index the current step began at */
	size_t clip_pos;
	int phase;                 /* step-local state */
	int64_t phase_at;
	size_t dtmf_i;
	struct call_step_log *log;
	size_t nlog;
	/* rx */
	char *rx;
	size_t rxlen, rxcap;
	size_t frame_size, frame_got; /* the frame being received (its declared size) */
	int in_frame;              /* part of a frame is still to come */
	double mark_tokens;        /* mark rate limit (token bucket) */
	uint64_t mark_ns;
	uint64_t first_media_ns, last_media_ns; /* agent media arrivals */
	unsigned char *tx;         /* LWS_PRE + message */
	size_t txcap;
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

/* Fill r's turns, gaps, false triggers, barge-ins and segments. */
int call_result_compute(struct vs_call *c);

#endif
