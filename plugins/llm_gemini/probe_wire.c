/* llm_gemini probe: POST {base}/v1beta/models/{model}:streamGenerateContent?alt=sse
 * with x-goog-api-key; camelCase body (contents, systemInstruction,
 * generationConfig).  Bare "data:" chunks with candidates[].content.parts[]
 * .text and usageMetadata (the last one wins); no terminator: the chunk with
 * a finishReason ends it.  Errors: {"error":{"code","message","status"}},
 * HTTP or in-stream; a bad key is 400 INVALID_ARGUMENT with reason
 * API_KEY_INVALID (auth, not a client error). */
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int gm_request(const struct llm_req *q, char **url, struct curl_slist **hdrs, char **body)
{
	char auth[2048];
	json_t *contents = json_array(), *b;
	size_t i;
	json_t *m;

	if (asprintf(url, "%s/v1beta/models/%s:streamGenerateContent?alt=sse", q->base_url, q->model) < 0)
		return -1;
	json_array_foreach(q->messages, i, m)
	{
		const char *role = json_string_value(json_object_get(m, "role"));
		const char *text = json_string_value(json_object_get(m, "content"));
		json_array_append_new(contents, json_pack("{s:s,s:[{s:s}]}", "role",
							  role && !strcmp(role, "assistant") ? "model" : "user", "parts",
							  "text", text ? text : ""));
	}
	b = json_pack("{s:o,s:{s:I}}", "contents", contents, "generationConfig", "maxOutputTokens",
		      (json_int_t)q->max_tokens);
	if (b && !strncmp(q->model, "gemini-2.5-flash", 16)) /* as Pipecat: no thinking on 2.5 Flash */
		json_object_set_new(json_object_get(b, "generationConfig"), "thinkingConfig",
				    json_pack("{s:i}", "thinkingBudget", 0));
	if (b && q->system)
		json_object_set_new(b, "systemInstruction",
				    json_pack("{s:s,s:[{s:s}]}", "role", "user", "parts", "text", q->system));
	*body = b ? json_dumps(b, JSON_COMPACT) : NULL;
	json_decref(b);
	snprintf(auth, sizeof(auth), "x-goog-api-key: %s", q->api_key);
	*hdrs = curl_slist_append(*hdrs, auth);
	return *body ? 0 : -1;
}

static int has_reason(const json_t *e, const char *reason)
{
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(e, "details"), i, d)
	{
		const char *r = json_string_value(json_object_get(d, "reason"));
		if (r && !strcmp(r, reason))
			return 1;
	}
	return 0;
}

static void gm_error_obj(struct llm_result *r, long status, const json_t *e)
{
	const char *msg = json_string_value(json_object_get(e, "message"));
	const char *st = json_string_value(json_object_get(e, "status"));
	long code = (long)json_integer_value(json_object_get(e, "code"));
	long eff = status >= 300 ? status : code;
	int cls = eff ? llm_class_of_status(eff) : LLM_SERVER_ERROR;
	char where[32];

	if (has_reason(e, "API_KEY_INVALID") || (st && !strcmp(st, "UNAUTHENTICATED")) ||
	    (st && !strcmp(st, "PERMISSION_DENIED")))
		cls = LLM_AUTH;
	else if (st && !strcmp(st, "RESOURCE_EXHAUSTED"))
		cls = LLM_RATE_LIMIT;
	else if (st && (!strcmp(st, "UNAVAILABLE") || !strcmp(st, "INTERNAL")))
		cls = LLM_SERVER_ERROR;
	if (status >= 300)
		snprintf(where, sizeof(where), "HTTP %ld", status);
	else
		snprintf(where, sizeof(where), "in-stream error %ld", code);
	llm_result_fail(r, cls, "%s %s: %s", where, st ? st : "error", msg ? msg : "(no message)");
}

static void gm_event(struct llm_result *r, const char *event, const char *data, size_t len)
{
	json_t *j = llm_chunk_obj(r, data, len, "chunk", gm_error_obj);
	(void)event;
	if (!j)
		return;
	json_t *cands = json_object_get(j, "candidates"), *u = json_object_get(j, "usageMetadata");
	if (!cands && !u) {
		llm_result_fail(r, LLM_MALFORMED, "chunk without candidates or usageMetadata: %.80s", data);
		goto out;
	}
	size_t i, k;
	json_t *cand, *part;
	json_array_foreach(cands, i, cand)
	{
		json_array_foreach(json_object_get(json_object_get(cand, "content"), "parts"), k, part)
		{
			const char *t = json_string_value(json_object_get(part, "text"));
			if (json_is_true(json_object_get(part, "thought")))
				continue;
			if (t && *t)
				llm_result_text(r, t, strlen(t));
			else if (json_object_get(part, "functionCall"))
				llm_result_first(r);
		}
		if (json_string_value(json_object_get(cand, "finishReason")))
			r->done = 1;
	}
	if (json_is_object(u)) {
		r->usage = 1;
		r->tokens_in = (long)json_integer_value(json_object_get(u, "promptTokenCount"));
		r->tokens_out = (long)json_integer_value(json_object_get(u, "candidatesTokenCount")) +
				(long)json_integer_value(json_object_get(u, "thoughtsTokenCount"));
	}
out:
	json_decref(j);
}

static void gm_error_body(struct llm_result *r, long status, const char *body, size_t len)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	/* Google sometimes wraps the object in an array */
	json_t *e = json_object_get(json_is_array(j) ? json_array_get(j, 0) : j, "error");
	if (json_is_object(e))
		gm_error_obj(r, status, e);
	else
		llm_result_fail(r, llm_class_of_status(status), "HTTP %ld (not Google's error object): %.160s", status,
				body);
	json_decref(j);
}

const struct llm_wire gm_wire = {
	.provider = "gemini",
	.key_env = "GEMINI_API_KEY",
	.standin = "llm_gemini",
	.end_marker = "a finishReason",
	.request = gm_request,
	.event = gm_event,
	.error_body = gm_error_body,
};
