/* errors plugin, the tts scenario (plan 5.2 TTS failover): the first TTS
 * (Cartesia's stand-in) refuses its WebSocket handshake, as in an outage;
 * calls are placed until its circuit breaker opens (at most tts_calls_max).
 * The caller must hear every reply, voiced by the fallback (ElevenLabs),
 * without a gap inside the agent's speech; the failover counted.  Recovery
 * is checked later (er_tts_recovery, after the other scenarios have used up
 * the breaker's open time): the breaker leaves OPEN and a call is voiced by
 * Cartesia again. */
#include "errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tsnap {
	double primary, fallback, voiced; /* world: requests of the first and fallback TTS, the first's voiced counter */
	double failovers, opens, state;
	int failovers_p, opens_p, state_p, world_ok;
};

static double now_ms(struct er *e)
{
	return (double)e->h->now_ns() / 1e6;
}

static void tsnap_take(struct er *e, struct tsnap *s)
{
	char **items = NULL, *m;
	size_t n = vs_split_list(er_str(e, "tts_fallback_standins"), &items);
	const char *st = er_str(e, "tts_standin");
	double v;

	memset(s, 0, sizeof(*s));
	s->primary = er_world_stat(e, st, "requests");
	s->voiced = er_world_stat(e, st, er_str(e, "tts_voiced_counter"));
	s->world_ok = s->primary >= 0 && s->voiced >= 0;
	for (size_t i = 0; i < n; i++)
		if ((v = er_world_stat(e, items[i], "requests")) > 0)
			s->fallback += v;
	free(items);
	m = er_metrics(e);
	s->failovers = er_prom(e, m, "failovers", er_str(e, "tts_failover_labels"), &s->failovers_p);
	s->opens = er_prom(e, m, "breaker_transitions", er_str(e, "tts_breaker_open_labels"), &s->opens_p);
	s->state = er_prom(e, m, "breaker_state", er_str(e, "tts_breaker_labels"), &s->state_p);
	free(m);
}

/* Over the calls: normal ones, caller turns, reply latencies, the longest gap
 * inside the agent's speech and whether any agent speech was measured. */
struct tsum {
	int good, n, turns, replied, spoke;
	double max_turn, sum_turn, max_gap;
	char why[400];
};

static void tsum_calls(const struct er_call *calls, int n, struct tsum *s)
{
	char one[300];

	memset(s, 0, sizeof(*s));
	s->n = n;
	for (int i = 0; i < n; i++) {
		const struct vs_call_result *m = &calls[i].r.media;
		int r, t;
		double sum, max;
		if (er_call_normal(&calls[i], one, sizeof(one)))
			s->good++;
		else if (!s->why[0])
			snprintf(s->why, sizeof(s->why), "call %d: %s", i + 1, one);
		er_turns(&calls[i], &r, &t, &sum, &max);
		s->turns += t;
		s->replied += r;
		s->sum_turn += sum;
		if (max > s->max_turn)
			s->max_turn = max;
		if (!calls[i].r.media_started || m->first_reply_ms < 0)
			continue;
		s->spoke = 1;
		for (size_t g = 0; g < m->ngaps; g++)
			if (m->gaps[g].duration_ms > s->max_gap)
				s->max_gap = m->gaps[g].duration_ms;
	}
}

static void tts_check_fallback(struct er *e, const struct tsnap *a, const struct tsnap *b)
{
	const char *st = er_str(e, "tts_standin"), *fb = er_str(e, "tts_fallback_standins");
	if (!a->world_ok || !b->world_ok)
		e->h->check(e->c, "tts.fallback_used", VS_CHECK_SKIP, "the world's stats do not list %s", st);
	else if (b->primary <= a->primary)
		e->h->check(e->c, "tts.fallback_used", VS_CHECK_SKIP,
			    "the agent never asked %s during the fault: nothing to fail over from", st);
	else
		e->h->check(e->c, "tts.fallback_used", b->fallback > a->fallback ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "%s: %.0f requests hit the fault; %s: %.0f requests during it", st, b->primary - a->primary, fb,
			    b->fallback - a->fallback);
}

static void check_failover(struct er *e, const struct tsnap *a, const struct tsnap *b)
{
	const char *m = er_sig(e, "failovers"), *l = er_str(e, "tts_failover_labels");
	char why[700];
	if (b->failovers_p && b->failovers > (a->failovers_p ? a->failovers : 0))
		e->h->check(e->c, "tts.failover_counted", VS_CHECK_PASS, "%s{%s} %.0f -> %.0f", m, l, a->failovers,
			    b->failovers);
	else if (!b->failovers_p)
		e->h->check(e->c, "tts.failover_counted", VS_CHECK_SKIP, "%s, with {%s}",
			    er_sig_why(e, "failovers", why, sizeof(why)), l);
	else
		e->h->check(e->c, "tts.failover_counted", VS_CHECK_FAIL, "%s{%s} %.0f -> %.0f", m, l, a->failovers,
			    b->failovers);
}

static void check_gaps(struct er *e, const struct tsum *s)
{
	long long max_gap = er_ms(e, "tts_max_gap");
	double mean = s->replied ? s->sum_turn / s->replied : -1;

	if (!s->spoke)
		e->h->check(e->c, "tts.no_gaps", VS_CHECK_SKIP, "the agent never spoke: no speech to measure gaps in");
	else
		e->h->check(e->c, "tts.no_gaps", s->max_gap <= (double)max_gap ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "longest gap inside the agent's speech %.0f ms (limit %lld ms; 0: none over the call engine's "
			    "gap threshold); caller turns replied after %.0f ms on average, the slowest %.0f ms",
			    s->max_gap, max_gap, mean, s->max_turn);
}

/* seen_open: the breaker was seen open after one of the n calls (at most max). */
static void check_breaker_opened(struct er *e, int seen_open, int n, long long max, const struct tsnap *a,
				 const struct tsnap *b)
{
	if (seen_open)
		e->h->check(e->c, "tts.breaker_opened", VS_CHECK_PASS, "opened during call %d of at most %lld: %s{%s} %.0f -> %.0f",
			    n, max, er_sig(e, "breaker_transitions"), er_str(e, "tts_breaker_open_labels"), a->opens,
			    b->opens);
	else if (!b->state_p && !b->opens_p) {
		char w1[700], w2[700];
		e->h->check(e->c, "tts.breaker_opened", VS_CHECK_SKIP, "no evidence source: %s, with {%s}; %s",
			    er_sig_why(e, "breaker_state", w1, sizeof(w1)), er_str(e, "tts_breaker_labels"),
			    er_sig_why(e, "breaker_transitions", w2, sizeof(w2)));
	}
	else
		e->h->check(e->c, "tts.breaker_opened", VS_CHECK_FAIL, "never opened over %d call%s (%.0f refused requests to %s)",
			    n, n == 1 ? "" : "s", b->primary - a->primary, er_str(e, "tts_standin"));
}

/* The recovery's verdict: a (before the call after the fault) and b (after
 * it) snapshots, waited ms since the fault's removal, c the call (not made
 * when the breaker is still open). */
static void tts_check_recovered(struct er *e, const struct tsnap *a, const struct tsnap *b, double waited,
			    double open_value, const struct er_call *c)
{
	const char *vc = er_str(e, "tts_voiced_counter");
	char why[300];

	if (a->state_p && a->state == open_value) {
		e->h->check(e->c, "tts.recovered", VS_CHECK_FAIL, "%s{%s} still open %.1f s after the fault's removal",
			    er_sig(e, "breaker_state"), er_str(e, "tts_breaker_labels"), waited / 1e3);
		return;
	}
	if (!er_call_normal(c, why, sizeof(why)))
		e->h->check(e->c, "tts.recovered", VS_CHECK_FAIL, "the call after the fault: %s", why);
	else
		e->h->check(e->c, "tts.recovered", b->voiced > a->voiced ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "breaker %s %.1f s after the fault's removal%s; the call after it: %s %.1f -> %.1f (%.0f requests)",
			    !a->state_p ? "state unknown" : a->state == 0 ? "CLOSED" : "not open", waited / 1e3,
			    e->tts_opened ? "" : " (it had not opened)", vc, a->voiced, b->voiced, b->primary - a->primary);
}

void er_tts_scenario(struct er *e)
{
	static const char *const CHECKS[] = {"tts.replies", "tts.fallback_used", "tts.failover_counted",
					     "tts.no_gaps", "tts.breaker_opened", "tts.recovered"};
	struct tsnap a, b;
	struct tsum s;
	struct er_call *calls;
	long long max = 3;
	double open_value = 1;
	int n = 0, seen_open = 0;
	char why[512], err[300];
	json_t *arr;

	e->h->opt_int(e->c, "tts_calls_max", &max);
	e->h->opt_double(e->c, "breaker_open_value", &open_value);
	if (max < 1)
		max = 1;
	if (er_breaker_settle(e, er_str(e, "tts_breaker_labels"), er_ms(e, "breaker_wait")) != 0) {
		snprintf(why, sizeof(why), "the first TTS's circuit breaker (%s{%s}) stayed open: the fault would not reach it",
			 er_sig(e, "breaker_state"), er_str(e, "tts_breaker_labels"));
		er_skip_checks(e, "tts", CHECKS, 6, why);
		return;
	}
	calls = calloc((size_t)max, sizeof(*calls));
	if (!calls)
		return;
	tsnap_take(e, &a);
	if (er_fault_on(e, er_str(e, "tts_standin"), er_str(e, "tts_fault"), err, sizeof(err)) != 0) {
		snprintf(why, sizeof(why), "could not inject the fault: %s", err);
		er_skip_checks(e, "tts", CHECKS, 6, why);
		free(calls);
		return;
	}
	e->m_turn = e->h->metric(e->c, "turn_latency_tts", "ms");
	/* calls until the breaker opens: how many failures it takes depends on
	 * the outcomes already in its window */
	while (n < max && !e->h->should_stop(e->c)) {
		struct tsnap mid;
		if (n)
			er_sleep_ms(e, e->pause_ms);
		er_call(e, e->tts_script, "tts", &calls[n++]);
		tsnap_take(e, &mid);
		seen_open |= (mid.state_p && mid.state == open_value) || (mid.opens_p && mid.opens > (a.opens_p ? a.opens : 0));
		if (seen_open) {
			e->h->log(e->c, VS_LOG_INFO, "the TTS breaker is open after %d call%s", n, n == 1 ? "" : "s");
			break;
		}
	}
	er_faults_off(e);
	e->tts_off_ms = now_ms(e);
	e->tts_pending = 1;
	tsnap_take(e, &b);
	tsum_calls(calls, n, &s);
	if (s.good == s.n)
		e->h->check(e->c, "tts.replies", VS_CHECK_PASS, "%d call%s: the caller heard the greeting and %d of %d replies",
			    n, n == 1 ? "" : "s", s.replied, s.turns);
	else
		e->h->check(e->c, "tts.replies", VS_CHECK_FAIL, "%d of %d calls heard every reply: %s", s.good, s.n, s.why);
	tts_check_fallback(e, &a, &b);
	check_failover(e, &a, &b);
	check_gaps(e, &s);
	check_breaker_opened(e, seen_open, n, max, &a, &b);
	e->tts_opened = seen_open;
	arr = json_array();
	for (int i = 0; i < n; i++) {
		json_array_append_new(arr, er_call_json(&calls[i]));
		er_call_clear(&calls[i]);
	}
	free(calls);
	json_object_set_new(e->data, "tts",
			    json_pack("{s:i,s:b,s:f,s:f,s:f,s:f,s:f,s:o}", "calls", n, "breaker_opened", seen_open,
				      "max_gap_ms", s.max_gap, "max_turn_ms", s.max_turn, "mean_turn_ms",
				      s.replied ? s.sum_turn / s.replied : -1.0, "refused_requests", b.primary - a.primary,
				      "fallback_requests", b.fallback - a.fallback, "call_results", arr));
	er_sleep_ms(e, e->pause_ms);
}

/* After the fault's removal and the breaker's open time: leaves OPEN within
 * tts_recover_within (from the removal), then a call is voiced by the first
 * TTS again (its voiced counter increases). */
void er_tts_recovery(struct er *e)
{
	long long within = er_ms(e, "tts_recover_within");
	double open_value = 1, waited;
	struct tsnap a, b;
	struct er_call c = {0};
	const char *st = er_str(e, "tts_standin"), *vc = er_str(e, "tts_voiced_counter");

	if (!e->tts_pending)
		return;
	e->tts_pending = 0;
	e->h->opt_double(e->c, "breaker_open_value", &open_value);
	for (;;) {
		tsnap_take(e, &a);
		waited = now_ms(e) - e->tts_off_ms;
		if (!a.state_p || a.state != open_value || waited >= (double)within || e->h->should_stop(e->c))
			break;
		er_sleep_ms(e, 1000);
	}
	if (!a.world_ok) {
		e->h->check(e->c, "tts.recovered", VS_CHECK_SKIP, "the world's stats do not list %s.%s", st, vc);
		return;
	}
	if (a.state_p && a.state == open_value) {
		tts_check_recovered(e, &a, &a, waited, open_value, &c);
		return;
	}
	er_call(e, e->key_script, "tts-recovery", &c);
	tsnap_take(e, &b);
	tts_check_recovered(e, &a, &b, waited, open_value, &c);
	json_object_set_new(json_object_get(e->data, "tts"), "recovery_wait_ms", json_real(waited));
	er_call_clear(&c);
}
