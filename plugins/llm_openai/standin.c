/* OpenAI Chat Completions stand-in: POST /v1/chat/completions, streaming
 * (bare data: lines, a usage chunk with choices [] when asked, data: [DONE])
 * or not, tool calls, and OpenAI's error bodies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "vstress/world.h"
#include "standin.h"
#include "vstress/standin/standin_text.h"
#include "vstress/standin/wfmark.h"
#include "vstress/standin/llm_turn_done.h"
#include "vstress/standin/fooled.h"

static const char *err_type(int status, const char **code, const char **msg)
{
	switch (status) {
	case 400:
		*code = NULL;
		*msg = "Invalid request.";
		return "invalid_request_error";
	case 401:
		*code = "invalid_api_key";
		*msg = "Incorrect API key provided: sk-***. You can find your API key at "
		       "https://platform.openai.com/account/api-keys.";
		return "invalid_request_error";
	case 403:
		*code = "unsupported_country_region_territory";
		*msg = "Country, region, or territory not supported";
		return "request_forbidden";
	case 404:
		*code = "model_not_found";
		*msg = "The model does not exist or you do not have access to it.";
		return "invalid_request_error";
	case 429:
		*code = "rate_limit_exceeded";
		*msg = "Rate limit reached for requests. Please try again in 1s.";
		return "requests";
	case 503:
		*code = NULL;
		*msg = "The engine is currently overloaded, please try again later";
		return "server_error";
	default:
		*code = NULL;
		*msg = "The server had an error while processing your request. Sorry about that!";
		return "server_error";
	}
}

static int oa_error(const struct vs_world *w, vs_wctx *wc, vs_wresp *rs, int status, int mid_stream,
		    const char *message)
{
	const char *code, *msg;
	const char *type = err_type(status, &code, &msg);
	json_t *e = json_pack("{s:{s:s,s:s,s:n,s:o}}", "error", "message", message ? message : msg, "type", type,
			      "param", "code", code ? json_string(code) : json_null());
	w->count(wc, "errors", 1);
	if (mid_stream) {
		return vs_st_sse_json(w, rs, 0, NULL, e);
	}
	char rid[40];
	vs_st_make_id(rid, sizeof rid, "req_", w->rand(wc));
	w->resp_header(rs, "x-request-id", rid);
	return w->resp_json_steal(rs, status, e);
}

/* The caller's last words, and whether the last message is a tool result. */
static char *last_user(const json_t *messages, int *after_tool)
{
	size_t n = json_array_size(messages);
	*after_tool = 0;
	if (n) {
		const char *role = json_string_value(json_object_get(json_array_get(messages, n - 1), "role"));
		*after_tool = role && !strcmp(role, "tool");
	}
	for (size_t i = n; i-- > 0;) {
		const json_t *m = json_array_get(messages, i);
		const char *role = json_string_value(json_object_get(m, "role"));
		if (role && !strcmp(role, "user"))
			return vs_st_content_text(json_object_get(m, "content"));
	}
	return strdup("");
}

static int has_tool(const json_t *tools, const char *name)
{
	size_t i;
	json_t *t;
	json_array_foreach(tools, i, t)
	{
		const char *n = json_string_value(json_object_get(json_object_get(t, "function"), "name"));
		if (n && !strcmp(n, name))
			return 1;
	}
	return 0;
}

static json_t *chunk_base(const char *id, long created, const char *model)
{
	return json_pack("{s:s,s:s,s:I,s:s,s:s,s:[],s:n}", "id", id, "object", "chat.completion.chunk", "created",
			 (json_int_t)created, "model", model, "system_fingerprint", "fp_vstress", "choices", "usage");
}

static json_t *choice(json_t *delta, const char *finish)
{
	return json_pack("{s:i,s:o,s:n,s:o}", "index", 0, "delta", delta, "logprobs", "finish_reason",
			 finish ? json_string(finish) : json_null());
}

static int check_auth(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs)
{
	const char *want = w->conf(wc, "api_key");
	const char *auth = w->req_header(rq, "Authorization");
	if (!auth || strncmp(auth, "Bearer ", 7) || !auth[7] || (want && *want && strcmp(auth + 7, want))) {
		oa_error(w, wc, rs, 401, 0, auth ? NULL : "You didn't provide an API key.");
		return -1;
	}
	return 0;
}

static int h_chat(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)arg;
	struct vs_st_turn t = {0};
	int rc = 0;
	uint64_t req_ns = vs_wf_now_ns();
	if (check_auth(w, wc, rq, rs) < 0)
		goto out;
	t.req = w->req_json(rq);
	const json_t *messages = json_object_get(t.req, "messages");
	if (!json_is_object(t.req) || !json_is_array(messages) || !json_string_value(json_object_get(t.req, "model"))) {
		oa_error(w, wc, rs, 400, 0, "'messages' and 'model' are required properties.");
		goto out;
	}
	const char *model = json_string_value(json_object_get(t.req, "model"));
	int stream = json_is_true(json_object_get(t.req, "stream"));
	int usage_chunk = json_is_true(json_object_get(json_object_get(t.req, "stream_options"), "include_usage"));
	const json_t *tools = json_object_get(t.req, "tools");
	int after_tool;
	t.user = last_user(messages, &after_tool);
	vs_st_turn_answer(w, wc, &t, after_tool, tools, has_tool, 0);
	long prompt = vs_st_count_tokens_json(messages) + (tools ? vs_st_count_tokens_json(tools) : 0);
	char id[48], callid[48];
	vs_st_make_id(id, sizeof id, "chatcmpl-", w->rand(wc));
	vs_st_make_id(callid, sizeof callid, "call_", w->rand(wc));
	long created = (long)time(NULL);
	/* the first content token one token_ms after the (empty) role chunk */
	vs_st_turn_done(w, wc, &t,
			&(struct vs_st_turn_meta){.provider = "openai", .model = model, .id = id, .in_tokens = prompt,
						  .req_ns = req_ns, .stream = stream, .lead = 1,
						  .user = json_string_value(json_object_get(t.req, "user"))});
	w->log(wc, VS_LOG_DEBUG, "rule %s for \"%s\"", t.rep.rule, t.user);
	w->resp_header(rs, "openai-processing-ms", "1");
	w->resp_header(rs, "x-request-id", id);

	if (!stream) {
		json_t *msg = json_pack("{s:s,s:o,s:n}", "role", "assistant", "content",
					t.tool ? json_null() : json_string(t.text), "refusal");
		if (t.tool)
			json_object_set_new(msg, "tool_calls",
					    json_pack("[{s:s,s:s,s:{s:s,s:s}}]", "id", callid, "type", "function",
						      "function", "name", t.tool, "arguments", t.rep.tool_args));
		json_t *body = json_pack(
			"{s:s,s:s,s:I,s:s,s:s,s:[{s:i,s:o,s:n,s:s}],s:{s:I,s:I,s:I,s:{s:i},s:{s:i}}}", "id", id,
			"object", "chat.completion", "created", (json_int_t)created, "model", model,
			"system_fingerprint", "fp_vstress", "choices", "index", 0, "message", msg, "logprobs",
			"finish_reason", t.tool ? "tool_calls" : "stop", "usage", "prompt_tokens", (json_int_t)prompt,
			"completion_tokens", (json_int_t)t.out_tokens, "total_tokens", (json_int_t)(prompt + t.out_tokens),
			"prompt_tokens_details", "cached_tokens", 0, "completion_tokens_details", "reasoning_tokens", 0);
		rc = vs_st_turn_send(w, rs, &t, "application/json", body);
		goto out;
	}

	w->resp_status(rs, 200);
	if (w->resp_stream(rs, VS_STREAM_SSE) < 0) {
		rc = -1;
		goto out;
	}
	json_t *c = chunk_base(id, created, model);
	json_array_append_new(json_object_get(c, "choices"),
			      choice(t.tool ? json_pack("{s:s,s:n,s:[{s:i,s:s,s:s,s:{s:s,s:s}}]}", "role", "assistant",
						      "content", "tool_calls", "index", 0, "id", callid, "type",
						      "function", "function", "name", t.tool, "arguments", "")
					  : json_pack("{s:s,s:s}", "role", "assistant", "content", ""),
				     NULL));
	vs_st_sse_json(w, rs, t.ttft, NULL, c);
	if (t.tool) {
		/* the arguments in a few fragments */
		size_t al = strlen(t.rep.tool_args), step = al / 3 + 1;
		for (size_t off = 0; off < al; off += step) {
			char frag[512];
			snprintf(frag, sizeof frag, "%.*s", (int)(al - off < step ? al - off : step), t.rep.tool_args + off);
			c = chunk_base(id, created, model);
			json_array_append_new(json_object_get(c, "choices"),
					      choice(json_pack("{s:[{s:i,s:{s:s}}]}", "tool_calls", "index", 0, "function",
							       "arguments", frag),
						     NULL));
			vs_st_sse_json(w, rs, t.per, NULL, c);
		}
	}
	for (size_t i = 0; i < t.ntok; i++) {
		c = chunk_base(id, created, model);
		json_array_append_new(json_object_get(c, "choices"), choice(json_pack("{s:s}", "content", t.tok[i]), NULL));
		vs_st_sse_json(w, rs, t.per, NULL, c);
	}
	c = chunk_base(id, created, model);
	json_array_append_new(json_object_get(c, "choices"), choice(json_object(), t.tool ? "tool_calls" : "stop"));
	vs_st_sse_json(w, rs, t.per, NULL, c);
	if (usage_chunk) {
		c = chunk_base(id, created, model);
		json_object_set_new(c, "usage",
				    json_pack("{s:I,s:I,s:I,s:{s:i},s:{s:i}}", "prompt_tokens", (json_int_t)prompt,
					      "completion_tokens", (json_int_t)t.out_tokens, "total_tokens",
					      (json_int_t)(prompt + t.out_tokens), "prompt_tokens_details", "cached_tokens", 0,
					      "completion_tokens_details", "reasoning_tokens", 0));
		vs_st_sse_json(w, rs, 0, NULL, c);
	}
	w->resp_sse(rs, 0, NULL, "[DONE]");
out:
	vs_st_turn_free(&t);
	return rc;
}

static int h_models(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)arg;
	if (check_auth(w, wc, rq, rs) < 0)
		return 0;
	return w->resp_json_steal(rs, 200,
				  json_pack("{s:s,s:[{s:s,s:s,s:i,s:s},{s:s,s:s,s:i,s:s}]}", "object", "list", "data",
					    "id", "gpt-4.1", "object", "model", "created", 1744316542, "owned_by",
					    "system", "id", "gpt-4o-mini", "object", "model", "created", 1721172741,
					    "owned_by", "system"));
}

int llm_openai_standin(const struct vs_world *w, vs_wctx *wc)
{
	if (w->abi_version != VS_WORLD_ABI_VERSION || !VS_WORLD_HAS(w, export_env))
		return VS_ERROR;
	int rc = 0;
	rc |= w->add_http_route(wc, "POST", "/v1/chat/completions", h_chat, NULL);
	rc |= w->add_http_route(wc, "POST", "/chat/completions", h_chat, NULL);
	rc |= w->add_http_route(wc, "GET", "/v1/models", h_models, NULL);
	rc |= w->set_error_builder(wc, oa_error);
	rc |= vs_st_fooled_routes(w, wc, "llm_openai");
	rc |= w->export_env(wc, "OPENAI_BASE_URL", "{http}/v1");
	rc |= w->export_env(wc, "OPENAI_API_KEY", "sk-vstress-dummy");
	return rc ? VS_ERROR : VS_OK;
}
