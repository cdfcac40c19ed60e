/* The options every call-placing plugin reads the same way: see
 * vstress/callphase/calltarget.h. */
#include "vstress/callphase/calltarget.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vstress/callphase/plugopt.h"
#include "vstress/net/httpc.h"

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

int vs_calltarget_engine(const struct vs_host *h, vs_ctx *c, int max_calls, struct vs_call_engine **eng)
{
	char err[256];

	if (vs_call_engine_new(eng, &(struct vs_call_engine_opts){.max_calls = max_calls, .tls_insecure = 1}, err,
			       sizeof(err)) != 0) {
		h->reason(c, "call engine: %s", err);
		return VS_ERROR;
	}
	return VS_OK;
}

int vs_calltarget_tenant(const struct vs_host *h, vs_ctx *c, const char *section, const struct vs_calltarget *t,
			 struct vs_tenant *tenant)
{
	return t->provision ? vs_popt_tenant(h, c, section, &t->tcfg, tenant) : VS_OK;
}

void vs_calltarget_close(const struct vs_host *h, vs_ctx *c, const struct vs_calltarget *t, struct vs_tenant *tenant,
			 struct vs_call_engine *eng)
{
	vs_popt_tenant_remove(h, c, &t->tcfg, tenant);
	if (eng)
		vs_call_engine_free(eng);
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
