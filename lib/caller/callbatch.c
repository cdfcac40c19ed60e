/* Many simulated calls on one call flow (one thread: the caller's), each
 * started at its intended time (include/vstress/caller/callbatch.h). */
#include "vstress/caller/callbatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vstress/plugin.h>

#include "vstress/caller/callflow.h"

static double since_ms(const struct timespec *t0);

struct slot;

struct batch {
	struct vs_call_engine *eng;
	const struct vs_cbatch_cfg *cfg;
	struct vs_cbatch_call *out;
	struct vs_cflow *flow;
	struct vs_tcall_cfg *cfgs; /* call i's (its seed and number) */
	struct slot *slots;
	size_t next;
	int inflight, stopped;
	long ran;
	struct timespec t0;
	/* live progress (cfg->host set) */
	long started, failed;
	double *first_reply; /* ms of each completed call's first reply */
	size_t nreply;
	double last_report_ms;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* At most 4 a second (the host limits too), and
 * always the last one. */
static void report(struct batch *b, int last)
{
	const struct vs_host *h = b->cfg->host;
	struct vs_progress p = {.size = sizeof(p), .p95_ms = -1};
	double now = since_ms(&b->t0), *v;

	if (!h || !b->cfg->ctx || !VS_HOST_HAS(h, progress) || !h->progress || (!last && now - b->last_report_ms < 250))
		return;
	b->last_report_ms = now;
	p.started = b->started;
	p.completed = b->ran;
	p.in_flight = b->started - b->ran;
	p.failed = b->failed;
	p.label = b->cfg->progress_label ? b->cfg->progress_label : "calls";
	if (b->nreply && (v = malloc(b->nreply * sizeof(*v)))) {
		memcpy(v, b->first_reply, b->nreply * sizeof(*v));
		qsort(v, b->nreply, sizeof(*v), cmp_double);
		p.p95_ms = v[(size_t)(0.95 * (double)(b->nreply - 1) + 0.5)];
		free(v);
	}
	h->progress(b->cfg->ctx, &p);
}

static double since_ms(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

struct slot {
	struct batch *b;
	size_t i;
};

static void call_done(void *arg, int rc)
{
	struct slot *sl = arg;
	struct batch *b = sl->b;
	const struct vs_cbatch_cfg *cfg = b->cfg;
	struct vs_cbatch_call *c = &b->out[sl->i];

	c->failed = rc != 0;
	c->ended_ms = since_ms(&b->t0);
	c->ran = 1;
	b->ran++;
	b->inflight--;
	if (c->failed || c->r.error[0])
		b->failed++;
	if (b->first_reply && !c->failed && c->r.media_started && c->r.media.first_reply_ms >= 0)
		b->first_reply[b->nreply++] = c->r.media.first_reply_ms;
	report(b, 0);
	if (cfg->on_done)
		cfg->on_done(cfg->arg, sl->i, &c->r);
}

/* The loop's tick: starts the calls that are due (in order, at most
 * concurrency at once); the ms until the next one is due. */
static int tick(void *arg, int *more)
{
	struct batch *b = arg;
	const struct vs_cbatch_cfg *cfg = b->cfg;

	while (!b->stopped && b->next < cfg->ncalls && b->inflight < cfg->concurrency) {
		size_t i = b->next;
		struct vs_cbatch_call *c = &b->out[i];
		struct vs_tcall_cfg *tc = &b->cfgs[i];
		double now = since_ms(&b->t0);

		if (cfg->should_stop && cfg->should_stop(cfg->arg)) {
			b->stopped = 1;
			break;
		}
		if (c->intended_ms > now) {
			int wait = (int)(c->intended_ms - now) + 1;
			*more = 1;
			/* a stop request is seen within 100 ms, also before a late start */
			return cfg->should_stop && wait > 100 ? 100 : wait;
		}
		*tc = *cfg->base;
		tc->seed = cfg->seed + i + 1;
		if (cfg->nto)
			tc->to = cfg->to_numbers[i % cfg->nto];
		c->started_ms = now;
		b->started++;
		report(b, 0);
		b->slots[i] = (struct slot){b, i};
		b->next++;
		b->inflight++;
		if (vs_cflow_add(b->flow, c->script, tc, &c->r, call_done, &b->slots[i]) != 0)
			call_done(&b->slots[i], -1); /* c->r.error says why */
	}
	*more = !b->stopped && b->next < cfg->ncalls;
	/* a stop request is seen within 100 ms while calls are waiting */
	return *more && cfg->should_stop ? 100 : -1;
}

long vs_cbatch_run(struct vs_call_engine *eng, const struct vs_cbatch_cfg *cfg, struct vs_cbatch_call *out,
		   char *err, size_t errlen)
{
	struct batch b = {.eng = eng, .cfg = cfg, .out = out};
	long rc = -1;

	if (!eng || !cfg || !cfg->base || !cfg->scripts || !cfg->nscripts || cfg->concurrency < 1 ||
	    cfg->ramp_ms < 0 || !out) {
		snprintf(err, errlen, "call batch: missing engine, base config, scripts, or concurrency < 1");
		return -1;
	}
	/* every call accounted for, also those a stop leaves unstarted */
	for (size_t i = 0; i < cfg->ncalls; i++) {
		out[i].script = cfg->scripts[i % cfg->nscripts];
		out[i].intended_ms = (double)i * cfg->ramp_ms;
	}
	b.cfgs = calloc(cfg->ncalls ? cfg->ncalls : 1, sizeof(*b.cfgs));
	b.slots = calloc(cfg->ncalls ? cfg->ncalls : 1, sizeof(*b.slots));
	if (cfg->host)
		b.first_reply = calloc(cfg->ncalls ? cfg->ncalls : 1, sizeof(*b.first_reply));
	if (!b.cfgs || !b.slots || (cfg->host && !b.first_reply)) {
		snprintf(err, errlen, "call batch: out of memory");
		goto out;
	}
	if (vs_cflow_new(&b.flow, eng, err, errlen) != 0)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &b.t0);
	vs_cflow_run(b.flow, tick, &b);
	rc = b.ran;
	report(&b, 1);
out:
	vs_cflow_free(b.flow);
	free(b.first_reply);
	free(b.cfgs);
	free(b.slots);
	return rc;
}

void vs_cbatch_clear(struct vs_cbatch_call *calls, size_t n)
{
	for (size_t i = 0; calls && i < n; i++)
		if (calls[i].ran)
			vs_tcall_result_clear(&calls[i].r);
}
