/* wrk2-style pacer; see pacer.h. */
#include "pacer.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#define NS_PER_S 1000000000ULL
#define SLICE_NS (50ULL * 1000 * 1000) /* longest sleep between stop checks */

uint64_t vs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

int vs_pacer_init(struct vs_pacer *p, double rate, int poisson, uint64_t seed, uint64_t start_ns,
		  int (*stop)(void *), void *arg)
{
	if (!p || !isfinite(rate) || !(rate > 0))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->rate = rate;
	p->poisson = poisson != 0;
	vs_rng_seed(&p->rng, seed);
	p->start_ns = start_ns;
	p->next_ns = start_ns;
	p->should_stop = stop;
	p->arg = arg;
	return 0;
}

/* Offset of event i at a constant rate, from i alone so that rounding never
 * accumulates.  Integral rates use exact integer arithmetic. */
static uint64_t constant_offset(const struct vs_pacer *p, uint64_t i)
{
	if (p->rate == floor(p->rate) && p->rate <= 1e18)
		return (uint64_t)((unsigned __int128)i * NS_PER_S / (uint64_t)p->rate);
	return (uint64_t)((long double)i * NS_PER_S / (long double)p->rate);
}

uint64_t vs_pacer_next(struct vs_pacer *p)
{
	uint64_t t = p->next_ns;

	p->index++;
	if (p->poisson) {
		p->poisson_ns += vs_rng_exp(&p->rng, (double)NS_PER_S / p->rate);
		p->next_ns = p->start_ns + (uint64_t)p->poisson_ns;
	} else {
		p->next_ns = p->start_ns + constant_offset(p, p->index);
	}
	return t;
}

uint64_t vs_pacer_wait(struct vs_pacer *p)
{
	uint64_t t = vs_pacer_next(p);

	for (;;) {
		uint64_t now, until;
		struct timespec ts;

		/* Checked even when behind, so a saturated loop still stops. */
		if (p->should_stop && p->should_stop(p->arg))
			return 0;
		now = vs_now_ns();
		if (now >= t)
			return t;
		until = t - now > SLICE_NS ? now + SLICE_NS : t;
		ts.tv_sec = (time_t)(until / NS_PER_S);
		ts.tv_nsec = (long)(until % NS_PER_S);
		/* EINTR or an early slice end: loop and re-check. */
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}
