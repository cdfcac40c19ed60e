/* api plugin: the rate limiter at the plan's stated rate (Phase 7.3, "Send
 * 200 requests/minute").  For each pace (constant, poisson; seeded by the
 * run) requests go out at rate_rpm for rate_duration, one at a time, as a
 * polite client would send them:
 *   - every answer is judged against the configured limit (at most
 *     rate_limit_per_minute accepted in any rate_window): a 429 while fewer
 *     were accepted is over-limiting, a 2xx while that many already were is
 *     the limit not enforced (a small margin at the window's edge for the
 *     clocks of two processes);
 *   - on a 429 the client waits the Retry-After it was given, then sends
 *     again: that request must be served;
 *   - /health is asked every health_every meanwhile and must keep answering;
 *   - one whole call is placed during the first pace (api_call.c) and must
 *     connect, reply and answer its turns.
 * Whether a 429 is due at all follows from the rate and the limit: at 200/min
 * against 200 per 10 s none is, and the check says so (the burst,
 * api_ratelimit.c, then shows the limiter engaging). */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EDGE_NS 250000000ull /* window-edge margin: the agent's clock and ours */

struct paced {
	uint64_t *ok_at; /* send times of the accepted requests (this phase) */
	size_t nok, cap;
	long sent, n2xx, n429, other, errors, first_429, health_ok, health_bad;
	long over, under; /* answers that contradict the limit */
	long n5xx;
	char over_why[200], under_why[200], health_why[200];
	long ra_waits, ra_served, ra_refused; /* Retry-After honoured by us; the agent's answer after */
	char ra_why[200];
};

/* Accepted requests in (t - window + lo_margin, t]: lo_margin > 0 leaves the
 * edge out, < 0 takes more in. */
static long in_window(const struct paced *p, uint64_t t, uint64_t window, long long margin)
{
	long n = 0;
	long long from = (long long)t - (long long)window + margin;

	for (size_t i = 0; i < p->nok; i++)
		if ((long long)p->ok_at[i] > from && p->ok_at[i] <= t)
			n++;
	return n;
}

static int keep_ok(struct paced *p, uint64_t t)
{
	if (p->nok == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		uint64_t *n = realloc(p->ok_at, cap * sizeof(*n));
		if (!n)
			return -1;
		p->ok_at = n;
		p->cap = cap;
	}
	p->ok_at[p->nok++] = t;
	return 0;
}

static void health_probe(struct api *a, struct paced *p, vs_pacer *quick)
{
	struct api_resp r;
	vs_pacer *keep = a->pacer;
	char what[300];

	a->pacer = quick;
	if (api_request(a, API_HEALTH, "GET", a->health_path, NULL, NULL, &r) == 0 && r.status == a->health_status) {
		p->health_ok++;
	} else {
		p->health_bad++;
		if (!p->health_why[0])
			snprintf(p->health_why, sizeof(p->health_why), "%s",
				 api_resp_what(&r, "GET", a->health_path, what, sizeof(what)));
	}
	api_resp_free(&r);
	a->pacer = keep;
}

/* One answer of the paced run, judged against the limit. */
static void judge(struct api *a, struct paced *p, const struct api_resp *r, uint64_t t)
{
	uint64_t w = (uint64_t)a->rl_window_ms * 1000000ull;
	long n_hi = in_window(p, t, w, -(long long)EDGE_NS), n_lo = in_window(p, t, w, (long long)EDGE_NS);

	if (r->status == 429) {
		p->n429++;
		if (!p->first_429)
			p->first_429 = p->sent;
		if (n_hi < a->rl_limit && !p->over++)
			snprintf(p->over_why, sizeof(p->over_why), "#%ld refused with 429 while %ld were accepted in the last %.1f s",
				 p->sent, n_hi, a->rl_window_ms / 1000.0);
	} else {
		/* let through by the limiter, whatever the endpoint then said (a 401 of
		 * an expired session counts in the agent's window as well) */
		if (api_status_class(r->status) == 2)
			p->n2xx++;
		else
			p->other++;
		p->n5xx += r->status >= 500;
		if (n_lo >= a->rl_limit && !p->under++)
			snprintf(p->under_why, sizeof(p->under_why), "#%ld served while %ld were already let through in the last %.1f s",
				 p->sent, n_lo, a->rl_window_ms / 1000.0);
		keep_ok(p, t);
	}
}

/* One paced run; 0, or -1 when it could not run. */
static int run_pace(struct api *a, const char *tok, int poisson, struct paced *p, vs_pacer *quick, int place_call)
{
	const struct vs_host *h = a->h;
	double rate = (double)a->rl_rpm / 60.0;
	vs_pacer *pacer = h->pacer_new(a->c, rate, poisson), *keep = a->pacer;
	uint64_t t0 = h->now_ns(), end = t0 + (uint64_t)a->rl_duration_ms * 1000000ull;
	uint64_t next_health = t0, resume = 0, call_due = t0 + (uint64_t)a->rl_duration_ms * 250000ull;
	int after_wait = 0;

	if (!pacer)
		return -1;
	while (h->now_ns() < end && !h->should_stop(a->c)) {
		struct api_resp r;
		uint64_t t;

		if (h->now_ns() >= next_health) {
			health_probe(a, p, quick);
			next_health += (uint64_t)a->rl_health_every_ms * 1000000ull;
		}
		if (place_call && h->now_ns() >= call_due)
			api_call_start(a, "a quarter into the pace");
		a->pacer = pacer;
		if (api_request(a, API_RATELIMIT, "GET", a->rl_path, tok, NULL, &r) != 0) {
			a->pacer = keep;
			if (!h->should_stop(a->c))
				p->errors++;
			api_resp_free(&r);
			if (!r.err[0] || strstr(r.err, "stopped"))
				break;
			continue;
		}
		a->pacer = keep;
		p->sent++;
		t = h->now_ns() - (uint64_t)(r.ms * 1e6); /* when it was sent (after the pacer's wait) */
		judge(a, p, &r, t);
		if (place_call && r.status == 429)
			api_call_start(a, "at the limiter's first 429");
		if (after_wait) {
			after_wait = 0;
			if (r.status == 429) {
				if (!p->ra_refused++)
					snprintf(p->ra_why, sizeof(p->ra_why),
						 "waited %.1f s as Retry-After said, then #%ld was refused again (Retry-After %s)",
						 (double)resume / 1e9, p->sent, r.has_retry_after ? r.retry_after : "absent");
			} else if (r.status > 0 && r.status < 500) {
				p->ra_served++;
			}
		}
		if (r.status == 429 && r.has_retry_after && api_numeric(r.retry_after) && strlen(r.retry_after) < 6) {
			/* a polite client: nothing until the time it was told, then a new schedule */
			resume = (uint64_t)atol(r.retry_after) * 1000000000ull;
			if (h->now_ns() + resume >= end || (int64_t)(resume / 1000000ull) > h->remaining_ms(a->c) - 2000) {
				api_resp_free(&r);
				break;
			}
			p->ra_waits++;
			for (uint64_t until = h->now_ns() + resume; h->now_ns() < until && !h->should_stop(a->c);) {
				long long left = (long long)((until - h->now_ns()) / 1000000ull);
				if (h->now_ns() >= next_health) { /* the system keeps answering meanwhile */
					health_probe(a, p, quick);
					next_health += (uint64_t)a->rl_health_every_ms * 1000000ull;
				}
				api_sleep_ms(a, left > 200 ? 200 : left + 1);
			}
			h->pacer_free(pacer);
			pacer = h->pacer_new(a->c, rate, poisson);
			after_wait = 1;
			if (!pacer) {
				api_resp_free(&r);
				return -1;
			}
		}
		api_resp_free(&r);
	}
	a->pacer = keep;
	h->pacer_free(pacer);
	return 0;
}

/* How many requests of a constant schedule at rpm fit before a 429 is due. */
static long due_onset(const struct api *a, long long duration_ms)
{
	double gap_ms = 60000.0 / (double)a->rl_rpm;
	long total = (long)((double)duration_ms / gap_ms) + 1;
	long per_window = (long)((double)a->rl_window_ms / gap_ms) + 1;

	return per_window > a->rl_limit && total > a->rl_limit ? (long)a->rl_limit + 1 : 0;
}

static void report(struct api *a, const char *name, const struct paced *p, long onset, double secs)
{
	const struct vs_host *h = a->h;
	char check[64];

	snprintf(check, sizeof(check), "ratelimit.paced_%s", name);
	h->log(a->c, VS_LOG_INFO, "%s: %ld sent in %.1f s: %ld 2xx, %ld 429 (first #%ld), %ld other, %ld errors", check,
	       p->sent, secs, p->n2xx, p->n429, p->first_429, p->other, p->errors);
	if (!p->sent)
		h->check(a->c, check, VS_CHECK_FAIL, "GET %s: no answer at all (%ld transport errors)", a->rl_path, p->errors);
	else if (p->over)
		h->check(a->c, check, VS_CHECK_FAIL, "over-limiting at %lld/min (limit %lld per %.1f s): %s", a->rl_rpm,
			 a->rl_limit, a->rl_window_ms / 1000.0, p->over_why);
	else if (p->under)
		h->check(a->c, check, VS_CHECK_FAIL,
			 "the limit is not enforced at %lld/min (limit %lld per %.1f s): %s; %ld 2xx, %ld other, %ld 429",
			 a->rl_rpm, a->rl_limit, a->rl_window_ms / 1000.0, p->under_why, p->n2xx, p->other, p->n429);
	else if (p->errors || p->n5xx)
		h->check(a->c, check, VS_CHECK_FAIL, "%ld transport errors and %ld 5xx answers at %lld/min", p->errors,
			 p->n5xx, a->rl_rpm);
	else if (onset)
		h->check(a->c, check, VS_CHECK_PASS,
			 "%ld requests at %lld/min in %.1f s: first 429 at #%ld (limit %lld per %.1f s; due at #%ld on a "
			 "constant schedule from an empty window), %ld 2xx, %ld other, %ld 429, every answer within the limit",
			 p->sent, a->rl_rpm, secs, p->first_429, a->rl_limit, a->rl_window_ms / 1000.0, onset, p->n2xx,
			 p->other, p->n429);
	else
		h->check(a->c, check, VS_CHECK_PASS,
			 "%ld requests at %lld/min in %.1f s, all served%s (limit %lld per %.1f s: none due at this rate)",
			 p->sent, a->rl_rpm, secs, p->n429 ? " or refused within the limit" : "", a->rl_limit,
			 a->rl_window_ms / 1000.0);
}

/* "constant, poisson" -> up to max items pointing into buf. */
static size_t split_paces(const char *list, char *buf, size_t len, char **items, size_t max)
{
	size_t n = 0;
	char *save = NULL, *tok;

	snprintf(buf, len, "%s", list);
	for (tok = strtok_r(buf, ", \t", &save); tok && n < max; tok = strtok_r(NULL, ", \t", &save))
		items[n++] = tok;
	return n;
}

void api_paced(struct api *a)
{
	const struct vs_host *h = a->h;
	struct paced p = {0};
	const char *tok;
	long onset = due_onset(a, a->rl_duration_ms);
	vs_pacer *quick;
	char *paces[8], buf[128];
	size_t np, i;

	if (!*a->rl_path || !a->rl_duration_ms || !*a->rl_paces) {
		h->check(a->c, "ratelimit.paced", VS_CHECK_SKIP, "%s",
			 !*a->rl_path ? "rate_limit_path is empty" : "rate_duration = 0 or rate_pace empty: the paced run is off");
		h->check(a->c, "ratelimit.call_during", VS_CHECK_SKIP, "the paced run is off");
		return;
	}
	np = split_paces(a->rl_paces, buf, sizeof(buf), paces, 8);
	if ((long long)np * a->rl_duration_ms + a->rl_window_ms > h->remaining_ms(a->c) - 5000) {
		h->check(a->c, "ratelimit.paced", VS_CHECK_SKIP, "not enough time left for %zu x %.0f s paced runs", np,
			 a->rl_duration_ms / 1000.0);
		h->check(a->c, "ratelimit.call_during", VS_CHECK_SKIP, "the paced run did not run (not enough time left)");
		return;
	}
	tok = api_fresh_token(a);
	/* the earlier checks' own /api requests count in the agent's window: let it pass */
	h->log(a->c, VS_LOG_INFO, "paced: %lld/min for %.0f s each (%s); waiting %.1f s for a clean window", a->rl_rpm,
	       a->rl_duration_ms / 1000.0, a->rl_paces, a->rl_window_ms / 1000.0 + 0.5);
	if (a->rl_window_ms <= a->max_wait_ms && api_sleep_ms(a, a->rl_window_ms + 500)) {
		return;
	}
	uint64_t paced_from = h->now_ns();
	quick = h->pacer_new(a->c, 1000.0, 0);
	json_t *runs = json_array();
	for (i = 0; i < np && !h->should_stop(a->c); i++) {
		struct paced one = {0};
		uint64_t t0 = h->now_ns();
		int poisson = !strcmp(paces[i], "poisson"); /* else constant (api_conf.c checked the list) */

		/* history of accepted requests carries over between the runs */
		one.ok_at = p.ok_at, one.nok = p.nok, one.cap = p.cap;
		if (run_pace(a, tok, poisson, &one, quick, i == 0) != 0) {
			h->check(a->c, "ratelimit.paced", VS_CHECK_FAIL, "the paced run could not start (pacer)");
			p.ok_at = one.ok_at, p.nok = one.nok, p.cap = one.cap;
			break;
		}
		p.ok_at = one.ok_at, p.nok = one.nok, p.cap = one.cap;
		double secs = (double)(h->now_ns() - t0) / 1e9;
		report(a, paces[i], &one, onset, secs);
		p.health_ok += one.health_ok, p.health_bad += one.health_bad;
		if (!p.health_why[0])
			memcpy(p.health_why, one.health_why, sizeof(p.health_why));
		p.ra_waits += one.ra_waits, p.ra_served += one.ra_served, p.ra_refused += one.ra_refused;
		if (!p.ra_why[0])
			memcpy(p.ra_why, one.ra_why, sizeof(p.ra_why));
		p.n429 += one.n429;
		json_array_append_new(runs, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:f}", "pace", paces[i], "sent",
						      (json_int_t)one.sent, "ok_2xx", (json_int_t)one.n2xx, "status_429",
						      (json_int_t)one.n429, "first_429", (json_int_t)one.first_429,
						      "retry_after_waits", (json_int_t)one.ra_waits, "seconds", secs));
	}
	api_call_judge(a, paced_from, h->now_ns());
	json_object_set_new(a->data, "ratelimit_paced",
			    json_pack("{s:I,s:I,s:f,s:I,s:o}", "rate_per_minute", (json_int_t)a->rl_rpm, "limit",
				      (json_int_t)a->rl_limit, "window_s", a->rl_window_ms / 1000.0, "due_onset",
				      (json_int_t)onset, "runs", runs));
	if (!p.ra_waits)
		h->check(a->c, "ratelimit.paced_retry_after", VS_CHECK_SKIP,
			 p.n429 ? "no 429 carried a usable Retry-After (ratelimit.retry_after judges it)"
				: "no 429 at this rate: Retry-After not exercised");
	else if (p.ra_refused)
		h->check(a->c, "ratelimit.paced_retry_after", VS_CHECK_FAIL, "%s (%ld of %ld waits)", p.ra_why,
			 p.ra_refused, p.ra_waits);
	else
		h->check(a->c, "ratelimit.paced_retry_after", p.ra_served ? VS_CHECK_PASS : VS_CHECK_FAIL,
			 "waited as Retry-After said %ld time%s; the next request was served %ld time%s", p.ra_waits,
			 p.ra_waits == 1 ? "" : "s", p.ra_served, p.ra_served == 1 ? "" : "s");
	h->check(a->c, "ratelimit.paced_health", !p.health_bad && p.health_ok ? VS_CHECK_PASS : VS_CHECK_FAIL,
		 p.health_bad ? "%ld of %ld /health probes during the paced run failed: %s"
			      : "%ld of %ld /health probes during the paced run answered %s",
		 p.health_bad ? p.health_bad : p.health_ok, p.health_ok + p.health_bad,
		 p.health_bad ? p.health_why : "as expected");
	h->pacer_free(quick);
	free(p.ok_at);
}
