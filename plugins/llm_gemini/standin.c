/* Gemini (Developer API) stand-in: POST /v1beta/models/{model}:
 * streamGenerateContent?alt=sse and :generateContent, camelCase JSON,
 * usageMetadata on every chunk, functionCall parts, a bad key answering
 * 400 API_KEY_INVALID, and Google's error bodies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vstress/standin/wfmark.h"
#include "vstress/world.h"
#include "standin.h"
#include "vstress/standin/standin_text.h"
#include "vstress/standin/llm_turn_done.h"
#include "vstress/standin/fooled.h"

static const char *status_name(int status)
{
	switch (status) {
	case 400: return "INVALID_ARGUMENT";
	case 401: return "UNAUTHENTICATED";
	case 403: return "PERMISSION_DENIED";
	case 404: return "NOT_FOUND";
	case 429: return "RESOURCE_EXHAUSTED";
	case 503: return "UNAVAILABLE";
	case 504: return "DEADLINE_EXCEEDED";
	default: return "INTERNAL";
	}
}

static const char *default_msg(int status)
{
	switch (status) {
	case 429: return "Resource has been exhausted (e.g. check quota).";
	case 503: return "The model is overloaded. Please try again later.";
	case 400: return "Request contains an invalid argument.";
	default: return "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting";
	}
}

static int gm_error(const struct vs_world *w, vs_wctx *wc, vs_wresp *rs, int status, int mid_stream,
		    const char *message)
{
	json_t *e = json_pack("{s:{s:i,s:s,s:s}}", "error", "code", status, "message", message ? message : default_msg(status),
			      "status", status_name(status));
	w->count(wc, "errors", 1);
	if (mid_stream) {
		return vs_st_sse_json(w, rs, 0, NULL, e);
	}
	return w->resp_json_steal(rs, status, e);
}

static int bad_key(const struct vs_world *w, vs_wctx *wc, vs_wresp *rs)
{
	w->count(wc, "errors", 1);
	return w->resp_json_steal(
		rs, 400,
		json_pack("{s:{s:i,s:s,s:s,s:[{s:s,s:s,s:s,s:{s:s}}]}}", "error", "code", 400, "message",
			  "API key not valid. Please pass a valid API key.", "status", "INVALID_ARGUMENT", "details", "@type",
			  "type.googleapis.com/google.rpc.ErrorInfo", "reason", "API_KEY_INVALID", "domain",
			  "googleapis.com", "metadata", "service", "generativelanguage.googleapis.com"));
}

/* camelCase or snake_case */
static const json_t *get2(const json_t *o, const char *camel, const char *snake)
{
	const json_t *v = json_object_get(o, camel);
	return v ? v : json_object_get(o, snake);
}

static char *last_user(const json_t *contents, int *after_tool)
{
	*after_tool = 0;
	size_t n = json_array_size(contents);
	for (size_t i = n; i-- > 0;) {
		const json_t *c = json_array_get(contents, i);
		const char *role = json_string_value(json_object_get(c, "role"));
		const json_t *parts = json_object_get(c, "parts");
		size_t k;
		json_t *p;
		if (role && strcmp(role, "user"))
			continue;
		json_array_foreach(parts, k, p)
			if (i == n - 1 && get2(p, "functionResponse", "function_response"))
				*after_tool = 1;
		return vs_st_content_text(parts);
	}
	return strdup("");
}

static int has_tool(const json_t *tools, const char *name)
{
	size_t i, k;
	json_t *t, *f;
	json_array_foreach(tools, i, t)
	{
		json_array_foreach(get2(t, "functionDeclarations", "function_declarations"), k, f)
		{
			const char *n = json_string_value(json_object_get(f, "name"));
			if (n && !strcmp(n, name))
				return 1;
		}
	}
	return 0;
}

static json_t *usage_md(long in, long out)
{
	return json_pack("{s:I,s:I,s:I,s:[{s:s,s:I}]}", "promptTokenCount", (json_int_t)in, "candidatesTokenCount",
			 (json_int_t)out, "totalTokenCount", (json_int_t)(in + out), "promptTokensDetails", "modality",
			 "TEXT", "tokenCount", (json_int_t)in);
}

static json_t *chunk(const char *model, const char *rid, json_t *part, const char *finish, long in, long out)
{
	json_t *cand = json_pack("{s:{s:[o],s:s},s:i}", "content", "parts", part, "role", "model", "index", 0);
	if (finish)
		json_object_set_new(cand, "finishReason", json_string(finish));
	return json_pack("{s:[o],s:o,s:s,s:s}", "candidates", cand, "usageMetadata", usage_md(in, out), "modelVersion",
			 model, "responseId", rid);
}

static int handle(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, int stream)
{
	struct vs_st_turn t = {0};
	int rc = 0;
	uint64_t req_ns = vs_wf_now_ns();
	const char *want = w->conf(wc, "api_key");
	const char *key = w->req_header(rq, "x-goog-api-key");
	if (!key)
		key = w->req_query(rq, "key");
	if (!key || !*key || (want && *want && strcmp(key, want))) {
		bad_key(w, wc, rs);
		goto out;
	}
	t.req = w->req_json(rq);
	const json_t *contents = json_object_get(t.req, "contents");
	if (!json_is_array(contents)) {
		gm_error(w, wc, rs, 400, 0, "* GenerateContentRequest.contents: contents is not specified");
		goto out;
	}
	const char *model = w->req_param(rq, "model");
	const json_t *tools = json_object_get(t.req, "tools");
	int after_tool;
	t.user = last_user(contents, &after_tool);
	vs_st_turn_answer(w, wc, &t, after_tool, tools, has_tool, 0); /* Gemini answers a function call alone */
	long in = vs_st_count_tokens_json(contents) +
		  vs_st_count_tokens_json(get2(t.req, "systemInstruction", "system_instruction"));
	char rid[40];
	vs_st_make_id(rid, sizeof rid, "", w->rand(wc));
	vs_st_turn_done(w, wc, &t,
			&(struct vs_st_turn_meta){.provider = "gemini", .model = model, .id = rid, .in_tokens = in,
						  .req_ns = req_ns, .stream = stream});
	json_t *args = t.tool ? json_loads(t.rep.tool_args, 0, NULL) : NULL;
	if (t.tool && !args)
		args = json_object();

	if (!stream) {
		json_t *part = t.tool ? json_pack("{s:{s:s,s:O}}", "functionCall", "name", t.tool, "args", args)
				    : json_pack("{s:s}", "text", t.text);
		json_t *body = chunk(model, rid, part, "STOP", in, t.out_tokens);
		json_decref(args);
		rc = vs_st_turn_send(w, rs, &t, "application/json; charset=UTF-8", body);
		goto out;
	}
	w->resp_status(rs, 200);
	if (w->resp_stream(rs, VS_STREAM_SSE) < 0) {
		json_decref(args);
		rc = -1;
		goto out;
	}
	if (t.tool) {
		json_t *c = chunk(model, rid, json_pack("{s:{s:s,s:O}}", "functionCall", "name", t.tool, "args", args), "STOP",
				  in, t.out_tokens);
		vs_st_sse_json(w, rs, t.ttft, NULL, c);
	}
	json_decref(args);
	for (size_t i = 0; i < t.ntok; i++) {
		json_t *c = chunk(model, rid, json_pack("{s:s}", "text", t.tok[i]), i + 1 == t.ntok ? "STOP" : NULL, in,
				  (long)i + 1);
		vs_st_sse_json(w, rs, i ? t.per : t.ttft, NULL, c);
	}
out:
	vs_st_turn_free(&t);
	return rc;
}

static int h_stream(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)arg;
	return handle(w, wc, rq, rs, 1);
}

static int h_once(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)arg;
	return handle(w, wc, rq, rs, 0);
}

int llm_gemini_standin(const struct vs_world *w, vs_wctx *wc)
{
	if (w->abi_version != VS_WORLD_ABI_VERSION || !VS_WORLD_HAS(w, export_env))
		return VS_ERROR;
	int rc = 0;
	static const char *const vers[] = {"v1beta", "v1", "v1alpha"};
	for (int i = 0; i < 3; i++) {
		char p[128];
		snprintf(p, sizeof p, "/%s/models/{model}:streamGenerateContent", vers[i]);
		rc |= w->add_http_route(wc, "POST", p, h_stream, NULL);
		snprintf(p, sizeof p, "/%s/models/{model}:generateContent", vers[i]);
		rc |= w->add_http_route(wc, "POST", p, h_once, NULL);
	}
	rc |= w->set_error_builder(wc, gm_error);
	rc |= w->export_env(wc, "GOOGLE_GEMINI_BASE_URL", "{http}");
	rc |= vs_st_fooled_routes(w, wc, "llm_gemini");
	rc |= w->export_env(wc, "GEMINI_API_KEY", "vstress-dummy");
	return rc ? VS_ERROR : VS_OK;
}
