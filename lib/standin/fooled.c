/* The fooled model of the LLM stand-ins: see vstress/standin/fooled.h. */
#include "vstress/standin/fooled.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FOOLED_MAX 8 /* stand-ins in one world */

enum { F_OFF, F_ECHO, F_CANARY, F_TOOL, F_JSON, F_LONG };
static const char *const mode_names[] = {"off", "echo_system", "leak_canary", "undeclared_tool", "malformed_json",
					 "long_reply"};

static struct fooled {
	vs_wctx *wc;
	int mode;
	double long_s;
	char prefix[64];
	char *text; /* the last fooled reply (the turn borrows it) */
} slots[FOOLED_MAX];

static struct fooled *slot(vs_wctx *wc, int create)
{
	for (int i = 0; i < FOOLED_MAX; i++)
		if (slots[i].wc == wc)
			return &slots[i];
	for (int i = 0; create && i < FOOLED_MAX; i++)
		if (!slots[i].wc) {
			slots[i].wc = wc;
			return &slots[i];
		}
	return NULL;
}

static void at_exit(void *arg)
{
	struct fooled *f = arg;
	free(f->text);
	memset(f, 0, sizeof(*f));
}

static int h_fooled(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	struct fooled *f = arg;
	json_t *j;
	const char *m;
	int mode = -1;

	(void)wc;
	if (!strcmp(w->req_method(rq), "DELETE")) {
		f->mode = F_OFF;
		return w->resp_json_steal(rs, 200, json_pack("{s:s}", "mode", "off"));
	}
	j = w->req_json(rq);
	m = json_string_value(json_object_get(j, "mode"));
	for (int i = 0; m && i < (int)(sizeof(mode_names) / sizeof(*mode_names)); i++)
		if (!strcmp(m, mode_names[i]))
			mode = i;
	if (mode < 0) {
		json_decref(j);
		return w->resp_json_steal(rs, 400,
					  json_pack("{s:s}", "error",
						    "mode: one of off, echo_system, leak_canary, undeclared_tool, "
						    "malformed_json, long_reply"));
	}
	f->mode = mode;
	f->long_s = json_is_number(json_object_get(j, "long_reply_s")) ? json_number_value(json_object_get(j, "long_reply_s"))
									   : 90;
	m = json_string_value(json_object_get(j, "canary_prefix"));
	snprintf(f->prefix, sizeof(f->prefix), "%s", m && *m ? m : "VSCANARY-");
	json_decref(j);
	w->log(wc, VS_LOG_INFO, "fooled model: %s", mode_names[mode]);
	return w->resp_json_steal(rs, 201, json_pack("{s:s}", "mode", mode_names[mode]));
}

int vs_st_fooled_routes(const struct vs_world *w, vs_wctx *wc, const char *name)
{
	struct fooled *f = slot(wc, 1);
	char path[160];

	if (!f)
		return -1;
	snprintf(path, sizeof(path), "/_vstress/fooled/%s", name);
	return w->add_http_route(wc, "POST", path, h_fooled, f) | w->add_http_route(wc, "DELETE", path, h_fooled, f) |
	       w->at_exit(wc, at_exit, f);
}

/* A string, or the texts of a list of {text} parts joined by spaces
 * (malloc'd).  Its own copy of the reading in standin_text.c, which calls
 * this file: the layout rules allow no call cycle. */
static char *text_of(const json_t *content)
{
	size_t i, len = 0;
	const json_t *part;
	char *out;

	if (json_is_string(content))
		return strdup(json_string_value(content));
	out = calloc(1, 1);
	json_array_foreach(content, i, part) {
		const char *t = json_string_value(json_object_get(part, "text"));
		size_t tl = t ? strlen(t) : 0;
		char *n = t && out ? realloc(out, len + tl + 2) : NULL;
		if (!n)
			continue;
		out = n;
		if (len)
			out[len++] = ' ';
		memcpy(out + len, t, tl + 1);
		len += tl;
	}
	return out;
}

/* The system prompt of a request in any of the three providers' shapes
 * (malloc'd; "" when none). */
static char *system_of(const json_t *req)
{
	const json_t *s = json_object_get(req, "system"), *m, *si;
	size_t i;

	if (s)
		return text_of(s);
	si = json_object_get(req, "systemInstruction");
	if (!si)
		si = json_object_get(req, "system_instruction");
	if (si)
		return text_of(json_object_get(si, "parts"));
	json_array_foreach(json_object_get(req, "messages"), i, m) {
		const char *role = json_string_value(json_object_get(m, "role"));
		if (role && (!strcmp(role, "system") || !strcmp(role, "developer")))
			return text_of(json_object_get(m, "content"));
	}
	return strdup("");
}

/* The request's own cap on output tokens, or -1. */
static long max_tokens_of(const json_t *req)
{
	const char *keys[] = {"max_tokens", "max_completion_tokens", "max_output_tokens"};
	const json_t *gc = json_object_get(req, "generationConfig");

	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (json_is_integer(json_object_get(req, keys[i])))
			return (long)json_integer_value(json_object_get(req, keys[i]));
	if (json_is_integer(json_object_get(gc, "maxOutputTokens")))
		return (long)json_integer_value(json_object_get(gc, "maxOutputTokens"));
	return -1;
}

int vs_st_fooled_apply(const struct vs_world *w, vs_wctx *wc, struct vs_st_turn *t)
{
	struct fooled *f = slot(wc, 0);
	char *sys, *out = NULL;

	if (!f || f->mode == F_OFF)
		return 0;
	sys = system_of(t->req);
	if (!sys)
		return 0;
	switch (f->mode) {
	case F_ECHO:
		out = strdup(*sys ? sys : "(no system prompt)");
		break;
	case F_CANARY: {
		const char *c = strstr(sys, f->prefix);
		size_t n = c ? strcspn(c, " \t\n.,;:\"'()") : 0;
		if (asprintf(&out, "Of course. The internal reference code is %.*s.", (int)n, c ? c : "") < 0)
			out = NULL;
		break;
	}
	case F_TOOL:
		out = strdup("Sure, I will do that right away.");
		t->tool = VS_FOOLED_TOOL;
		t->rep.tool_args = "{\"amount\":\"all\"}";
		break;
	case F_JSON:
		out = strdup("{\"intent\": \"book_appointment\", \"day\": \"tues");
		break;
	case F_LONG: {
		static const char sentence[] = "And there is one more thing I would like to tell you about. ";
		long per = t->per ? t->per : 30, want = (long)(f->long_s * 1000 / (double)per), cap = max_tokens_of(t->req);
		size_t ntok_s = 12, reps;
		if (cap > 0 && cap < want)
			want = cap;
		reps = (size_t)(want / (long)ntok_s) + 1;
		out = malloc(reps * (sizeof(sentence) - 1) + 1);
		if (out) {
			out[0] = 0;
			for (size_t i = 0; i < reps; i++)
				memcpy(out + i * (sizeof(sentence) - 1), sentence, sizeof(sentence));
		}
		break;
	}
	}
	free(sys);
	free(f->text);
	f->text = out;
	if (!out)
		return 0;
	t->text = out;
	w->log(wc, VS_LOG_INFO, "fooled model (%s): %.80s%s", mode_names[f->mode], out, strlen(out) > 80 ? "..." : "");
	return 1;
}
