/* The options every call-placing plugin reads the same way: see
 * vstress/callphase/calltarget.h. */
#include "vstress/callphase/calltarget.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vstress/callphase/plugopt.h"
#include "vstress/net/httpc.h"

#include <jansson.h>

int vs_calltarget_telephony(const struct vs_host *h, vs_ctx *c, const char *base_url, const char *webhook_url,
			    struct vs_tcall_texml *tel, char *texml_url, size_t tlen, char *local_url, size_t llen)
{
	const char *v = vs_popt_str(h, c, "telephony"), *m = vs_popt_str(h, c, "texml_method"), *u, *hs;

	memset(tel, 0, sizeof(*tel));
	if (*v && vs_telephony_parse(v, &tel->telephony) != 0) {
		h->reason(c, "telephony = '%s': expected call_control, texml or auto", v);
		return -1;
	}
	if (*m && strcasecmp(m, "POST") && strcasecmp(m, "GET")) {
		h->reason(c, "texml_method = '%s': expected POST or GET", m);
		return -1;
	}
	tel->texml_get = *m && !strcasecmp(m, "GET");
	u = vs_popt_str(h, c, "texml_url");
	if (!*u)
		snprintf(texml_url, tlen, "%s", webhook_url);
	else if (strstr(u, "://"))
		snprintf(texml_url, tlen, "%s", u);
	else
		vs_popt_url(texml_url, tlen, base_url, u);
	tel->texml_url = texml_url;
	tel->public_url = vs_popt_str(h, c, "public_url");
	if (*tel->public_url && strncmp(tel->public_url, "ws://", 5) && strncmp(tel->public_url, "wss://", 6)) {
		h->reason(c, "public_url = '%s': expected ws://... or wss://...", tel->public_url);
		return -1;
	}
	/* ws(s)://host:port of base_url: where a public stream URL really goes */
	hs = strstr(base_url, "://");
	local_url[0] = '\0';
	if (hs)
		snprintf(local_url, llen, "%s://%.*s", !strncmp(base_url, "https", 5) ? "wss" : "ws",
			 (int)strcspn(hs + 3, "/?"), hs + 3);
	tel->local_url = local_url;
	return 0;
}

int vs_calltarget_read(const struct vs_host *h, vs_ctx *c, struct vs_calltarget *t)
{
	long long pid = 0;

	if (h->opt_bool(c, "provision", &t->provision) < 0)
		return -1;
	if (vs_popt_str(h, c, "target_pid")[0] && h->opt_int(c, "target_pid", &pid) < 0)
		return -1;
	t->pid = pid > 0 ? (pid_t)pid : 0;
	t->base_url = vs_popt_str(h, c, "base_url");
	vs_popt_url(t->webhook_url, sizeof(t->webhook_url), t->base_url, vs_popt_str(h, c, "webhook_path"));
	t->control_url = vs_popt_str(h, c, "control_url");
	t->signing_seed = vs_popt_str(h, c, "signing_seed");
	t->caller = vs_popt_str(h, c, "caller_number");
	t->routed = vs_popt_str(h, c, "routed_number");
	t->fallback = vs_popt_str(h, c, "fallback_number");
	t->db_url = vs_popt_str(h, c, "db_url");
	if (vs_calltarget_telephony(h, c, t->base_url, t->webhook_url, &t->tel, t->texml_url, sizeof(t->texml_url),
				    t->local_url, sizeof(t->local_url)) != 0)
		return -1;
	t->tcfg = (struct vs_tenant_cfg){.db_url = t->db_url,
					 .create_sql = vs_popt_str(h, c, "tenant_create_sql"),
					 .remove_sql = vs_popt_str(h, c, "tenant_remove_sql"),
					 .number = t->routed,
					 .fallback = t->fallback,
					 .name = vs_popt_str(h, c, "tenant_name")};
	return 0;
}

void vs_calltarget_path(const struct vs_host *h, vs_ctx *c, const struct vs_calltarget *t, const char *key, char *out,
			size_t len)
{
	vs_popt_url(out, len, t->base_url, vs_popt_str(h, c, key));
}

int vs_calltarget_skip(const struct vs_host *h, vs_ctx *c, const char *section, const struct vs_calltarget *t,
		       const char *no_control)
{
	if (!*t->base_url) {
		h->reason(c, "no target URL (set [%s] base_url or run with a target: VSTRESS_TARGET_URL)", section);
		return VS_SKIP;
	}
	if (!*t->control_url) {
		h->reason(c, "no world control URL (VSTRESS_WORLD_CONTROL): %s", no_control);
		return VS_SKIP;
	}
	if (!*t->signing_seed) {
		h->reason(c, "no Telnyx signing seed (VSTRESS_TELNYX_SIGNING_SEED): webhooks cannot be signed");
		return VS_SKIP;
	}
	if (vs_calltarget_attached()) {
		const char *pub = getenv("VSTRESS_TELNYX_PUBLIC_KEY"), *tel = getenv("VSTRESS_WORLD_TELNYX_HTTP");

		h->log(c, VS_LOG_INFO,
		       "attached agent: needs TELNYX_PUBLIC_KEY=%s ([vstress] telnyx_key_file), TELNYX_API_BASE=%s/v2, the "
		       "provider base URLs and keys of the world's env (world.json), and a tenant routing %s; a call "
		       "showing one missing skips [%s]",
		       pub ? pub : "?", tel ? tel : "(the world's telnyx stand-in)", t->routed, section);
	}
	return VS_OK;
}

int vs_calltarget_open(const struct vs_host *h, vs_ctx *c, const char *section, int max_calls,
		       struct vs_calltarget *t)
{
	char err[256];

	if (vs_call_engine_new(&t->eng, &(struct vs_call_engine_opts){.max_calls = max_calls, .tls_insecure = 1}, err,
			       sizeof(err)) != 0) {
		h->reason(c, "call engine: %s", err);
		return VS_ERROR;
	}
	return t->provision ? vs_popt_tenant(h, c, section, &t->tcfg, &t->tenant) : VS_OK;
}

void vs_calltarget_close(const struct vs_host *h, vs_ctx *c, struct vs_calltarget *t)
{
	vs_popt_tenant_remove(h, c, &t->tcfg, &t->tenant);
	if (t->eng)
		vs_call_engine_free(t->eng);
	t->eng = NULL;
}

struct vs_tcall_cfg vs_calltarget_call(const struct vs_calltarget *t, long long answer_timeout_ms, uint64_t seed)
{
	return (struct vs_tcall_cfg){.webhook_url = t->webhook_url,
				     .tel = t->tel,
				     .control_url = t->control_url,
				     .signing_seed_b64 = t->signing_seed,
				     .from = t->caller,
				     .to = t->routed,
				     .answer_timeout_ms = (int)answer_timeout_ms,
				     .seed = seed,
				     .signature = VS_SIG_GOOD};
}

int vs_calltarget_warm_up(const struct vs_host *h, vs_ctx *c, struct vs_call_engine *eng,
			  const struct vs_call_script *script, const struct vs_tcall_cfg *base, long long n,
			  long long pause_ms)
{
	json_t *arr = json_array();
	int rc = VS_OK;

	for (long long i = 0; i < n && !h->should_stop(c); i++) {
		struct vs_tcall_result r = {0};
		struct vs_tcall_cfg cfg = *base;

		/* ids unique in the world's log across runs: the clock mixed in */
		cfg.seed = (h->seed(c) ^ 0x5741524dull) + (uint64_t)i + h->now_ns();
		if (vs_tcall_run(eng, script, &cfg, &r) == 0)
			h->log(c, VS_LOG_INFO, "warm-up call %lld: first reply %.0f ms", i + 1,
			       r.media_started ? r.media.first_reply_ms : -1.0);
		else
			h->log(c, VS_LOG_WARN, "warm-up call %lld: %s", i + 1, r.error);
		json_array_append_new(arr, vs_tcall_result_json(&r));
		if (i == 0) /* an attached agent that cannot take our calls: say what it needs */
			rc = vs_calltarget_attach_unmet(h, c, base->control_url, &r);
		vs_tcall_result_clear(&r);
		if (rc != VS_OK)
			break;
		if (pause_ms)
			vs_popt_sleep(h, c, pause_ms);
	}
	h->attach(c, "warmup", arr);
	return rc;
}

int vs_calltarget_attach_probe(const struct vs_host *h, vs_ctx *c, struct vs_call_engine *eng,
			       const struct vs_call_script *script, const struct vs_tcall_cfg *base)
{
	return vs_calltarget_attached() ? vs_calltarget_warm_up(h, c, eng, script, base, 1, 0) : VS_OK;
}

int vs_calltarget_attached(void)
{
	const char *m = getenv("VSTRESS_TARGET_MODE");

	return m && !strcmp(m, "attach");
}

/* Requests the world's telnyx stand-in has counted; -1 when unknown. */
static long long telnyx_requests(const char *control)
{
	char url[1100], err[200], *resp = NULL;
	long status = 0;
	long long n = -1;
	json_t *j;

	snprintf(url, sizeof(url), "%s/_vstress/stats", control);
	if (vs_httpc("GET", url, NULL, 3000, &status, &resp, err, sizeof(err)) == 0 && status == 200 && resp &&
	    (j = json_loads(resp, 0, NULL))) {
		json_t *v = json_object_get(json_object_get(j, "telnyx"), "requests");
		n = json_is_integer(v) ? (long long)json_integer_value(v) : 0;
		json_decref(j);
	}
	free(resp);
	return n;
}

int vs_calltarget_attach_unmet(const struct vs_host *h, vs_ctx *c, const char *control_url,
			       const struct vs_tcall_result *r)
{
	const char *pub = getenv("VSTRESS_TELNYX_PUBLIC_KEY"), *tel = getenv("VSTRESS_WORLD_TELNYX_HTTP");

	if (!vs_calltarget_attached() || !r)
		return VS_OK;
	if (r->webhook_status == 401 || r->webhook_status == 403) {
		h->reason(c, "the attached agent refused our signed call.initiated (HTTP %d: \"%.120s\"): its "
			     "TELNYX_PUBLIC_KEY must be %s, the public key of [vstress] telnyx_key_file (vstress keygen)",
			  r->webhook_status, r->webhook_body, pub ? pub : "the run's key");
		return VS_SKIP;
	}
	if (r->webhook_status >= 200 && r->webhook_status < 300 && !r->answered && !r->texml[0] &&
	    telnyx_requests(control_url) == 0) {
		h->reason(c, "the attached agent answered call.initiated (HTTP %d) but never called the world's Call "
			     "Control API (its telnyx stand-in saw no request): point the agent's TELNYX_API_BASE at %s/v2",
			  r->webhook_status, tel ? tel : "the world's telnyx stand-in");
		return VS_SKIP;
	}
	return VS_OK;
}
