/* errors plugin, the LLM scenarios: key (plan 8.2: the first LLM answers 401
 * invalid_api_key) and timeout (8.3: the first LLM stalls), each with calls
 * placed while the world's fault is on; and the baseline call that measures
 * the agent's normal reply latency (the caller's extra wait is reported
 * against it). */
#include "errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the world and the agent counted at one moment. */
struct snap {
	double primary, fallback; /* stand-in requests (world) */
	double errs, failovers, opens, state;
	int errs_p, failovers_p, opens_p, state_p, world_ok;
};

static void take(struct er *e, const char *err_labels, struct snap *s)
{
	char **items = NULL, *m;
	size_t n = vs_split_list(er_str(e, "fallback_standins"), &items);
	double v;

	memset(s, 0, sizeof(*s));
	s->primary = er_world_stat(e, er_str(e, "primary_standin"), "requests");
	s->world_ok = s->primary >= 0;
	for (size_t i = 0; i < n; i++)
		if ((v = er_world_stat(e, items[i], "requests")) > 0)
			s->fallback += v;
	free(items);
	m = er_metrics(e);
	s->errs = er_prom(e, m, "provider_errors", err_labels, &s->errs_p);
	s->failovers = er_prom(e, m, "failovers", er_str(e, "failover_labels"), &s->failovers_p);
	s->opens = er_prom(e, m, "breaker_transitions", er_str(e, "breaker_open_labels"), &s->opens_p);
	s->state = er_prom(e, m, "breaker_state", er_str(e, "breaker_labels"), &s->state_p);
	free(m);
}

/* The breaker may still be open from an earlier fault: the scenario must see
 * the first LLM asked.  0, or -1 with why. */
static int ready(struct er *e, char *why, size_t len)
{
	long long wait = er_ms(e, "breaker_wait");
	if (er_breaker_settle(e, er_str(e, "breaker_labels"), wait) != 0) {
		snprintf(why, len, "the first LLM's circuit breaker (%s{%s}) stayed open for %lld ms: the fault would not "
				   "reach it",
			 er_sig(e, "breaker_state"), er_str(e, "breaker_labels"), wait);
		return -1;
	}
	return 0;
}

struct calls_sum {
	int good, n, handoffs, turns, replied; /* good: normal and not handed off */
	int heard;                              /* calls whose greeting the caller heard */
	double max_first, max_turn, sum_turn;
	char why[400];
};

static void sum_calls(struct er *e, const struct er_call *calls, int n, struct calls_sum *s)
{
	char **acts = NULL, one[300];
	size_t na = vs_split_list(er_str(e, "handoff_actions"), &acts);

	memset(s, 0, sizeof(*s));
	s->n = n;
	for (int i = 0; i < n; i++) {
		int r, t, ho = 0, normal = er_call_normal(&calls[i], one, sizeof(one));
		double sum, max;
		for (size_t k = 0; k < na; k++)
			ho += vs_tcall_count_action(&calls[i].r, acts[k], NULL);
		s->handoffs += ho > 0;
		s->good += normal && !ho;
		if (!s->why[0] && (!normal || ho))
			snprintf(s->why, sizeof(s->why), "call %d: %s", i + 1,
				 normal ? "handed off (a handoff_actions command) instead of answered" : one);
		er_turns(&calls[i], &r, &t, &sum, &max);
		s->turns += t;
		s->replied += r;
		s->sum_turn += sum;
		if (max > s->max_turn)
			s->max_turn = max;
		if (calls[i].r.media_started && calls[i].r.media.first_reply_ms >= 0) {
			s->heard++;
			if (calls[i].r.media.first_reply_ms > s->max_first)
				s->max_first = calls[i].r.media.first_reply_ms;
		}
	}
	free(acts);
}

static void check_replies(struct er *e, const char *name, const struct calls_sum *s)
{
	if (s->good == s->n)
		e->h->check(e->c, name, VS_CHECK_PASS, "%d call%s answered by the agent: %d of %d caller turns replied",
			    s->n, s->n == 1 ? "" : "s", s->replied, s->turns);
	else
		e->h->check(e->c, name, VS_CHECK_FAIL, "%d of %d calls answered normally, %d handed off: %s", s->good, s->n,
			    s->handoffs, s->why);
}

/* The slowest greeting within the bound; a call whose greeting never came
 * fails (it is not a fast one). */
static void check_first_reply(struct er *e, const char *name, const struct calls_sum *s, long long within)
{
	if (s->heard < s->n)
		e->h->check(e->c, name, VS_CHECK_FAIL, "%d of %d calls heard no greeting", s->n - s->heard, s->n);
	else
		e->h->check_value(e->c, name, s->max_first, VS_LE, (double)within, "ms");
}

static void check_latency(struct er *e, const char *name, const struct calls_sum *s, long long within)
{
	if (!s->replied)
		e->h->check(e->c, name, VS_CHECK_FAIL, "no caller turn was replied");
	else
		e->h->check_value(e->c, name, s->max_turn, VS_LE, (double)within, "ms");
}

/* The fallback LLMs answered, and the first one was asked (else the fault was never exercised). */
static void check_fallback(struct er *e, const char *name, const struct snap *a, const struct snap *b)
{
	if (!a->world_ok || !b->world_ok)
		e->h->check(e->c, name, VS_CHECK_SKIP, "the world's stats do not list %s", er_str(e, "primary_standin"));
	else if (b->primary <= a->primary)
		e->h->check(e->c, name, VS_CHECK_SKIP, "the agent never asked %s during the fault: nothing to fail over from",
			    er_str(e, "primary_standin"));
	else
		e->h->check(e->c, name, b->fallback > a->fallback ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "%s: %.0f requests hit the fault; %s: %.0f requests during it", er_str(e, "primary_standin"),
			    b->primary - a->primary, er_str(e, "fallback_standins"), b->fallback - a->fallback);
}

/* A counter that must have increased; absent before and after: skip. */
static void check_counter(struct er *e, const char *name, const char *signal, const char *labels, int p0, double v0,
			  int p1, double v1, long sql_rows)
{
	const char *metric = er_sig(e, signal);
	char why[700];

	if (sql_rows > 0 || (p1 && v1 > (p0 ? v0 : 0)))
		e->h->check(e->c, name, VS_CHECK_PASS, "%s{%s} %.0f -> %.0f%s", metric, labels, v0, v1,
			    sql_rows > 0 ? " (and rows in the database)" : "");
	else if (!p1 && sql_rows < 0)
		e->h->check(e->c, name, VS_CHECK_SKIP, "no evidence source: %s, with {%s}",
			    er_sig_why(e, signal, why, sizeof(why)), labels);
	else
		e->h->check(e->c, name, VS_CHECK_FAIL, "%s{%s} %.0f -> %.0f%s", metric, labels, v0, v1,
			    sql_rows == 0 ? ", no rows in the database" : "");
}

static json_t *calls_json(const struct er_call *calls, int n)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, er_call_json(&calls[i]));
	return a;
}

void er_baseline(struct er *e)
{
	struct er_call c = {0};
	char why[300];
	int r, t;
	double sum, max;

	e->m_turn = e->h->metric(e->c, "turn_latency_baseline", "ms");
	er_call(e, e->script, "baseline", &c);
	if (er_call_normal(&c, why, sizeof(why))) {
		er_turns(&c, &r, &t, &sum, &max);
		e->baseline_turn_ms = sum / r;
	} else {
		e->h->log(e->c, VS_LOG_WARN, "baseline call not normal (%s): the extra latency is not reported", why);
	}
	json_object_set_new(e->data, "baseline", er_call_json(&c));
	er_call_clear(&c);
	er_sleep_ms(e, e->pause_ms);
}

void er_key_scenario(struct er *e)
{
	static const char *const CHECKS[] = {"key.replies", "key.first_reply", "key.reply_latency",
					     "key.fallback_used", "key.error_logged", "key.failover"};
	const char *labels = er_str(e, "key_error_labels"), *sql = er_str(e, "key_error_sql");
	struct snap a, b;
	struct calls_sum s;
	struct er_call *calls;
	long long n = 1;
	long rows = -1;
	char why[512], err[300], *since = NULL;

	e->h->opt_int(e->c, "key_calls", &n);
	if (n < 1)
		n = 1;
	if (ready(e, why, sizeof(why)) != 0) {
		er_skip_checks(e, "key", CHECKS, 6, why);
		return;
	}
	calls = calloc((size_t)n, sizeof(*calls));
	if (!calls)
		return;
	if (*sql && *e->t.db_url && !(since = er_db_now(e, err, sizeof(err))))
		e->h->log(e->c, VS_LOG_WARN, "db_url: %s", err);
	take(e, labels, &a);
	if (er_fault_on(e, er_str(e, "primary_standin"), er_str(e, "key_fault"), err, sizeof(err)) != 0) {
		snprintf(why, sizeof(why), "could not inject the fault: %s", err);
		er_skip_checks(e, "key", CHECKS, 6, why);
		free(calls);
		free(since);
		return;
	}
	e->m_turn = e->h->metric(e->c, "turn_latency_key", "ms");
	for (long long i = 0; i < n && !e->h->should_stop(e->c); i++) {
		if (i)
			er_sleep_ms(e, e->pause_ms);
		er_call(e, e->key_script, "key", &calls[i]);
	}
	er_faults_off(e);
	take(e, labels, &b);
	if (since)
		rows = er_db_count(e, sql, since, err, sizeof(err));
	sum_calls(e, calls, (int)n, &s);
	check_replies(e, "key.replies", &s);
	check_first_reply(e, "key.first_reply", &s, e->first_reply_ms);
	check_latency(e, "key.reply_latency", &s, er_ms(e, "key_reply_within"));
	check_fallback(e, "key.fallback_used", &a, &b);
	check_counter(e, "key.error_logged", "provider_errors", labels, a.errs_p, a.errs, b.errs_p, b.errs, rows);
	check_counter(e, "key.failover", "failovers", er_str(e, "failover_labels"), a.failovers_p,
		      a.failovers, b.failovers_p, b.failovers, -1);
	json_object_set_new(e->data, "key",
			    json_pack("{s:f,s:f,s:f,s:f,s:o}", "max_turn_ms", s.max_turn, "mean_turn_ms",
				      s.replied ? s.sum_turn / s.replied : -1.0, "extra_turn_ms",
				      s.replied && e->baseline_turn_ms >= 0 ? s.sum_turn / s.replied - e->baseline_turn_ms : -1.0,
				      "fallback_requests", b.fallback - a.fallback, "calls", calls_json(calls, (int)n)));
	for (long long i = 0; i < n; i++)
		er_call_clear(&calls[i]);
	free(calls);
	free(since);
	er_sleep_ms(e, e->pause_ms);
}

/* k calls of the two-turn script started together (vs_cbatch_run); their
 * results moved into out.  0, or -1 when the batch could not start. */
static int call_round(struct er *e, struct er_call *out, int k)
{
	const struct vs_call_script *scripts[1] = {e->script};
	struct vs_cbatch_call cb[ER_MAX_CALLS];
	struct vs_tcall_cfg base;
	struct vs_cbatch_cfg bc;
	char err[256];
	long ran;

	memset(cb, 0, sizeof(cb));
	er_call_cfg(e, &base);
	bc = (struct vs_cbatch_cfg){.base = &base, .scripts = scripts, .nscripts = 1, .ncalls = (size_t)k,
				    .concurrency = k, .ramp_ms = 0, .seed = base.seed, .host = e->h, .ctx = e->c};
	ran = vs_cbatch_run(e->t.eng, &bc, cb, err, sizeof(err));
	if (ran < 0) {
		e->h->log(e->c, VS_LOG_WARN, "timeout calls: %s", err);
		return -1;
	}
	for (int i = 0; i < k; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		if (!cb[i].ran) {
			out[i].failed = 1;
			snprintf(out[i].r.error, sizeof(out[i].r.error), "not started (deadline?)");
			continue;
		}
		out[i].r = cb[i].r; /* moved: cb[i] is not cleared */
		out[i].failed = cb[i].failed;
		er_call_note(e, "timeout", &out[i]);
	}
	return 0;
}

/* seen_open: the breaker was seen open after one of the n calls (at most
 * max); rows: circuit-breaker rows logged since the fault, -1 not read. */
static void check_breaker_open(struct er *e, int seen_open, long rows, int n, int max, const char *labels,
			       const struct snap *a, const struct snap *b)
{
	if (seen_open || rows > 0)
		e->h->check(e->c, "timeout.breaker_open", VS_CHECK_PASS, "opened during call %d of %d: %s{%s} %.0f -> %.0f%s%ld%s", n,
			    max, er_sig(e, "breaker_transitions"), er_str(e, "breaker_open_labels"), a->opens, b->opens,
			    rows >= 0 ? ", " : "", rows, rows >= 0 ? " circuit-breaker rows" : "");
	else if (!b->state_p && !b->opens_p && rows < 0) {
		char w1[700], w2[700];
		e->h->check(e->c, "timeout.breaker_open", VS_CHECK_SKIP, "no evidence source: %s; %s; no breaker_open_sql",
			    er_sig_why(e, "breaker_state", w1, sizeof(w1)), er_sig_why(e, "breaker_transitions", w2, sizeof(w2)));
	}
	else
		e->h->check(e->c, "timeout.breaker_open", VS_CHECK_FAIL,
			    "never opened over %d calls (%.0f stalled requests, %s{%s} %.0f -> %.0f%s%ld%s)", n,
			    b->primary - a->primary, er_sig(e, "provider_errors"), labels, a->errs, b->errs, rows >= 0 ? ", " : "",
			    rows, rows >= 0 ? " circuit-breaker rows" : "");
}

void er_timeout_scenario(struct er *e)
{
	static const char *const CHECKS[] = {"timeout.replies", "timeout.reply_latency", "timeout.breaker_open",
					     "timeout.fallback_used"};
	const char *labels = er_str(e, "timeout_error_labels"), *sql = er_str(e, "breaker_open_sql");
	struct snap a, b;
	struct calls_sum s;
	struct er_call *calls;
	long long max = 3, conc = 2;
	int n = 0, seen_open = 0;
	long rows = -1;
	double open_value = 1, mean;
	char why[512], err[300], *since = NULL;

	e->h->opt_int(e->c, "timeout_calls_max", &max);
	e->h->opt_int(e->c, "timeout_concurrency", &conc);
	if (conc < 1 || conc > ER_MAX_CALLS)
		conc = conc < 1 ? 1 : ER_MAX_CALLS;
	e->h->opt_double(e->c, "breaker_open_value", &open_value);
	if (max < 1)
		max = 1;
	if (ready(e, why, sizeof(why)) != 0) {
		er_skip_checks(e, "timeout", CHECKS, 4, why);
		return;
	}
	calls = calloc((size_t)max, sizeof(*calls));
	if (!calls)
		return;
	if (*sql && *e->t.db_url && !(since = er_db_now(e, err, sizeof(err))))
		e->h->log(e->c, VS_LOG_WARN, "db_url: %s", err);
	take(e, labels, &a);
	if (er_fault_on(e, er_str(e, "primary_standin"), er_str(e, "timeout_fault"), err, sizeof(err)) != 0) {
		snprintf(why, sizeof(why), "could not inject the fault: %s", err);
		er_skip_checks(e, "timeout", CHECKS, 4, why);
		free(calls);
		free(since);
		return;
	}
	e->m_turn = e->h->metric(e->c, "turn_latency_timeout", "ms");
	/* rounds of `conc` calls at once until the breaker opens (each stalled
	 * request costs its caller the agent's first-token timeout) */
	while (n < max && !e->h->should_stop(e->c)) {
		struct snap mid;
		if (n)
			er_sleep_ms(e, e->pause_ms);
		if (call_round(e, calls + n, conc < max - n ? (int)conc : (int)(max - n)) != 0)
			break;
		n += conc < max - n ? (int)conc : (int)(max - n);
		take(e, labels, &mid);
		seen_open |= (mid.state_p && mid.state == open_value) || (mid.opens_p && mid.opens > (a.opens_p ? a.opens : 0));
		if (seen_open) {
			e->h->log(e->c, VS_LOG_INFO, "the breaker is open after %d call%s", n, n == 1 ? "" : "s");
			break;
		}
	}
	er_faults_off(e);
	take(e, labels, &b);
	if (since)
		rows = er_db_count(e, sql, since, err, sizeof(err));
	sum_calls(e, calls, n, &s);
	check_replies(e, "timeout.replies", &s);
	check_latency(e, "timeout.reply_latency", &s, er_ms(e, "timeout_reply_within"));
	check_breaker_open(e, seen_open, rows, n, (int)max, labels, &a, &b);
	check_fallback(e, "timeout.fallback_used", &a, &b);
	mean = s.replied ? s.sum_turn / s.replied : -1;
	if (s.replied)
		e->h->log(e->c, VS_LOG_INFO,
			  "user experience under the stall: caller turns %.0f ms on average, the slowest %.0f ms; without the "
			  "fault %.0f ms (-1: unknown)",
			  mean, s.max_turn, e->baseline_turn_ms);
	json_object_set_new(e->data, "timeout",
			    json_pack("{s:i,s:b,s:f,s:f,s:f,s:f,s:f,s:f,s:o}", "calls", n, "breaker_opened", seen_open || rows > 0,
				      "max_turn_ms", s.max_turn, "mean_turn_ms", mean, "baseline_turn_ms", e->baseline_turn_ms,
				      "extra_turn_ms", s.replied && e->baseline_turn_ms >= 0 ? mean - e->baseline_turn_ms : -1.0,
				      /* the slowest turn: a request that met the stall before the breaker opened */
				      "extra_max_turn_ms", s.replied && e->baseline_turn_ms >= 0 ? s.max_turn - e->baseline_turn_ms : -1.0,
				      "fallback_requests", b.fallback - a.fallback, "call_results", calls_json(calls, n)));
	for (int i = 0; i < n; i++)
		er_call_clear(&calls[i]);
	free(calls);
	free(since);
}
