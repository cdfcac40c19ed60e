/* llm_anthropic probe: POST {base}/v1/messages with x-api-key and
 * anthropic-version 2023-06-01, stream:true.  SSE with an event: line on
 * every event: message_start (usage.input_tokens), content_block_delta
 * (text_delta / input_json_delta), message_delta (usage.output_tokens),
 * message_stop at the end; ping skipped; "event: error" is an in-stream
 * error.  Error bodies: {"type":"error","error":{"type","message"},
 * "request_id"}; "credit balance is too low" (400 invalid_request_error) is
 * a quota; 529 overloaded_error a server error. */
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int an_request(const struct llm_req *q, char **url, struct curl_slist **hdrs, char **body)
{
	char auth[2048];
	json_t *b;

	if (asprintf(url, "%s/v1/messages", q->base_url) < 0)
		return -1;
	b = json_pack("{s:s,s:I,s:b,s:O}", "model", q->model, "max_tokens", (json_int_t)q->max_tokens, "stream", 1,
		      "messages", q->messages);
	if (b && q->system)
		json_object_set_new(b, "system", json_string(q->system));
	*body = b ? json_dumps(b, JSON_COMPACT) : NULL;
	json_decref(b);
	snprintf(auth, sizeof(auth), "x-api-key: %s", q->api_key);
	*hdrs = curl_slist_append(*hdrs, auth);
	*hdrs = curl_slist_append(*hdrs, "anthropic-version: 2023-06-01");
	return *body ? 0 : -1;
}

static int has_ci(const char *s, const char *needle)
{
	for (size_t n = strlen(needle); s && *s; s++)
		if (!strncasecmp(s, needle, n))
			return 1;
	return 0;
}

static void an_error_obj(struct llm_result *r, long status, const json_t *e)
{
	const char *type = json_string_value(json_object_get(e, "type"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	int cls = status >= 300 ? llm_class_of_status(status) : LLM_SERVER_ERROR;
	char where[32];

	if (has_ci(msg, "credit balance is too low") || has_ci(msg, "billing"))
		cls = LLM_QUOTA;
	else if (type && (!strcmp(type, "authentication_error") || !strcmp(type, "permission_error")))
		cls = LLM_AUTH;
	else if (type && !strcmp(type, "rate_limit_error"))
		cls = LLM_RATE_LIMIT;
	else if (type && (!strcmp(type, "overloaded_error") || !strcmp(type, "api_error")))
		cls = LLM_SERVER_ERROR;
	else if (type && status < 300 &&
		 (!strcmp(type, "invalid_request_error") || !strcmp(type, "not_found_error") ||
		  !strcmp(type, "request_too_large")))
		cls = LLM_CLIENT_ERROR;
	if (status >= 300)
		snprintf(where, sizeof(where), "HTTP %ld", status);
	else
		snprintf(where, sizeof(where), "error event");
	llm_result_fail(r, cls, "%s %s: %s", where, type ? type : "error", msg ? msg : "(no message)");
}

static void an_event(struct llm_result *r, const char *event, const char *data, size_t len)
{
	char what[96];
	json_t *j;

	if (!event[0]) /* the SDK drops data without a known event: line */
		return;
	/* every event's data must be JSON, ping included (the SDK skips ping
	 * unread; a cut ping is still a broken stream) */
	snprintf(what, sizeof(what), "%s event", event);
	if (!(j = llm_chunk_obj(r, data, len, what, NULL)))
		return;
	if (!strcmp(event, "error")) {
		an_error_obj(r, 200, json_object_get(j, "error"));
	} else if (!strcmp(event, "message_start")) {
		json_t *u = json_object_get(json_object_get(j, "message"), "usage");
		if (json_is_object(u)) {
			r->usage = 1;
			r->tokens_in = (long)json_integer_value(json_object_get(u, "input_tokens")) +
				       (long)json_integer_value(json_object_get(u, "cache_creation_input_tokens")) +
				       (long)json_integer_value(json_object_get(u, "cache_read_input_tokens"));
			r->tokens_out = (long)json_integer_value(json_object_get(u, "output_tokens"));
		}
	} else if (!strcmp(event, "content_block_delta")) {
		json_t *d = json_object_get(j, "delta");
		const char *t = json_string_value(json_object_get(d, "text"));
		if (t && *t)
			llm_result_text(r, t, strlen(t));
		else if (json_object_get(d, "partial_json"))
			llm_result_first(r);
	} else if (!strcmp(event, "message_delta")) {
		json_t *u = json_object_get(j, "usage");
		if (json_is_object(u)) {
			r->usage = 1;
			/* output_tokens is cumulative; input_tokens repeats message_start's */
			r->tokens_out = (long)json_integer_value(json_object_get(u, "output_tokens"));
		}
	} else if (!strcmp(event, "message_stop")) {
		r->done = 1;
	}
	json_decref(j);
}

static void an_error_body(struct llm_result *r, long status, const char *body, size_t len)
{
	llm_error_body_obj(r, status, body, len, "Anthropic's error body", an_error_obj);
}

const struct llm_wire an_wire = {
	.provider = "anthropic",
	.key_env = "ANTHROPIC_API_KEY",
	.standin = "llm_anthropic",
	.end_marker = "message_stop",
	.request = an_request,
	.event = an_event,
	.error_body = an_error_body,
};
