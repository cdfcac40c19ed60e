/* LLM probe: result classes and the per-request result helpers. */
#include "vstress/probe/llm_probe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const class_names[LLM_NCLASS] = {"ok",          "auth",    "rate_limit",
						    "quota",       "server_error", "timeout",
						    "malformed",   "client_error", "network"};

const char *llm_class_name(int cls)
{
	return cls >= 0 && cls < LLM_NCLASS ? class_names[cls] : "unclassified";
}

int llm_class_of_status(long status)
{
	if (status == 401 || status == 403)
		return LLM_AUTH;
	if (status == 429)
		return LLM_RATE_LIMIT;
	if (status >= 500)
		return LLM_SERVER_ERROR;
	if (status >= 400)
		return LLM_CLIENT_ERROR;
	if (status >= 200 && status < 300)
		return LLM_OK;
	return LLM_MALFORMED; /* 1xx/3xx as a final answer: not the provider's API */
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void llm_result_text(struct llm_result *r, const char *s, size_t n)
{
	if (!n)
		return;
	if (!r->first_ns)
		r->first_ns = mono_ns();
	if (r->tlen + n > LLM_TEXT_MAX)
		n = r->tlen < LLM_TEXT_MAX ? LLM_TEXT_MAX - r->tlen : 0;
	if (!n)
		return;
	if (r->tlen + n + 1 > r->tcap) {
		size_t cap = r->tcap ? r->tcap : 256;
		while (cap < r->tlen + n + 1)
			cap *= 2;
		char *t = realloc(r->text, cap);
		if (!t)
			return;
		r->text = t;
		r->tcap = cap;
	}
	memcpy(r->text + r->tlen, s, n);
	r->tlen += n;
	r->text[r->tlen] = '\0';
}

void llm_result_first(struct llm_result *r)
{
	if (!r->first_ns)
		r->first_ns = mono_ns();
}

json_t *llm_chunk_obj(struct llm_result *r, const char *data, size_t len, const char *what,
		      void (*on_error)(struct llm_result *r, long status, const json_t *e))
{
	json_error_t je;
	json_t *j = json_loadb(data, len, 0, &je), *e;

	if (!json_is_object(j)) {
		llm_result_fail(r, LLM_MALFORMED, "unparseable %s (%s): %.80s", what, j ? "not an object" : je.text, data);
		json_decref(j);
		return NULL;
	}
	if (on_error && (e = json_object_get(j, "error"))) {
		on_error(r, 200, e);
		json_decref(j);
		return NULL;
	}
	return j;
}

void llm_error_body_obj(struct llm_result *r, long status, const char *body, size_t len, const char *what,
			void (*on_error)(struct llm_result *r, long status, const json_t *e))
{
	json_t *j = json_loadb(body, len, 0, NULL);
	json_t *e = json_object_get(j, "error");
	if (json_is_object(e))
		on_error(r, status, e);
	else
		llm_result_fail(r, llm_class_of_status(status), "HTTP %ld (not %s): %.160s", status, what, body);
	json_decref(j);
}

void llm_result_fail(struct llm_result *r, int cls, const char *fmt, ...)
{
	va_list ap;
	if (r->cls >= 0)
		return;
	r->cls = cls;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	for (char *q = r->msg; *q; q++)
		if (*q == '\n' || *q == '\r' || *q == '\t')
			*q = ' ';
}

void llm_result_free(struct llm_result *r)
{
	free(r->text);
	r->text = NULL;
	r->tlen = r->tcap = 0;
}

json_t *llm_user_turn(const char *text)
{
	return json_pack("[{s:s,s:s}]", "role", "user", "content", text ? text : "");
}
