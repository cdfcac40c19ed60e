/* load plugin: two tenants at once ([load] tenants = 2).  vstress creates
 * both tenant rows (tenants_create_sql: each with its own routed number and
 * its own system prompt carrying its marker) and removes only those; call i
 * dials tenant i % 2 + 1.  [load] tenant_faults are world faults scoped to
 * tenant 2's traffic: the world matches the marker in the request body
 * (body_has), so only tenant 2's LLM requests fail.  tenants.isolated
 * judges tenant 1 (unfaulted) against the SLO (slo_complete_pct,
 * slo_turn_p95, slo_first_reply_p95) and reports both tenants' completion,
 * turn p95, failover time and errors. */
#include "load.h"

#include <vstress/callphase/plugopt.h>
#include <vstress/net/httpc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Targets whose requests are HTTP bodies carrying the tenant's prompt. */
static int llm_target(const char *t)
{
	return !strncmp(t, "llm_", 4) || !strcmp(t, "openai") || !strcmp(t, "gemini") || !strcmp(t, "anthropic");
}

int ld_tenants_conf(struct ld *p)
{
	const struct vs_host *h = p->h;
	const char *tf = vs_popt_str(h, p->c, "tenant_faults");
	char err[300];
	size_t before = p->nfaults;

	p->tenant_hits = -1;
	if (vs_popt_int(h, p->c, "load", "tenants", &p->ntenants, 1))
		return VS_ECONFIG;
	if (p->ntenants > 2) {
		h->reason(p->c, "[load] tenants = %lld: 1 or 2", p->ntenants);
		return VS_ECONFIG;
	}
	if (*tf && p->ntenants != 2) {
		h->reason(p->c, "[load] tenant_faults needs tenants = 2 (the faults hit tenant 2's traffic only)");
		return VS_ECONFIG;
	}
	if (p->ntenants < 2)
		return VS_OK;
	if (!p->t.provision) {
		h->reason(p->c, "[load] tenants = 2: vstress creates both tenants and removes them afterwards; set provision = "
				"true (with db_url)");
		return VS_ECONFIG;
	}
	if (!p->capacity && (vs_popt_ms(h, p->c, "load", "slo_turn_p95", &p->slo_turn_ms) ||
			     vs_popt_ms(h, p->c, "load", "slo_first_reply_p95", &p->slo_first_ms) ||
			     h->opt_double(p->c, "slo_complete_pct", &p->slo_complete_pct) < 0))
		return VS_ECONFIG;
	p->t.tcfg.create_sql = vs_popt_str(h, p->c, "tenants_create_sql");
	p->tcfg2 = p->t.tcfg;
	p->tcfg2.number = vs_popt_str(h, p->c, "tenant2_number");
	if (!*p->tcfg2.number || !strcmp(p->tcfg2.number, p->t.routed)) {
		h->reason(p->c, "[load] tenant2_number = '%s': tenant 2 needs a number of its own (routed_number is %s)",
			  p->tcfg2.number, p->t.routed);
		return VS_ECONFIG;
	}
	if (!strstr(p->t.tcfg.create_sql, "{marker}")) {
		h->reason(p->c, "[load] tenants_create_sql: must use {marker} (in the tenant's system prompt, so a "
				"tenant fault can find that tenant's requests)");
		return VS_ECONFIG;
	}
	p->to_numbers[0] = p->t.routed;
	p->to_numbers[1] = p->tcfg2.number;
	if (*tf && ld_faults_parse(tf, 2, p, err, sizeof(err)) != 0) {
		h->reason(p->c, "%s", err);
		return VS_ECONFIG;
	}
	for (size_t i = before; i < p->nfaults; i++)
		if (!llm_target(p->faults[i].target)) {
			h->reason(p->c, "[load] tenant_faults: target '%s': only an LLM stand-in's requests (openai, gemini, "
					"anthropic) carry the tenant's prompt",
				  p->faults[i].target);
			return VS_ECONFIG;
		}
	return VS_OK;
}

int ld_tenants_open(struct ld *p)
{
	if (p->ntenants < 2)
		return VS_OK;
	return vs_popt_tenant(p->h, p->c, "load", &p->tcfg2, &p->tenant2);
}

void ld_tenants_close(struct ld *p)
{
	vs_popt_tenant_remove(p->h, p->c, &p->tcfg2, &p->tenant2);
}

void ld_tenant_hits(struct ld *p)
{
	char url[1200], err[256], *resp = NULL;
	long st = 0;
	json_t *j, *f;
	size_t i;
	long long hits = 0;
	int seen = 0;

	if (p->ntenants < 2 || !p->fault_ids)
		return;
	snprintf(url, sizeof(url), "%s/_vstress/faults", p->t.control_url);
	if (vs_httpc("GET", url, NULL, 5000, &st, &resp, err, sizeof(err)) != 0 || st != 200) {
		free(resp);
		return;
	}
	j = json_loads(resp ? resp : "", 0, NULL);
	free(resp);
	json_array_foreach(json_object_get(j, "data"), i, f)
	{
		const char *bh = json_string_value(json_object_get(f, "body_has"));
		if (bh && strstr(bh, p->tenant2.marker)) {
			hits += json_integer_value(json_object_get(f, "hits"));
			seen = 1;
		}
	}
	json_decref(j);
	if (seen)
		p->tenant_hits = hits;
}

struct tfig {
	struct ld_span s;
	double failover; /* worst turn latency above the baseline inside a window; -1: none */
	size_t turns_in;
};

static void figures(const struct ld *p, int k, double base, struct tfig *o)
{
	struct vs_cbatch_call *tmp = calloc((size_t)p->ncalls + 1, sizeof(*tmp));
	size_t n = 0;

	memset(o, 0, sizeof(*o));
	o->failover = -1;
	if (!tmp)
		return;
	for (size_t i = (size_t)k; i < (size_t)p->ncalls; i += 2) {
		size_t in;
		double fo = ld_call_failover(p, &p->calls[i], base, &in);
		tmp[n++] = p->calls[i]; /* shallow: read only */
		o->turns_in += in;
		if (fo > o->failover)
			o->failover = fo;
	}
	ld_span_of(tmp, n, &o->s);
	free(tmp);
}

static json_t *fig_json(const struct ld *p, int k, const struct tfig *f, int tfaults)
{
	return json_pack("{s:i,s:s,s:b,s:I,s:I,s:I,s:o,s:o,s:o,s:I}", "tenant", k + 1, "number", p->to_numbers[k],
			 "faulted", k == 1 && tfaults, "calls", (json_int_t)f->s.calls, "complete",
			 (json_int_t)f->s.complete, "errors", (json_int_t)f->s.errors, "turn_p95_ms",
			 f->s.turn_p95 >= 0 ? json_real(f->s.turn_p95) : json_null(), "first_reply_p95_ms",
			 f->s.first_p95 >= 0 ? json_real(f->s.first_p95) : json_null(), "failover_ms_max",
			 f->failover >= 0 ? json_real(f->failover) : json_null(), "turns_in_fault_windows",
			 (json_int_t)f->turns_in);
}

static void describe(char *out, size_t len, const struct ld *p, int k, const struct tfig *f)
{
	char fo[64] = "no turn in a fault window";

	if (f->failover >= 0)
		snprintf(fo, sizeof(fo), "failover time at most %.0f ms", f->failover);
	snprintf(out, len, "tenant %d (%s): %zu of %zu calls complete, turn p95 %.2f s, first reply p95 %.2f s, %s, %zu errors",
		 k + 1, p->to_numbers[k], f->s.complete, f->s.calls, f->s.turn_p95 / 1e3, f->s.first_p95 / 1e3, fo,
		 f->s.errors);
}

void ld_tenant_checks(struct ld *p, json_t *sum)
{
	struct tfig f[2];
	char d1[400], d2[400], why[200] = "";
	size_t nb;
	double base;
	int tfaults = 0, from_t1 = 0;

	if (p->ntenants < 2)
		return;
	for (size_t i = 0; i < p->nfaults; i++)
		tfaults += p->faults[i].tenant == 2;
	/* failover: above the turns' p50 outside every fault window, or, when
	 * every turn fell inside one, above tenant 1's p50 (the unfaulted) */
	base = ld_faults_baseline(p, &nb);
	figures(p, 0, base < 0 ? 0 : base, &f[0]);
	if (base < 0 && f[0].s.turn_p50 >= 0) {
		base = f[0].s.turn_p50;
		figures(p, 0, base, &f[0]);
		from_t1 = 1;
	}
	if (base < 0)
		base = 0;
	figures(p, 1, base, &f[1]);
	describe(d1, sizeof(d1), p, 0, &f[0]);
	describe(d2, sizeof(d2), p, 1, &f[1]);
	json_object_set_new(sum, "tenants",
			    json_pack("{s:[o,o],s:o,s:f,s:s}", "tenants", fig_json(p, 0, &f[0], tfaults), fig_json(p, 1, &f[1], tfaults),
				      "tenant_fault_hits", p->tenant_hits >= 0 ? json_integer(p->tenant_hits) : json_null(),
				      "failover_baseline_ms", base, "failover_baseline",
				      from_t1 ? "tenant 1's turn p50 (every turn inside a fault window)"
					      : "the turns' p50 outside every fault window"));
	if (!tfaults) {
		p->h->check(p->c, "tenants.isolated", VS_CHECK_SKIP, "no tenant_faults: nothing to be isolated from; %s; %s",
			    d1, d2);
		return;
	}
	if (p->tenant_hits == 0) {
		p->h->check(p->c, "tenants.isolated", VS_CHECK_SKIP,
			    "the tenant faults never hit tenant 2's requests (0 hits in the world): isolation not shown; %s; %s",
			    d1, d2);
		return;
	}
	if (!f[0].s.calls) {
		p->h->check(p->c, "tenants.isolated", VS_CHECK_SKIP, "tenant 1 placed no call");
		return;
	}
	if (100.0 * (double)f[0].s.complete / (double)f[0].s.calls < p->slo_complete_pct)
		snprintf(why, sizeof(why), "completion below %.0f%%", p->slo_complete_pct);
	else if (f[0].s.errors)
		snprintf(why, sizeof(why), "%zu calls with errors", f[0].s.errors);
	else if (!f[0].s.nturns)
		snprintf(why, sizeof(why), "no replied turn to measure");
	else if (f[0].s.turn_p95 >= (double)p->slo_turn_ms)
		snprintf(why, sizeof(why), "turn p95 %.2f s >= %.2f s", f[0].s.turn_p95 / 1e3, (double)p->slo_turn_ms / 1e3);
	else if (f[0].s.nfirst && f[0].s.first_p95 >= (double)p->slo_first_ms)
		snprintf(why, sizeof(why), "first reply p95 %.2f s >= %.2f s", f[0].s.first_p95 / 1e3,
			 (double)p->slo_first_ms / 1e3);
	if (why[0])
		p->h->check(p->c, "tenants.isolated", VS_CHECK_FAIL,
			    "tenant 1 was not shielded from tenant 2's faults: %s; %s; tenant 2's faults hit %lld of its "
			    "requests; %s",
			    why, d1, p->tenant_hits, d2);
	else
		p->h->check(p->c, "tenants.isolated", VS_CHECK_PASS,
			    "tenant 1 within its SLO (%.0f%% complete, turn p95 < %lld ms, first reply p95 < %lld ms) while "
			    "tenant 2's faults hit %lld of its requests; %s; %s",
			    p->slo_complete_pct, p->slo_turn_ms, p->slo_first_ms, p->tenant_hits, d1, d2);
}
