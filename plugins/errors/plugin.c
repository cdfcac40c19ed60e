/* errors plugin: descriptor, setup (options, scripts, call engine, test
 * tenant), run (the scenarios in turn), teardown (faults removed whatever
 * happened, tenant removed). */
#include "errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int er_setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	struct er *e = calloc(1, sizeof(*e));
	char err[256];
	int rc;

	*state = e;
	if (!e)
		return VS_ERROR;
	e->h = h;
	e->c = c;
	e->baseline_turn_ms = -1;
	rc = er_conf_load(e);
	if (rc != VS_OK)
		return rc;
	if (vs_call_engine_new(&e->eng, &(struct vs_call_engine_opts){.max_calls = ER_MAX_CALLS, .tls_insecure = 1}, err,
			       sizeof(err)) != 0) {
		h->reason(c, "call engine: %s", err);
		return VS_ERROR;
	}
	if (e->provision) {
		if (!*e->db_url) {
			h->reason(c, "no database URL to provision the test tenant (set [errors] db_url, or provision = "
				     "false when routed_number %s is routed already)",
				  e->routed);
			return VS_SKIP;
		}
		if (vs_tenant_create(&e->tcfg, &e->tenant, err, sizeof(err)) != 0) {
			h->reason(c, "test tenant for %s: %s", e->routed, err);
			return VS_FAIL;
		}
		h->log(c, VS_LOG_INFO, "test tenant %s (%s) routes %s", e->tenant.key, e->tenant.marker, e->routed);
	}
	e->data = json_object();
	return VS_OK;
}

static int er_run(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct er *e = state;

	h->log(c, VS_LOG_INFO, "scenarios:%s%s%s%s; calls to %s (%s -> %s)", e->run_db ? " db" : "",
	       e->run_tts ? " tts" : "", e->run_key ? " key" : "", e->run_timeout ? " timeout" : "", e->webhook_url,
	       e->caller, e->routed);
	if (e->run_db && !h->should_stop(c))
		er_db_scenario(e);
	er_faults_off(e);
	/* the db scenario's call after recovery is the baseline; else one call */
	if ((e->run_key || e->run_timeout) && e->baseline_turn_ms < 0 && !h->should_stop(c))
		er_baseline(e);
	/* tts before the LLM scenarios: they use up its breaker's open time */
	if (e->run_tts && !h->should_stop(c))
		er_tts_scenario(e);
	er_faults_off(e);
	if (e->run_key && !h->should_stop(c))
		er_key_scenario(e);
	er_faults_off(e);
	if (e->run_timeout && !h->should_stop(c))
		er_timeout_scenario(e);
	er_faults_off(e);
	if (!h->should_stop(c))
		er_tts_recovery(e);
	json_object_set_new(e->data, "baseline_turn_ms", json_real(e->baseline_turn_ms));
	h->attach(c, "scenarios", json_incref(e->data));
	return VS_OK;
}

static int er_teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct er *e = state;
	char err[256];

	if (!e)
		return VS_OK;
	er_faults_off(e); /* a failed or interrupted run never leaves a fault behind */
	if (e->tenant.created && vs_tenant_remove(&e->tcfg, &e->tenant, err, sizeof(err)) != 0)
		h->log(c, VS_LOG_WARN, "test tenant %s (%s) not removed: %s", e->tenant.key, e->tenant.marker, err);
	if (e->eng)
		vs_call_engine_free(e->eng);
	json_decref(e->data);
	er_conf_free(e);
	free(e);
	return VS_OK;
}

VS_PLUGIN(.name = "errors", .version = ER_VERSION,
	  .description = "error scenarios (plan Phase 8, and 5.2): database outage, TTS failover, invalid LLM key, LLM timeout; "
			 "degraded health, graceful calls, failover, circuit breaker, recovery, error logging",
	  .options = er_options, .setup = er_setup, .run = er_run, .teardown = er_teardown);
