/* load plugin: world faults during the load ([load] faults = at 20s for
 * 15s: openai error:status=500; at ...).  Each is installed through the
 * world's control API when the batch starts, with the world's own
 * start_ms/window_ms (the world times it, not us).  Afterwards, per call
 * with a caller turn inside the window: the failover time (the turn's
 * latency above the turns' p50 outside every window), the dead air the
 * caller heard (the longest wait for the agent), replies lost (turns never
 * answered), calls the agent handed off (its fallback transfer); and the
 * recovery after the window. */
#include "load.h"

#include <vstress/standin/worldfaults.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]);)
		*--e = '\0';
	return s;
}

/* "at 20s for 15s: openai error:status=500" */
static int parse_one(char *item, struct ld_fault *f, char *err, size_t errlen)
{
	const char *key = f->tenant ? "tenant_faults" : "faults";
	char at[32], dur[32], target[48], spec[200];
	int n = 0;
	json_t *probe;

	if (sscanf(item, "at %31s for %31[^:]: %47s %199[^\n]%n", at, dur, target, spec, &n) != 4) {
		snprintf(err, errlen, "[load] %s: '%s': not 'at T for D: TARGET KIND[:param=value...]' (e.g. at 20s for 15s: "
				      "openai error:status=500)", key, item);
		return -1;
	}
	f->at_ms = ld_dur_parse(at);
	f->for_ms = ld_dur_parse(trim(dur));
	if (f->at_ms < 0 || f->for_ms <= 0) {
		snprintf(err, errlen, "[load] %s: '%s': %s '%s' is not a duration (250ms, 30s, 1.5m)", key, item,
			 f->at_ms < 0 ? "at" : "for", f->at_ms < 0 ? at : dur);
		return -1;
	}
	snprintf(f->target, sizeof(f->target), "%s", target);
	snprintf(f->spec, sizeof(f->spec), "%s", trim(spec));
	/* the world's own syntax, checked now: a bad spec is a config error */
	if (!(probe = vs_wfault_parse(f->spec, f->target, err, errlen))) {
		char why[300];
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "[load] %s: '%s': %s", key, item, why);
		return -1;
	}
	json_decref(probe);
	return 0;
}

int ld_faults_parse(const char *spec, int tenant, struct ld *p, char *err, size_t errlen)
{
	char *copy = strdup(spec), *save = NULL, *it;
	int rc = 0;

	if (!copy)
		return -1;
	for (it = strtok_r(copy, ";", &save); it; it = strtok_r(NULL, ";", &save)) {
		struct ld_fault *g;
		it = trim(it);
		if (!*it)
			continue;
		if (!(g = realloc(p->faults, (p->nfaults + 1) * sizeof(*g)))) {
			rc = -1;
			break;
		}
		p->faults = g;
		memset(&g[p->nfaults], 0, sizeof(*g));
		g[p->nfaults].tenant = tenant;
		if ((rc = parse_one(it, &g[p->nfaults], err, errlen)) != 0)
			break;
		p->nfaults++;
	}
	free(copy);
	return rc;
}

int ld_faults_install(struct ld *p, char *err, size_t errlen)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < p->nfaults; i++) {
		json_t *f = vs_wfault_parse(p->faults[i].spec, p->faults[i].target, err, errlen);
		if (!f) {
			json_decref(arr);
			return -1;
		}
		json_object_set_new(f, "start_ms", json_integer(p->faults[i].at_ms));
		json_object_set_new(f, "window_ms", json_integer(p->faults[i].for_ms));
		if (p->faults[i].tenant) { /* only requests carrying that tenant's prompt (its marker) */
			char has[104];
			snprintf(has, sizeof(has), "[%s]", p->tenant2.marker);
			json_object_set_new(f, "body_has", json_string(has));
		}
		json_array_append_new(arr, f);
	}
	if (!arr || !p->nfaults) {
		json_decref(arr);
		return 0;
	}
	if (vs_wfaults_post(p->t.control_url, arr, &p->fault_ids, err, errlen) != 0) {
		json_decref(arr);
		return -1;
	}
	json_decref(arr);
	return 0;
}

void ld_faults_remove(struct ld *p)
{
	if (p->fault_ids && vs_wfaults_remove(p->t.control_url, p->fault_ids) > 0)
		p->h->log(p->c, VS_LOG_WARN, "faults: some could not be removed from the world");
	p->fault_ids = NULL;
}

/* Where a call's stream started, ms from the batch start: its end minus
 * the stream's length minus the settle after hang-up is not known to the
 * call; the answer + connect path is: call start, answer observed, WS
 * connected. */
static double stream_at(const struct vs_cbatch_call *c)
{
	return c->started_ms + c->r.answer_ms + c->r.media.connect_ms;
}

static int in_any_window(const struct ld *p, double t)
{
	for (size_t k = 0; k < p->nfaults; k++)
		if (t >= (double)p->faults[k].at_ms && t < (double)(p->faults[k].at_ms + p->faults[k].for_ms))
			return 1;
	return 0;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* p50 of the replied caller turns outside every fault window. */
double ld_faults_baseline(const struct ld *p, size_t *nout)
{
	double *v = NULL, b = -1;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < (size_t)p->ncalls; i++) {
		const struct vs_cbatch_call *c = &p->calls[i];
		if (!ld_streamed(c))
			continue;
		for (size_t t = 0; t < c->r.media.nturns; t++) {
			const struct vs_call_turn *u = &c->r.media.turns[t];
			if (!u->replied || u->ref_ms <= 0 || in_any_window(p, stream_at(c) + u->ref_ms))
				continue;
			if (n == cap) {
				double *g = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));
				if (!g)
					break;
				v = g;
			}
			v[n++] = u->latency_ms;
		}
	}
	if (n) {
		qsort(v, n, sizeof(*v), cmp_dbl);
		b = v[(n - 1) / 2];
	}
	free(v);
	*nout = n;
	return b;
}

double ld_call_failover(const struct ld *p, const struct vs_cbatch_call *c, double base, size_t *turns_in)
{
	double fo = -1;

	*turns_in = 0;
	if (!ld_streamed(c))
		return -1;
	for (size_t t = 0; t < c->r.media.nturns; t++) {
		const struct vs_call_turn *u = &c->r.media.turns[t];
		if (u->ref_ms <= 0 || !in_any_window(p, stream_at(c) + u->ref_ms))
			continue;
		(*turns_in)++;
		if (u->replied && u->latency_ms - base > fo)
			fo = u->latency_ms - base;
	}
	return fo;
}

static void one_fault(struct ld *p, size_t k, double base, json_t *arr)
{
	const struct ld_fault *f = &p->faults[k];
	double from = (double)f->at_ms, to = (double)(f->at_ms + f->for_ms), worst_fo = -1, worst_dead = 0;
	double first_ok_after = -1, first_ok_lat = -1;
	size_t affected = 0, lost = 0, turns_in = 0, after_turns = 0, after_replied = 0, handed = 0;
	json_t *calls = json_array();
	char name[48];
	const char *scope = f->tenant ? " (tenant 2's requests only)" : "";

	for (size_t i = 0; i < (size_t)p->ncalls; i++) {
		const struct vs_cbatch_call *c = &p->calls[i];
		double fo = -1, dead = 0, s0;
		size_t l = 0, nin = 0;
		int tr;
		if (!ld_streamed(c))
			continue;
		s0 = stream_at(c);
		for (size_t t = 0; t < c->r.media.nturns; t++) {
			const struct vs_call_turn *u = &c->r.media.turns[t];
			double at = s0 + u->ref_ms;
			if (u->ref_ms <= 0)
				continue;
			if (at >= to) {
				after_turns++;
				if (u->replied) {
					after_replied++;
					if (first_ok_after < 0 || at < first_ok_after) {
						first_ok_after = at;
						first_ok_lat = u->latency_ms;
					}
				}
				continue;
			}
			if (at < from)
				continue;
			nin++;
			if (u->replied) {
				double d = u->latency_ms - base;
				if (u->latency_ms > dead)
					dead = u->latency_ms;
				if (d > fo)
					fo = d;
			} else {
				int st = u->step;
				double w = c->script && st >= 0 && (size_t)st < c->script->nsteps
						   ? (double)c->script->steps[st].duration_ms
						   : 0;
				l++;
				if (w > dead)
					dead = w;
			}
		}
		if (!nin)
			continue;
		/* the agent gave the call up (its fallback: a transfer) */
		tr = vs_tcall_count_action(&c->r, "transfer", NULL) > 0;
		handed += tr != 0;
		affected++;
		turns_in += nin;
		lost += l;
		if (fo > worst_fo)
			worst_fo = fo;
		if (dead > worst_dead)
			worst_dead = dead;
		json_array_append_new(calls, json_pack("{s:I,s:I,s:o,s:f,s:I,s:b}", "call", (json_int_t)i + 1,
						       "turns_in_window", (json_int_t)nin, "failover_ms",
						       fo >= 0 ? json_real(fo) : json_null(), "dead_air_ms", dead, "replies_lost",
						       (json_int_t)l, "transferred", tr));
	}
	snprintf(name, sizeof(name), "fault.%zu", k + 1);
	if (!affected)
		p->h->check(p->c, name, VS_CHECK_SKIP, "%s %s%s at %.1f s for %.1f s: no caller turn fell inside the window",
			    f->target, f->spec, scope, from / 1e3, (double)f->for_ms / 1e3);
	else
		p->h->check(p->c, name, lost || handed ? VS_CHECK_FAIL : VS_CHECK_PASS,
			    "%s %s%s at %.1f s for %.1f s: %zu calls with %zu turns inside; failover time at most %.0f ms (turn "
			    "latency above the p50 %.0f ms outside the faults), dead air heard at most %.0f ms, %zu replies "
			    "lost, %zu calls handed off by the agent (transfer)",
			    f->target, f->spec, scope, from / 1e3, (double)f->for_ms / 1e3, affected, turns_in,
			    worst_fo < 0 ? 0 : worst_fo, base, worst_dead, lost, handed);
	snprintf(name, sizeof(name), "fault.%zu.recovery", k + 1);
	if (!after_turns)
		p->h->check(p->c, name, VS_CHECK_SKIP, "no caller turn after the fault cleared at %.1f s", to / 1e3);
	else
		p->h->check(p->c, name, after_replied == after_turns ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "after the fault cleared at %.1f s: %zu of %zu caller turns replied; the first %.1f s after it, in "
			    "%.0f ms",
			    to / 1e3, after_replied, after_turns, first_ok_after >= 0 ? (first_ok_after - to) / 1e3 : -1.0,
			    first_ok_lat);
	json_array_append_new(arr, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:o,s:f,s:I,s:o}", "target", f->target, "spec",
					     f->spec, "at_ms", (json_int_t)f->at_ms, "for_ms", (json_int_t)f->for_ms,
					     "calls_affected", (json_int_t)affected, "turns_in_window", (json_int_t)turns_in,
					     "failover_ms_max", worst_fo >= 0 ? json_real(worst_fo) : json_null(), "dead_air_ms_max",
					     worst_dead, "replies_lost", (json_int_t)lost, "calls", calls));
	json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "calls_transferred", json_integer((json_int_t)handed));
}

void ld_fault_checks(struct ld *p, json_t *sum)
{
	json_t *arr;
	size_t nb = 0;
	double base;

	if (!p->nfaults)
		return;
	arr = json_array();
	base = ld_faults_baseline(p, &nb);
	if (base < 0)
		base = 0;
	for (size_t k = 0; k < p->nfaults; k++)
		one_fault(p, k, base, arr);
	json_object_set_new(sum, "faults", arr);
	json_object_set_new(sum, "faults_baseline_turn_p50_ms", json_real(base));
	(void)nb;
}
