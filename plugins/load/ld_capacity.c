/* load plugin: mode = capacity.  Holds c calls in progress for
 * capacity_hold (closed model), judges the level against the SLO (calls
 * complete, turn-taking p95, first reply p95), doubles c while it holds,
 * then bisects between the highest level that held and the lowest that
 * broke; no new level once capacity_budget has gone.  The answer: "holds 7
 * concurrent calls at turn p95 1.84 s; breaks at 9: p95 2.41 s", with the
 * target's CPU and memory per call at the level that held. */
#include "load.h"

#include <vstress/callphase/billing.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double ms_since(const struct ld *p, uint64_t t)
{
	return (double)(p->h->now_ns() - t) / 1e6;
}

/* Judges the level's calls (still in p->recs) against the SLO. */
static void judge(struct ld *p, struct ld_level *L)
{
	struct vs_cbatch_call *tmp = calloc(L->n + 1, sizeof(*tmp));
	struct ld_span s;

	if (!tmp) {
		snprintf(L->why, sizeof(L->why), "out of memory");
		return;
	}
	for (size_t i = 0; i < L->n; i++)
		tmp[i] = *p->recs[L->first + i]; /* shallow: read only */
	ld_span_of(tmp, L->n, &s);
	free(tmp);
	L->complete_pct = s.calls ? 100.0 * (double)s.complete / (double)s.calls : 0;
	L->turn_p95 = s.turn_p95;
	L->first_p95 = s.first_p95;
	L->nturns = s.nturns;
	L->nfirst = s.nfirst;
	if (!s.calls)
		snprintf(L->why, sizeof(L->why), "no call ran");
	else if (L->complete_pct < p->slo_complete_pct)
		snprintf(L->why, sizeof(L->why), "%zu of %zu calls complete (%.1f%% < %.1f%%)", s.complete, s.calls,
			 L->complete_pct, p->slo_complete_pct);
	else if (!s.nturns)
		snprintf(L->why, sizeof(L->why), "no replied turn to measure");
	else if (s.turn_p95 >= (double)p->slo_turn_ms)
		snprintf(L->why, sizeof(L->why), "turn p95 %.2f s >= %.2f s", s.turn_p95 / 1e3, (double)p->slo_turn_ms / 1e3);
	else if (s.nfirst && s.first_p95 >= (double)p->slo_first_ms)
		snprintf(L->why, sizeof(L->why), "first reply p95 %.2f s >= %.2f s", s.first_p95 / 1e3,
			 (double)p->slo_first_ms / 1e3);
	L->holds = !L->why[0];
}

int ld_capacity_run(struct ld *p, const struct vs_tcall_cfg *base, uint64_t seed, char *err, size_t errlen)
{
	uint64_t t_begin = p->h->now_ns();
	long long lo = 0, hi = 0, c = p->cap_start;
	struct ld_stage st[2];
	struct ld_shape s = {.kind = LD_STAGES, .st = st, .nst = 2};

	while (c > 0 && !p->h->should_stop(p->c)) {
		struct ld_level *g, *L;
		if (ms_since(p, t_begin) + (double)p->cap_hold_ms > (double)p->cap_budget_ms) {
			p->h->log(p->c, VS_LOG_WARN, "capacity: budget %lld ms reached before level %lld", p->cap_budget_ms, c);
			break;
		}
		if (!(g = realloc(p->levels, (p->nlevels + 1) * sizeof(*g)))) {
			snprintf(err, errlen, "capacity: out of memory");
			return -1;
		}
		p->levels = g;
		L = &p->levels[p->nlevels++];
		memset(L, 0, sizeof(*L));
		L->conc = (int)c;
		L->first = p->nrecs;
		L->seq0 = vs_billing_seq(p->t.control_url);
		L->from_ms = ms_since(p, p->t_start_ns);
		/* a step to c at once, held for capacity_hold */
		st[0] = (struct ld_stage){.dur_ms = 0, .target = (int)c};
		st[1] = (struct ld_stage){.dur_ms = p->cap_hold_ms, .target = (int)c};
		s.start = (int)c;
		s.dur_ms = p->cap_hold_ms;
		if (ld_sched_run(p, &s, base, seed + (uint64_t)p->nrecs * 7919u, err, errlen) != 0)
			return -1;
		L->to_ms = ms_since(p, p->t_start_ns);
		L->seq1 = vs_billing_seq(p->t.control_url); /* every call of the level has ended */
		L->n = p->nrecs - L->first;
		judge(p, L);
		p->h->log(p->c, VS_LOG_INFO, "capacity: %lld calls in progress for %.1f s: %zu calls, turn p95 %.0f ms, first "
					      "reply p95 %.0f ms, %.0f%% complete: %s%s",
			  c, (L->to_ms - L->from_ms) / 1e3, L->n, L->turn_p95, L->first_p95, L->complete_pct,
			  L->holds ? "holds" : "breaks: ", L->why);
		if (L->holds)
			lo = c;
		else
			hi = c;
		if (!hi)
			c = c >= p->cap_max ? 0 : (c * 2 > p->cap_max ? p->cap_max : c * 2);
		else if (hi - lo <= 1)
			c = 0;
		else
			c = (lo + hi) / 2 > lo ? (lo + hi) / 2 : 0;
	}
	return 0;
}

/* The target's mean CPU (percent of one core) and max RSS during [from, to]. */
static void level_resources(struct ld *p, struct ld_level *L)
{
	double sum = 0;
	int n = 0;

	L->cpu_pct = L->rss_kb = -1;
	for (size_t i = 1; i < p->nproc; i++) {
		double t = (double)(int64_t)(p->proc[i].t_ns - p->t_start_ns) / 1e6;
		if (t <= L->from_ms || t > L->to_ms)
			continue;
		sum += vs_proc_cpu_pct(&p->proc[i - 1], &p->proc[i]);
		n++;
		if ((double)p->proc[i].rss_kb > L->rss_kb)
			L->rss_kb = (double)p->proc[i].rss_kb;
	}
	if (n)
		L->cpu_pct = sum / n;
}

static const struct ld_level *level_of(const struct ld *p, int conc)
{
	const struct ld_level *best = NULL;

	for (size_t i = 0; i < p->nlevels; i++)
		if (p->levels[i].conc == conc)
			best = &p->levels[i];
	return best;
}

/* capacity.cost_per_call: what the world's stand-ins billed for the level's
 * calls (events placed by vs_billing_key between the level's two log
 * positions: an STT stream by its opening), priced, over its calls.  The
 * checks run after the drain and the idle window, so streams closed after
 * the last call are in the log. */
static void cost_per_call(struct ld *p, const struct ld_level *L, int lo, json_t *cap)
{
	struct vs_prices pr;
	json_t *evs, *e, *by = json_object();
	char err[400];
	double usd = 0;
	size_t i, n = 0;

	if (L->seq0 < 0 || L->seq1 < 0 || !(evs = vs_billing_since(p->t.control_url, L->seq0))) {
		p->h->check(p->c, "capacity.cost_per_call", VS_CHECK_SKIP, "the world's billing events could not be read");
		json_decref(by);
		return;
	}
	if (vs_prices_load(&pr, p->llm_prices, p->speech_prices, err, sizeof(err)) != 0) {
		p->h->check(p->c, "capacity.cost_per_call", VS_CHECK_SKIP, "[load] speech_prices: %s", err);
		json_decref(evs);
		json_decref(by);
		return;
	}
	json_array_foreach(evs, i, e)
	{
		const json_t *d = json_object_get(e, "data");
		const char *prov = json_string_value(json_object_get(d, "provider"));
		long long k = vs_billing_key(e);
		double u;
		if (!prov || k <= L->seq0 || k > L->seq1)
			continue;
		if ((u = vs_billing_usd(&pr, d, err, sizeof(err))) < 0) {
			p->h->check(p->c, "capacity.cost_per_call", VS_CHECK_SKIP, "no price: %s", err);
			json_decref(evs);
			json_decref(by);
			return;
		}
		usd += u;
		n++;
		json_object_set_new(by, prov, json_real(json_number_value(json_object_get(by, prov)) + u));
	}
	json_decref(evs);
	if (!n) {
		p->h->check(p->c, "capacity.cost_per_call", VS_CHECK_SKIP,
			    "the world billed nothing during the level of %d calls (the target used no stand-in provider)", lo);
		json_decref(by);
		return;
	}
	/* a figure of the run, not a verdict: no bound to judge it by */
	p->h->check(p->c, "capacity.cost_per_call", VS_CHECK_SKIP,
		    "at %d calls: USD %.6f per call from the world's billing (%zu events over %zu calls, USD %.6f in all; "
		    "reported, not checked)",
		    lo,
		    usd / (double)L->n, n, L->n, usd);
	json_object_set_new(cap, "cost_usd_per_call", json_real(usd / (double)L->n));
	json_object_set_new(cap, "cost_usd_by_provider", by);
}

void ld_capacity_checks(struct ld *p, json_t *sum)
{
	int lo = 0, hi = 0;
	const struct ld_level *H, *B;
	json_t *lv = json_array(), *cap;
	char head[400], tail[300] = "";

	for (size_t i = 0; i < p->nlevels; i++) {
		struct ld_level *L = &p->levels[i];
		level_resources(p, L);
		if (L->holds && L->conc > lo)
			lo = L->conc;
		if (!L->holds && (!hi || L->conc < hi))
			hi = L->conc;
		json_array_append_new(
			lv, json_pack("{s:i,s:f,s:f,s:I,s:b,s:f,s:o,s:o,s:s,s:o,s:o}", "concurrency", L->conc, "from_ms",
				      L->from_ms, "to_ms", L->to_ms, "calls", (json_int_t)L->n, "holds", L->holds,
				      "complete_pct", L->complete_pct,
				      "turn_p95_ms", L->turn_p95 >= 0 ? json_real(L->turn_p95) : json_null(),
				      "first_reply_p95_ms", L->first_p95 >= 0 ? json_real(L->first_p95) : json_null(), "broke",
				      L->why, "cpu_pct", L->cpu_pct >= 0 ? json_real(L->cpu_pct) : json_null(), "rss_kb",
				      L->rss_kb >= 0 ? json_real(L->rss_kb) : json_null()));
	}
	H = lo ? level_of(p, lo) : NULL;
	B = hi ? level_of(p, hi) : NULL;
	if (!p->nlevels) {
		p->h->check(p->c, "capacity.found", VS_CHECK_SKIP, "no level ran (stopped, or capacity_budget < capacity_hold)");
		json_object_set_new(sum, "capacity", json_pack("{s:o}", "levels", lv));
		return;
	}
	if (H)
		snprintf(head, sizeof(head), "holds %d concurrent calls at turn p95 %.2f s", lo, H->turn_p95 / 1e3);
	else
		snprintf(head, sizeof(head), "holds no level");
	if (B)
		snprintf(tail, sizeof(tail), "; breaks at %d: %s", hi, B->why);
	else if (lo >= p->cap_max)
		snprintf(tail, sizeof(tail), "; capacity_max %lld reached without a break", p->cap_max);
	else
		snprintf(tail, sizeof(tail), "; no break found within capacity_budget");
	if (p->cap_min && lo < p->cap_min)
		p->h->check(p->c, "capacity.found", VS_CHECK_FAIL, "%s%s (capacity_min %lld; SLO: %.0f%% complete, turn p95 < "
								   "%lld ms, first reply p95 < %lld ms; %zu levels)",
			    head, tail, p->cap_min, p->slo_complete_pct, p->slo_turn_ms, p->slo_first_ms, p->nlevels);
	else
		p->h->check(p->c, "capacity.found", H ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "%s%s (SLO: %.0f%% complete, turn p95 < %lld ms, first reply p95 < %lld ms; %zu levels)", head,
			    tail, p->slo_complete_pct, p->slo_turn_ms, p->slo_first_ms, p->nlevels);
	cap = json_pack("{s:i,s:o,s:o,s:s}", "holds", lo, "breaks", hi ? json_integer(hi) : json_null(), "levels", lv,
			"sentence", head);
	/* resources per call at the level that held */
	if (!H || !p->t.pid || H->cpu_pct < 0) {
		p->h->check(p->c, "capacity.per_call", VS_CHECK_SKIP, "%s",
			    !H ? "no level held" : "no target PID (VSTRESS_TARGET_PID / target_pid): CPU and memory not measured");
	} else {
		double rss0 = p->nproc ? (double)p->proc[0].rss_kb : 0, mem = (H->rss_kb - rss0) / lo;
		p->h->check(p->c, "capacity.per_call", VS_CHECK_PASS,
			    "at %d calls: the agent's CPU %.1f%% of one core per call (mean %.0f%%), memory %.0f KB per call "
			    "(RSS %.0f MB at most, %.0f MB before the load)",
			    lo, H->cpu_pct / lo, H->cpu_pct, mem, H->rss_kb / 1024, rss0 / 1024);
		json_object_set_new(cap, "cpu_pct_per_call", json_real(H->cpu_pct / lo));
		json_object_set_new(cap, "rss_kb_per_call", json_real(mem));
	}
	if (H)
		cost_per_call(p, H, lo, cap);
	else
		p->h->check(p->c, "capacity.cost_per_call", VS_CHECK_SKIP, "no level held");
	json_object_set_new(sum, "capacity", cap);
}
