/* load plugin: figures over a span of calls (a stage, a capacity level) and
 * the per-stage checks of a stages or arrival-rate load (data.stages). */
#include "load.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Nearest rank of sorted values; -1 when none. */
static double rank(const double *v, size_t n, double q)
{
	size_t k;

	if (!n)
		return -1;
	k = (size_t)ceil(q / 100.0 * (double)n);
	return v[k ? k - 1 : 0];
}

int ld_call_complete(const struct vs_cbatch_call *c)
{
	char why[400];

	ld_call_problem(c, why, sizeof(why));
	return !why[0];
}

void ld_span(const struct ld *p, size_t first, size_t n, struct ld_span *o)
{
	if (first > (size_t)p->ncalls)
		first = (size_t)p->ncalls;
	if (first + n > (size_t)p->ncalls)
		n = (size_t)p->ncalls - first;
	ld_span_of(p->calls + first, n, o);
}

void ld_span_of(const struct vs_cbatch_call *calls, size_t n, struct ld_span *o)
{
	double *turns = NULL, *fr = calloc(n + 1, sizeof(*fr));
	size_t nt = 0;

	*o = (struct ld_span){.turn_p50 = -1, .turn_p95 = -1, .first_p50 = -1, .first_p95 = -1};
	if (!fr)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct vs_cbatch_call *c = &calls[i];
		o->calls++;
		o->complete += ld_call_complete(c) != 0;
		o->errors += c->failed || (c->ran && c->r.error[0]);
		if (!ld_streamed(c))
			continue;
		if (c->r.media.first_reply_ms >= 0)
			fr[o->nfirst++] = c->r.media.first_reply_ms;
		ld_turns_append(&c->r.media, &turns, &nt);
	}
	qsort(fr, o->nfirst, sizeof(*fr), cmp_dbl);
	if (turns)
		qsort(turns, nt, sizeof(*turns), cmp_dbl);
	o->nturns = nt;
	o->first_p50 = rank(fr, o->nfirst, 50);
	o->first_p95 = rank(fr, o->nfirst, 95);
	o->turn_p50 = rank(turns, nt, 50);
	o->turn_p95 = rank(turns, nt, 95);
	free(fr);
	free(turns);
}

/* Calls in progress at t (from their start/end times). */
static int in_progress(const struct ld *p, double t)
{
	int k = 0;

	for (size_t i = 0; i < (size_t)p->ncalls; i++)
		k += p->calls[i].started_ms <= t && t < p->calls[i].ended_ms;
	return k;
}

static json_t *num(double v)
{
	return v < 0 ? json_null() : json_real(v);
}

/* What our own network impairment did to the stage's calls ([load]
 * network / stage_network), told apart from what the agent did: appended
 * to msg, and the stage's JSON "network" (null when unimpaired). */
static json_t *stage_network(const struct ld *p, size_t k, size_t first, size_t n, char *msg, size_t len)
{
	const struct vs_impair_cfg *cfg = ld_network_for(p, p->shape.kind == LD_STAGES ? (int)k : -1);
	struct vs_impair_stats t = {0};
	size_t calls = 0;
	char spec[200];

	msg[0] = '\0';
	if (!cfg)
		return json_null();
	for (size_t i = first; i < first + n; i++) {
		const struct vs_call_result *m = &p->calls[i].r.media;
		if (!p->calls[i].ran || !m->impaired)
			continue;
		calls++;
		t.frames += m->impair.frames, t.sent += m->impair.sent, t.lost += m->impair.lost;
		t.outage += m->impair.outage, t.bursts += m->impair.bursts, t.delayed += m->impair.delayed;
		t.duplicated += m->impair.duplicated, t.reordered += m->impair.reordered;
		if (m->impair.delay_max_ms > t.delay_max_ms)
			t.delay_max_ms = m->impair.delay_max_ms;
	}
	vs_impair_describe(cfg, spec, sizeof(spec));
	snprintf(msg, len,
		 "; our network impairment (%s, seeded per call) on %zu calls: %llu of %llu caller frames lost "
		 "(%llu bursts), %llu in outage, %llu duplicated, %llu reordered, %llu delayed (max %.0f ms)",
		 spec, calls, (unsigned long long)t.lost, (unsigned long long)t.frames, (unsigned long long)t.bursts,
		 (unsigned long long)t.outage, (unsigned long long)t.duplicated, (unsigned long long)t.reordered,
		 (unsigned long long)t.delayed, t.delay_max_ms);
	return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f}", "spec", spec, "calls", (json_int_t)calls,
			 "frames", (json_int_t)t.frames, "sent", (json_int_t)t.sent, "lost", (json_int_t)t.lost, "bursts",
			 (json_int_t)t.bursts, "outage", (json_int_t)t.outage, "duplicated", (json_int_t)t.duplicated,
			 "reordered", (json_int_t)t.reordered, "delayed", (json_int_t)t.delayed, "delay_max_ms",
			 t.delay_max_ms);
}

/* One stage: its calls are those that started in it (calls start in
 * order of time, so they are a contiguous span). */
static void one_stage(struct ld *p, size_t k, double from, double to, int tfrom, int tto, json_t *arr)
{
	struct ld_span s;
	size_t first = 0, n = 0;
	int peak = 0, ok;
	char name[48], net[600];
	json_t *netj, *row;

	while (first < (size_t)p->ncalls && p->calls[first].started_ms < from)
		first++;
	while (first + n < (size_t)p->ncalls && p->calls[first + n].started_ms < to)
		n++;
	ld_span(p, first, n, &s);
	netj = stage_network(p, k, first, n, net, sizeof(net));
	/* the most in progress during the stage, at 100 ms steps */
	for (double t = from; t < to; t += 100) {
		int q = in_progress(p, t);
		if (q > peak)
			peak = q;
	}
	ok = s.calls > 0 && s.complete == s.calls && s.turn_p95 <= (double)p->turn_ms &&
	     s.first_p95 <= (double)p->first_reply_ms;
	snprintf(name, sizeof(name), "stage.%zu", k + 1);
	if (!s.calls)
		p->h->check(p->c, name, VS_CHECK_SKIP, "stage %zu (%.0f-%.0f s, %d -> %d calls): no call started in it", k + 1,
			    from / 1e3, to / 1e3, tfrom, tto);
	else
		p->h->check(p->c, name, ok ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "stage %zu (%.0f-%.0f s, %d -> %d calls, at most %d in progress): %zu of %zu calls complete, "
			    "%zu errors; turn p95 %.0f ms %s %lld ms (p50 %.0f, %zu turns); first reply p95 %.0f ms %s %lld ms%s",
			    k + 1, from / 1e3, to / 1e3, tfrom, tto, peak, s.complete, s.calls, s.errors, s.turn_p95,
			    s.turn_p95 <= (double)p->turn_ms ? "<=" : ">", p->turn_ms, s.turn_p50, s.nturns, s.first_p95,
			    s.first_p95 <= (double)p->first_reply_ms ? "<=" : ">", p->first_reply_ms, net);
	row = json_pack("{s:i,s:f,s:f,s:i,s:i,s:i,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:I,s:I}", "stage", (int)k + 1, "from_ms",
			       from, "to_ms", to, "target_from", tfrom, "target_to", tto, "max_in_progress", peak, "calls",
			       (json_int_t)s.calls, "complete", (json_int_t)s.complete, "errors", (json_int_t)s.errors,
			       "turn_p50_ms", num(s.turn_p50), "turn_p95_ms", num(s.turn_p95), "first_reply_p50_ms",
			       num(s.first_p50), "first_reply_p95_ms", num(s.first_p95), "turns", (json_int_t)s.nturns,
			       "first_replies", (json_int_t)s.nfirst);
	if (row)
		json_object_set_new(row, "network", netj);
	else
		json_decref(netj);
	json_array_append_new(arr, row);
}

void ld_stage_checks(struct ld *p, json_t *sum)
{
	json_t *arr = json_array(), *tl = json_array();

	if (p->shape.kind == LD_STAGES) {
		int prev = p->shape.start;
		for (size_t k = 0; k < p->shape.nst; k++) {
			double from = (double)ld_stage_from(&p->shape, k);
			one_stage(p, k, from, from + (double)p->shape.st[k].dur_ms, prev, p->shape.st[k].target, arr);
			prev = p->shape.st[k].target;
		}
	} else if (p->shape.kind == LD_ARRIVAL) {
		double want = p->shape.rate * (double)p->shape.dur_ms / 1e3;
		one_stage(p, 0, 0, (double)p->shape.dur_ms, p->shape.max_in_flight, p->shape.max_in_flight, arr);
		p->h->count(p->c, "arrivals", p->arrivals);
		p->h->count(p->c, "arrivals_dropped", p->dropped);
		p->h->check(p->c, "arrival.dropped", p->dropped ? VS_CHECK_FAIL : VS_CHECK_PASS,
			    "%ld arrivals in %.1f s (%s, %.2f/s: %.0f expected), %ld dropped at max_in_flight %d (calls in "
			    "progress piled up: the agent's calls lasted longer than the arrivals allow)",
			    p->arrivals, (double)p->shape.dur_ms / 1e3, p->shape.poisson ? "poisson" : "constant",
			    p->shape.rate, want, p->dropped, p->shape.max_in_flight);
		json_object_set_new(sum, "arrival",
				    json_pack("{s:f,s:s,s:I,s:I,s:I,s:i}", "rate", p->shape.rate, "kind",
					      p->shape.poisson ? "poisson" : "constant", "duration_ms",
					      (json_int_t)p->shape.dur_ms, "arrivals", (json_int_t)p->arrivals, "dropped",
					      (json_int_t)p->dropped, "max_in_flight", p->shape.max_in_flight));
	}
	for (size_t i = 0; tl && i < p->ntl; i++)
		json_array_append_new(tl, json_pack("{s:f,s:i,s:i}", "t_ms", p->tl[i].t_ms, "target", p->tl[i].target,
						     "in_flight", p->tl[i].in_flight));
	json_object_set_new(sum, "stages", arr);
	json_object_set_new(sum, "shape_timeline", tl);
}
