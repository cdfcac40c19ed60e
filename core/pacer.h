/* wrk2-style pacing: intended start times at a fixed rate (or Poisson
 * arrivals), independent of how long each event takes.  Latency is then
 * measured from the intended start, which corrects coordinated omission
 * (docs/histogram.md).
 */
#ifndef VS_PACER_H
#define VS_PACER_H

#include <stdint.h>

#include "rng.h"

/* The plugin ABI sees this as the opaque vs_pacer. */
struct vs_pacer {
	double rate;       /* events per second */
	int poisson;       /* exponential gaps instead of 1/rate */
	struct vs_rng rng; /* gap source when poisson */
	uint64_t start_ns; /* intended start of event 0 */
	uint64_t index;    /* events handed out so far */
	uint64_t next_ns;  /* intended start of event `index` */
	double poisson_ns; /* sum of the Poisson gaps so far */
	int (*should_stop)(void *arg);
	void *arg;
};

/* rate > 0 and finite, else -EINVAL.  stop may be NULL.  start_ns is in
 * vs_now_ns() time and should be non-zero (vs_pacer_wait uses 0 for
 * "stopped"). */
int vs_pacer_init(struct vs_pacer *p, double rate, int poisson, uint64_t seed, uint64_t start_ns,
		  int (*stop)(void *), void *arg);
/* The next intended start; never sleeps.  Event 0 is at start_ns. */
uint64_t vs_pacer_next(struct vs_pacer *p);
/* Sleeps (in slices of at most 50 ms, polling the stop callback) until the
 * next intended start and returns it; returns at once when already behind.
 * 0 when the stop callback returned non-zero. */
uint64_t vs_pacer_wait(struct vs_pacer *p);

uint64_t vs_now_ns(void); /* CLOCK_MONOTONIC */

#endif
