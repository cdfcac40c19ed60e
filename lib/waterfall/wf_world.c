/* The world's waterfall records: parsed from /_vstress/events answers and
 * fetched from the control API, with the clock offset between the world
 * and this process. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vstress/net/httpc.h"
#include "vstress/waterfall/waterfall.h"

#define PAGE 1000

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static int get_ns(const json_t *d, const char *k, int64_t *out)
{
	const json_t *v = json_object_get(d, k);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (int64_t)json_integer_value(v);
	return 0;
}

static void get_str(const json_t *d, const char *k, char *buf, size_t len)
{
	const char *s = json_string_value(json_object_get(d, k));
	snprintf(buf, len, "%s", s ? s : "");
}

static char *dup_str(const json_t *d, const char *k)
{
	const char *s = json_string_value(json_object_get(d, k));
	return s ? strdup(s) : NULL;
}

static int grow(void **p, size_t n, size_t sz)
{
	void *np = realloc(*p, (n + 1) * sz);
	if (!np)
		return -1;
	*p = np;
	return 0;
}

/* 1 added, 0 not a wf event or malformed (*bad counted), -1 OOM */
static int add_one(struct vs_wf_world *w, const json_t *ev, size_t *bad)
{
	const char *topic = json_string_value(json_object_get(ev, "topic"));
	const json_t *d = json_object_get(ev, "data");
	int64_t a = 0, b = 0, c = 0;

	if (!topic || strncmp(topic, "wf.", 3))
		return 0;
	if (!strcmp(topic, "wf.stt")) {
		struct vs_wf_stt s = {0};
		if (get_ns(d, "final_ns", &b) || !json_is_string(json_object_get(d, "text")))
			goto malformed;
		if (get_ns(d, "audio_end_ns", &a))
			a = 0;
		if (grow((void **)&w->stt, w->nstt, sizeof(s)))
			return -1;
		get_str(d, "stream", s.stream, sizeof(s.stream));
		get_str(d, "tag", s.tag, sizeof(s.tag));
		s.audio_end_ns = a;
		s.final_ns = b;
		if (!(s.text = dup_str(d, "text")))
			return -1;
		w->stt[w->nstt++] = s;
		return 1;
	}
	if (!strcmp(topic, "wf.llm")) {
		struct vs_wf_llm l = {0};
		if (get_ns(d, "request_ns", &a) || get_ns(d, "first_ns", &b) || get_ns(d, "last_ns", &c) ||
		    !json_is_string(json_object_get(d, "user_text")) || !json_is_string(json_object_get(d, "reply_text")))
			goto malformed;
		if (grow((void **)&w->llm, w->nllm, sizeof(l)))
			return -1;
		get_str(d, "req", l.req, sizeof(l.req));
		get_str(d, "user", l.user, sizeof(l.user));
		l.request_ns = a;
		l.first_ns = b;
		l.last_ns = c;
		l.user_text = dup_str(d, "user_text");
		l.reply_text = dup_str(d, "reply_text");
		if (!l.user_text || !l.reply_text) {
			free(l.user_text);
			free(l.reply_text);
			return -1;
		}
		w->llm[w->nllm++] = l;
		return 1;
	}
	if (!strcmp(topic, "wf.tts")) {
		struct vs_wf_tts q = {0};
		if (get_ns(d, "request_ns", &a) || get_ns(d, "first_audio_ns", &b) ||
		    !json_is_string(json_object_get(d, "text")))
			goto malformed;
		if (grow((void **)&w->tts, w->ntts, sizeof(q)))
			return -1;
		get_str(d, "conn", q.conn, sizeof(q.conn));
		q.request_ns = a;
		q.first_audio_ns = b;
		if (!(q.text = dup_str(d, "text")))
			return -1;
		w->tts[w->ntts++] = q;
		return 1;
	}
malformed:
	if (bad)
		(*bad)++;
	return 0;
}

int vs_wf_world_add_events(struct vs_wf_world *w, const json_t *events, size_t *bad)
{
	const json_t *arr = json_is_array(events) ? events : json_object_get(events, "events");
	const json_t *ev;
	size_t i;

	json_array_foreach(arr, i, ev) {
		if (add_one(w, ev, bad) < 0)
			return -1;
	}
	return 0;
}

void vs_wf_world_shift(struct vs_wf_world *w, int64_t off)
{
	for (size_t i = 0; i < w->nstt; i++) {
		if (w->stt[i].audio_end_ns)
			w->stt[i].audio_end_ns += off;
		w->stt[i].final_ns += off;
	}
	for (size_t i = 0; i < w->nllm; i++) {
		w->llm[i].request_ns += off;
		w->llm[i].first_ns += off;
		w->llm[i].last_ns += off;
	}
	for (size_t i = 0; i < w->ntts; i++) {
		w->tts[i].request_ns += off;
		w->tts[i].first_audio_ns += off;
	}
}

void vs_wf_world_free(struct vs_wf_world *w)
{
	for (size_t i = 0; i < w->nstt; i++)
		free(w->stt[i].text);
	for (size_t i = 0; i < w->nllm; i++) {
		free(w->llm[i].user_text);
		free(w->llm[i].reply_text);
	}
	for (size_t i = 0; i < w->ntts; i++)
		free(w->tts[i].text);
	free(w->stt);
	free(w->llm);
	free(w->tts);
	memset(w, 0, sizeof(*w));
}

/* Our clock minus the world's, from one /_vstress/health reading taken
 * between two of ours; 0 when the difference is inside the round trip
 * (one host, one CLOCK_MONOTONIC). */
static int clock_offset(const char *control, int64_t *off, char *err, size_t errlen)
{
	char url[1024];
	char *resp = NULL;
	long st = 0;
	int64_t a, b, wn;
	json_t *j;

	snprintf(url, sizeof(url), "%s/_vstress/health", control);
	a = mono_ns();
	if (vs_httpc("GET", url, NULL, 5000, &st, &resp, err, errlen) != 0 || st != 200) {
		if (st)
			snprintf(err, errlen, "%s: HTTP %ld", url, st);
		free(resp);
		return -1;
	}
	b = mono_ns();
	j = resp ? json_loads(resp, 0, NULL) : NULL;
	free(resp);
	if (get_ns(j, "mono_ns", &wn)) {
		*off = 0; /* an older world: same host assumed */
	} else {
		*off = (a + b) / 2 - wn;
		if (*off < 0 ? -*off <= b - a : *off <= b - a)
			*off = 0;
	}
	json_decref(j);
	return 0;
}

int vs_wf_fetch(const char *control_url, struct vs_wf_world *w, int64_t *offset_ns, char *err, size_t errlen)
{
	long long since = 0;

	*offset_ns = 0;
	if (!control_url || !*control_url) {
		snprintf(err, errlen, "no world control URL");
		return -1;
	}
	if (clock_offset(control_url, offset_ns, err, errlen))
		return -1;
	for (int page = 0; page < 1000; page++) {
		char url[1100];
		char *resp = NULL;
		long st = 0;
		json_t *j, *evs;
		size_t n;

		snprintf(url, sizeof(url), "%s/_vstress/events?topic=wf.*&since=%lld&limit=%d", control_url, since, PAGE);
		if (vs_httpc("GET", url, NULL, 10000, &st, &resp, err, errlen) != 0 || st != 200) {
			if (st)
				snprintf(err, errlen, "GET /_vstress/events: HTTP %ld", st);
			free(resp);
			return -1;
		}
		j = resp ? json_loads(resp, 0, NULL) : NULL;
		free(resp);
		evs = json_object_get(j, "events");
		if (!json_is_array(evs)) {
			json_decref(j);
			snprintf(err, errlen, "GET /_vstress/events: not an events answer");
			return -1;
		}
		n = json_array_size(evs);
		if (vs_wf_world_add_events(w, evs, NULL)) {
			json_decref(j);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (n)
			since = (long long)json_integer_value(json_object_get(json_array_get(evs, n - 1), "seq"));
		json_decref(j);
		if (n < PAGE)
			break;
	}
	vs_wf_world_shift(w, *offset_ns);
	return 0;
}
