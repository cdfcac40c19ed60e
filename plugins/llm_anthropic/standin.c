/* Anthropic Messages stand-in: POST /v1/messages (also ?beta=true),
 * streaming with an event: line on every event (message_start ...
 * message_stop, ping), integer input_tokens in message_delta.usage, tool
 * use, and Anthropic's error bodies (401, 429, 529 overloaded_error; an
 * error event inside the stream). */
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

static const char *err_type(int status, const char **msg)
{
	switch (status) {
	case 400: *msg = "Invalid request."; return "invalid_request_error";
	case 401: *msg = "invalid x-api-key"; return "authentication_error";
	case 403: *msg = "Your API key does not have permission to use the specified resource."; return "permission_error";
	case 404: *msg = "The requested resource could not be found."; return "not_found_error";
	case 413: *msg = "Request exceeds the maximum allowed number of bytes."; return "request_too_large";
	case 429: *msg = "Number of request tokens has exceeded your per-minute rate limit."; return "rate_limit_error";
	case 529: *msg = "Overloaded"; return "overloaded_error";
	default: *msg = "Internal server error"; return "api_error";
	}
}

static int an_error(const struct vs_world *w, vs_wctx *wc, vs_wresp *rs, int status, int mid_stream,
		    const char *message)
{
	const char *msg;
	const char *type = err_type(status, &msg);
	char rid[40];
	vs_st_make_id(rid, sizeof rid, "req_011C", w->rand(wc));
	w->count(wc, "errors", 1);
	if (mid_stream) {
		json_t *e = json_pack("{s:s,s:{s:s,s:s}}", "type", "error", "error", "type", type, "message",
				      message ? message : msg);
		return vs_st_sse_json(w, rs, 0, "error", e);
	}
	w->resp_header(rs, "request-id", rid);
	if (status == 429)
		w->resp_header(rs, "retry-after", "1");
	return w->resp_json_steal(rs, status,
				  json_pack("{s:s,s:{s:s,s:s},s:s}", "type", "error", "error", "type", type, "message",
					    message ? message : msg, "request_id", rid));
}

/* The caller's last words; after_tool when the last user turn carries a
 * tool_result. */
static char *last_user(const json_t *messages, int *after_tool)
{
	*after_tool = 0;
	for (size_t i = json_array_size(messages); i-- > 0;) {
		const json_t *m = json_array_get(messages, i);
		const char *role = json_string_value(json_object_get(m, "role"));
		if (!role || strcmp(role, "user"))
			continue;
		const json_t *content = json_object_get(m, "content");
		size_t k;
		json_t *b;
		if (i == json_array_size(messages) - 1 && json_is_array(content))
			json_array_foreach(content, k, b)
			{
				const char *t = json_string_value(json_object_get(b, "type"));
				if (t && !strcmp(t, "tool_result"))
					*after_tool = 1;
			}
		return vs_st_content_text(content);
	}
	return strdup("");
}

static int has_tool(const json_t *tools, const char *name)
{
	size_t i;
	json_t *t;
	json_array_foreach(tools, i, t)
	{
		const char *n = json_string_value(json_object_get(t, "name"));
		if (n && !strcmp(n, name))
			return 1;
	}
	return 0;
}

static json_t *usage(long in, long out)
{
	return json_pack("{s:I,s:i,s:i,s:I,s:s}", "input_tokens", (json_int_t)in, "cache_creation_input_tokens", 0,
			 "cache_read_input_tokens", 0, "output_tokens", (json_int_t)out, "service_tier", "standard");
}

static int h_messages(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)arg;
	struct vs_st_turn t = {0};
	int rc = 0;
	uint64_t req_ns = vs_wf_now_ns();
	const char *want = w->conf(wc, "api_key");
	const char *key = w->req_header(rq, "x-api-key");
	const char *auth = w->req_header(rq, "Authorization");
	if (!key && auth && !strncmp(auth, "Bearer ", 7))
		key = auth + 7;
	if (!key || !*key || (want && *want && strcmp(key, want))) {
		an_error(w, wc, rs, 401, 0, NULL);
		goto out;
	}
	if (!w->req_header(rq, "anthropic-version")) {
		an_error(w, wc, rs, 400, 0, "anthropic-version: header is required");
		goto out;
	}
	t.req = w->req_json(rq);
	const json_t *messages = json_object_get(t.req, "messages");
	const char *model = json_string_value(json_object_get(t.req, "model"));
	if (!json_is_array(messages) || !model || !json_is_integer(json_object_get(t.req, "max_tokens"))) {
		an_error(w, wc, rs, 400, 0, "model, max_tokens and messages are required");
		goto out;
	}
	const json_t *tools = json_object_get(t.req, "tools");
	int stream = json_is_true(json_object_get(t.req, "stream")), after_tool;
	t.user = last_user(messages, &after_tool);
	vs_st_turn_answer(w, wc, &t, after_tool, tools, has_tool, 1);
	long in = vs_st_count_tokens_json(messages) + vs_st_count_tokens_json(json_object_get(t.req, "system")) +
		  (tools ? vs_st_count_tokens_json(tools) : 0);
	char id[48], tid[48];
	vs_st_make_id(id, sizeof id, "msg_01", w->rand(wc));
	vs_st_make_id(tid, sizeof tid, "toolu_01", w->rand(wc));
	vs_st_turn_done(w, wc, &t,
			&(struct vs_st_turn_meta){
				.provider = "anthropic", .model = model, .id = id, .in_tokens = in, .req_ns = req_ns,
				.stream = stream,
				.user = json_string_value(json_object_get(json_object_get(t.req, "metadata"), "user_id"))});
	const char *stop = t.tool ? "tool_use" : "end_turn";
	json_t *tool_input = t.tool ? json_loads(t.rep.tool_args, 0, NULL) : NULL;
	if (t.tool && !tool_input)
		tool_input = json_object();

	if (!stream) {
		json_t *content = json_array();
		if (*t.text)
			json_array_append_new(content, json_pack("{s:s,s:s}", "type", "text", "text", t.text));
		if (t.tool)
			json_array_append_new(content, json_pack("{s:s,s:s,s:s,s:O}", "type", "tool_use", "id", tid, "name",
								 t.tool, "input", tool_input));
		json_t *m = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:n,s:o}", "id", id, "type", "message", "role", "assistant",
				      "model", model, "content", content, "stop_reason", stop, "stop_sequence", "usage",
				      usage(in, t.out_tokens));
		rc = vs_st_turn_send(w, rs, &t, "application/json", m);
		json_decref(tool_input);
		goto out;
	}
	w->resp_status(rs, 200);
	w->resp_header(rs, "request-id", id);
	if (w->resp_stream(rs, VS_STREAM_SSE) < 0) {
		json_decref(tool_input);
		rc = -1;
		goto out;
	}
	vs_st_sse_json(w, rs, 0, "message_start",
	   json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:[],s:n,s:n,s:o}}", "type", "message_start", "message", "id", id, "type",
		     "message", "role", "assistant", "model", model, "content", "stop_reason", "stop_sequence", "usage",
		     usage(in, 1)));
	int idx = 0;
	if (*t.text) {
		vs_st_sse_json(w, rs, t.ttft, "content_block_start",
		   json_pack("{s:s,s:i,s:{s:s,s:s}}", "type", "content_block_start", "index", idx, "content_block", "type",
			     "text", "text", ""));
		vs_st_sse_json(w, rs, 0, "ping", json_pack("{s:s}", "type", "ping"));
		for (size_t i = 0; i < t.ntok; i++)
			vs_st_sse_json(w, rs, i ? t.per : 0, "content_block_delta",
			   json_pack("{s:s,s:i,s:{s:s,s:s}}", "type", "content_block_delta", "index", idx, "delta", "type",
				     "text_delta", "text", t.tok[i]));
		vs_st_sse_json(w, rs, 0, "content_block_stop", json_pack("{s:s,s:i}", "type", "content_block_stop", "index", idx));
		idx++;
	}
	if (t.tool) {
		vs_st_sse_json(w, rs, *t.text ? t.per : t.ttft, "content_block_start",
		   json_pack("{s:s,s:i,s:{s:s,s:s,s:s,s:{}}}", "type", "content_block_start", "index", idx,
			     "content_block", "type", "tool_use", "id", tid, "name", t.tool, "input"));
		char *args = json_dumps(tool_input, JSON_COMPACT);
		size_t al = args ? strlen(args) : 0, step = al / 3 + 1;
		for (size_t off = 0; off < al; off += step) {
			char frag[512];
			snprintf(frag, sizeof frag, "%.*s", (int)(al - off < step ? al - off : step), args + off);
			vs_st_sse_json(w, rs, t.per, "content_block_delta",
			   json_pack("{s:s,s:i,s:{s:s,s:s}}", "type", "content_block_delta", "index", idx, "delta", "type",
				     "input_json_delta", "partial_json", frag));
		}
		free(args);
		vs_st_sse_json(w, rs, 0, "content_block_stop", json_pack("{s:s,s:i}", "type", "content_block_stop", "index", idx));
	}
	json_decref(tool_input);
	vs_st_sse_json(w, rs, t.per, "message_delta",
	   json_pack("{s:s,s:{s:s,s:n},s:o}", "type", "message_delta", "delta", "stop_reason", stop, "stop_sequence",
		     "usage", usage(in, t.out_tokens)));
	vs_st_sse_json(w, rs, 0, "message_stop", json_pack("{s:s}", "type", "message_stop"));
out:
	vs_st_turn_free(&t);
	return rc;
}

int llm_anthropic_standin(const struct vs_world *w, vs_wctx *wc)
{
	if (w->abi_version != VS_WORLD_ABI_VERSION || !VS_WORLD_HAS(w, export_env))
		return VS_ERROR;
	int rc = 0;
	rc |= w->add_http_route(wc, "POST", "/v1/messages", h_messages, NULL);
	rc |= w->set_error_builder(wc, an_error);
	rc |= w->export_env(wc, "ANTHROPIC_BASE_URL", "{http}");
	rc |= vs_st_fooled_routes(w, wc, "llm_anthropic");
	rc |= w->export_env(wc, "ANTHROPIC_API_KEY", "sk-ant-vstress-dummy");
	return rc ? VS_ERROR : VS_OK;
}
