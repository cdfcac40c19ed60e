/* The TTS -> caller audio path of one call (vstress/callphase/ttspath.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vstress/audio/align.h"
#include "vstress/audio/wav.h"
#include "vstress/callphase/ttspath.h"
#include "vstress/net/httpc.h"

#define TP_TIMEOUT_MS 15000
#define TP_MAX_WAV (32u << 20)
#define TP_RATE 8000
/* heard audio looked at before the reply's first audio went out: none can
 * be heard before it is sent, but the two clocks are read on two processes */
#define TP_LEAD_MS 200

/* The caller's first barge-in that began while the reply played
 * [from_ms, to_ms), or -1. */
static double barge_in(const struct vs_call_result *r, double from_ms, double to_ms)
{
	for (size_t k = 0; k < r->nbarges; k++)
		if (r->barges[k].at_ms > from_ms && r->barges[k].at_ms < to_ms)
			return r->barges[k].at_ms;
	return -1;
}

static void put_align(json_t *o, const char *prefix, const struct vs_align_result *a)
{
	char k[48];
	snprintf(k, sizeof k, "%sfraction", prefix);
	json_object_set_new(o, k, json_real(a->fraction));
	snprintf(k, sizeof k, "%sremoved_ms", prefix);
	json_object_set_new(o, k, json_integer(a->removed_ms));
}

int vs_ttspath_judge(const int16_t *ref, size_t nref, double sent_ms, const struct vs_call_result *r, json_t **out,
		     char *err, size_t errlen)
{
	*out = NULL;
	long lead = (long)((sent_ms - TP_LEAD_MS) * TP_RATE / 1000);
	size_t win0 = lead > 0 ? (size_t)lead : 0;
	json_t *o = json_pack("{s:i}", "speech_ms", (int)(nref * 1000 / TP_RATE));
	struct vs_align_result a = {0};
	if (win0 + 160 > r->nheard || vs_align(ref, nref, r->heard + win0, r->nheard - win0, TP_RATE, NULL, &a, err, errlen)) {
		if (win0 + 160 > r->nheard)
			snprintf(err, errlen, "sent after the caller stopped listening");
		else if (strstr(err, "no speech")) { /* nothing to deliver: not judged */
			json_decref(o);
			return -1;
		}
		/* nothing of it heard at all */
		json_object_set_new(o, "fraction", json_real(0));
		json_object_set_new(o, "judged_fraction", json_real(0));
		json_object_set_new(o, "why", json_string(err));
		*out = o;
		return 0;
	}
	put_align(o, "", &a);
	json_object_set_new(o, "dropouts", json_integer(a.dropouts));
	json_object_set_new(o, "longest_dropout_ms", json_integer(a.longest_dropout_ms));
	json_object_set_new(o, "inserted_ms", json_integer(a.inserted_ms));
	json_object_set_new(o, "gain_db", json_real(a.gain_db));
	if (!a.forwarded) {
		json_object_set_new(o, "judged_fraction", json_real(0));
		json_object_set_new(o, "first_heard_ms", json_null());
		json_object_set_new(o, "delay_ms", json_null());
		*out = o;
		return 0;
	}
	/* where ref's first sample played: got[i + offset] holds ref[i] */
	double first = (double)((long)win0 + a.offset) * 1000 / TP_RATE;
	double span = (double)nref * 1000 / TP_RATE + (double)a.inserted_ms;
	json_object_set_new(o, "first_heard_ms", json_real(first));
	json_object_set_new(o, "delay_ms", json_real(first - sent_ms));
	/* gaps the caller's ear measured while the reply played */
	int gaps = 0;
	double longest = 0;
	for (size_t k = 0; k < r->ngaps; k++)
		if (r->gaps[k].at_ms >= first && r->gaps[k].at_ms < first + span) {
			gaps++;
			if (r->gaps[k].duration_ms > longest)
				longest = r->gaps[k].duration_ms;
		}
	json_object_set_new(o, "gaps", json_integer(gaps));
	json_object_set_new(o, "longest_gap_ms", json_real(longest));
	/* a reply cut short by the caller's barge-in: judged up to the barge-in */
	double bi = barge_in(r, first, first + span);
	json_object_set_new(o, "barge_in_ms", bi >= 0 ? json_real(bi) : json_null());
	int cut = 0;
	if (bi >= 0) {
		size_t upto = (size_t)((bi - first) * TP_RATE / 1000);
		struct vs_align_result b;
		char e2[160];
		if (upto < nref && !vs_align(ref, upto, r->heard + win0, r->nheard - win0, TP_RATE, NULL, &b, e2, sizeof e2)) {
			cut = b.fraction > a.fraction;
			if (cut) {
				json_object_set_new(o, "judged_fraction", json_real(b.fraction));
				json_object_set_new(o, "judged_removed_ms", json_integer(b.removed_ms));
				json_object_set_new(o, "judged_speech_ms", json_integer((json_int_t)(upto * 1000 / TP_RATE)));
			}
		}
	}
	json_object_set_new(o, "truncated_at_barge_in", json_boolean(cut));
	if (!cut) {
		json_object_set_new(o, "judged_fraction", json_real(a.fraction));
		json_object_set_new(o, "judged_removed_ms", json_integer(a.removed_ms));
		json_object_set_new(o, "judged_speech_ms", json_integer((json_int_t)(nref * 1000 / TP_RATE)));
	}
	*out = o;
	return 0;
}

/* One stand-in's replies that went out during the call: appended to out.
 * 1: the stand-in is not served or keeps no recordings (why set). */
static int one_standin(const char *base, const char *standin, const struct vs_call_result *r, int64_t t0_ns,
		       json_t *out, char *why, size_t whylen, char *err, size_t errlen)
{
	char url[1024], *body = NULL;
	long status = 0;
	snprintf(url, sizeof url, "%s/_vstress/%s/replies", base, standin);
	if (vs_httpc("GET", url, NULL, TP_TIMEOUT_MS, &status, &body, err, errlen))
		return -1;
	if (status == 404) {
		free(body);
		snprintf(why, whylen, "the world does not serve %s", standin);
		return 1;
	}
	json_t *j = status == 200 ? json_loads(body ? body : "", 0, NULL) : NULL;
	free(body);
	json_t *list = json_object_get(j, "replies");
	if (!json_is_array(list)) {
		snprintf(err, errlen, "%s: HTTP %ld, no \"replies\" list", url, status);
		json_decref(j);
		return -1;
	}
	if (json_is_false(json_object_get(j, "recording"))) {
		snprintf(why, whylen, "[%s] record_audio is off", standin);
		json_decref(j);
		return 1;
	}
	int64_t from = t0_ns - (int64_t)TP_LEAD_MS * 1000000, to = t0_ns + (int64_t)(r->duration_ms * 1e6);
	size_t i;
	json_t *e;
	int rc = 0;
	json_array_foreach(list, i, e)
	{
		int64_t t = (int64_t)json_integer_value(json_object_get(e, "start_ns"));
		const char *id = json_string_value(json_object_get(e, "reply"));
		if (!id || !t || t < from || t > to)
			continue;
		char *wav = NULL;
		size_t len = 0;
		int16_t *pcm = NULL;
		size_t n = 0;
		int rate = 0;
		snprintf(url, sizeof url, "%s/_vstress/%s/audio/%s", base, standin, id);
		if (vs_httpc_get_bytes(url, TP_TIMEOUT_MS, TP_MAX_WAV, &status, &wav, &len, err, errlen)) {
			rc = -1;
			break;
		}
		int bad = status != 200 || vs_wav_parse((const uint8_t *)wav, len, &pcm, &n, &rate, err, errlen) || rate != TP_RATE;
		free(wav);
		if (bad) {
			if (status != 200)
				snprintf(err, errlen, "%s: HTTP %ld", url, status);
			else if (rate && rate != TP_RATE)
				snprintf(err, errlen, "%s: %d Hz, not %d", url, rate, TP_RATE);
			free(pcm);
			rc = -1;
			break;
		}
		double sent_ms = (double)(t - t0_ns) / 1e6;
		json_t *o = NULL;
		char e2[200];
		if (!vs_ttspath_judge(pcm, n, sent_ms, r, &o, e2, sizeof e2)) {
			const char *text = json_string_value(json_object_get(e, "text"));
			const char *ended = json_string_value(json_object_get(e, "ended"));
			json_object_set_new(o, "standin", json_string(standin));
			json_object_set_new(o, "reply", json_string(id));
			json_object_set_new(o, "text", json_string(text ? text : ""));
			json_object_set_new(o, "ended", ended ? json_string(ended) : json_null());
			json_object_set_new(o, "sent_ms", json_real(sent_ms));
			json_array_append_new(out, o);
		}
		free(pcm);
	}
	json_decref(j);
	return rc;
}

static int by_sent(const void *a, const void *b)
{
	double x = json_real_value(json_object_get(*(json_t *const *)a, "sent_ms"));
	double y = json_real_value(json_object_get(*(json_t *const *)b, "sent_ms"));
	return x < y ? -1 : x > y;
}

int vs_ttspath_call(const char *control_url, const struct vs_call_result *r, int64_t t0_ns, json_t **out, char *err,
		    size_t errlen)
{
	static const char *const standins[] = VS_TTSPATH_STANDINS;
	*out = NULL;
	if (!r->heard) {
		*out = json_pack("{s:s}", "skipped", "the caller kept no audio of the call (keep_heard_ms)");
		return 0;
	}
	json_t *replies = json_array();
	char why[200] = "";
	int recorded = 0;
	for (size_t k = 0; k < sizeof standins / sizeof *standins; k++) {
		int rc = one_standin(control_url, standins[k], r, t0_ns, replies, why, sizeof why, err, errlen);
		if (rc < 0) {
			json_decref(replies);
			return -1;
		}
		recorded += rc == 0;
	}
	if (!recorded) {
		json_decref(replies);
		*out = json_pack("{s:s}", "skipped", why);
		return 0;
	}
	/* in the order they went out, whichever stand-in sent them */
	size_t n = json_array_size(replies);
	json_t **v = calloc(n ? n : 1, sizeof *v), *sorted = json_array();
	for (size_t i = 0; v && i < n; i++)
		v[i] = json_array_get(replies, i);
	if (v)
		qsort(v, n, sizeof *v, by_sent);
	for (size_t i = 0; v && i < n; i++)
		json_array_append(sorted, v[i]);
	free(v);
	json_decref(replies);
	*out = json_pack("{s:o,s:f,s:b}", "replies", sorted, "heard_ms", (double)r->nheard * 1000 / TP_RATE,
			 "heard_truncated", r->heard_truncated);
	return *out ? 0 : -1;
}
