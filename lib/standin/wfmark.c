/* Waterfall marks published by the stand-ins (include/vstress/standin/wfmark.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vstress/standin/standin_text.h"
#include "vstress/standin/wfmark.h"

uint64_t vs_wf_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

json_t *vs_wf_text(const char *s)
{
	size_t n;

	if (!s)
		return json_string("");
	n = strlen(s);
	if (n > VS_WF_TEXT_MAX) {
		n = VS_WF_TEXT_MAX;
		while (n && ((unsigned char)s[n] & 0xC0) == 0x80) /* not inside a UTF-8 sequence */
			n--;
	}
	json_t *j = json_stringn(s, n);
	return j ? j : json_string("");
}

void vs_wf_publish(const struct vs_world *w, vs_wctx *wc, const char *topic, json_t *ev)
{
	if (!ev)
		return;
	if (!VS_WORLD_HAS(w, publish) || !w->publish) {
		json_decref(ev);
		return;
	}
	w->publish(wc, topic, ev);
}

void vs_wf_llm(const struct vs_world *w, vs_wctx *wc, const struct vs_st_turn *t, const char *id, uint64_t req_ns,
	       uint64_t first_ms, uint64_t last_ms, const char *user)
{
	json_t *ev = json_pack("{s:s,s:I,s:I,s:I,s:o,s:o,s:s}", "req", id ? id : "", "request_ns", (json_int_t)req_ns,
			       "first_ns", (json_int_t)(req_ns + first_ms * 1000000ull), "last_ns",
			       (json_int_t)(req_ns + last_ms * 1000000ull), "user_text", vs_wf_text(t->user), "reply_text",
			       vs_wf_text(t->text), "user", user ? user : "");
	vs_wf_publish(w, wc, "wf.llm", ev);
}

void vs_wf_tts(const struct vs_world *w, vs_wctx *wc, const char *conn, uint64_t req_ns, const char *text)
{
	json_t *ev = json_pack("{s:s,s:I,s:I,s:o}", "conn", conn ? conn : "", "request_ns", (json_int_t)req_ns,
			       "first_audio_ns", (json_int_t)vs_wf_now_ns(), "text", vs_wf_text(text));
	vs_wf_publish(w, wc, "wf.tts", ev);
}

void vs_wf_text_append(char **buf, const char *t)
{
	size_t have = *buf ? strlen(*buf) : 0, n = t ? strlen(t) : 0;
	char *nb;

	if (!n || have + n + 1 > VS_WF_TEXT_MAX)
		return;
	if (!(nb = realloc(*buf, have + n + 2)))
		return;
	if (have)
		nb[have++] = ' ';
	memcpy(nb + have, t, n + 1);
	*buf = nb;
}
