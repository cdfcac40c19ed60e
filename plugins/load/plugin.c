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
	return vs_calltarget_open(h, c, "load", (int)p->concurrency + 4, &p->t);
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

/* After the batch: signal.active_calls back to 0, within drain_timeout. */
static void drain(struct ld *p)
{
	uint64_t until = p->h->now_ns() + (uint64_t)p->drain_ms * 1000000ull;

	for (;;) {
		int got = p->t.metrics_url[0] && ld_prom_read(&p->sig, p->t.metrics_url, &p->prom_after, &p->calls_by_after) == 0;
		p->t_drained_ns = p->h->now_ns();
		if (!got || !p->prom_after.has_active || p->prom_after.active == 0 || p->t_drained_ns >= until ||
		    p->h->should_stop(p->c))
			break;
		vs_popt_sleep(p->h, p->c, 250);
	}
	p->drained = p->prom_after.ok && p->prom_after.has_active && p->prom_after.active == 0;
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
	h->log(c, VS_LOG_INFO, "%lld calls, %lld at once, %lld ms apart, to %s (%s -> %s), %zu scripts", p->ncalls,
	       p->concurrency, p->ramp_ms, p->t.webhook_url, p->t.caller, p->t.routed, p->nscripts);
	h->count(c, "calls_planned", p->ncalls);
	if (p->shard_n > 1) {
		h->log(c, VS_LOG_INFO, "shard %d/%d: calls %lld of %lld (global index %% %d == %d), concurrency %lld of %lld, "
				       "first start %lld ms after the unsharded batch's",
		       p->shard_i, p->shard_n, p->ncalls, p->total_calls, p->shard_n, p->shard_i - 1, p->concurrency,
		       p->total_concurrency, p->offset_ms);
		vs_popt_sleep(p->h, p->c, p->offset_ms); /* the slice's first intended start */
	}
	p->t_start_ns = h->now_ns();
	p->ran = vs_cbatch_run(p->t.eng, &bc, p->calls, err, sizeof(err));
	p->t_end_ns = h->now_ns();
	if (p->ran < 0) {
		ld_mon_stop(p);
		h->reason(c, "%s", err);
		return VS_ERROR;
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
	vs_calltarget_close(h, c, &p->t);
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
