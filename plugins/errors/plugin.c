/* errors plugin: descriptor, setup (options, scripts, call engine, test
 * tenant), run (the scenarios in turn), teardown (faults removed whatever
 * happened, tenant removed). */
#include "errors.h"

#include <vstress/callphase/plugopt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int er_setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	struct er *e = vs_popt_state(state, sizeof(*e));
	int rc;

	if (!e)
		return VS_ERROR;
	e->baseline_turn_ms = -1;
	rc = er_conf_load(e, h, c);
	if (rc != VS_OK)
		return rc;
	if ((rc = vs_calltarget_open(h, c, "errors", ER_MAX_CALLS, &e->t)) != VS_OK)
		return rc;
	e->data = json_object();
	return VS_OK;
}

static int er_run(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct er *e = state;
	struct vs_tcall_cfg probe;

	h->log(c, VS_LOG_INFO, "scenarios:%s%s%s%s%s; calls to %s (%s -> %s)", e->run_db ? " db" : "",
	       e->run_tts ? " tts" : "", e->run_key ? " key" : "", e->run_timeout ? " timeout" : "", e->run_sentry ? " sentry" : "", e->t.webhook_url,
	       e->t.caller, e->t.routed);
	/* attached: an agent that cannot take our calls says what it needs
	 * rather than failing every scenario for it */
	er_call_cfg(e, &probe);
	if (vs_calltarget_attach_probe(h, c, e->t.eng, e->script, &probe) != VS_OK)
		return VS_SKIP;
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
	if (e->run_sentry && !h->should_stop(c))
		er_sentry_scenario(e);
	er_faults_off(e);
	json_object_set_new(e->data, "baseline_turn_ms", json_real(e->baseline_turn_ms));
	h->attach(c, "scenarios", json_incref(e->data));
	return VS_OK;
}

static int er_teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct er *e = state;

	if (!e)
		return VS_OK;
	er_faults_off(e); /* a failed or interrupted run never leaves a fault behind */
	vs_calltarget_close(h, c, &e->t);
	json_decref(e->data);
	er_conf_free(e);
	free(e);
	return VS_OK;
}

VS_PLUGIN(.name = "errors", .version = ER_VERSION,
	  .description = "error scenarios (plan Phase 8, and 5.2): database outage, TTS failover, invalid LLM key, LLM timeout; "
			 "degraded health, graceful calls, failover, circuit breaker, recovery, error logging",
	  .options = er_options, .setup = er_setup, .run = er_run, .teardown = er_teardown);
