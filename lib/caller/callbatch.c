/* Many simulated calls from a few worker threads, each started at its
 * intended time (include/vstress/caller/callbatch.h). */
#include "vstress/caller/callbatch.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vstress/plugin.h>

static double since_ms(const struct timespec *t0);

struct batch {
	struct vs_call_engine *eng;
	const struct vs_cbatch_cfg *cfg;
	struct vs_cbatch_call *out;
	pthread_mutex_t mu;
	size_t next;
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

/* Caller holds b->mu.  At most 4 a second (the host limits too), and
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

/* Sleep until t0 + ms, in slices so a stop request is seen. */
static int wait_until(struct batch *b, double ms)
{
	for (;;) {
		double left = ms - since_ms(&b->t0);
		struct timespec ts;
		if (b->cfg->should_stop && b->cfg->should_stop(b->cfg->arg))
			return -1;
		if (left <= 0)
			return 0;
		if (left > 100)
			left = 100;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e6);
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

static void *worker(void *arg)
{
	struct batch *b = arg;
	const struct vs_cbatch_cfg *cfg = b->cfg;

	for (;;) {
		struct vs_tcall_cfg tc = *cfg->base;
		struct vs_cbatch_call *c;
		size_t i;

		pthread_mutex_lock(&b->mu);
		i = b->next < cfg->ncalls ? b->next++ : cfg->ncalls;
		pthread_mutex_unlock(&b->mu);
		if (i >= cfg->ncalls)
			break;
		c = &b->out[i];
		if (wait_until(b, c->intended_ms) != 0)
			break;
		c->started_ms = since_ms(&b->t0);
		pthread_mutex_lock(&b->mu);
		b->started++;
		report(b, 0);
		pthread_mutex_unlock(&b->mu);
		tc.seed = cfg->seed + i + 1;
		if (cfg->nto)
			tc.to = cfg->to_numbers[i % cfg->nto];
		c->failed = vs_tcall_run(b->eng, c->script, &tc, &c->r) != 0;
		c->ended_ms = since_ms(&b->t0);
		pthread_mutex_lock(&b->mu);
		c->ran = 1;
		b->ran++;
		if (c->failed || c->r.error[0])
			b->failed++;
		if (b->first_reply && !c->failed && c->r.media_started && c->r.media.first_reply_ms >= 0)
			b->first_reply[b->nreply++] = c->r.media.first_reply_ms;
		report(b, 0);
		if (cfg->on_done)
			cfg->on_done(cfg->arg, i, &c->r);
		pthread_mutex_unlock(&b->mu);
	}
	return NULL;
}

long vs_cbatch_run(struct vs_call_engine *eng, const struct vs_cbatch_cfg *cfg, struct vs_cbatch_call *out,
		   char *err, size_t errlen)
{
	struct batch b = {.eng = eng, .cfg = cfg, .out = out};
	pthread_t *th = NULL;
	int nth = 0;
	long rc = -1;

	if (!eng || !cfg || !cfg->base || !cfg->scripts || !cfg->nscripts || cfg->concurrency < 1 ||
	    cfg->ramp_ms < 0 || !out) {
		snprintf(err, errlen, "call batch: missing engine, base config, scripts, or concurrency < 1");
		return -1;
	}
	th = calloc((size_t)cfg->concurrency, sizeof *th);
	if (!th) {
		snprintf(err, errlen, "call batch: out of memory");
		return -1;
	}
	/* every call accounted for, also those a stop leaves unstarted */
	for (size_t i = 0; i < cfg->ncalls; i++) {
		out[i].script = cfg->scripts[i % cfg->nscripts];
		out[i].intended_ms = (double)i * cfg->ramp_ms;
	}
	if (cfg->host)
		b.first_reply = calloc(cfg->ncalls ? cfg->ncalls : 1, sizeof(*b.first_reply));
	pthread_mutex_init(&b.mu, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b.t0);
	for (; nth < cfg->concurrency && (size_t)nth < cfg->ncalls; nth++)
		if (pthread_create(&th[nth], NULL, worker, &b) != 0) {
			snprintf(err, errlen, "call batch: cannot start worker thread %d", nth + 1);
			break;
		}
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	if (nth > 0 || cfg->ncalls == 0)
		rc = b.ran;
	report(&b, 1);
	free(b.first_reply);
	pthread_mutex_destroy(&b.mu);
	free(th);
	return rc;
}

void vs_cbatch_clear(struct vs_cbatch_call *calls, size_t n)
{
	for (size_t i = 0; calls && i < n; i++)
		if (calls[i].ran)
			vs_tcall_result_clear(&calls[i].r);
}
