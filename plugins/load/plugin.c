/* load plugin: descriptor, setup (options, scripts, call engine, test
 * tenant), run (readings before, the batch with the target sampled, drain,
 * readings after, checks), teardown. */
#include "load.h"

#include <vstress/callphase/plugopt.h>

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int ld_setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	struct ld *p = vs_popt_state(state, sizeof(*p));
	int rc;

	if (!p)
		return VS_ERROR;
	p->deadlocks_before = p->deadlocks_after = -1;
	curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread uses curl */
	rc = ld_conf_load(p, h, c);
	if (rc != VS_OK)
		return rc;
	p->calls = calloc((size_t)p->ncalls, sizeof(*p->calls));
	if (!p->calls)
		return VS_ERROR;
	p->m_first = h->metric(c, "first_reply", "ms");
	p->m_turn = h->metric(c, "turn_latency", "ms");
	p->m_lateness = h->metric(c, "start_lateness", "ms");
	p->m_cpu = h->metric(c, "target_cpu", "pct");
	p->m_rss = h->metric(c, "target_rss", "MB");
	rc = vs_calltarget_open(h, c, "load", ld_shape_peak(p) + 4, &p->t);
	return rc == VS_OK ? ld_tenants_open(p) : rc;
}

static int stop_cb(void *arg)
{
	struct ld *p = arg;
	return p->h->should_stop(p->c);
}

/* From a worker thread, serialized by the batch. */
static void done_cb(void *arg, size_t i, const struct vs_tcall_result *r)
{
	struct ld *p = arg;
	(void)r;
	p->h->count(p->c, "calls", 1);
	ld_log_call(p, i);
}

/* After the batch: signal.active_calls back to 0, within drain_timeout.
 * An agent without that signal but with signal.calls: its counter has
 * stopped moving (two reads DRAIN_STEADY_MS apart agree), so the last
 * calls' ends are counted before they are judged; the calls end on our
 * side a moment before the agent has finished with them. */
#define DRAIN_STEADY_MS 500
static void drain(struct ld *p)
{
	uint64_t until = p->h->now_ns() + (uint64_t)p->drain_ms * 1000000ull;
	double last_calls = -1;

	for (;;) {
		int got = p->t.metrics_url[0] && ld_prom_read(&p->sig, p->t.metrics_url, &p->prom_after, &p->calls_by_after) == 0;
		int steady = p->prom_after.has_calls && p->prom_after.calls_total == last_calls;
		p->t_drained_ns = p->h->now_ns();
		if (!got || p->t_drained_ns >= until || p->h->should_stop(p->c))
			break;
		if (p->prom_after.has_active ? p->prom_after.active == 0 : (!p->prom_after.has_calls || steady))
			break;
		last_calls = p->prom_after.has_calls ? p->prom_after.calls_total : -1;
		vs_popt_sleep(p->h, p->c, p->prom_after.has_active ? 250 : DRAIN_STEADY_MS);
	}
	p->drained = p->prom_after.ok && p->prom_after.has_active && p->prom_after.active == 0;
}

static int install_faults(struct ld *p)
{
	char err[300];

	if (!p->nfaults)
		return VS_OK;
	if (ld_faults_install(p, err, sizeof(err)) != 0) {
		ld_mon_stop(p);
		p->h->reason(p->c, "[load] faults: the world refused them: %s", err);
		return VS_ERROR;
	}
	p->h->log(p->c, VS_LOG_INFO, "%zu faults installed in the world, timed from the batch start", p->nfaults);
	return VS_OK;
}

/* stages, arrival_rate or mode = capacity: our own scheduler (ld_sched.c) */
static int shaped(struct ld *p, const struct vs_tcall_cfg *base, uint64_t seed)
{
	char err[300] = "";
	int rc;

	if (p->capacity)
		p->h->log(p->c, VS_LOG_INFO, "capacity search: from %lld calls up to %lld, %lld ms a level, budget %lld ms",
			  p->cap_start, p->cap_max, p->cap_hold_ms, p->cap_budget_ms);
	else if (p->shape.kind == LD_STAGES)
		p->h->log(p->c, VS_LOG_INFO, "stages: %zu, %lld ms in all, up to %d calls in progress", p->shape.nst,
			  p->shape.dur_ms, ld_stage_max(&p->shape));
	else
		p->h->log(p->c, VS_LOG_INFO, "arrivals: %.2f/s (%s) for %lld ms, at most %d in progress", p->shape.rate,
			  p->shape.poisson ? "poisson" : "constant", p->shape.dur_ms, p->shape.max_in_flight);
	p->t_start_ns = p->h->now_ns();
	if (install_faults(p) != VS_OK)
		return VS_ERROR;
	rc = p->capacity ? ld_capacity_run(p, base, seed, err, sizeof(err))
			 : ld_sched_run(p, &p->shape, base, seed, err, sizeof(err));
	p->t_end_ns = p->h->now_ns();
	ld_tenant_hits(p); /* before the world forgets the tenant faults */
	ld_faults_remove(p);
	if (ld_sched_collect(p) != 0 && !err[0])
		snprintf(err, sizeof(err), "load: out of memory");
	p->h->count(p->c, "calls_planned", p->ncalls);
	if (rc != 0 || err[0]) {
		ld_mon_stop(p);
		p->h->reason(p->c, "%s", err);
		return VS_ERROR;
	}
	return VS_OK;
}

static int ld_run(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct ld *p = state;
	struct vs_cbatch_cfg bc = {.scripts = (const struct vs_call_script *const *)(p->shard_scripts ? p->shard_scripts
												       : p->scripts),
				   .nscripts = p->nscripts,
				   .ncalls = (size_t)p->ncalls,
				   .concurrency = (int)p->concurrency,
				   .ramp_ms = (int)p->ramp_ms,
				   /* ids unique in the world's log across runs: mix the clock in */
				   .seed = h->seed(c) ^ h->now_ns(),
				   .should_stop = stop_cb,
				   .on_done = done_cb,
				   .arg = p,
				   .host = h,
				   .ctx = c};
	struct vs_tcall_cfg base = vs_calltarget_call(&p->t, p->answer_timeout_ms, 0);
	char err[256];

	bc.base = &base;
	if (p->ntenants == 2) { /* call i dials tenant i % 2 + 1 */
		bc.to_numbers = p->to_numbers;
		bc.nto = 2;
	}
	/* unmeasured calls first: a fresh agent's first call loads its models
	 * (Pipecat's VAD) and is no steady state */
	if (vs_calltarget_warm_up(h, c, p->t.eng, p->scripts[0], &base, p->warmup_calls, 0) != VS_OK)
		return VS_SKIP; /* attached agent missing a need (reason set) */
	if (p->t.metrics_url[0] && ld_prom_read(&p->sig, p->t.metrics_url, &p->prom_before, &p->calls_by_before) != 0)
		h->log(c, VS_LOG_WARN, "GET %s did not answer 200: the agent-side checks will skip", p->t.metrics_url);
	if (*p->t.db_url && (p->deadlocks_before = ld_db_deadlocks(p->t.db_url, p->db_err, sizeof(p->db_err))) < 0)
		h->log(c, VS_LOG_WARN, "pg_stat_database: %s", p->db_err);
	p->t0_ns = h->now_ns();
	ld_mon_start(p);
	vs_popt_sleep(p->h, p->c, p->idle_ms); /* the idle baseline */
	if (p->shape.kind != LD_BATCH || p->capacity) {
		if (shaped(p, &base, bc.seed) != VS_OK)
			return VS_ERROR;
	} else {
		h->log(c, VS_LOG_INFO, "%lld calls, %lld at once, %lld ms apart, to %s (%s -> %s), %zu scripts", p->ncalls,
		       p->concurrency, p->ramp_ms, p->t.webhook_url, p->t.caller, p->t.routed, p->nscripts);
		h->count(c, "calls_planned", p->ncalls);
		if (p->net) { /* [load] network: call i plays its own impaired copy (its own seed) */
			const struct vs_call_script **each = calloc((size_t)p->ncalls + 1, sizeof(*each));
			for (size_t i = 0; each && i < (size_t)p->ncalls; i++)
				if (!(each[i] = ld_network_script(p, bc.scripts[i % bc.nscripts], -1,
								  (size_t)ld_shard_global(p, i)))) {
					free(each);
					each = NULL;
				}
			if (!each) {
				h->reason(c, "load: out of memory (impaired scripts)");
				return VS_ERROR;
			}
			p->net_batch = each;
			bc.scripts = each;
			bc.nscripts = (size_t)p->ncalls;
		}
		if (p->shard_n > 1) {
			h->log(c, VS_LOG_INFO,
			       "shard %d/%d: calls %lld of %lld (global index %% %d == %d), concurrency %lld of %lld, "
			       "first start %lld ms after the unsharded batch's",
			       p->shard_i, p->shard_n, p->ncalls, p->total_calls, p->shard_n, p->shard_i - 1, p->concurrency,
			       p->total_concurrency, p->offset_ms);
			vs_popt_sleep(p->h, p->c, p->offset_ms); /* the slice's first intended start */
		}
		p->t_start_ns = h->now_ns();
		if (install_faults(p) != VS_OK)
			return VS_ERROR;
		p->ran = vs_cbatch_run(p->t.eng, &bc, p->calls, err, sizeof(err));
		p->t_end_ns = h->now_ns();
		ld_tenant_hits(p); /* before the world forgets the tenant faults */
		ld_faults_remove(p);
		if (p->ran < 0) {
			ld_mon_stop(p);
			h->reason(c, "%s", err);
			return VS_ERROR;
		}
	}
	h->log(c, VS_LOG_INFO, "batch done in %.1f s: %ld of %lld calls ran", (double)(p->t_end_ns - p->t_start_ns) / 1e9,
	       p->ran, p->ncalls);
	if (!p->warmup_calls && p->ran > 0 && p->calls[0].ran &&
	    vs_calltarget_attach_unmet(h, c, p->t.control_url, &p->calls[0].r) != VS_OK) {
		ld_mon_stop(p);
		return VS_SKIP;
	}
	drain(p);
	vs_popt_sleep(p->h, p->c, p->idle_ms); /* after: back to idle? */
	ld_mon_stop(p);
	/* after the idle window: Postgres reports a backend's deadlocks when it
	 * goes idle (at most once a second) */
	if (*p->t.db_url && (p->deadlocks_after = ld_db_deadlocks(p->t.db_url, p->db_err, sizeof(p->db_err))) < 0)
		h->log(c, VS_LOG_WARN, "pg_stat_database: %s", p->db_err);
	ld_checks(p);
	return VS_OK;
}

static int ld_teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct ld *p = state;

	if (!p)
		return VS_OK;
	ld_mon_stop(p);
	ld_faults_remove(p);
	ld_tenants_close(p);
	vs_calltarget_close(h, c, &p->t);
	for (size_t i = 0; i < p->nrecs; i++) {
		if (p->recs[i]->ran)
			vs_tcall_result_clear(&p->recs[i]->r);
		free(p->recs[i]);
	}
	free(p->recs);
	free(p->levels);
	free(p->faults);
	free(p->tl);
	vs_cbatch_clear(p->calls, (size_t)p->ncalls);
	free(p->calls);
	free(p->proc);
	free(p->promser);
	json_decref(p->calls_by_before);
	json_decref(p->calls_by_after);
	ld_conf_free(p);
	free(p);
	return VS_OK;
}

VS_PLUGIN(.name = "load", .version = LD_VERSION,
	  .description = "concurrent whole calls: completion, latency under load, concurrency, races, target CPU/RSS, "
			 "database rows, deadlocks and pool",
	  .options = ld_options, .setup = ld_setup, .run = ld_run, .teardown = ld_teardown);
