/* skeleton: the copy-me plugin.  It paces a trivial operation (a short
 * sleep standing in for a request) at a configured rate, records latency
 * from the intended start, and checks p99 against a threshold.  Copy this
 * folder, rename the file, the descriptor and the section, and replace
 * do_operation() with your probe. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vstress/plugin.h>

struct skel {
	long long requests;
	double rate;
	long long work_us;
	long long p99_max_ms;
	int metric;
};

static const struct vs_option options[] = {
	{"requests", VS_OPT_INT, "50", "how many operations to run", 0},
	{"rate", VS_OPT_DOUBLE, "200", "operations per second (intended start times)", 0},
	{"work", VS_OPT_DURATION, "1ms", "how long one operation takes", 0},
	{"p99_max", VS_OPT_DURATION, "50ms", "the check: p99 latency must stay below this", 0},
	{"greeting", VS_OPT_STRING, "hello", "a string option, logged at setup", 0},
	{0},
};

static int skel_setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	struct skel *s = calloc(1, sizeof(*s));
	long long work_ms = 1;
	int rc = VS_ECONFIG;

	if (!s)
		return VS_ERROR;
	*state = s; /* teardown frees it, whatever happens below */
	s->requests = 50;
	s->rate = 200;
	s->p99_max_ms = 50;
	if (h->opt_int(c, "requests", &s->requests) < 0 || h->opt_double(c, "rate", &s->rate) < 0 ||
	    h->opt_ms(c, "work", &work_ms) < 0 || h->opt_ms(c, "p99_max", &s->p99_max_ms) < 0)
		goto out;
	if (s->requests < 1 || s->rate <= 0) {
		h->reason(c, "requests must be >= 1 and rate > 0");
		goto out;
	}
	s->work_us = work_ms * 1000;
	s->metric = h->metric(c, "latency", "us");
	if (s->metric < 0) {
		rc = VS_ERROR;
		goto out;
	}
	h->log(c, VS_LOG_INFO, "greeting: %s", h->opt(c, "greeting"));
	rc = VS_OK;
out:
	return rc;
}

static void do_operation(long long us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int skel_run(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct skel *s = state;
	vs_pacer *p = h->pacer_new(c, s->rate, 0);
	long long i, done = 0;
	uint64_t intended, start, end;

	if (!p)
		return VS_ERROR;
	for (i = 0; i < s->requests; i++) {
		intended = h->pacer_wait(p);
		if (!intended)
			break; /* stopping */
		start = h->now_ns();
		do_operation(s->work_us);
		end = h->now_ns();
		h->record_latency(c, s->metric, intended, start, end);
		h->count(c, "operations", 1);
		done++;
	}
	h->pacer_free(p);
	h->check(c, "all operations ran", done == s->requests ? VS_CHECK_PASS : VS_CHECK_FAIL, "%lld of %lld",
		 done, s->requests);
	if (VS_HOST_HAS(h, check_metric)) {
		/* recorded with its source (metric, percentile): vstress merge
		 * recomputes it from the merged histogram of a sharded run;
		 * the metric is in us, so is the threshold */
		h->check_metric(c, "p99 latency", s->metric, 99.0, VS_LT, (double)s->p99_max_ms * 1000.0, NULL);
	} else if (VS_HOST_HAS(h, percentile)) {
		int64_t n = 0, p99_us = h->percentile(c, s->metric, 99.0, &n);

		if (n > 0)
			h->check_value(c, "p99 latency", (double)p99_us / 1000.0, VS_LT, (double)s->p99_max_ms, "ms");
	}
	return VS_OK;
}

static int skel_teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	(void)h;
	(void)c;
	free(state);
	return VS_OK;
}

VS_PLUGIN(.name = "skeleton", .version = "1.0.0",
	  .description = "copy-me example: paced operations, latency from the intended start, a p99 check",
	  .options = options, .setup = skel_setup, .run = skel_run, .teardown = skel_teardown);
