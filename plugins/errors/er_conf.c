/* errors plugin: the options and reading them.  Every name of the target's
 * (tables, columns, metrics, labels, health body) is an option whose default
 * is the reference agent's (examples/reference-agent/README.md). */
#include "errors.h"
#include "er_midstream.h"

#include <vstress/callphase/calltarget.h>
#include <vstress/callphase/plugopt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct vs_option er_options[] = {
	/* where */
	VS_CALLOPT_TARGET("the target's base URL (unset: skip)"),
	{"health_path", VS_OPT_STRING, "/health", "the target's health endpoint", 0},
	{"metrics_path", VS_OPT_STRING, "/metrics", "the target's Prometheus metrics", 0},
	VS_CALLOPT_WORLD("the world's control API: faults, stats, commands (unset: skip)",
			 "the target's PID: alive checks and its DATABASE_URL (0: those parts skipped)"),
	VS_CALLOPT_DB("the target's database, directly (not through the proxy): test tenant, SQL evidence"),
	{"scenarios", VS_OPT_LIST, "db,tts,key,timeout,sentry",
	 "which scenarios run: db (8.1), tts (5.2), key (8.2), timeout (8.3), sentry (8.1, Sentry); stt_loss, tts_error, "
	 "tts_stall (6.3, pipeline = all three)",
	 0},
	/* the sentry scenario (er_sentry.c) */
	{"sentry_dsn_env", VS_OPT_STRING, "SENTRY_DSN", "the target's variable holding its Sentry DSN", 0},
	{"sentry_call_tag", VS_OPT_STRING, "call_id", "the event tag carrying the call's id", 0},
	{"sentry_db_tags", VS_OPT_STRING, "component=database", "tags of the outage call's event (name=value list)", 0},
	{"sentry_llm_tags", VS_OPT_STRING, "error_class=all_providers_failed",
	 "tags of the every-LLM-down call's event (name=value list)", 0},
	{"sentry_llm_standins", VS_OPT_LIST, "llm_openai,llm_gemini,llm_anthropic", "the stand-ins failed for that call",
	 0},
	{"sentry_llm_fault", VS_OPT_STRING, "error:status=500", "the fault on each of them", 0},
	{"sentry_wait", VS_OPT_DURATION, "10s", "an event must reach the stand-in within this", 0},
	{"http_timeout", VS_OPT_DURATION, "3s", "one GET of /health or /metrics", 0},
	/* calls */
	{"script", VS_OPT_STRING, "conf.d/scripts/errors-turns.ini", "the caller script of the db and timeout calls",
	 0},
	{"key_script", VS_OPT_STRING, "conf.d/scripts/errors-short.ini",
	 "the caller script of the key call (one caller turn: one failed request, the breaker stays closed)", 0},
	VS_CALLOPT_ANSWER,
	{"pause", VS_OPT_DURATION, "500ms", "between two calls", 0},
	VS_CALLOPT_CALLER("+15550109005"),
	VS_CALLOPT_PROVISION,
	VS_CALLOPT_TENANT("vstress errors", "+15550100005", "+15550199005"),
	{"webhook_within", VS_OPT_DURATION, "2s", "check: call.initiated answered within (Telnyx gives up after 2 s)",
	 0},
	{"first_reply_within", VS_OPT_DURATION, "3s", "check: stream start -> the agent's greeting", 0},
	{"handoff_actions", VS_OPT_LIST, "transfer",
	 "Call Control commands meaning the caller was handed off instead of answered (key, timeout)", 0},
	/* the LLM scenarios */
	{"primary_standin", VS_OPT_STRING, "llm_openai", "the world stand-in of the first LLM (the fault's target)", 0},
	{"fallback_standins", VS_OPT_LIST, "llm_gemini,llm_anthropic",
	 "stand-ins of the fallback LLMs: their requests must increase", 0},
	{"breaker_labels", VS_OPT_STRING, "breaker=\"llm:openai\"", "the first LLM's breaker, as labels", 0},
	{"breaker_open_value", VS_OPT_DOUBLE, "1", "[target] signal.breaker_state's value when open", 0},
	{"breaker_wait", VS_OPT_DURATION, "35s",
	 "an LLM scenario first waits this long for the breaker to leave open (else: skip)", 0},
	{"breaker_open_labels", VS_OPT_STRING, "breaker=\"llm:openai\",to=\"OPEN\"", "transitions to open, as labels", 0},
	{"breaker_open_sql", VS_OPT_STRING,
	 "SELECT count(*) FROM circuit_breaker_events WHERE breaker = 'llm:openai' AND to_state = 'OPEN' AND occurred_at "
	 ">= {since}",
	 "rows proving the breaker opened since {since} (empty: not used)", 0},
	{"failover_labels", VS_OPT_STRING, "service=\"llm\",from=\"openai\"", "failovers away from the first LLM", 0},
	/* 8.2 */
	{"key_fault", VS_OPT_STRING, "error:status=401",
	 "world fault on primary_standin (401: OpenAI's own invalid_api_key body)", 0},
	{"key_calls", VS_OPT_INT, "1", "calls during the invalid key", 0},
	{"key_error_labels", VS_OPT_STRING, "provider=\"openai\",error_class=\"auth\"", "[target] signal.provider_errors series of the 401",
	 0},
	{"key_error_sql", VS_OPT_STRING, NULL, "rows logging the auth error since {since} (unset: the metric only)", 0},
	{"key_reply_within", VS_OPT_DURATION, "3s", "check: every caller turn replied within this", 0},
	/* 8.3 */
	{"timeout_fault", VS_OPT_STRING, "stall", "world fault on primary_standin (accepts, never answers)", 0},
	{"timeout_calls_max", VS_OPT_INT, "4", "calls placed until the breaker opens, at most", 0},
	{"timeout_concurrency", VS_OPT_INT, "2", "timeout calls placed at once, per round (1-2)", 0},
	{"timeout_reply_within", VS_OPT_DURATION, "8s",
	 "check: every caller turn replied within this (the agent's first-token timeout is 4 s)", 0},
	{"timeout_error_labels", VS_OPT_STRING, "provider=\"openai\",error_class=\"timeout\"",
	 "[target] signal.provider_errors series of the stall", 0},
	/* 5.2 TTS failover */
	{"tts_standin", VS_OPT_STRING, "tts_cartesia", "the world stand-in of the first TTS (the fault's target)", 0},
	{"tts_fault", VS_OPT_STRING, "error:status=500", "world fault on tts_standin (500: the handshake refused, an outage)",
	 0},
	{"tts_fallback_standins", VS_OPT_LIST, "tts_elevenlabs", "stand-ins of the fallback TTS: their requests must increase",
	 0},
	{"tts_voiced_counter", VS_OPT_STRING, "audio_out_s",
	 "tts_standin's world counter of audio it sent (recovery: it must increase)", 0},
	{"tts_script", VS_OPT_STRING, "conf.d/scripts/errors-turns.ini", "the caller script of the tts calls", 0},
	{"tts_calls_max", VS_OPT_INT, "3", "tts calls placed until the breaker opens, at most", 0},
	{"tts_max_gap", VS_OPT_DURATION, "500ms", "check: the longest gap inside the agent's speech", 0},
	{"tts_failover_labels", VS_OPT_STRING, "service=\"tts\",from=\"cartesia\"", "failovers away from the first TTS",
	 0},
	{"tts_breaker_labels", VS_OPT_STRING, "breaker=\"tts:cartesia\"", "the first TTS's breaker, as labels", 0},
	{"tts_breaker_open_labels", VS_OPT_STRING, "breaker=\"tts:cartesia\",to=\"OPEN\"",
	 "its transitions to open, as labels", 0},
	{"tts_recover_within", VS_OPT_DURATION, "40s",
	 "check: fault removed -> the breaker not open (the agent's open time, 30 s, must pass)", 0},
	/* 8.1 */
	{"db_fault_target", VS_OPT_STRING, "postgres", "the world's Postgres fault proxy", 0},
	{"db_fault", VS_OPT_STRING, "cut,refuse", "faults of the outage: open connections reset, new ones refused", 0},
	{"outage", VS_OPT_DURATION, "6s", "how long the database stays down (at least the outage call)", 0},
	{"health_every", VS_OPT_DURATION, "500ms", "/health probes during the outage", 0},
	{"degraded_field", VS_OPT_STRING, "status", "JSON field of /health that tells the state", 0},
	{"degraded_value", VS_OPT_STRING, "degraded", "its value while the database is down", 0},
	{"ok_value", VS_OPT_STRING, "ok", "its value when healthy", 0},
	{"degraded_codes", VS_OPT_LIST, "200,503", "HTTP statuses allowed with the degraded answer", 0},
	{"recover_within", VS_OPT_DURATION, "15s", "check: fault removed -> /health ok again", 0},
	{"outage_call_actions", VS_OPT_LIST, "speak,transfer",
	 "the outage call is handled when the caller hears the agent, or it sends one of these", 0},
	{"outage_call_wait", VS_OPT_DURATION, "10s", "outage call without a stream: wait this long for its hang-up", 0},
	{"outage_log_sql", VS_OPT_STRING,
	 "SELECT count(*) FROM system_errors WHERE component = 'database' AND occurred_at >= {since}",
	 "rows logging the outage since {since} (empty: not used)", 0},
	{"outage_log_within", VS_OPT_DURATION, "5s", "after recovery, wait this long for the log row", 0},
	{"target_db_env", VS_OPT_STRING, "DATABASE_URL",
	 "the target's variable with its database URL: it must point at the proxy (read from /proc/<pid>/environ)", 0},
	ER_MIDSTREAM_OPTIONS,
	/* deprecated: the agent's series are [target] signal.* (er_conf_load) */
	{"breaker_metric", VS_OPT_STRING, NULL, "deprecated: [target] signal.breaker_state", 0},
	{"breaker_transitions_metric", VS_OPT_STRING, NULL, "deprecated: [target] signal.breaker_transitions", 0},
	{"errors_metric", VS_OPT_STRING, NULL, "deprecated: [target] signal.provider_errors", 0},
	{"failover_metric", VS_OPT_STRING, NULL, "deprecated: [target] signal.failovers", 0},
	{"outage_log_metric", VS_OPT_STRING, NULL,
	 "deprecated: [target] signal.db_errors (the counter that must increase over the outage)", 0},
	{0},
};

const char *const er_signal_names[5] = {"breaker_state", "breaker_transitions", "provider_errors", "failovers",
					"db_errors"};

const struct vs_signal *er_signal(struct er *e, const char *signal)
{
	for (size_t i = 0; i < sizeof(er_signal_names) / sizeof(er_signal_names[0]); i++)
		if (!strcmp(er_signal_names[i], signal))
			return &e->sig[i];
	return &e->sig[0]; /* not reached: the names are this plugin's own */
}

/* The signals, then the old per-plugin metric options where still set. */
static int read_signals(struct er *e)
{
	static const char *const old[] = {"breaker_metric", "breaker_transitions_metric", "errors_metric",
					  "failover_metric", "outage_log_metric"};
	static const char *const label_keys[] = {"breaker_labels",     "breaker_open_labels",	  "failover_labels",
						 "key_error_labels",   "timeout_error_labels",	  "tts_failover_labels",
						 "tts_breaker_labels", "tts_breaker_open_labels"};
	const struct vs_host *h = e->h;

	for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
		const char *v = h->opt(e->c, old[i]);
		char err[400];
		if (vs_popt_signal(h, e->c, er_signal_names[i], &e->sig[i]) != VS_OK)
			return VS_ECONFIG;
		if (!v)
			continue;
		h->log(e->c, VS_LOG_WARN, "[errors] %s is deprecated: declare [target] signal.%s", old[i],
		       er_signal_names[i]);
		if (vs_signal_parse(er_signal_names[i], v, &e->sig[i], err, sizeof(err)) != 0) {
			h->reason(e->c, "[errors] %s: %s", old[i], err);
			return VS_ECONFIG;
		}
	}
	for (size_t i = 0; i < sizeof(label_keys) / sizeof(label_keys[0]); i++) {
		struct vs_signal tmp;
		if (vs_popt_labels(h, e->c, "errors", label_keys[i], &tmp) != VS_OK)
			return VS_ECONFIG;
	}
	return VS_OK;
}

const char *er_str(struct er *e, const char *key)
{
	return vs_popt_str(e->h, e->c, key);
}

long long er_ms(struct er *e, const char *key)
{
	long long v = 0;
	e->h->opt_ms(e->c, key, &v);
	return v;
}

void er_skip_checks(struct er *e, const char *scenario, const char *const *checks, size_t n, const char *why)
{
	for (size_t i = 0; i < n; i++)
		e->h->check(e->c, checks[i], VS_CHECK_SKIP, "%s", why);
	e->h->log(e->c, VS_LOG_WARN, "%s scenario skipped: %s", scenario, why);
}

static int load_script(struct er *e, const char *key, struct vs_call_script **out)
{
	char err[512];
	if (vs_call_script_load(er_str(e, key), out, err, sizeof(err)) != 0) {
		e->h->reason(e->c, "[errors] %s: %s", key, err);
		return VS_ECONFIG;
	}
	return VS_OK;
}

int er_conf_load(struct er *e, const struct vs_host *h, vs_ctx *c)
{
	const char *sc;
	int rc;

	e->h = h;
	e->c = c;
	sc = er_str(e, "scenarios");
	if (vs_calltarget_read(h, e->c, &e->t) || read_signals(e) != VS_OK)
		return VS_ECONFIG;
	e->answer_timeout_ms = er_ms(e, "answer_timeout");
	e->webhook_within_ms = er_ms(e, "webhook_within");
	e->first_reply_ms = er_ms(e, "first_reply_within");
	e->pause_ms = er_ms(e, "pause");
	vs_calltarget_path(h, e->c, &e->t, "health_path", e->health_url, sizeof(e->health_url));
	vs_calltarget_path(h, e->c, &e->t, "metrics_path", e->t.metrics_url, sizeof(e->t.metrics_url));
	e->run_db = vs_list_has(sc, "db");
	e->run_key = vs_list_has(sc, "key");
	e->run_timeout = vs_list_has(sc, "timeout");
	e->run_tts = vs_list_has(sc, "tts");
	e->run_sentry = vs_list_has(sc, "sentry");
	e->run_mid = (vs_list_has(sc, "stt_loss") || vs_list_has(sc, "pipeline") ? ER_MID_STT_LOSS : 0) |
		     (vs_list_has(sc, "tts_error") || vs_list_has(sc, "pipeline") ? ER_MID_TTS_ERROR : 0) |
		     (vs_list_has(sc, "tts_stall") || vs_list_has(sc, "pipeline") ? ER_MID_TTS_STALL : 0);
	rc = vs_calltarget_skip(h, e->c, "errors", &e->t, "faults cannot be injected; run with the world");
	if (rc != VS_OK)
		return rc;
	if (!e->run_db && !e->run_key && !e->run_timeout && !e->run_tts && !e->run_sentry && !e->run_mid) {
		h->reason(e->c, "[errors] scenarios = '%s': none of db, tts, key, timeout, sentry, stt_loss, tts_error, "
				"tts_stall, pipeline", sc);
		return VS_ECONFIG;
	}
	/* the fault specs are checked here, so a bad one is a config error naming its key */
	static const char *const fault_keys[] = {"db_fault",	       "tts_fault",	  "key_fault",
						 "timeout_fault",      "sentry_llm_fault", "stt_loss_fault",
						 "tts_error_fault",    "tts_stall_fault",  "tts_stall_primary_fault"};
	for (size_t i = 0; i < sizeof(fault_keys) / sizeof(fault_keys[0]); i++) {
		char err[300];
		json_t *f = vs_wfaults_parse(er_str(e, fault_keys[i]), "errors", err, sizeof(err));
		if (!f) {
			h->reason(e->c, "[errors] %s: %s", fault_keys[i], err);
			return VS_ECONFIG;
		}
		json_decref(f);
	}
	rc = load_script(e, "script", &e->script);
	/* key_script: also the tts scenario's recovery call */
	if (rc == VS_OK && (e->run_key || e->run_tts || e->run_sentry || e->run_mid))
		rc = load_script(e, "key_script", &e->key_script);
	if (rc == VS_OK && e->run_tts)
		rc = load_script(e, "tts_script", &e->tts_script);
	if (rc == VS_OK && e->run_mid)
		rc = load_script(e, "pipeline_script", &e->pipe_script);
	return rc;
}

void er_conf_free(struct er *e)
{
	vs_call_script_free(e->script);
	vs_call_script_free(e->key_script);
	vs_call_script_free(e->tts_script);
	vs_call_script_free(e->pipe_script);
	e->script = e->key_script = e->tts_script = e->pipe_script = NULL;
}
