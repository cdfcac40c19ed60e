/* Text helpers shared by this plugin's stand-in files. */
#ifndef LLM_GEMINI_STANDIN_TEXT_H
#define LLM_GEMINI_STANDIN_TEXT_H
#include <stddef.h>
#include <jansson.h>

/* Splits text into token-like pieces ("Hello", " there", "!"): returns a
 * malloc'd array of malloc'd strings (free with st_tokens_free). */
char **st_tokens(const char *text, size_t *n);
void st_tokens_free(char **t, size_t n);
/* Rough prompt token count (4 characters a token) of every string in j. */
long st_count_tokens_json(const json_t *j);
/* The text of a message "content": a string or a list of {type:text} parts.
 * Returns a malloc'd string. */
char *st_content_text(const json_t *content);
/* "chatcmpl-<16 hex>" style ids. */
void st_make_id(char *buf, size_t len, const char *prefix, unsigned long long r);
#endif
