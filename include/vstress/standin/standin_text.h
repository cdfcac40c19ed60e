/* Text helpers shared by the LLM stand-ins (llm_openai, llm_gemini, llm_anthropic). */
#ifndef VSTRESS_UTIL_STANDIN_TEXT_H
#define VSTRESS_UTIL_STANDIN_TEXT_H
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "vstress/world.h"

/* Splits text into token-like pieces ("Hello", " there", "!"): returns a
 * malloc'd array of malloc'd strings (free with vs_st_tokens_free). */
char **vs_st_tokens(const char *text, size_t *n);
void vs_st_tokens_free(char **t, size_t n);
/* Rough prompt token count (4 characters a token) of every string in j. */
long vs_st_count_tokens_json(const json_t *j);
/* The text of a message "content": a string or a list of {type:text} parts.
 * Returns a malloc'd string. */
char *vs_st_content_text(const json_t *content);
/* "chatcmpl-<16 hex>" style ids. */
void vs_st_make_id(char *buf, size_t len, const char *prefix, unsigned long long r);

/* What an LLM stand-in answers to a request whose last caller turn is user:
 * the dialogue's reply into *rep; after a tool result (after_tool) the
 * stand-in's after_tool_reply instead.  Returns the text to speak (never
 * NULL; "Okay." rather than an empty turn) and sets *tool to the tool to
 * call when the dialogue names one the request offered (offered(tools,
 * name) in the provider's own tools shape), else NULL. */
const char *vs_st_llm_reply(const struct vs_world *w, vs_wctx *wc, const char *user, int after_tool,
			    const json_t *tools, int (*offered)(const json_t *tools, const char *name),
			    struct vs_reply *rep, const char **tool);

/* j (stolen) as one compact server-sent event after delay ms (event: its
 * name, NULL for none): the world's resp_sse result, -1 when j cannot be
 * dumped. */
int vs_st_sse_json(const struct vs_world *w, vs_wresp *rs, uint32_t delay, const char *event, json_t *j);

/* One LLM request as the stand-ins answer it: the request body and the
 * caller's last words (both owned, set by the plugin), then the reply
 * (vs_st_turn_answer), its tokens and timing; vs_st_turn_free frees it. */
struct vs_st_turn {
	json_t *req;
	char *user;
	struct vs_reply rep;
	const char *text;  /* what is spoken; "" when a tool is called and !speak_with_tool */
	const char *tool;  /* the tool called, or NULL */
	char **tok;        /* text's tokens */
	size_t ntok;
	long out_tokens;   /* the tokens, and a tool call's arguments at ~4 characters a token + 5 */
	uint32_t ttft, per; /* [stand-in] ttft_ms (300), token_ms (30) */
};
void vs_st_turn_answer(const struct vs_world *w, vs_wctx *wc, struct vs_st_turn *t, int after_tool, const json_t *tools,
		       int (*offered)(const json_t *tools, const char *name), int speak_with_tool);
void vs_st_turn_free(struct vs_st_turn *t);
/* The whole (not streamed) answer: 200 with content_type and body (stolen)
 * as compact JSON, after the turn's time (ttft + per a token).  The world's
 * resp_body result; -1 when body cannot be dumped. */
int vs_st_turn_send(const struct vs_world *w, vs_wresp *rs, const struct vs_st_turn *t, const char *content_type,
		    json_t *body);
#endif
