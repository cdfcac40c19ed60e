/* telnyx probe (stress-test plan Phase 9): whole simulated Telnyx calls
 * against the target's webhook, observed through the world. */
#ifndef TELNYX_PROBE_H
#define TELNYX_PROBE_H

#include "vstress/plugin.h"
#include "vstress/caller/telnyx_call.h"

struct tprobe {
	const struct vs_host *h;
	int attach_unmet; /* attach mode: the first call showed the agent missing a need */
	vs_ctx *c;
	char webhook_url[512];
	const char *base_url, *control_url, *seed_b64, *db_url;
	const char *routed, *fallback_number, *unknown, *caller;
	const char *not_configured_phrase, *fallback_phrase;
	const char *system_errors_sql, *llm_faults, *llm_fault_targets;
	const char *stream_url_prefix; /* "" = ws(s)://<base_url host:port> */
	long long webhook_within_ms, answer_within_ms, reject_wait_ms, first_reply_within_ms, errors_wait_ms;
	int provision;
	char **checks; /* enabled check groups */
	size_t nchecks;
	struct vs_tenant_cfg tcfg;
	struct vs_tenant tenant;
	struct vs_call_engine *eng;
	struct vs_call_script *script, *fallback_script;
	struct vs_call_script *transfer_script, *goodbye_script; /* callcontrol group */
	char since[64]; /* the database's now() at setup (system_errors_sql {since}) */
	int m_webhook, m_answer, m_first_reply;
	int64_t calls_done, calls_failed; /* for live progress */
	uint64_t seed;
	struct vs_tcall_texml tel;             /* telephony, TeXML URL, public_url */
	char texml_url[1024], local_url[256];
	json_t *calls; /* attached data: one result per call */
};

extern const struct vs_option tprobe_options[];
int tprobe_setup(const struct vs_host *h, vs_ctx *c, void **state);
int tprobe_run(const struct vs_host *h, vs_ctx *c, void *state);
int tprobe_teardown(const struct vs_host *h, vs_ctx *c, void *state);

/* probe_checks.c */
int tprobe_enabled(const struct tprobe *p, const char *group);
/* One call with the probe's settings; records metrics and attaches the result. */
int tprobe_call(struct tprobe *p, const char *label, const struct vs_call_script *s, struct vs_tcall_cfg *cfg,
		struct vs_tcall_result *r);
void tprobe_check_basic(struct tprobe *p);
void tprobe_check_unknown(struct tprobe *p);
void tprobe_check_signatures(struct tprobe *p);
void tprobe_check_replay(struct tprobe *p);
void tprobe_check_fallback(struct tprobe *p);
/* probe_cc.c: transfer, hangup and speak (plan 9.2) */
void tprobe_check_callcontrol(struct tprobe *p);

/* probe_db.c */
int tprobe_db_now(const char *url, char *out, size_t len, char *err, size_t errlen);
/* system_errors_sql with {since} and {call_control_id}: the count, or -1 with err. */
long tprobe_db_count(const char *url, const char *sql, const char *since, const char *ccid, char *err,
		     size_t errlen);

#endif
