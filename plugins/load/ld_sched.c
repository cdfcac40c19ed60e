/* load plugin: runs a stages (closed model) or arrival-rate (open model)
 * shape.  The scheduler is the tick of one call flow (vstress/caller/
 * callflow.h) on the phase's thread: it decides each start, and the calls
 * run on the same loop (no thread per call) to their end before the shape
 * returns.  Calls are numbered globally across runs (capacity search runs
 * several shapes), times are from the batch start (p->t_start_ns). */
#include "load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vstress/caller/callflow.h"

#define TICK_MS 5
#define TL_EVERY_MS 100

struct job {
	struct sched *S;
	struct vs_cbatch_call *c;
	size_t k; /* global index */
};

struct sched {
	struct ld *p;
	const struct ld_shape *shape;
	const struct vs_tcall_cfg *base;
	uint64_t seed;
	struct vs_cflow *flow;
	struct job **jobs;
	size_t njobs;
	int in_flight;
	double t0, next_arrival, next_tl;
	uint64_t rng;
	int stopped, rc;
	char *err;
	size_t errlen;
};

static double now_ms(const struct ld *p)
{
	return (double)(p->h->now_ns() - p->t_start_ns) / 1e6;
}

static void call_done(void *arg, int rc)
{
	struct job *j = arg;
	struct sched *S = j->S;

	j->c->failed = rc != 0;
	j->c->ended_ms = now_ms(S->p);
	j->c->ran = 1;
	S->in_flight--;
	S->p->h->count(S->p->c, "calls", 1);
	ld_log_rec(S->p, j->c, j->k);
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

static int start_call(struct sched *S, double t)
{
	struct ld *p = S->p;
	struct vs_cbatch_call *c = rec_new(p);
	struct job *j = calloc(1, sizeof(*j)), **g;
	const struct vs_call_script *const *sc =
		(const struct vs_call_script *const *)(p->shard_scripts ? p->shard_scripts : p->scripts);
	struct vs_tcall_cfg tc = *S->base;

	if (!c || !j || !(g = realloc(S->jobs, (S->njobs + 1) * sizeof(*g)))) {
		free(j);
		return -1;
	}
	S->jobs = g;
	S->jobs[S->njobs++] = j;
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
		return -1;
	}
	tc.seed = S->seed + j->k + 1;
	if (p->ntenants == 2)
		tc.to = p->to_numbers[j->k % 2];
	S->in_flight++;
	if (vs_cflow_add(S->flow, c->script, &tc, &c->r, call_done, j) != 0)
		call_done(j, -1); /* c->r.error says why */
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

/* The scheduler, on every turn of the flow's loop (at most TICK_MS apart). */
static int tick(void *arg, int *more)
{
	struct sched *S = arg;
	struct ld *p = S->p;
	const struct ld_shape *s = S->shape;
	double t = now_ms(p) - S->t0;
	int target = s->kind == LD_STAGES ? ld_stage_target(s, t) : s->max_in_flight, infl = S->in_flight;

	if (S->stopped || p->h->should_stop(p->c) || t >= (double)s->dur_ms || target < 0) {
		/* the calls in progress run to their end (as k6's graceful ramp-down) */
		S->stopped = 1;
		*more = 0;
		return -1;
	}
	*more = 1;
	if (s->kind == LD_STAGES) {
		/* closed model: top up to the target; above it, calls end on their own */
		for (; infl < target; infl++)
			if (start_call(S, S->t0 + t) != 0)
				goto oom;
	} else {
		/* open model: arrivals on their own clock, dropped over the bound */
		while (S->next_arrival <= t && S->next_arrival < (double)s->dur_ms) {
			if (infl < s->max_in_flight) {
				if (start_call(S, S->t0 + S->next_arrival) != 0)
					goto oom;
				infl++;
			} else {
				p->dropped++;
			}
			p->arrivals++;
			S->next_arrival += ld_arrival_gap(s, &S->rng);
		}
	}
	if (t >= S->next_tl) {
		tl_add(p, S->t0 + t, s->kind == LD_STAGES ? target : -1, S->in_flight);
		S->next_tl += TL_EVERY_MS;
	}
	return TICK_MS;
oom:
	snprintf(S->err, S->errlen, "load: out of memory starting a call");
	S->rc = -1;
	S->stopped = 1;
	*more = 0;
	return -1;
}

int ld_sched_run(struct ld *p, const struct ld_shape *s, const struct vs_tcall_cfg *base, uint64_t seed, char *err,
		 size_t errlen)
{
	struct sched S = {.p = p, .shape = s, .base = base, .seed = seed, .err = err, .errlen = errlen};

	S.t0 = now_ms(p);
	S.rng = p->h->seed(p->c) | 1; /* the run's seed: the same arrivals again */
	if (vs_cflow_new(&S.flow, p->t.eng, err, errlen) != 0)
		return -1;
	vs_cflow_run(S.flow, tick, &S);
	vs_cflow_free(S.flow);
	for (size_t i = 0; i < S.njobs; i++)
		free(S.jobs[i]);
	free(S.jobs);
	return S.rc;
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
