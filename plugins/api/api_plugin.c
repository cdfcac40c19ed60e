/* api plugin: setup/run/teardown and the order of the phases. */
#include "api.h"

#include <stdlib.h>
#include <string.h>

static int api_setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	struct api *a = calloc(1, sizeof(*a));
	int rc;

	*state = a;
	if (!a)
		return VS_ERROR;
	a->h = h;
	a->c = c;
	rc = api_conf_load(a);
	if (rc != VS_OK)
		return rc;
	a->data = json_object();
	if (!a->data)
		return VS_ERROR;
	if (!*a->base) {
		h->reason(c, "no target URL (set [api] base_url or run with a target: VSTRESS_TARGET_URL)");
		return VS_SKIP;
	}
	if (strncmp(a->base, "http://", 7) && strncmp(a->base, "https://", 8)) {
		h->reason(c, "[api] base_url = %s: expected http:// or https://", a->base);
		return VS_ECONFIG;
	}
	rc = api_call_setup(a);
	if (rc != VS_OK)
		return rc;
	if (api_http_init(a)) {
		h->reason(c, "libcurl initialisation failed");
		return VS_ERROR;
	}
	return VS_OK;
}

static int api_run(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct api *a = state;

	h->log(c, VS_LOG_INFO, "target %s", a->base);
	json_object_set_new(a->data, "base_url", json_string(a->base));
	api_health(a);
	if (a->down)
		return VS_OK; /* health said why; nothing else can answer */
	if (!h->should_stop(c))
		api_auth(a);
	if (!h->should_stop(c))
		api_paced(a); /* 7.3 at the stated rate, before the burst fills the window */
	if (!h->should_stop(c))
		api_ratelimit(a); /* last: it fills the limiter's window */
	return VS_OK;
}

static int api_teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct api *a = state;

	if (!a)
		return VS_OK;
	if (a->data) {
		if (json_object_size(a->data))
			h->attach(c, "api", a->data);
		else
			json_decref(a->data);
	}
	api_call_free(a);
	api_token_free(&a->tok);
	api_http_free(a);
	api_conf_free(a);
	free(a);
	return VS_OK;
}

VS_PLUGIN(.name = "api", .version = API_VERSION,
	  .description = "HTTP API of the target: health, session auth flow, OpenAPI GET endpoints, rate limiting",
	  .options = api_options, .setup = api_setup, .run = api_run, .teardown = api_teardown);
