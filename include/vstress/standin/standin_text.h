/* Text helpers shared by the LLM stand-ins (llm_openai, llm_gemini, llm_anthropic). */
#ifndef VSTRESS_UTIL_STANDIN_TEXT_H
#define VSTRESS_UTIL_STANDIN_TEXT_H
#include <stddef.h>
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
#endif
