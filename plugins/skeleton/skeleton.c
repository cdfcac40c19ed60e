/* skeleton: the copy-me plugin.  It paces an operation at a configured
 * rate, records latency from the intended start, and checks p99 against a
 * threshold.  The operation is a request to a toy provider (skeleton.h)
 * when base_url is set, served hermetically by this plugin's own stand-in
 * (standin.c), else a short sleep.  Copy this folder, rename skeleton in
 * every file, and replace the protocol with your provider's
 * (docs/plugin-guide.md walks through it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <vstress/net/httpc.h>
#include <vstress/probe/subject.h>

#include "skeleton.h"

struct skel {
	long long requests;
	double rate;
	long long work_us;
	long long p99_max_ms;
	long long timeout_ms;
	const char *base_url; /* NULL: the sleep */
	const char *api_key;
	int metric;
};

static const struct vs_option options[] = {
	{"requests", VS_OPT_INT, "50", "how many operations to run", 0},
	{"rate", VS_OPT_DOUBLE, "200", "operations per second (intended start times)", 0},
	{"work", VS_OPT_DURATION, "1ms", "how long one operation takes", 0},
	{"p99_max", VS_OPT_DURATION, "50ms", "the check: p99 latency must stay below this", 0},
	{"greeting", VS_OPT_STRING, "hello", "a string option, logged at setup", 0},
	{"base_url", VS_OPT_STRING, NULL, "the provider (unset: the operation is a sleep of `work`)", 0},
	{"api_key", VS_OPT_STRING, "${SKELETON_API_KEY:-}", "the provider's key (sent in the body)", VS_OPT_SECRET},
	{"request_timeout", VS_OPT_DURATION, "5s", "one request gives up after this long", 0},
	{"standin_delay_ms", VS_OPT_INT, "1", "the stand-in answers after this many ms (read by the world)", 0},
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
	s->timeout_ms = 5000;
	if (h->opt_int(c, "requests", &s->requests) < 0 || h->opt_double(c, "rate", &s->rate) < 0 ||
	    h->opt_ms(c, "work", &work_ms) < 0 || h->opt_ms(c, "p99_max", &s->p99_max_ms) < 0 ||
	    h->opt_ms(c, "request_timeout", &s->timeout_ms) < 0)
		goto out;
	s->base_url = h->opt(c, "base_url");
	s->api_key = h->opt(c, "api_key");
	if (s->base_url && !*s->base_url)
		s->base_url = NULL;
	if (s->base_url && (!s->api_key || !*s->api_key)) {
		/* a missing key is a skip, never a failure (setup reports it too) */
		h->reason(c, "SKELETON_API_KEY not set ([skeleton] api_key): the probe cannot call %s", s->base_url);
		rc = VS_SKIP;
		goto out;
	}
	/* At this plugin's own stand-in (hermetic), every figure is the
	 * stand-in's: the checks judge vstress (subject harness), not a
	 * provider.  Pointed at the real provider they judge the provider. */
	if (s->base_url)
		vs_probe_subject(h, c, s->base_url);
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

static void do_sleep(long long us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One request of the toy protocol; 1 when the answer is right. */
static int do_request(const struct vs_host *h, vs_ctx *c, struct skel *s, long long i)
{
	char url[1024], err[256], text[64];
	char *body, *resp = NULL;
	long status = 0;
	json_t *j;
	int ok;

	snprintf(text, sizeof(text), "operation %lld", i);
	if ((size_t)snprintf(url, sizeof(url), "%s%s", s->base_url, SKELETON_PATH) >= sizeof(url))
		return 0;
	/* jansson escapes the key and the text */
	j = json_pack("{s:s,s:s}", "key", s->api_key, "text", text);
	body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!body)
		return 0;
	if (vs_httpc("POST", url, body, (int)s->timeout_ms, &status, &resp, err, sizeof(err)) < 0) {
		h->log(c, VS_LOG_WARN, "request %lld: %s", i, err);
		free(body);
		return 0;
	}
	free(body);
	j = resp ? json_loads(resp, 0, NULL) : NULL;
	ok = status == 200 && json_string_value(json_object_get(j, "echo")) &&
	     !strcmp(json_string_value(json_object_get(j, "echo")), text) &&
	     json_integer_value(json_object_get(j, "chars")) == (json_int_t)strlen(text);
	if (!ok)
		h->log(c, VS_LOG_WARN, "request %lld: HTTP %ld: %.200s", i, status, resp ? resp : "");
	json_decref(j);
	free(resp);
	return ok;
}

static int skel_run(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct skel *s = state;
	vs_pacer *p = h->pacer_new(c, s->rate, 0);
	long long i, done = 0, right = 0;
	uint64_t intended, start, end;

	if (!p)
		return VS_ERROR;
	for (i = 0; i < s->requests; i++) {
		intended = h->pacer_wait(p);
		if (!intended)
			break; /* stopping */
		start = h->now_ns();
		if (s->base_url)
			right += do_request(h, c, s, i);
		else
			do_sleep(s->work_us);
		end = h->now_ns();
		h->record_latency(c, s->metric, intended, start, end);
		h->count(c, "operations", 1);
		done++;
	}
	h->pacer_free(p);
	h->check(c, "all operations ran", done == s->requests ? VS_CHECK_PASS : VS_CHECK_FAIL, "%lld of %lld",
		 done, s->requests);
	if (s->base_url) {
		h->count(c, "errors", done - right);
		h->check(c, "answers correct", right == done && done ? VS_CHECK_PASS : VS_CHECK_FAIL,
			 "%lld of %lld echoed by %s", right, done, s->base_url);
	}
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

/* .world: the stand-in the world serves; .secrets: what setup checks. */
VS_PLUGIN(.name = "skeleton", .version = "1.0.0",
	  .description = "copy-me example: paced requests to a toy provider (or sleeps), latency from the intended "
			 "start, a p99 check; and the provider's stand-in",
	  .options = options, .setup = skel_setup, .run = skel_run, .teardown = skel_teardown,
	  .world = skeleton_standin, .secrets = (const char *const[]){"SKELETON_API_KEY", NULL});
