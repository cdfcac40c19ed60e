/* load plugin: the checks, from the finished batch and the target's
 * readings around it (docs/plugins/load.md lists them). */
#include "load.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Nearest rank of sorted values. */
static double pct(const double *v, size_t n, double p)
{
	size_t k;

	if (!n)
		return 0;
	k = (size_t)ceil(p / 100.0 * (double)n);
	return v[k ? k - 1 : 0];
}

static void check_complete(struct ld *p)
{
	struct vs_checkmsg b = {0};
	size_t ok = 0;
	char why[400];

	for (size_t i = 0; i < (size_t)p->ncalls; i++) {
		ld_call_problem(&p->calls[i], why, sizeof(why));
		if (why[0])
			vs_checkmsg_item(&b, "call %zu: %s", i + 1, why);
		else
			ok++;
	}
	p->h->count(p->c, "calls_complete", (int64_t)ok);
	/* re-evaluable by vstress merge: 100 x calls_complete / calls_planned */
	if (VS_HOST_HAS(p->h, check_counters) && b.items)
		p->h->check_counters(p->c, "calls.complete", "calls_complete", "calls_planned", 100.0, VS_GE, 100.0, "%",
				     "%zu of %lld calls complete: %s", ok, p->ncalls, vs_checkmsg_more(&b));
	else if (VS_HOST_HAS(p->h, check_counters))
		p->h->check_counters(p->c, "calls.complete", "calls_complete", "calls_planned", 100.0, VS_GE, 100.0, "%",
				     "all %lld calls complete: webhook 2xx, answered, media connected, every caller turn "
				     "replied, hung up by the caller",
				     p->ncalls);
	else if (b.items)
		p->h->check(p->c, "calls.complete", VS_CHECK_FAIL, "%zu of %lld calls complete: %s", ok, p->ncalls,
			    vs_checkmsg_more(&b));
	else
		p->h->check(p->c, "calls.complete", VS_CHECK_PASS,
			    "all %lld calls complete: webhook 2xx, answered, media connected, every caller turn replied, "
			    "hung up by the caller",
			    p->ncalls);
}

/* p50/p95/max of a metric recorded from values v (sorted here); p95 from
 * the host's histogram when it holds exactly these samples. */
static void spread(struct ld *p, int metric, double *v, size_t n, double *p50, double *p95, double *max)
{
	int64_t hp, cnt = 0;

	qsort(v, n, sizeof(*v), cmp_dbl);
	*p50 = pct(v, n, 50);
	*p95 = pct(v, n, 95);
	*max = n ? v[n - 1] : 0;
	if (VS_HOST_HAS(p->h, percentile) && (hp = p->h->percentile(p->c, metric, 95.0, &cnt)) >= 0 &&
	    cnt == (int64_t)n) {
		*p95 = (double)hp;
		if ((hp = p->h->percentile(p->c, metric, 50.0, &cnt)) >= 0)
			*p50 = (double)hp;
	}
}

#define BY_TURN 8

/* "2887/3810/6356": p50 over the calls of their 1st, 2nd, ... caller turn
 * (latency growing along the calls: the agent falls behind real time). */
static void by_turn(const struct ld *p, char *out, size_t len)
{
	double *v[BY_TURN] = {0};
	size_t n[BY_TURN] = {0}, o = 0;

	*out = '\0';
	for (int k = 0; k < BY_TURN; k++)
		if (!(v[k] = calloc((size_t)p->ncalls + 1, sizeof(double))))
			goto out;
	for (size_t i = 0; i < (size_t)p->ncalls; i++) {
		const struct vs_call_result *m = &p->calls[i].r.media;
		int k = 0;
		if (!ld_streamed(&p->calls[i]))
			continue;
		for (size_t t = 0; t < m->nturns && k < BY_TURN; t++)
			if (m->turns[t].ref_ms > 0) { /* a caller turn (the greeting is not) */
				if (m->turns[t].replied)
					v[k][n[k]++] = m->turns[t].latency_ms;
				k++;
			}
	}
	for (int k = 0; k < BY_TURN && n[k] && o + 16 < len; k++) {
		qsort(v[k], n[k], sizeof(double), cmp_dbl);
		o += (size_t)snprintf(out + o, len - o, "%s%.0f", k ? "/" : "", pct(v[k], n[k], 50));
	}
out:
	for (int k = 0; k < BY_TURN; k++)
		free(v[k]);
}

static void check_latency(struct ld *p)
{
	char bt[160];
	double *first = calloc((size_t)p->ncalls + 1, sizeof(*first)), *turns = NULL, p50, p95, max;
	size_t nfirst = 0, nturns = 0, nstreamed = 0, nosound = 0;

	if (!first)
		return;
	for (size_t i = 0; i < (size_t)p->ncalls; i++) {
		const struct vs_cbatch_call *c = &p->calls[i];
		if (!ld_streamed(c))
			continue;
		nstreamed++;
		if (c->r.media.first_reply_ms >= 0) {
			first[nfirst++] = c->r.media.first_reply_ms;
			p->h->record(p->c, p->m_first, (int64_t)llround(c->r.media.first_reply_ms));
		} else {
			nosound++;
		}
		if (ld_turns_append(&c->r.media, &turns, &nturns) != 0)
			break;
	}
	for (size_t k = 0; k < nturns; k++)
		p->h->record(p->c, p->m_turn, (int64_t)llround(turns[k]));
	if (!nfirst) {
		p->h->check(p->c, "first_reply.p95", VS_CHECK_SKIP, "no call streamed agent audio");
	} else {
		spread(p, p->m_first, first, nfirst, &p50, &p95, &max);
		/* re-evaluable by vstress merge (p95 of the metric) unless a
		 * streamed call heard nothing, which no histogram shows */
		if (VS_HOST_HAS(p->h, check_metric) && !nosound)
			p->h->check_metric(p->c, "first_reply.p95", p->m_first, 95.0, VS_LE, (double)p->first_reply_ms,
					   "first reply under load: p95 %.0f ms %s %lld ms (p50 %.0f ms, max %.0f ms, %zu calls)",
					   p95, p95 <= (double)p->first_reply_ms ? "<=" : ">", p->first_reply_ms, p50, max,
					   nfirst);
		else
		VS_CHECK_MEASURED(p->h, p->c, "first_reply.p95",
				  p95 <= (double)p->first_reply_ms && !nosound ? VS_CHECK_PASS : VS_CHECK_FAIL, p95, VS_LE,
				  (double)p->first_reply_ms, "ms",
			    "first reply under load: p95 %.0f ms %s %lld ms (p50 %.0f ms, max %.0f ms, %zu calls%s)", p95,
			    p95 <= (double)p->first_reply_ms ? "<=" : ">", p->first_reply_ms, p50, max, nfirst,
			    nosound ? "; some streamed calls heard no agent audio at all" : "");
	}
	if (!nturns) {
		p->h->check(p->c, "turn.p95", VS_CHECK_SKIP, "no replied turn after a caller utterance");
	} else {
		spread(p, p->m_turn, turns, nturns, &p50, &p95, &max);
		by_turn(p, bt, sizeof(bt));
		if (VS_HOST_HAS(p->h, check_metric))
			p->h->check_metric(p->c, "turn.p95", p->m_turn, 95.0, VS_LE, (double)p->turn_ms,
					   "turn-taking under load: p95 %.0f ms %s %lld ms (p50 %.0f ms, max %.0f ms, %zu turns "
					   "in %zu calls; p50 by caller turn: %s ms)",
					   p95, p95 <= (double)p->turn_ms ? "<=" : ">", p->turn_ms, p50, max, nturns,
					   nstreamed, bt);
		else
		VS_CHECK_MEASURED(p->h, p->c, "turn.p95", p95 <= (double)p->turn_ms ? VS_CHECK_PASS : VS_CHECK_FAIL, p95,
				  VS_LE, (double)p->turn_ms, "ms",
			    "turn-taking under load: p95 %.0f ms %s %lld ms (p50 %.0f ms, max %.0f ms, %zu turns in %zu "
			    "calls; p50 by caller turn: %s ms)",
			    p95, p95 <= (double)p->turn_ms ? "<=" : ">", p->turn_ms, p50, max, nturns, nstreamed, bt);
	}
	free(first);
	free(turns);
}

static void check_pacing_body(struct ld *p)
{
	uint64_t sent = 0, late = 0;
	double worst = 0, pc, worst_start = 0;
	size_t n = 0;

	for (size_t i = 0; i < (size_t)p->ncalls; i++) {
		const struct vs_cbatch_call *c = &p->calls[i];
		if (c->ran) {
			double l = c->started_ms - c->intended_ms;
			p->h->record(p->c, p->m_lateness, (int64_t)llround(l));
			if (l > worst_start)
				worst_start = l;
		}
		if (!ld_streamed(c))
			continue;
		n++;
		sent += c->r.media.frames_sent;
		late += c->r.media.late_frames;
		if (c->r.media.max_late_ms > worst)
			worst = c->r.media.max_late_ms;
	}
	if (!n) {
		p->h->check(p->c, "pacing.late_frames", VS_CHECK_SKIP, "no call streamed");
		return;
	}
	pc = sent ? 100.0 * (double)late / (double)sent : 0;
	p->h->count(p->c, "frames_sent", (int64_t)sent);
	p->h->count(p->c, "frames_late", (int64_t)late);
	if (VS_HOST_HAS(p->h, check_counters) && sent) {
		p->h->check_counters(p->c, "pacing.late_frames", "frames_late", "frames_sent", 100.0, VS_LE, p->max_late_pct,
				     "%", "our own pacing: %llu of %llu frames (%.2f%%) sent late, worst %.1f ms; latest call "
				     "start %.0f ms after its intended time",
				     (unsigned long long)late, (unsigned long long)sent, pc, worst, worst_start);
		return;
	}
	p->h->check(p->c, "pacing.late_frames", pc <= p->max_late_pct ? VS_CHECK_PASS : VS_CHECK_FAIL,
		    "our own pacing: %llu of %llu frames (%.2f%%) sent late, worst %.1f ms, %s %.2f%%; latest call "
		    "start %.0f ms after its intended time",
		    (unsigned long long)late, (unsigned long long)sent, pc, worst, pc <= p->max_late_pct ? "<=" : ">",
		    p->max_late_pct, worst_start);
}

/* Our own caller's pacing: a harness check (docs/results-schema.md). */
static void check_pacing(struct ld *p)
{
	int prev = VS_SUBJECT(p->h, p->c, VS_SUBJECT_HARNESS);

	check_pacing_body(p);
	VS_SUBJECT(p->h, p->c, prev);
}

static void check_concurrency(struct ld *p)
{
	int got = ld_max_overlap(p->calls, (size_t)p->ncalls);

	if (!got) {
		p->h->check(p->c, "concurrency.reached", VS_CHECK_SKIP, "no call streamed");
		return;
	}
	p->h->count(p->c, "max_simultaneous_calls", got);
	if (p->shape.kind != LD_BATCH)
		p->h->check(p->c, "concurrency.reached", got >= p->min_concurrency ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "%d calls in progress at the same moment (from their start/end times) %s %lld required (%s, %lld "
			    "calls)",
			    got, got >= p->min_concurrency ? ">=" : "<", p->min_concurrency,
			    p->shape.kind == LD_STAGES ? "stages" : "arrival rate", p->ncalls);
	else
		p->h->check(p->c, "concurrency.reached", got >= p->min_concurrency ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "%d calls in progress at the same moment (from their start/end times) %s %lld required "
			    "(concurrency %lld, %lld calls, ramp %lld ms)",
			    got, got >= p->min_concurrency ? ">=" : "<", p->min_concurrency, p->concurrency, p->ncalls,
			    p->ramp_ms);
}

/* Every call's Call Control commands are its own: one answer for its own
 * call_control_id (the world files commands by id), no stream URL shared. */
static void check_races(struct ld *p)
{
	struct vs_checkmsg ans = {0}, dup = {0};
	size_t n = 0, nanswers = 0, nurls = 0;
	int texml = 0;

	for (size_t i = 0; i < (size_t)p->ncalls; i++) {
		const struct vs_cbatch_call *c = &p->calls[i];
		int a;
		if (!c->ran || c->failed)
			continue;
		n++;
		a = vs_tcall_count_action(&c->r, "answer", NULL);
		nanswers += a > 0 ? (size_t)a : 0;
		if (a != 1)
			vs_checkmsg_item(&ans, "call %zu (%s): %d answer commands", i + 1, c->r.call_control_id, a);
		if (!c->r.stream_url[0])
			continue;
		nurls++;
		texml |= !strcmp(c->r.telephony, "texml");
		for (size_t j = 0; j < i; j++)
			if (p->calls[j].ran && !strcmp(p->calls[j].r.stream_url, c->r.stream_url)) {
				vs_checkmsg_item(&dup, "calls %zu and %zu both got %s", j + 1, i + 1, c->r.stream_url);
				break;
			}
	}
	if (!n) {
		p->h->check(p->c, "race.answers", VS_CHECK_SKIP, "no call ran");
		p->h->check(p->c, "race.stream_urls", VS_CHECK_SKIP, "no call ran");
		return;
	}
	if (!nanswers)
		p->h->check(p->c, "race.answers", VS_CHECK_SKIP, "the target answered no call (calls.complete says why)");
	else if (ans.items)
		p->h->check(p->c, "race.answers", VS_CHECK_FAIL, "expected exactly one answer per call_control_id: %s",
			    vs_checkmsg_more(&ans));
	else
		p->h->check(p->c, "race.answers", VS_CHECK_PASS, "exactly one answer command for each call's own id (%zu calls)",
			    n);
	if (!nurls)
		p->h->check(p->c, "race.stream_urls", VS_CHECK_SKIP, "no call got a stream URL");
	else if (texml)
		p->h->check(p->c, "race.stream_urls", VS_CHECK_SKIP,
			    "texml: a TeXML <Stream> URL is the same for every call (the call comes in `start`)");
	else if (dup.items)
		p->h->check(p->c, "race.stream_urls", VS_CHECK_FAIL, "stream URLs shared between calls: %s", vs_checkmsg_more(&dup));
	else
		p->h->check(p->c, "race.stream_urls", VS_CHECK_PASS, "every call got its own stream URL (%zu calls)", nurls);
}

void ld_checks(struct ld *p)
{
	json_t *calls = json_array(), *sum = json_object();

	for (size_t i = 0; calls && i < (size_t)p->ncalls; i++) {
		const struct vs_cbatch_call *c = &p->calls[i];
		json_t *cj = json_pack("{s:I,s:s?,s:f,s:f,s:f,s:o}", "index", (json_int_t)ld_shard_global(p, i), "script",
				       c->script ? c->script->name : NULL,
				       "intended_ms", c->intended_ms, "started_ms", c->ran ? c->started_ms : -1.0,
				       "ended_ms", c->ran ? c->ended_ms : -1.0, "call",
				       c->ran ? vs_tcall_result_json(&c->r) : json_null());
		if (cj && p->ntenants == 2)
			json_object_set_new(cj, "tenant", json_integer((json_int_t)(i % 2 + 1)));
		json_array_append_new(calls, cj ? cj : json_null());
	}
	ld_waterfall(p, calls, sum);
	if (p->capacity) {
		/* the levels replace the whole-run verdicts: breaking is the point */
		ld_capacity_checks(p, sum);
	} else {
		check_complete(p);
		check_latency(p);
	}
	check_pacing(p);
	if (!p->capacity)
		check_concurrency(p);
	if (p->shape.kind != LD_BATCH && !p->capacity)
		ld_stage_checks(p, sum);
	ld_fault_checks(p, sum);
	ld_tenant_checks(p, sum);
	ld_check_soak(p, sum);
	check_races(p);
	ld_check_agent(p, sum);
	ld_check_cpu(p, sum);
	ld_check_db_rows(p, calls);
	ld_check_db_load(p, sum);
	json_object_set_new(sum, "calls", json_integer(p->ncalls));
	json_object_set_new(sum, "shard", json_pack("{s:i,s:i,s:I,s:I}", "index", p->shard_i, "count", p->shard_n,
						    "calls_total", (json_int_t)p->total_calls, "offset_ms",
						    (json_int_t)p->offset_ms));
	json_object_set_new(sum, "ran", json_integer(p->ran));
	json_object_set_new(sum, "concurrency", json_integer(p->concurrency));
	json_object_set_new(sum, "max_simultaneous", json_integer(ld_max_overlap(p->calls, (size_t)p->ncalls)));
	json_object_set_new(sum, "batch_ms", json_real((double)(p->t_end_ns - p->t_start_ns) / 1e6));
	json_object_set_new(sum, "routed_number", json_string(p->t.routed));
	json_object_set_new(sum, "tenant_key", p->t.tenant.created ? json_string(p->t.tenant.key) : json_null());
	ld_report(p);
	p->h->attach(p->c, "calls", calls);
	p->h->attach(p->c, "summary", sum);
}
