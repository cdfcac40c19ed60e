/* telnyx probe: options, setup (engine, scripts, test tenant), run, teardown. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "probe.h"
#include "vstress/callphase/calltarget.h"
#include "vstress/callphase/plugopt.h"
#include "vstress/standin/worldfaults.h"

static const char *opt_or(struct tprobe *p, const char *key, const char *def)
{
	const char *v = p->h->opt(p->c, key);
	return v && *v ? v : def;
}

static int read_ms(struct tprobe *p, const char *key, long long *out)
{
	return p->h->opt_ms(p->c, key, out) < 0 ? -1 : 0;
}

static int read_opts(struct tprobe *p)
{
	const struct vs_host *h = p->h;
	const char *path = opt_or(p, "webhook_path", "/api/telnyx/webhook");
	int rc = -1;

	p->base_url = opt_or(p, "base_url", NULL);
	p->control_url = opt_or(p, "control_url", NULL);
	p->seed_b64 = opt_or(p, "signing_seed", NULL);
	p->db_url = opt_or(p, "db_url", NULL);
	p->routed = opt_or(p, "routed_number", "+15550100001");
	p->fallback_number = opt_or(p, "fallback_number", "+15550100099");
	p->unknown = opt_or(p, "unknown_number", "+15550100404");
	p->caller = opt_or(p, "caller_number", "+15557650001");
	p->not_configured_phrase = opt_or(p, "not_configured_phrase", "This number is not configured.");
	p->fallback_phrase = opt_or(p, "fallback_phrase", "");
	p->system_errors_sql = opt_or(p, "system_errors_sql", NULL);
	p->llm_faults = opt_or(p, "llm_fault", "error:status=500");
	p->llm_fault_targets = opt_or(p, "llm_fault_targets", "openai,gemini,anthropic");
	p->stream_url_prefix = opt_or(p, "stream_url_prefix", "");
	p->webhook_within_ms = 2000;
	p->answer_within_ms = 5000;
	p->reject_wait_ms = 1500;
	p->first_reply_within_ms = 5000;
	p->errors_wait_ms = 5000;
	if (read_ms(p, "webhook_within", &p->webhook_within_ms) || read_ms(p, "answer_within", &p->answer_within_ms) ||
	    read_ms(p, "reject_wait", &p->reject_wait_ms) ||
	    read_ms(p, "first_reply_within", &p->first_reply_within_ms) ||
	    read_ms(p, "errors_wait", &p->errors_wait_ms) || h->opt_bool(p->c, "provision", &p->provision) < 0)
		goto out;
	if (!p->base_url) {
		h->reason(p->c, "base_url is not set (VSTRESS_TARGET_URL: does the manifest say depends = target?)");
		goto out;
	}
	snprintf(p->webhook_url, sizeof(p->webhook_url), "%s%s", p->base_url, path);
	if (vs_calltarget_telephony(h, p->c, p->base_url, p->webhook_url, &p->tel, p->texml_url, sizeof(p->texml_url),
				    p->local_url, sizeof(p->local_url)) != 0)
		goto out;
	p->nchecks = vs_split_list(opt_or(p, "checks", "webhook,unknown,signature,replay,fallback"), &p->checks);
	p->tcfg = (struct vs_tenant_cfg){.db_url = p->db_url,
					 .create_sql = opt_or(p, "tenant_create_sql", NULL),
					 .remove_sql = opt_or(p, "tenant_remove_sql", NULL),
					 .number = p->routed,
					 .fallback = p->fallback_number,
					 .name = opt_or(p, "tenant_name", "vstress telnyx probe")};
	rc = 0;
out:
	return rc;
}

static int load_script(struct tprobe *p, const char *key, struct vs_call_script **out)
{
	char err[512];
	const char *path = opt_or(p, key, NULL);

	if (!path) {
		p->h->reason(p->c, "%s is not set", key);
		return -1;
	}
	if (vs_call_script_load(path, out, err, sizeof(err)) != 0) {
		p->h->reason(p->c, "%s: %s", key, err);
		return -1;
	}
	return 0;
}

int tprobe_setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	struct tprobe *p = calloc(1, sizeof(*p));
	char err[512];
	int rc = VS_ECONFIG;

	*state = p;
	if (!p)
		return VS_ERROR;
	p->h = h;
	p->c = c;
	/* the run's seed mixed with the clock: the target remembers event ids
	 * and call_control_ids (de-duplication, call_logs), so every run needs
	 * fresh ones */
	p->seed = h->seed(c) ^ (h->now_ns() * 0x9E3779B97F4A7C15ull);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (read_opts(p) != 0)
		goto out;
	if (!p->control_url) {
		h->reason(c, "control_url is not set: Call Control commands cannot be observed (needs the world: depends = world)");
		rc = VS_SKIP;
		goto out;
	}
	if (!p->seed_b64) {
		h->reason(c, "signing_seed is not set (VSTRESS_TELNYX_SIGNING_SEED): the target's webhook key is unknown");
		rc = VS_SKIP;
		goto out;
	}
	if (load_script(p, "script", &p->script) != 0 ||
	    (tprobe_enabled(p, "fallback") && load_script(p, "fallback_script", &p->fallback_script) != 0) ||
	    (tprobe_enabled(p, "callcontrol") && (load_script(p, "transfer_script", &p->transfer_script) != 0 ||
						   load_script(p, "goodbye_script", &p->goodbye_script) != 0)))
		goto out;
	rc = VS_ERROR;
	if (vs_call_engine_new(&p->eng, &(struct vs_call_engine_opts){.max_calls = 16}, err, sizeof(err)) != 0) {
		h->reason(c, "call engine: %s", err);
		goto out;
	}
	p->calls = json_object();
	p->m_webhook = h->metric(c, "webhook_latency", "us");
	p->m_answer = h->metric(c, "answer_latency", "us");
	p->m_first_reply = h->metric(c, "first_reply", "ms");
	if (p->db_url && tprobe_db_now(p->db_url, p->since, sizeof(p->since), err, sizeof(err)) != 0)
		h->log(c, VS_LOG_WARN, "database: %s (system_errors check will be skipped)", err);
	rc = p->provision ? vs_popt_tenant(h, c, "telnyx", &p->tcfg, &p->tenant) : VS_OK;
out:
	return rc;
}

int tprobe_run(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct tprobe *p = state;

	(void)c;
	if (vs_calltarget_attached())
		h->log(c, VS_LOG_INFO, "attached agent: needs TELNYX_PUBLIC_KEY=%s ([vstress] telnyx_key_file), "
				       "TELNYX_API_BASE=%s/v2 and the world's provider variables; a call showing one "
				       "missing skips [telnyx]",
		       getenv("VSTRESS_TELNYX_PUBLIC_KEY") ? getenv("VSTRESS_TELNYX_PUBLIC_KEY") : "?",
		       getenv("VSTRESS_WORLD_TELNYX_HTTP") ? getenv("VSTRESS_WORLD_TELNYX_HTTP") : "(the world's telnyx)");
	if (tprobe_enabled(p, "webhook") && !h->should_stop(c)) {
		tprobe_check_basic(p);
		if (p->attach_unmet)
			return VS_SKIP; /* reason set */
	}
	if (tprobe_enabled(p, "unknown") && !h->should_stop(c))
		tprobe_check_unknown(p);
	if (tprobe_enabled(p, "signature") && !h->should_stop(c))
		tprobe_check_signatures(p);
	if (tprobe_enabled(p, "replay") && !h->should_stop(c))
		tprobe_check_replay(p);
	if (tprobe_enabled(p, "fallback") && !h->should_stop(c))
		tprobe_check_fallback(p);
	if (tprobe_enabled(p, "callcontrol") && !h->should_stop(c))
		tprobe_check_callcontrol(p);
	return VS_OK;
}

int tprobe_teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct tprobe *p = state;
	int rc = VS_OK;

	if (!p)
		return VS_OK;
	if (vs_popt_tenant_remove(h, c, &p->tcfg, &p->tenant) != 0)
		rc = VS_ERROR;
	if (p->calls)
		h->attach(c, "calls", p->calls);
	vs_call_engine_free(p->eng);
	vs_call_script_free(p->script);
	vs_call_script_free(p->fallback_script);
	vs_call_script_free(p->transfer_script);
	vs_call_script_free(p->goodbye_script);
	free(p->checks);
	free(p);
	curl_global_cleanup();
	return rc;
}
