/* Text helpers for the scripted LLM stand-in. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/standin/standin_text.h"
#include "vstress/standin/fooled.h"

char **vs_st_tokens(const char *text, size_t *n)
{
	size_t cap = 16, k = 0;
	char **t = malloc(cap * sizeof *t);
	if (!t)
		return NULL;
	const char *p = text;
	while (*p) {
		const char *s = p;
		/* a token: optional leading spaces, then a word or one punctuation */
		while (*p == ' ')
			p++;
		if (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80) {
			while (*p && (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80 || *p == '\''))
				p++;
		} else if (*p) {
			p++;
		}
		if (k == cap) {
			char **nt = realloc(t, (cap *= 2) * sizeof *nt);
			if (!nt)
				break;
			t = nt;
		}
		t[k++] = strndup(s, (size_t)(p - s));
	}
	*n = k;
	return t;
}

void vs_st_tokens_free(char **t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i]);
	free(t);
}

static void count_rec(const json_t *j, long *chars)
{
	size_t i;
	const char *k;
	json_t *v;
	if (json_is_string(j)) {
		*chars += (long)json_string_length(j);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			count_rec(v, chars);
	} else if (json_is_object(j)) {
		json_t *o = (json_t *)(uintptr_t)j; /* jansson's iterator takes non-const */
		json_object_foreach(o, k, v)
			count_rec(v, chars);
	}
}

long vs_st_count_tokens_json(const json_t *j)
{
	long chars = 0;
	count_rec(j, &chars);
	return chars / 4 + 1;
}

char *vs_st_content_text(const json_t *content)
{
	if (json_is_string(content))
		return strdup(json_string_value(content));
	size_t len = 0;
	char *out = calloc(1, 1);
	size_t i;
	json_t *part;
	if (!out)
		return NULL;
	json_array_foreach(content, i, part)
	{
		const char *t = json_string_value(json_object_get(part, "text"));
		if (!t)
			continue;
		size_t tl = strlen(t);
		char *n = realloc(out, len + tl + 2);
		if (!n)
			break;
		out = n;
		if (len)
			out[len++] = ' ';
		memcpy(out + len, t, tl + 1);
		len += tl;
	}
	return out;
}

void vs_st_make_id(char *buf, size_t len, const char *prefix, unsigned long long r)
{
	snprintf(buf, len, "%s%016llx", prefix, r);
}

const char *vs_st_llm_reply(const struct vs_world *w, vs_wctx *wc, const char *user, int after_tool,
			    const json_t *tools, int (*offered)(const json_t *tools, const char *name),
			    struct vs_reply *rep, const char **tool)
{
	const char *text;

	w->dialogue_reply(wc, user, rep);
	text = rep->text;
	*tool = !after_tool && rep->tool && offered(tools, rep->tool) ? rep->tool : NULL;
	if (after_tool) {
		/* after the tool's result: after_tool_reply when set, else the words of
		 * the rule that called the tool ("I am transferring you now") */
		const char *t = w->conf(wc, "after_tool_reply");
		text = t && *t	? t
		       : rep->tool && rep->text && *rep->text ? rep->text
							     : "Done. Is there anything else I can help you with?";
	}
	if (!*tool && (!text || !*text))
		text = "Okay.";
	return text ? text : "";
}

void vs_st_turn_answer(const struct vs_world *w, vs_wctx *wc, struct vs_st_turn *t, int after_tool, const json_t *tools,
		       int (*offered)(const json_t *tools, const char *name), int speak_with_tool)
{
	t->ttft = (uint32_t)w->conf_double(wc, "ttft_ms", 300);
	t->per = (uint32_t)w->conf_double(wc, "token_ms", 30);
	t->text = vs_st_llm_reply(w, wc, t->user, after_tool, tools, offered, &t->rep, &t->tool);
	/* a fooled model (control API) answers instead; never after its own tool call */
	if (!after_tool)
		vs_st_fooled_apply(w, wc, t);
	if (t->tool && !speak_with_tool)
		t->text = "";
	t->tok = vs_st_tokens(t->text, &t->ntok);
	t->out_tokens = (long)t->ntok + (t->tool ? (long)strlen(t->rep.tool_args) / 4 + 5 : 0);
}

void vs_st_turn_free(struct vs_st_turn *t)
{
	if (t->tok)
		vs_st_tokens_free(t->tok, t->ntok);
	free(t->user);
	json_decref(t->req);
	t->tok = NULL;
	t->user = NULL;
	t->req = NULL;
}

int vs_st_turn_send(const struct vs_world *w, vs_wresp *rs, const struct vs_st_turn *t, const char *content_type,
		    json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT);
	int rc;

	json_decref(body);
	w->resp_status(rs, 200);
	w->resp_header(rs, "Content-Type", content_type);
	rc = s ? w->resp_body(rs, t->ttft + t->per * (uint32_t)t->ntok, s, strlen(s)) : -1;
	free(s);
	return rc;
}

int vs_st_sse_json(const struct vs_world *w, vs_wresp *rs, uint32_t delay, const char *event, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!s)
		return -1;
	int rc = w->resp_sse(rs, delay, event, s);
	free(s);
	return rc;
}
