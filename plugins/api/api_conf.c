/* api plugin: the options and reading them. */
#include "api.h"

#include <vstress/callphase/calltarget.h>
#include <vstress/callphase/optbind.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct vs_option api_options[] = {
	{"base_url", VS_OPT_STRING, "${VSTRESS_TARGET_URL}", "the target's base URL (unset: the plugin skips)", 0},
	{"request_timeout", VS_OPT_DURATION, "10s", "one request gives up after this long (capped by the deadline)", 0},
	{"max_body", VS_OPT_INT, "1048576", "largest response body read, in bytes; a larger one fails its check", 0},
	{"pace", VS_OPT_DOUBLE, "50", "requests per second of the sequential checks (intended start times)", 0},
	{"health_path", VS_OPT_STRING, "/health", "health endpoint", 0},
	{"health_status", VS_OPT_INT, "200", "expected status of the health endpoint", 0},
	{"health_body", VS_OPT_STRING, "{\"status\":\"ok\"}",
	 "expected health body, JSON: every key must be present with this value (extra keys allowed; empty: not checked)",
	 0},
	{"login_path", VS_OPT_STRING, "/api/auth/session", "POST here creates a session (empty: no auth checks)", 0},
	{"login_body", VS_OPT_STRING, "{\"username\":\"{username}\",\"password\":\"{password}\"}",
	 "JSON body of the login; {username} and {password} are replaced (JSON-escaped)", 0},
	{"username", VS_OPT_STRING, "admin", "login user", 0},
	{"password", VS_OPT_STRING, "${AUTH_PASSWORD}", "login password (unset: auth checks skip)", VS_OPT_SECRET},
	{"token_field", VS_OPT_STRING, "token", "field of the login answer holding the token (dotted path)", 0},
	{"verify_path", VS_OPT_STRING, "/api/auth/verify", "GET here with the token must answer 2xx (empty: skipped)", 0},
	{"logout_path", VS_OPT_STRING, "/api/auth/logout", "POST here revokes the token (empty: skipped)", 0},
	{"protected_path", VS_OPT_STRING, "/api/admin/tenants",
	 "a GET route that needs the token: missing/invalid/expired/revoked tokens must be refused there", 0},
	{"unauthorized_status", VS_OPT_INT, "401", "status expected for a refused token", 0},
	{"session_ttl", VS_OPT_DURATION, "3600s", "the target's session lifetime; the expiry check waits ttl + 1s", 0},
	{"max_wait", VS_OPT_DURATION, "30s", "longest single wait (expiry, rate window); longer ones skip their check",
	 0},
	{"cleanup_path", VS_OPT_STRING, "/api/admin/sessions/cleanup",
	 "POST here deletes dead sessions, also ones vstress did not create: only on scratch data (empty: skipped)", 0},
	{"allow_cleanup", VS_OPT_BOOL, "false",
	 "POST cleanup_path even when the target's data is not scratch (it deletes sessions vstress did not create)", 0},
	{"db_url", VS_OPT_STRING, "${DATABASE_URL:-}",
	 "the target's database, only to tell whether its data is scratch (a database vstress started, or [db] "
	 "scratch = true)",
	 VS_OPT_SECRET},
	{"openapi_path", VS_OPT_STRING, "/openapi.json", "OpenAPI document; every parameterless GET is called (empty: skipped)",
	 0},
	{"exclude", VS_OPT_LIST, NULL, "GET paths not called (exact, or a prefix ending in *)", 0},
	{"rate_limit_path", VS_OPT_STRING, "/api/auth/verify", "path of the rate-limit burst (empty: skipped)", 0},
	{"rate_limit_per_minute", VS_OPT_INT, "200", "the target's limit per window", 0},
	{"rate_limit_extra", VS_OPT_INT, "20", "the burst sends limit + this many requests", 0},
	{"concurrency", VS_OPT_INT, "10", "requests in flight during the burst", 0},
	{"rate_rpm", VS_OPT_INT, "200", "paced run (plan 7.3): requests per minute", 0},
	{"rate_duration", VS_OPT_DURATION, "15s",
	 "paced run: length of each pace (CI default 15 s; 60s or more for the plan's full minute; 0 = off)", 0},
	{"rate_pace", VS_OPT_STRING, "constant,poisson", "paced run: the paces, each run in turn (seeded Poisson)", 0},
	{"rate_health_every", VS_OPT_DURATION, "2s", "paced run: /health asked this often meanwhile", 0},
	{"rate_window", VS_OPT_DURATION, "60s", "the limiter's window: recovery is expected after it", 0},
	/* the call placed during the paced run (api_call.c); base_url and db_url are the rows above */
	{"call_script", VS_OPT_STRING, "conf.d/scripts/telnyx-basic.ini",
	 "caller script of the call placed during the paced run (empty: no call)", 0},
	{"first_reply_within", VS_OPT_DURATION, "5s", "that call: stream start -> the agent's first reply", 0},
	{"call_answer_timeout", VS_OPT_DURATION, "10s", "that call: call.initiated -> the agent's answer", 0},
	{"webhook_path", VS_OPT_STRING, "/api/telnyx/webhook", "where Telnyx webhooks are POSTed", 0},
	VS_CALLOPT_TELEPHONY,
	VS_CALLOPT_WORLD("the world's control API (unset: the call check skips)", "the target's PID (unused here)"),
	{"caller_number", VS_OPT_STRING, "+15550109006", "the caller (from)", 0},
	VS_CALLOPT_PROVISION,
	VS_CALLOPT_TENANT("vstress api", "+15550100006", "+15550199006"),
	{0},
};

static int split_list(const char *v, char ***out, size_t *n)
{
	char *copy = strdup(v ? v : ""), *save = NULL, *t;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (!copy)
		return -1;
	for (t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char **grown;
		while (*t == ' ' || *t == '\t')
			t++;
		for (char *e = t + strlen(t); e > t && (e[-1] == ' ' || e[-1] == '\t'); e--)
			e[-1] = '\0';
		if (!*t)
			continue;
		grown = realloc(*out, (*n + 1) * sizeof(**out));
		if (!grown)
			goto out;
		*out = grown;
		if (!((*out)[*n] = strdup(t)))
			goto out;
		(*n)++;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

/* rate_pace: a list of constant / poisson (at most 8). */
static int paces_ok(struct api *a)
{
	const char *p = a->rl_paces;
	int n = 0;

	while (*p) {
		size_t len;
		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (!len)
			break;
		if (!((len == 8 && !strncmp(p, "constant", 8)) || (len == 7 && !strncmp(p, "poisson", 7))) || ++n > 8) {
			a->h->reason(a->c, "[api] rate_pace: \"%.*s\" is not constant or poisson (at most 8 items)",
				     (int)(len > 40 ? 40 : len), p);
			return -1;
		}
		p += len;
	}
	return 0;
}

#define S(k, f) {k, VS_POPT_STR, offsetof(struct api, f), 0}
#define I(k, f, min) {k, VS_POPT_INT, offsetof(struct api, f), min}
#define MS(k, f, min) {k, VS_POPT_MS, offsetof(struct api, f), min}
/* every option with a default in api_options: the table's default is the value */
static const struct vs_popt_bind api_binds[] = {
	{"base_url", VS_POPT_STRIP, offsetof(struct api, base), 0},
	S("rate_pace", rl_paces), S("health_path", health_path), S("health_body", health_body),
	S("login_path", login_path), S("login_body", login_body), S("username", username), S("password", password),
	S("token_field", token_field), S("verify_path", verify_path), S("logout_path", logout_path),
	S("protected_path", protected_path), S("cleanup_path", cleanup_path), S("openapi_path", openapi_path),
	S("rate_limit_path", rl_path),
	I("health_status", health_status, VS_POPT_ANY), I("unauthorized_status", unauth_status, VS_POPT_ANY),
	MS("session_ttl", ttl_ms, 0), MS("max_wait", max_wait_ms, 0), MS("request_timeout", req_timeout_ms, 1),
	I("max_body", max_body, 1), I("rate_limit_per_minute", rl_limit, 1), I("rate_limit_extra", rl_extra, 1),
	I("concurrency", rl_concurrency, 1), MS("rate_window", rl_window_ms, 0),
	{"pace", VS_POPT_DOUBLE, offsetof(struct api, pace), 1},
	I("rate_rpm", rl_rpm, 1), MS("rate_duration", rl_duration_ms, 0), MS("rate_health_every", rl_health_every_ms, 1),
	{0},
};

int api_conf_load(struct api *a)
{
	int rc = vs_popt_read(a->h, a->c, "api", api_binds, a);

	if (rc != VS_OK)
		return rc;
	if (split_list(a->h->opt(a->c, "exclude"), &a->exclude, &a->nexclude))
		return VS_ERROR;
	if (paces_ok(a))
		return VS_ECONFIG;
	if (a->rl_concurrency > 256)
		a->rl_concurrency = 256;
	return VS_OK;
}

void api_conf_free(struct api *a)
{
	vs_popt_free(api_binds, a);
	for (size_t i = 0; i < a->nexclude; i++)
		free(a->exclude[i]);
	free(a->exclude);
	a->exclude = NULL;
	a->nexclude = 0;
}
