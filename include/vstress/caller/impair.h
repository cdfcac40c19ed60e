/* Network impairments of the caller's media stream (docs/calls.md,
 * "Network impairments"): jitter, loss (Bernoulli or Gilbert-Elliott
 * bursts), duplicates, reordering and an outage, all drawn from one seed so
 * a run replays exactly.  The scheduler is pure (times are passed in): the
 * engine hands it each frame at its slot and sends what it pops. */
#ifndef VSTRESS_CALLER_IMPAIR_H
#define VSTRESS_CALLER_IMPAIR_H

#include <stddef.h>
#include <stdint.h>

struct vs_impair_cfg {
	uint64_t seed;
	int jitter_ms;        /* send time = slot + jitter_ms + U(-jitter_ms, +jitter_ms) */
	double loss;          /* Bernoulli: each frame lost with this probability */
	double ge_p, ge_r;    /* Gilbert-Elliott (ge_r > 0): good->bad p, bad->good r; all lost in bad */
	double duplicate;     /* a frame sent twice */
	double reorder;       /* a frame held one slot longer (the next one overtakes it) */
	int outage_at_ms, outage_ms; /* frames whose slot falls in [at, at+ms) are not sent */
};

struct vs_impair_stats {
	uint64_t frames;       /* frames handed to the scheduler */
	uint64_t sent;         /* messages written (copies included) */
	uint64_t lost;         /* dropped by loss (random or burst) */
	uint64_t outage;       /* dropped by the outage */
	uint64_t bursts;       /* runs of consecutive lost frames (loss, not outage) */
	uint64_t delayed;      /* sent later than their slot (jitter or reorder) */
	uint64_t duplicated;   /* second copies sent */
	uint64_t reordered;    /* held for the next frame to overtake */
	uint64_t out_of_order; /* written after a frame with a higher number */
	double delay_sum_ms, delay_max_ms; /* added send delay of the frames sent */
};

struct vs_impair_held {
	uint64_t at_ns, order, frame, delay_ns;
	char *msg;
};

struct vs_impair {
	struct vs_impair_cfg cfg;
	uint64_t rng;
	int bad;               /* Gilbert-Elliott state */
	int in_burst;
	uint64_t order;
	uint64_t top_frame;    /* highest frame number written + 1 */
	struct vs_impair_held *q;
	size_t n, cap;
	struct vs_impair_stats st;
};

/* 1 when cfg impairs anything (else the stream is sent as is). */
int vs_impair_active(const struct vs_impair_cfg *cfg);
/* One `[network]` key (or a `key=value` of a call option): seed, jitter,
 * loss ("2%", "0.02" or "gilbert p=1% r=25%"), duplicate, reorder,
 * outage ("2s at 5s").  0, or -1 with err saying what is wrong. */
int vs_impair_set(struct vs_impair_cfg *cfg, const char *key, const char *value, char *err, size_t errlen);
/* A whole option string "jitter=10ms loss=1% seed=3" (space separated;
 * loss=gilbert:p=1%:r=25%).  0 or -1. */
int vs_impair_parse_spec(struct vs_impair_cfg *cfg, const char *spec, char *err, size_t errlen);
/* cfg as one line, the spec syntax above (for results and logs). */
void vs_impair_describe(const struct vs_impair_cfg *cfg, char *buf, size_t len);

void vs_impair_init(struct vs_impair *im, const struct vs_impair_cfg *cfg);
void vs_impair_free(struct vs_impair *im);
/* Frame number `frame` (0-based), due at slot_ns = t0 + frame*20ms.  Takes
 * msg (malloc'd) and decides: drop it, hold it, or queue it (twice).
 * 0, or -1 out of memory (msg freed). */
int vs_impair_submit(struct vs_impair *im, char *msg, uint64_t frame, uint64_t slot_ns, uint64_t t0_ns);
/* The next message due at now_ns (the caller frees it), or NULL. */
char *vs_impair_pop(struct vs_impair *im, uint64_t now_ns);
/* When the next held message is due (UINT64_MAX: none held). */
uint64_t vs_impair_next_ns(const struct vs_impair *im);

#endif
