/* llm_openai probe: POST {base}/v1/chat/completions with stream:true and
 * stream_options.include_usage; bare "data:" SSE chunks, usage in the last
 * chunk (choices []), "data: [DONE]" at the end.  Errors: HTTP bodies and
 * in-stream chunks {"error":{"message","type","param","code"}}
 * (insufficient_quota is a quota, not a rate limit). */
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int oa_request(const struct llm_req *q, char **url, struct curl_slist **hdrs, char **body)
{
	char auth[2048];
	size_t n = strlen(q->base_url);
	json_t *msgs = json_array(), *b;
	size_t i;
	json_t *m;

	/* base_url may be given with or without the SDK's /v1 */
	if (asprintf(url, "%s%s/chat/completions", q->base_url,
		     n >= 3 && !strcmp(q->base_url + n - 3, "/v1") ? "" : "/v1") < 0)
		return -1;
	if (q->system)
		json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "system", "content", q->system));
	json_array_foreach(q->messages, i, m) json_array_append(msgs, m);
	b = json_pack("{s:s,s:b,s:{s:b},s:I,s:o}", "model", q->model, "stream", 1, "stream_options", "include_usage", 1,
		      "max_tokens", (json_int_t)q->max_tokens, "messages", msgs);
	*body = b ? json_dumps(b, JSON_COMPACT) : NULL;
	json_decref(b);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", q->api_key);
	*hdrs = curl_slist_append(*hdrs, auth);
	return *body ? 0 : -1;
}

/* {"error":{...}}: class from its code/type and the HTTP status. */
static void oa_error_obj(struct llm_result *r, long status, const json_t *e)
{
	const char *msg = json_string_value(json_object_get(e, "message"));
	const char *type = json_string_value(json_object_get(e, "type"));
	const char *code = json_string_value(json_object_get(e, "code"));
	int cls = llm_class_of_status(status);

	if ((code && !strcmp(code, "insufficient_quota")) || (type && !strcmp(type, "insufficient_quota")))
		cls = LLM_QUOTA;
	else if (code && (!strcmp(code, "invalid_api_key") || !strcmp(code, "unsupported_country_region_territory")))
		cls = LLM_AUTH;
	else if (code && !strcmp(code, "rate_limit_exceeded"))
		cls = LLM_RATE_LIMIT;
	else if (status >= 200 && status < 300) /* in-stream: no status, only the type */
		cls = type && !strcmp(type, "invalid_request_error") ? LLM_CLIENT_ERROR : LLM_SERVER_ERROR;
	char where[32];
	if (status >= 300)
		snprintf(where, sizeof(where), "HTTP %ld", status);
	else
		snprintf(where, sizeof(where), "in-stream error");
	llm_result_fail(r, cls, "%s %s: %s", where, code ? code : (type ? type : "error"), msg ? msg : "(no message)");
}

static void oa_event(struct llm_result *r, const char *event, const char *data, size_t len)
{
	json_t *j;
	(void)event;
	if (len >= 6 && !strncmp(data, "[DONE]", 6)) {
		r->done = 1;
		return;
	}
	if (r->done) {
		llm_result_fail(r, LLM_MALFORMED, "data after [DONE]: %.80s", data);
		return;
	}
	if (!(j = llm_chunk_obj(r, data, len, "chunk", oa_error_obj)))
		return;
	json_t *choices = json_object_get(j, "choices");
	if (!json_is_array(choices)) {
		llm_result_fail(r, LLM_MALFORMED, "chunk without choices: %.80s", data);
		goto out;
	}
	size_t i;
	json_t *ch;
	json_array_foreach(choices, i, ch)
	{
		json_t *d = json_object_get(ch, "delta");
		const char *t = json_string_value(json_object_get(d, "content"));
		if (t && *t)
			llm_result_text(r, t, strlen(t));
		else if (json_array_size(json_object_get(d, "tool_calls")))
			llm_result_first(r);
	}
	json_t *u = json_object_get(j, "usage");
	if (json_is_object(u)) {
		r->usage = 1;
		r->tokens_in = (long)json_integer_value(json_object_get(u, "prompt_tokens"));
		r->tokens_out = (long)json_integer_value(json_object_get(u, "completion_tokens"));
	}
out:
	json_decref(j);
}

static void oa_error_body(struct llm_result *r, long status, const char *body, size_t len)
{
	llm_error_body_obj(r, status, body, len, "OpenAI's error object", oa_error_obj);
}

const struct llm_wire oa_wire = {
	.provider = "openai",
	.key_env = "OPENAI_API_KEY",
	.standin = "llm_openai",
	.end_marker = "data: [DONE]",
	.request = oa_request,
	.event = oa_event,
	.error_body = oa_error_body,
};
