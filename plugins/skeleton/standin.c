/* skeleton: the stand-in, a local server speaking the toy protocol of
 * skeleton.h, served by the world (include/vstress/world.h).  The world
 * calls skeleton_standin() once at start-up; the handler then runs on the
 * world's event loop and must not block: the answer is queued with a delay
 * ([skeleton] standin_delay_ms) instead of sleeping. */
#include "skeleton.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* The provider's own error shape, also used by the world's error faults. */
static int sk_error(const struct vs_world *w, vs_wctx *wc, vs_wresp *rs, int status, int mid_stream,
		    const char *message)
{
	(void)wc;
	(void)mid_stream; /* answers are never streamed */
	return w->resp_json_steal(rs, status, json_pack("{s:{s:s}}", "error", "message", message ? message : "error"));
}

static int h_echo(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	json_t *body = w->req_json(rq), *out;
	const char *key = json_string_value(json_object_get(body, "key"));
	const char *text = json_string_value(json_object_get(body, "text"));
	long long delay = w->conf_int(wc, "standin_delay_ms", 1);
	char *dump = NULL;
	int rc;

	(void)arg;
	w->count(wc, "requests", 1);
	if (!key || !*key || !text) {
		int no_key = !key || !*key; /* key and text belong to body */
		json_decref(body);
		w->count(wc, "errors", 1);
		return no_key ? w->resp_error(rs, 401, "missing API key (\"key\")")
			      : w->resp_error(rs, 400, "body must hold {\"text\": string}");
	}
	w->count(wc, "characters", (double)strlen(text));
	out = json_pack("{s:s,s:I}", "echo", text, "chars", (json_int_t)strlen(text));
	json_decref(body);
	if (out)
		dump = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	if (!dump)
		return -1;
	w->resp_status(rs, 200);
	w->resp_header(rs, "Content-Type", "application/json");
	rc = w->resp_body(rs, delay < 0 ? 0 : (uint32_t)delay, dump, strlen(dump));
	free(dump);
	return rc;
}

int skeleton_standin(const struct vs_world *w, vs_wctx *wc)
{
	int rc = 0;

	if (w->abi_version != VS_WORLD_ABI_VERSION || !VS_WORLD_HAS(w, export_env))
		return VS_ERROR;
	rc |= w->add_http_route(wc, "POST", SKELETON_PATH, h_echo, NULL);
	rc |= w->set_error_builder(wc, sk_error);
	/* What a target needs to reach this stand-in: its base URL and a
	 * dummy key (a hermetic target never holds a real one). */
	rc |= w->export_env(wc, "SKELETON_BASE_URL", "{http}");
	rc |= w->export_env(wc, "SKELETON_API_KEY", "skeleton-dummy-key");
	return rc ? VS_ERROR : VS_OK;
}
