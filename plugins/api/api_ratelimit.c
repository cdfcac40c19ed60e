/* api plugin: the rate limiter (Phase 7.3).  limit + extra requests as fast
 * as `concurrency` connections allow (libcurl multi); at least one must be
 * refused with 429 and a numeric Retry-After; after the window the path
 * must answer 2xx again. */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct slot {
	CURL *e;
	struct curl_slist *hdrs;
	struct api_resp r;
	struct api_sink sink;
	char errbuf[CURL_ERROR_SIZE];
	long idx; /* 1-based send order, 0 when idle */
	uint64_t intended, start;
};

struct tally {
	long sent, done, ok, n429, other, errors, first_429;
	char retry_after[64];
	int has_retry_after, retry_seen;
	char first_error[320];
	long statuses[6]; /* by class 0..5 */
};

static int start_one(struct api *a, CURLM *m, struct slot *s, const char *url, const char *tok, long idx, uint64_t t0)
{
	memset(&s->r, 0, sizeof(s->r));
	s->sink = (struct api_sink){.r = &s->r, .max = (size_t)a->max_body};
	s->errbuf[0] = '\0';
	curl_easy_reset(s->e);
	if (api_prepare(a, s->e, "GET", url, tok, NULL, &s->r, &s->sink, &s->hdrs))
		return -1;
	curl_easy_setopt(s->e, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(s->e, CURLOPT_PRIVATE, s);
	s->idx = idx;
	s->intended = t0; /* the whole burst is meant to start at once */
	s->start = a->h->now_ns();
	return curl_multi_add_handle(m, s->e) == CURLM_OK ? 0 : -1;
}

static void finish_one(struct api *a, CURLM *m, struct slot *s, CURLcode code, struct tally *t)
{
	uint64_t end = a->h->now_ns();

	curl_multi_remove_handle(m, s->e);
	s->r.ms = (double)(end - s->start) / 1e6;
	t->done++;
	a->h->count(a->c, "requests", 1);
	if (code != CURLE_OK) {
		api_transfer_error(a, (int)code, s->errbuf, &s->r);
		t->errors++;
		a->h->count(a->c, "transport_errors", 1);
		if (!t->first_error[0])
			snprintf(t->first_error, sizeof(t->first_error), "#%ld: %s", s->idx, s->r.err);
	} else {
		char key[32];
		curl_easy_getinfo(s->e, CURLINFO_RESPONSE_CODE, &s->r.status);
		a->h->record_latency(a->c, a->metric[API_RATELIMIT], s->intended, s->start, end);
		snprintf(key, sizeof(key), "http_%dxx", api_status_class(s->r.status));
		a->h->count(a->c, key, 1);
		if (s->r.status >= 100 && s->r.status < 600)
			t->statuses[s->r.status / 100]++;
		if (s->r.status == 429) {
			t->n429++;
			a->h->count(a->c, "ratelimit_429", 1);
			if (!t->first_429 || s->idx < t->first_429) {
				t->first_429 = s->idx;
				t->has_retry_after = s->r.has_retry_after;
				snprintf(t->retry_after, sizeof(t->retry_after), "%s", s->r.retry_after);
			}
		} else if (api_status_class(s->r.status) == 2) {
			t->ok++;
		} else {
			t->other++;
		}
	}
	curl_slist_free_all(s->hdrs);
	s->hdrs = NULL;
	free(s->r.body);
	s->r.body = NULL;
	s->idx = 0;
}

static int burst(struct api *a, const char *tok, struct tally *t)
{
	long total = (long)(a->rl_limit + a->rl_extra), k = (long)a->rl_concurrency, running = 0, i;
	struct slot *slots = calloc((size_t)k, sizeof(*slots));
	CURLM *m = curl_multi_init();
	char *url = NULL;
	uint64_t t0 = a->h->now_ns();
	int rc = -1, still = 0;

	if (!slots || !m || asprintf(&url, "%s%s", a->base, a->rl_path) < 0) {
		url = NULL;
		goto out;
	}
	for (i = 0; i < k; i++)
		if (!(slots[i].e = curl_easy_init()))
			goto out;
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, k);
	for (;;) {
		CURLMsg *msg;
		int left;

		for (i = 0; i < k && t->sent < total && !a->h->should_stop(a->c); i++) {
			if (slots[i].idx)
				continue;
			if (start_one(a, m, &slots[i], url, tok, t->sent + 1, t0)) {
				snprintf(t->first_error, sizeof(t->first_error), "%s",
					 slots[i].r.err[0] ? slots[i].r.err : "could not start a request");
				curl_slist_free_all(slots[i].hdrs);
				slots[i].hdrs = NULL;
				slots[i].idx = 0;
				total = t->sent; /* stop sending */
				break;
			}
			t->sent++;
			running++;
		}
		if (!running)
			break;
		if (curl_multi_perform(m, &still) != CURLM_OK)
			goto out;
		while ((msg = curl_multi_info_read(m, &left))) {
			struct slot *s = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			finish_one(a, m, s, msg->data.result, t);
			running--;
		}
		if (running && curl_multi_poll(m, NULL, 0, 100, NULL) != CURLM_OK)
			goto out;
		/* once stopping, nothing new starts; what is in flight ends by its own timeout */
	}
	rc = 0;
out:
	for (i = 0; slots && i < k; i++) {
		if (slots[i].e) {
			if (slots[i].idx)
				curl_multi_remove_handle(m, slots[i].e);
			curl_easy_cleanup(slots[i].e);
		}
		curl_slist_free_all(slots[i].hdrs);
		free(slots[i].r.body);
	}
	if (m)
		curl_multi_cleanup(m);
	free(slots);
	free(url);
	return rc;
}

/* Right after the burst: a client refused with Retry-After N waits N s (as
 * told, no longer) and must then be served. */
static void honoured(struct api *a, const char *tok)
{
	struct api_resp r = {0};
	char what[512];
	long long wait;

	if (api_request(a, API_RATELIMIT, "GET", a->rl_path, tok, NULL, &r) || r.status != 429) {
		a->h->check(a->c, "ratelimit.retry_after_honoured", VS_CHECK_SKIP,
			    "the request after the burst was not refused (%s)", api_resp_what(&r, "GET", a->rl_path, what, sizeof(what)));
		api_resp_free(&r);
		return;
	}
	if (!r.has_retry_after || !api_numeric(r.retry_after) || strlen(r.retry_after) > 5) {
		a->h->check(a->c, "ratelimit.retry_after_honoured", VS_CHECK_SKIP, "429 without a numeric Retry-After");
		api_resp_free(&r);
		return;
	}
	wait = atoll(r.retry_after) * 1000 + 200;
	api_resp_free(&r);
	if (wait > a->max_wait_ms || wait > a->h->remaining_ms(a->c) - 2000) {
		a->h->check(a->c, "ratelimit.retry_after_honoured", VS_CHECK_SKIP,
			    "Retry-After %.1f s is longer than max_wait or the time left", wait / 1000.0);
		return;
	}
	if (api_sleep_ms(a, wait))
		return;
	if (api_request(a, API_RATELIMIT, "GET", a->rl_path, tok, NULL, &r))
		a->h->check(a->c, "ratelimit.retry_after_honoured", VS_CHECK_FAIL, "%s",
			    api_resp_what(&r, "GET", a->rl_path, what, sizeof(what)));
	else if (r.status == 429)
		a->h->check(a->c, "ratelimit.retry_after_honoured", VS_CHECK_FAIL,
			    "waited %.1f s as Retry-After said, then refused again (Retry-After %s)", wait / 1000.0,
			    r.has_retry_after ? r.retry_after : "absent");
	else
		a->h->check(a->c, "ratelimit.retry_after_honoured", r.status < 500 ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "waited %.1f s as Retry-After said, then served: %ld", wait / 1000.0, r.status);
	api_resp_free(&r);
}

static void recovery(struct api *a, int with_token)
{
	struct api_resp r = {0};
	char what[512], snip[160];
	long long wait = a->rl_window_ms + 500;
	const char *tok;

	if (wait > a->max_wait_ms) {
		a->h->check(a->c, "ratelimit.recovery", VS_CHECK_SKIP,
			    "rate_window %.1f s is longer than max_wait %.1f s: recovery not waited for",
			    a->rl_window_ms / 1000.0, a->max_wait_ms / 1000.0);
		return;
	}
	if (wait > a->h->remaining_ms(a->c) - 2000) {
		a->h->check(a->c, "ratelimit.recovery", VS_CHECK_SKIP, "not enough time left to wait %.1f s",
			    wait / 1000.0);
		return;
	}
	a->h->log(a->c, VS_LOG_INFO, "waiting %.1f s for the rate window to pass", wait / 1000.0);
	if (api_sleep_ms(a, wait))
		return;
	if (with_token) {
		api_token_free(&a->tok); /* it may have expired meanwhile */
		tok = api_fresh_token(a);
		if (!tok) {
			a->h->check(a->c, "ratelimit.recovery", VS_CHECK_FAIL,
				    "login after the rate window failed (still limited?)");
			return;
		}
	} else {
		tok = NULL;
	}
	if (api_request(a, API_RATELIMIT, "GET", a->rl_path, tok, NULL, &r))
		a->h->check(a->c, "ratelimit.recovery", VS_CHECK_FAIL, "%s",
			    api_resp_what(&r, "GET", a->rl_path, what, sizeof(what)));
	else if (r.status == 429)
		a->h->check(a->c, "ratelimit.recovery", VS_CHECK_FAIL,
			    "GET %s %.1f s after the burst: still 429 (Retry-After %s)", a->rl_path, wait / 1000.0,
			    r.has_retry_after ? r.retry_after : "absent");
	else if (api_status_class(r.status) == 2 || (!tok && r.status < 500))
		a->h->check(a->c, "ratelimit.recovery", VS_CHECK_PASS, "GET %s %.1f s after the burst: %ld", a->rl_path,
			    wait / 1000.0, r.status);
	else
		a->h->check(a->c, "ratelimit.recovery", VS_CHECK_FAIL, "GET %s %.1f s after the burst: %ld: %s", a->rl_path,
			    wait / 1000.0, r.status, api_snippet(&r, snip, sizeof(snip)));
	api_resp_free(&r);
}

void api_ratelimit(struct api *a)
{
	struct tally t = {0};
	const char *tok;
	double ms;
	uint64_t t0;

	if (!*a->rl_path) {
		a->h->check(a->c, "ratelimit.engaged", VS_CHECK_SKIP, "rate_limit_path is empty");
		return;
	}
	tok = api_fresh_token(a);
	t0 = a->h->now_ns();
	if (burst(a, tok, &t)) {
		a->h->check(a->c, "ratelimit.engaged", VS_CHECK_FAIL, "the burst could not run (libcurl multi error)");
		return;
	}
	ms = (double)(a->h->now_ns() - t0) / 1e6;
	json_object_set_new(a->data, "ratelimit",
			    json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:f}", "path", a->rl_path, "limit",
				      (json_int_t)a->rl_limit, "sent", (json_int_t)t.sent, "ok_2xx", (json_int_t)t.ok,
				      "status_429", (json_int_t)t.n429, "other_status", (json_int_t)t.other,
				      "transport_errors", (json_int_t)t.errors, "first_429", (json_int_t)t.first_429,
				      "concurrency", (json_int_t)a->rl_concurrency, "retry_after",
				      t.has_retry_after ? t.retry_after : "", "burst_ms", ms));
	a->h->log(a->c, VS_LOG_INFO, "burst: %ld sent in %.0f ms: %ld 2xx, %ld 429, %ld other, %ld errors", t.sent, ms,
		  t.ok, t.n429, t.other, t.errors);
	if (t.done == 0 || t.errors == t.done) {
		a->h->check(a->c, "ratelimit.engaged", VS_CHECK_FAIL, "GET %s: no response to %ld requests (%s)",
			    a->rl_path, t.sent, t.first_error[0] ? t.first_error : "stopped");
		return;
	}
	if (!t.n429) {
		a->h->check(a->c, "ratelimit.engaged", VS_CHECK_FAIL,
			    "%ld requests to %s in %.0f ms (limit %lld): no 429 (%ld 2xx, %ld other, %ld errors)", t.sent,
			    a->rl_path, ms, a->rl_limit, t.ok, t.other, t.errors);
		return;
	}
	if (t.first_429 > a->rl_limit + 1)
		a->h->check(a->c, "ratelimit.engaged", VS_CHECK_FAIL,
			    "first 429 only at request #%ld of %ld (limit %lld): the limiter lets too many through",
			    t.first_429, t.sent, a->rl_limit);
	else
		a->h->check(a->c, "ratelimit.engaged", VS_CHECK_PASS,
			    "%ld of %ld requests to %s answered 429, the first at #%ld (limit %lld, %ld 2xx)", t.n429,
			    t.sent, a->rl_path, t.first_429, a->rl_limit, t.ok);
	if (!t.has_retry_after)
		a->h->check(a->c, "ratelimit.retry_after", VS_CHECK_FAIL, "429 (request #%ld) without a Retry-After header",
			    t.first_429);
	else if (!api_numeric(t.retry_after))
		a->h->check(a->c, "ratelimit.retry_after", VS_CHECK_FAIL, "Retry-After \"%s\" is not a number of seconds",
			    t.retry_after);
	else
		a->h->check(a->c, "ratelimit.retry_after", VS_CHECK_PASS, "Retry-After: %s", t.retry_after);
	honoured(a, tok);
	recovery(a, tok != NULL);
}
