/* Waterfall marks published by the stand-ins (include/vstress/standin/wfmark.h). */
#include <string.h>
#include <time.h>

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
