/* pipeline plugin: cost.exact and agent_overhead.
 *
 * Attribution: the calls run one at a time, so a billing event whose
 * request reached the world after call i began (the event log's position
 * before the call) and before it ended (the position after) is call i's;
 * an STT stream is placed by its opening.  Anything else in the measured
 * span (between calls, after the last) is counted and shown as
 * unattributed, never assigned. */
#include "pipeline.h"
#include "pl_cost.h"

#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vstress/callphase/billing.h>
#include <vstress/callphase/checkmsg.h>
#include <vstress/callphase/plugopt.h>

#define NPROV 8

struct prov {
	char name[32];
	double billed, agent; /* USD */
	int have_agent;
	double in, out, chars, secs; /* units billed */
};

struct call_cost {
	struct prov pv[NPROV];
	int npv;
};

int pl_cost_conf(struct pl *p)
{
	struct pl_cost *k = &p->cost;
	const struct vs_host *h = p->h;

	k->sql = vs_popt_str(h, p->c, "cost_sql");
	k->llm_prices = vs_popt_str(h, p->c, "llm_prices");
	k->speech_prices = vs_popt_str(h, p->c, "speech_prices");
	k->overhead_ms = -1;
	if (h->opt_double(p->c, "cost_tolerance_pct", &k->tol_pct) < 0 ||
	    h->opt_double(p->c, "cost_tolerance_usd", &k->tol_usd) < 0 ||
	    vs_popt_ms(h, p->c, "pipeline", "cost_settle", &k->settle_ms) ||
	    h->opt_ms(p->c, "agent_overhead_within", &k->overhead_ms) < 0) /* unset: stays -1 */
		return VS_ECONFIG;
	if (k->tol_pct < 0 || k->tol_usd < 0) {
		h->reason(p->c, "[pipeline] cost_tolerance_pct and cost_tolerance_usd must not be negative");
		return VS_ECONFIG;
	}
	k->seq0 = malloc((size_t)p->ncalls_opt * sizeof(*k->seq0));
	k->seq1 = malloc((size_t)p->ncalls_opt * sizeof(*k->seq1));
	if (!k->seq0 || !k->seq1)
		return VS_ERROR;
	for (long long i = 0; i < p->ncalls_opt; i++)
		k->seq0[i] = k->seq1[i] = -1;
	return VS_OK;
}

void pl_cost_free(struct pl_cost *k)
{
	free(k->seq0);
	free(k->seq1);
	k->seq0 = k->seq1 = NULL;
}

long long pl_cost_seq(const struct pl *p)
{
	return vs_billing_seq(p->t.control_url);
}

json_t *pl_billing_since(const struct pl *p, long long since)
{
	return vs_billing_since(p->t.control_url, since);
}

/* --- attribution ------------------------------------------------------------ */

/* The call whose span holds seq, or -1. */
static long call_of(const struct pl *p, long long seq)
{
	for (size_t i = 0; i < p->ncalls; i++)
		if (p->cost.seq0[i] >= 0 && p->cost.seq1[i] >= 0 && seq > p->cost.seq0[i] && seq <= p->cost.seq1[i])
			return (long)i;
	return -1;
}

long long pl_billing_key(const json_t *e)
{
	return vs_billing_key(e);
}

static struct prov *prov_of(struct call_cost *cc, const char *name)
{
	for (int i = 0; i < cc->npv; i++)
		if (!strcmp(cc->pv[i].name, name))
			return &cc->pv[i];
	if (cc->npv == NPROV)
		return NULL;
	snprintf(cc->pv[cc->npv].name, sizeof(cc->pv[0].name), "%s", name);
	return &cc->pv[cc->npv++];
}

/* The agent's own records of call i into cc; 0, or -1 with err. */
static int agent_rows(const struct pl *p, size_t i, struct call_cost *cc, char *err, size_t errlen)
{
	const char *id = p->calls[i].r.call_control_id;
	PGconn *pg = vs_targetdb_open(p->t.db_url, err, errlen);
	PGresult *res;
	int rc = -1;

	if (!pg)
		return -1;
	res = PQexecParams(pg, p->cost.sql, 1, NULL, &id, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) < 2) {
		const char *m = PQresultErrorMessage(res);
		snprintf(err, errlen, "[pipeline] cost_sql: %.*s", (int)strcspn(m && *m ? m : "wants two columns", "\n"),
			 m && *m ? m : "wants two columns (provider, USD)");
		goto out;
	}
	for (int r = 0; r < PQntuples(res); r++) {
		struct prov *pv = prov_of(cc, PQgetvalue(res, r, 0));
		if (pv) {
			pv->agent += PQgetisnull(res, r, 1) ? 0 : strtod(PQgetvalue(res, r, 1), NULL);
			pv->have_agent = 1;
		}
	}
	rc = 0;
out:
	PQclear(res);
	PQfinish(pg);
	return rc;
}

/* --- the handoff: last token -> TTS request ------------------------------ */

static const char *trim_l(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t')
		s++;
	return s;
}

static size_t trim_len(const char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t'))
		n--;
	return n;
}

/* The TTS request that ends reply text `llm` (its text a suffix of the
 * reply), after position `from` in evs; -1 when none. */
static long handoff(const json_t *evs, size_t from, long call, const struct pl *p, const char *llm)
{
	const char *r = trim_l(llm);
	size_t rn = trim_len(r);

	for (size_t j = from + 1; j < json_array_size(evs); j++) {
		const json_t *e = json_array_get(evs, j), *d = json_object_get(e, "data");
		const char *svc = json_string_value(json_object_get(d, "service"));
		const char *t = json_string_value(json_object_get(d, "text"));
		if (!svc || call_of(p, pl_billing_key(e)) != call)
			continue;
		if (!strcmp(svc, "llm") && json_string_length(json_object_get(d, "text")))
			return -1; /* the next reply began: this one was never handed over whole */
		if (strcmp(svc, "tts") || !t)
			continue;
		t = trim_l(t);
		size_t tn = trim_len(t);
		if (tn && tn <= rn && !memcmp(r + rn - tn, t, tn))
			return (long)j;
	}
	return -1;
}

/* The first TTS request after reply event `from` (same call, before the
 * next reply) whose text is part of the reply: its index, and in *due the
 * time the token completing that text was due; -1 when none. */
static long first_handoff(const json_t *evs, size_t from, long call, const struct pl *p, const json_t *reply,
			  double *due)
{
	const char *r = json_string_value(json_object_get(reply, "text"));
	const json_t *ends = json_object_get(reply, "token_ends");

	for (size_t j = from + 1; r && j < json_array_size(evs); j++) {
		const json_t *e = json_array_get(evs, j), *d = json_object_get(e, "data");
		const char *svc = json_string_value(json_object_get(d, "service"));
		const char *t = json_string_value(json_object_get(d, "text")), *at;
		size_t tn, end, k;
		if (!svc || pl_billing_key(e) <= 0 || call_of(p, pl_billing_key(e)) != call)
			continue;
		if (!strcmp(svc, "llm") && json_string_length(json_object_get(d, "text")))
			return -1;
		if (strcmp(svc, "tts") || !t)
			continue;
		t = trim_l(t);
		tn = trim_len(t);
		at = tn ? memmem(r, strlen(r), t, tn) : NULL;
		if (!at)
			continue;
		end = (size_t)(at - r) + tn;
		for (k = 0; k < json_array_size(ends); k++)
			if ((size_t)json_integer_value(json_array_get(ends, k)) >= end)
				break;
		if (k == json_array_size(ends))
			return -1;
		*due = (double)json_integer_value(json_object_get(reply, "first_token_ms")) +
		       (double)json_integer_value(json_object_get(reply, "token_ms")) * (double)k;
		return (long)j;
	}
	return -1;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void check_overhead(struct pl *p, const json_t *evs, json_t *out)
{
	size_t n = 0, nf = 0, missing = 0, i;
	double *v = malloc((json_array_size(evs) + 1) * sizeof(*v));
	double *f = malloc((json_array_size(evs) + 1) * sizeof(*f));
	const json_t *e;

	if (!v || !f) {
		free(v);
		free(f);
		return;
	}
	json_array_foreach(evs, i, e) {
		const json_t *d = json_object_get(e, "data");
		const char *svc = json_string_value(json_object_get(d, "service"));
		const char *text = json_string_value(json_object_get(d, "text"));
		long call = call_of(p, pl_billing_key(e)), j;
		if (call < 0 || !svc || strcmp(svc, "llm") || !text || !*trim_l(text))
			continue;
		double due;
		long fj = first_handoff(evs, i, call, p, d, &due);
		if (fj >= 0) {
			f[nf] = (double)json_integer_value(
					json_object_get(json_object_get(json_array_get(evs, (size_t)fj), "data"), "at_ms")) -
				due;
			p->h->record(p->c, p->m_overhead, (int64_t)llround(f[nf]));
			nf++;
		}
		j = handoff(evs, i, call, p, text);
		if (j < 0) {
			missing++;
			continue;
		}
		v[n] = (double)(json_integer_value(json_object_get(json_object_get(json_array_get(evs, (size_t)j), "data"),
								   "at_ms")) -
				json_integer_value(json_object_get(d, "last_token_ms")));
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_dbl);
	qsort(f, nf, sizeof(*f), cmp_dbl);
	json_object_set_new(out, "overhead_replies", json_integer((json_int_t)n));
	json_object_set_new(out, "overhead_unmatched", json_integer((json_int_t)missing));
	if (!nf) {
		p->h->check(p->c, "agent_overhead", VS_CHECK_SKIP,
			    "no LLM reply of a measured call was followed by a TTS request for its text (%zu replies "
			    "without their last sentence spoken; live providers?)",
			    missing);
		free(v);
		free(f);
		return;
	}
	/* judged: a reply's first TTS request, from the token that completed
	 * its text (the latency-critical handoff); the last sentence's also
	 * waits for the TTS of the sentences before it, shown as data */
	double p50 = pl_pct(f, nf, 50), p95 = pl_pct(f, nf, 95);
	double l50 = n ? pl_pct(v, n, 50) : -1, l95 = n ? pl_pct(v, n, 95) : -1;
	json_object_set_new(out, "overhead_p50_ms", json_real(p50));
	json_object_set_new(out, "overhead_p95_ms", json_real(p95));
	json_object_set_new(out, "overhead_last_sentence_p50_ms", json_real(l50));
	json_object_set_new(out, "overhead_last_sentence_p95_ms", json_real(l95));
	if (p->cost.overhead_ms < 0)
		p->h->check(p->c, "agent_overhead", VS_CHECK_SKIP,
			    "not judged (agent_overhead_within unset): the token completing a reply's first TTS text -> "
			    "that TTS request p50 %.0f ms, p95 %.0f ms over %zu replies; the reply's last token -> its "
			    "last TTS request p50 %.0f ms, p95 %.0f ms (%zu replies, %zu not matched)",
			    p50, p95, nf, l50, l95, n, missing);
	else
		VS_CHECK_MEASURED(p->h, p->c, "agent_overhead",
				  p95 <= (double)p->cost.overhead_ms ? VS_CHECK_PASS : VS_CHECK_FAIL, p95, VS_LE,
				  (double)p->cost.overhead_ms, "ms",
				  "the token completing a reply's first TTS text -> that TTS request p50 %.0f ms, p95 "
				  "%.0f ms over %zu replies; the reply's last token -> its last TTS request p50 %.0f ms, "
				  "p95 %.0f ms (%zu replies, %zu not matched)",
				  p50, p95, nf, l50, l95, n, missing);
	free(v);
	free(f);
}

/* --- cost.exact ---------------------------------------------------------- */

void pl_cost_checks(struct pl *p)
{
	struct pl_cost *k = &p->cost;
	struct vs_prices sp;
	struct call_cost *cc = NULL;
	struct vs_checkmsg bad = {0}, per = {0}, unattr = {0};
	json_t *evs = NULL, *out = json_object(), *rows = json_array(), *e;
	char err[400];
	size_t i, nun = 0, nbilled = 0;
	int nproviders_billed = 0;
	char billed_names[NPROV][32];

	if (!p->ncalls || k->seq0[0] < 0) {
		p->h->check(p->c, "cost.exact", VS_CHECK_SKIP, "the world's event log could not be read before the calls");
		goto done;
	}
	vs_popt_sleep(p->h, p->c, k->settle_ms);
	evs = pl_billing_since(p, k->seq0[0]);
	if (!evs) {
		p->h->check(p->c, "cost.exact", VS_CHECK_SKIP, "the world's billing events could not be read");
		goto done;
	}
	if (vs_prices_load(&sp, k->llm_prices, k->speech_prices, err, sizeof(err)) < 0) {
		p->h->check(p->c, "cost.exact", VS_CHECK_SKIP, "[pipeline] speech_prices: %s", err);
		goto done;
	}
	cc = calloc(p->ncalls, sizeof(*cc));
	if (!cc)
		goto done;
	json_array_foreach(evs, i, e) {
		const json_t *d = json_object_get(e, "data");
		const char *prov = json_string_value(json_object_get(d, "provider"));
		const char *svc = json_string_value(json_object_get(d, "service"));
		long call;
		double usd;
		struct prov *pv;
		int known = 0;

		if (!prov || !svc || !strcmp(svc, "open"))
			continue;
		if (pl_billing_key(e) <= k->seq0[0])
			continue; /* a stream opened before the measured calls (warm-up) */
		for (int b = 0; b < nproviders_billed; b++)
			known |= !strcmp(billed_names[b], prov);
		if (!known && nproviders_billed < NPROV)
			snprintf(billed_names[nproviders_billed++], sizeof(billed_names[0]), "%s", prov);
		call = call_of(p, pl_billing_key(e));
		if (call < 0) {
			nun++;
			vs_checkmsg_item(&unattr, "%s %s (event %lld)", prov, svc,
					 (long long)json_integer_value(json_object_get(e, "seq")));
			continue;
		}
		usd = vs_billing_usd(&sp, d, err, sizeof(err));
		if (usd < 0) {
			p->h->check(p->c, "cost.exact", VS_CHECK_SKIP, "cannot price what the world billed: %s", err);
			goto done;
		}
		pv = prov_of(&cc[call], prov);
		if (!pv)
			continue;
		nbilled++;
		pv->billed += usd;
		pv->in += json_number_value(json_object_get(d, "input_tokens"));
		pv->out += json_number_value(json_object_get(d, "output_tokens"));
		pv->chars += json_number_value(json_object_get(d, "characters"));
		pv->secs += json_number_value(json_object_get(d, "audio_seconds"));
	}
	json_object_set_new(out, "unattributed", json_integer((json_int_t)nun));
	if (!nbilled) {
		p->h->check(p->c, "cost.exact", VS_CHECK_SKIP,
			    "no stand-in billed a request of a measured call (live providers?)%s%s",
			    nun ? "; unattributed: " : "", nun ? vs_checkmsg_more(&unattr) : "");
		goto overhead;
	}
	if (!*p->t.db_url) {
		p->h->check(p->c, "cost.exact", VS_CHECK_SKIP,
			    "[pipeline] db_url is unset: the agent's usage records cannot be read");
		goto overhead;
	}
	for (i = 0; i < p->ncalls; i++) {
		double total_b = 0, total_a = 0;
		json_t *row, *provs = json_object();
		if (agent_rows(p, i, &cc[i], err, sizeof(err)) < 0) {
			p->h->check(p->c, "cost.exact", VS_CHECK_SKIP, "the agent's records: %s", err);
			json_decref(provs);
			goto overhead;
		}
		for (int j = 0; j < cc[i].npv; j++) {
			struct prov *pv = &cc[i].pv[j];
			int served = 0;
			for (int b = 0; b < nproviders_billed; b++)
				served |= !strcmp(billed_names[b], pv->name);
			json_object_set_new(provs, pv->name,
					    json_pack("{s:f,s:f,s:b,s:f,s:f,s:f,s:f}", "billed_usd", pv->billed, "agent_usd",
						      pv->agent, "served_by_world", served, "input_tokens", pv->in,
						      "output_tokens", pv->out, "characters", pv->chars, "audio_seconds",
						      pv->secs));
			if (!served)
				continue; /* a real provider: the world cannot say what it billed */
			double d = fabs(pv->agent - pv->billed);
			total_b += pv->billed;
			total_a += pv->agent;
			if (d > k->tol_usd || d > pv->billed * k->tol_pct / 100)
				vs_checkmsg_item(&bad, "call %zu (%s) %s: billed %.6f USD, the agent recorded %.6f%s", i + 1,
						 p->calls[i].r.call_control_id, pv->name, pv->billed, pv->agent,
						 pv->have_agent ? "" : " (no row)");
		}
		vs_checkmsg_add(&per, "%scall %zu %.4f USD", per.len ? ", " : "", i + 1, total_b);
		p->h->record(p->c, p->m_cost, (int64_t)llround(total_b * 1e6));
		row = json_pack("{s:s,s:f,s:f,s:o}", "call_control_id", p->calls[i].r.call_control_id, "billed_usd",
				total_b, "agent_usd", total_a, "providers", provs);
		json_array_append_new(rows, row);
	}
	const char *un = nun ? vs_checkmsg_more(&unattr) : "";
	if (bad.items)
		p->h->check(p->c, "cost.exact", VS_CHECK_FAIL,
			    "%s (a mismatch over %.3g %% or %.4g USD fails; billed per call: %s; %zu requests "
			    "unattributed%s%s)",
			    vs_checkmsg_more(&bad), k->tol_pct, k->tol_usd, per.s, nun, nun ? ": " : "", un);
	else
		p->h->check(p->c, "cost.exact", VS_CHECK_PASS,
			    "the agent's records match what the stand-ins billed, per call and provider, within %.3g %% "
			    "and %.4g USD; cost per call: %s; %zu requests unattributed%s%s",
			    k->tol_pct, k->tol_usd, per.s, nun, nun ? ": " : "", un);
overhead:
	check_overhead(p, evs, out);
done:
	json_object_set_new(out, "calls", rows);
	p->h->attach(p->c, "costs", out);
	json_decref(evs);
	free(cc);
}
