/* load plugin: runs a stages (closed model) or arrival-rate (open model)
 * shape.  One scheduler loop in the phase's thread decides each start; each
 * call runs vs_tcall_run on a thread of its own (the call API is blocking),
 * joined before the shape returns.  Calls are numbered globally across
 * runs (capacity search runs several shapes), times are from the batch
 * start (p->t_start_ns). */
#include "load.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICK_MS 5
#define TL_EVERY_MS 100

struct job {
	struct sched *S;
	struct vs_cbatch_call *c;
	size_t k; /* global index */
	pthread_t th;
};

struct sched {
	struct ld *p;
	const struct ld_shape *shape;
	const struct vs_tcall_cfg *base;
	uint64_t seed;
	pthread_mutex_t mu;
	int in_flight;
};

static double now_ms(const struct ld *p)
{
	return (double)(p->h->now_ns() - p->t_start_ns) / 1e6;
}

static void *run_call(void *arg)
{
	struct job *j = arg;
	struct sched *S = j->S;
	struct vs_tcall_cfg tc = *S->base;

	tc.seed = S->seed + j->k + 1;
	if (S->p->ntenants == 2)
		tc.to = S->p->to_numbers[j->k % 2];
	j->c->failed = vs_tcall_run(S->p->t.eng, j->c->script, &tc, &j->c->r) != 0;
	j->c->ended_ms = now_ms(S->p);
	pthread_mutex_lock(&S->mu);
	j->c->ran = 1;
	S->in_flight--;
	S->p->h->count(S->p->c, "calls", 1);
	ld_log_rec(S->p, j->c, j->k);
	pthread_mutex_unlock(&S->mu);
	return NULL;
}

/* Appends a record; NULL out of memory. */
static struct vs_cbatch_call *rec_new(struct ld *p)
{
	struct vs_cbatch_call *c, **g;

	if (p->nrecs == p->caprecs) {
		size_t cap = p->caprecs ? p->caprecs * 2 : 64;
		if (!(g = realloc(p->recs, cap * sizeof(*g))))
			return NULL;
		p->recs = g;
		p->caprecs = cap;
	}
	if (!(c = calloc(1, sizeof(*c))))
		return NULL;
	p->recs[p->nrecs++] = c;
	return c;
}

static int start_call(struct sched *S, struct job ***jobs, size_t *njobs, double t)
{
	struct ld *p = S->p;
	struct vs_cbatch_call *c = rec_new(p);
	struct job *j = calloc(1, sizeof(*j)), **g;
	const struct vs_call_script *const *sc =
		(const struct vs_call_script *const *)(p->shard_scripts ? p->shard_scripts : p->scripts);

	if (!c || !j || !(g = realloc(*jobs, (*njobs + 1) * sizeof(*g)))) {
		free(j);
		return -1;
	}
	*jobs = g;
	j->S = S;
	j->c = c;
	j->k = p->nrecs - 1;
	c->intended_ms = t;
	c->started_ms = now_ms(p);
	/* the stage's (or the run's) network impairment: an impaired copy */
	c->script = ld_network_script(p, sc[j->k % p->nscripts],
				      S->shape == &p->shape && p->shape.kind == LD_STAGES
					      ? (int)ld_stage_at(&p->shape, c->started_ms)
					      : -1,
				      j->k);
	if (!c->script) {
		c->script = sc[j->k % p->nscripts];
		free(j);
		return -1;
	}
	pthread_mutex_lock(&S->mu);
	S->in_flight++;
	pthread_mutex_unlock(&S->mu);
	if (pthread_create(&j->th, NULL, run_call, j) != 0) {
		pthread_mutex_lock(&S->mu);
		S->in_flight--;
		pthread_mutex_unlock(&S->mu);
		c->failed = 1;
		c->ran = 1;
		snprintf(c->r.error, sizeof(c->r.error), "cannot start a thread for the call");
		free(j);
		return 0;
	}
	(*jobs)[(*njobs)++] = j;
	return 0;
}

static void tl_add(struct ld *p, double t, int target, int in_flight)
{
	struct ld_tl *g;

	if (p->ntl == p->captl) {
		size_t cap = p->captl ? p->captl * 2 : 256;
		if (!(g = realloc(p->tl, cap * sizeof(*g))))
			return;
		p->tl = g;
		p->captl = cap;
	}
	p->tl[p->ntl++] = (struct ld_tl){.t_ms = t, .target = target, .in_flight = in_flight};
}

int ld_sched_run(struct ld *p, const struct ld_shape *s, const struct vs_tcall_cfg *base, uint64_t seed, char *err,
		 size_t errlen)
{
	struct sched S = {.p = p, .shape = s, .base = base, .seed = seed};
	struct job **jobs = NULL;
	size_t njobs = 0;
	double t0 = now_ms(p), next_arrival = 0, next_tl = 0;
	uint64_t rng = p->h->seed(p->c) | 1; /* the run's seed: the same arrivals again */
	int rc = 0;

	pthread_mutex_init(&S.mu, NULL);
	for (;;) {
		double t = now_ms(p) - t0;
		int target = s->kind == LD_STAGES ? ld_stage_target(s, t) : s->max_in_flight, infl;
		struct timespec ts = {0, TICK_MS * 1000000L};

		if (p->h->should_stop(p->c) || t >= (double)s->dur_ms || target < 0)
			break;
		pthread_mutex_lock(&S.mu);
		infl = S.in_flight;
		pthread_mutex_unlock(&S.mu);
		if (s->kind == LD_STAGES) {
			/* closed model: top up to the target; above it, calls end on their own */
			for (; infl < target; infl++)
				if (start_call(&S, &jobs, &njobs, t0 + t) != 0) {
					snprintf(err, errlen, "load: out of memory starting a call");
					rc = -1;
					goto out;
				}
		} else {
			/* open model: arrivals on their own clock, dropped over the bound */
			while (next_arrival <= t && next_arrival < (double)s->dur_ms) {
				if (infl < s->max_in_flight) {
					if (start_call(&S, &jobs, &njobs, t0 + next_arrival) != 0) {
						snprintf(err, errlen, "load: out of memory starting a call");
						rc = -1;
						goto out;
					}
					infl++;
				} else {
					p->dropped++;
				}
				p->arrivals++;
				next_arrival += ld_arrival_gap(s, &rng);
			}
		}
		if (t >= next_tl) {
			tl_add(p, t0 + t, s->kind == LD_STAGES ? target : -1, infl);
			next_tl += TL_EVERY_MS;
		}
		nanosleep(&ts, NULL);
	}
out:
	/* the calls in progress run to their end (as k6's graceful ramp-down) */
	for (size_t i = 0; i < njobs; i++) {
		pthread_join(jobs[i]->th, NULL);
		free(jobs[i]);
	}
	free(jobs);
	pthread_mutex_destroy(&S.mu);
	return rc;
}

/* The records into p->calls (moved: the results' buffers go with them). */
int ld_sched_collect(struct ld *p)
{
	struct vs_cbatch_call *a = calloc(p->nrecs + 1, sizeof(*a));

	if (!a)
		return -1;
	for (size_t i = 0; i < p->nrecs; i++) {
		a[i] = *p->recs[i];
		free(p->recs[i]);
	}
	free(p->recs);
	p->recs = NULL;
	vs_cbatch_clear(p->calls, 0);
	free(p->calls);
	p->calls = a;
	p->ncalls = (long long)p->nrecs;
	p->ran = (long)p->nrecs;
	p->nrecs = p->caprecs = 0;
	return 0;
}
