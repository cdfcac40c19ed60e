/* errors plugin (stress-test plan Phase 8): error scenarios against a whole
 * agent, each injected through the world's control API and removed after:
 *   db      (8.1) the agent's Postgres cut and refused (the world's proxy):
 *           alive, /health degraded, a call during the outage handled,
 *           recovery, a normal call after, the outage logged;
 *   key     (8.2) the first LLM (OpenAI) answers 401 invalid_api_key: the
 *           caller still gets replies in time, from the fallback LLM; the
 *           error and the failover are counted;
 *   timeout (8.3) the first LLM stalls: replies within a bound, its circuit
 *           breaker opens, the fallback answers; the caller's extra wait is
 *           reported.
 *   tts     (plan 5.2) the first TTS (Cartesia) refuses its handshake: every
 *           reply still heard (voiced by ElevenLabs), no gap inside the
 *           agent's speech, the failover counted, its breaker opens; later
 *           (after the LLM scenarios: the breaker's open time) the breaker
 *           leaves OPEN and Cartesia voices a call again.
 * Order: db, baseline, tts, key, timeout, the tts recovery (the TTS and LLM
 * breakers are separate: breaker="tts:cartesia" vs "llm:openai").
 * (8.4, memory, is the resources plugin.) */
#ifndef VSTRESS_ERRORS_H
#define VSTRESS_ERRORS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include <vstress/plugin.h>
#include <vstress/caller/call.h>
#include <vstress/caller/callbatch.h>
#include <vstress/caller/telnyx_call.h>
#include <vstress/callphase/calltarget.h>
#include <vstress/callphase/signals.h>
#include <vstress/standin/worldfaults.h>

#define ER_VERSION "1.0.0"
#define ER_MAX_CALLS 2 /* calls at once (the call engine's max_calls) */

/* What the target said about itself at one moment. */
struct er_obs {
	int ok;        /* /metrics answered */
	char *metrics; /* its text (malloc'd) */
};

struct er {
	const struct vs_host *h;
	vs_ctx *c;
	/* where */
	struct vs_calltarget t; /* target, world, numbers, test tenant, call engine */
	struct vs_signal sig[5]; /* the agent's signals, by er_signal_names */
	char health_url[1024];
	struct vs_call_script *script, *key_script, *tts_script;
	long long answer_timeout_ms, webhook_within_ms, first_reply_ms, pause_ms;
	int run_db, run_key, run_timeout, run_tts, run_sentry;
	char db_outage_call[128]; /* the db scenario's outage call, for the sentry scenario */
	int run_mid;                      /* ER_MID_* bits (er_midstream.h) */
	struct vs_call_script *pipe_script; /* their calls */
	/* the tts scenario's recovery is checked last: its fault's removal time */
	int tts_pending, tts_opened;
	double tts_off_ms;
	/* faults still installed (removed in teardown too) */
	json_t *fault_ids;
	/* the agent's baseline reply latency (mean of the caller turns), -1 unknown */
	double baseline_turn_ms;
	int m_turn;
	json_t *data;
};

/* er_conf.c */
extern const struct vs_option er_options[];
/* Binds the state to its host and context, then reads the options. */
int er_conf_load(struct er *e, const struct vs_host *h, vs_ctx *c);
void er_conf_free(struct er *e);
const char *er_str(struct er *e, const char *key);
long long er_ms(struct er *e, const char *key);
/* Every one of checks skipped with why; the log names the scenario. */
void er_skip_checks(struct er *e, const char *scenario, const char *const *checks, size_t n, const char *why);

/* er_observe.c: the target and the world */
/* GET url: HTTP status (0: no answer within timeout_ms), body (malloc'd) in *body if non-NULL. */
long er_get(const char *url, int timeout_ms, char **body, double *ms);
/* /metrics text, NULL when it did not answer. */
char *er_metrics(struct er *e);
/* The agent's signals the plugin reads ([target] signal.<name>). */
extern const char *const er_signal_names[5];
const struct vs_signal *er_signal(struct er *e, const char *signal);
/* Sum of the samples of the declared signal (e.g. "breaker_state") that
 * also carry `labels` (a label list option's value, checked by
 * er_conf_load); 0 with *present = 0 when absent or undeclared. */
double er_prom(struct er *e, const char *text, const char *signal, const char *labels, int *present);
/* The signal's selector for a message, or its key when undeclared. */
const char *er_sig(struct er *e, const char *signal);
/* Why a signal gave no reading: names the key to set (vs_signal_why). */
const char *er_sig_why(struct er *e, const char *signal, char *buf, size_t len);
/* GET <control>/_vstress/stats: <standin>.<counter>, -1 when unknown. */
double er_world_stat(struct er *e, const char *standin, const char *counter);
/* Installs the comma-separated fault specs on target; 0 or -1 with err. */
int er_fault_on(struct er *e, const char *target, const char *specs, char *err, size_t errlen);
/* Removes every fault er_fault_on installed. */
void er_faults_off(struct er *e);
/* The database's clock now (SQL literal text, malloc'd) or NULL with err. */
char *er_db_now(struct er *e, char *err, size_t errlen);
/* count from a `SELECT count(*) ...` template with {since}; -1 with err. */
long er_db_count(struct er *e, const char *tmpl, const char *since, char *err, size_t errlen);
/* The target process (and so the agent) still exists; -1 unknown (no pid). */
int er_alive(struct er *e);
/* The target's environment variable `name` (from /proc/<pid>/environ), malloc'd, or NULL. */
char *er_target_env(struct er *e, const char *name);
/* Waits until the breaker metric is not `open_value` (up to wait_ms); 0 or -1 (still open). */
int er_breaker_settle(struct er *e, const char *labels, long long wait_ms);
void er_sleep_ms(struct er *e, long long ms);

/* er_calls.c */
struct er_call {
	struct vs_tcall_result r;
	int failed; /* vs_tcall_run returned -1 */
	double start_ms; /* from the scenario's start */
};
/* One call with the script (no_media_until: the answer has no stream: wait for
 * this command instead, e.g. "hangup").  Logged. */
void er_call(struct er *e, const struct vs_call_script *s, const char *label, struct er_call *out);
/* The Telnyx side of the plugin's calls (for vs_cbatch_run: its seed is replaced). */
void er_call_cfg(struct er *e, struct vs_tcall_cfg *cfg);
/* Logs a finished call and records its caller turns in e->m_turn. */
void er_call_note(struct er *e, const char *label, const struct er_call *out);
void er_call_clear(struct er_call *c);
/* Caller turns (after an utterance): replied count, total; their latencies summed/max. */
void er_turns(const struct er_call *c, int *replied, int *total, double *sum_ms, double *max_ms);
/* The call streamed and every caller turn was replied; why not in why. */
int er_call_normal(const struct er_call *c, char *why, size_t len);
json_t *er_call_json(const struct er_call *c);

/* scenarios */
void er_db_scenario(struct er *e);
void er_baseline(struct er *e);
void er_key_scenario(struct er *e);
void er_timeout_scenario(struct er *e);
void er_tts_scenario(struct er *e);
void er_tts_recovery(struct er *e);
void er_sentry_scenario(struct er *e); /* er_sentry.c */

#endif
