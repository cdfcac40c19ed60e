/* The TTS -> caller audio path of one call (vstress/callphase/ttspath.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vstress/audio/align.h"
#include "vstress/callphase/alignjson.h"
#include "vstress/callphase/recfetch.h"
#include "vstress/callphase/ttspath.h"

#define TP_RATE 8000
/* heard audio looked at before the reply's first audio went out: none can
 * be heard before it is sent, but the two clocks are read on two processes */
#define TP_LEAD_MS 200
/* a reply is looked for up to this long after its first audio went out:
 * the same words said again later (a repeated prompt) are another reply */
#define TP_MAX_DELAY_MS 10000
/* the agent's playback may stall inside a reply (its output starved): the
 * aligner follows the audio across a silence inserted up to this long */
#define TP_SEARCH_MS 2000

/* The step before `wait` whose speech the turn's ref_ms ends (-1 none). */
static long spoken_before(const struct vs_call_script *s, size_t wait)
{
	for (size_t j = wait; j-- > 0;) {
		const struct vs_call_step *st = &s->steps[j];
		if (st->kind == VS_STEP_SAY || st->kind == VS_STEP_WAV || st->kind == VS_STEP_BARGE_IN)
			return st->speech_start >= 0 && st->speech_end > st->speech_start ? (long)j : -1;
		if (st->kind == VS_STEP_WAIT_REPLY)
			return -1;
	}
	return -1;
}

static double speech_ms(const struct vs_call_step *st)
{
	return st->speech_end > st->speech_start ? (double)(st->speech_end - st->speech_start) * 1000 / TP_RATE : 0;
}

/* The first moment the caller was speaking in [from_ms, to_ms): a
 * barge_in step, or an utterance (its end is a turn's ref_ms); an
 * utterance already under way at from_ms gives from_ms.  -1: none. */
static double barge_in(const struct vs_call_script *s, const struct vs_call_result *r, double from_ms, double to_ms)
{
	double at = -1;
	for (size_t k = 0; k < r->nbarges + r->nturns; k++) {
		double on, off;
		if (k < r->nbarges) {
			const struct vs_call_barge *b = &r->barges[k];
			on = b->at_ms;
			off = on + (s && (size_t)b->step < s->nsteps ? speech_ms(&s->steps[b->step]) : 0);
		} else {
			const struct vs_call_turn *t = &r->turns[k - r->nbarges];
			long j = s && (size_t)t->step < s->nsteps ? spoken_before(s, (size_t)t->step) : -1;
			if (j < 0 || t->ref_ms < 0)
				continue;
			off = t->ref_ms;
			on = off - speech_ms(&s->steps[j]);
		}
		if (off < from_ms || on >= to_ms)
			continue;
		if (on < from_ms)
			on = from_ms;
		if (at < 0 || on < at)
			at = on;
	}
	return at;
}

/* The reply looked for in the heard audio from TP_LEAD_MS before it went
 * out to max_delay_ms after; NULL when ref has no speech (err set). */
static json_t *judge_window(const int16_t *ref, size_t nref, double sent_ms, const struct vs_call_script *s,
			    const struct vs_call_result *r, int max_delay_ms, char *err, size_t errlen)
{
	long lead = (long)((sent_ms - TP_LEAD_MS) * TP_RATE / 1000);
	size_t win0 = lead > 0 ? (size_t)lead : 0;
	size_t win1 = win0 + nref + (size_t)(TP_LEAD_MS + max_delay_ms + TP_SEARCH_MS) * TP_RATE / 1000;
	if (win1 > r->nheard)
		win1 = r->nheard;
	size_t nwin = win1 > win0 ? win1 - win0 : 0;
	double ref_ms = (double)nref * 1000 / TP_RATE;
	struct vs_align_opts ao;
	vs_align_defaults(&ao);
	ao.search_ms = TP_SEARCH_MS;
	ao.stall_edge = 1;
	json_t *o = json_pack("{s:i}", "speech_ms", (int)ref_ms);
	struct vs_align_result a = {0};
	if (nwin < 160 || vs_align(ref, nref, r->heard + win0, nwin, TP_RATE, &ao, &a, err, errlen)) {
		if (nwin < 160) {
			snprintf(err, errlen, "sent after the caller stopped listening");
		} else if (strstr(err, "no speech")) { /* nothing to deliver: not judged */
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, "why", json_string(err));
		a.forwarded = 0;
	}
	vs_align_json(o, &a);
	/* where ref's first sample played (got[i + offset] holds ref[i]);
	 * a reply never heard would have played from when it went out */
	double first = a.forwarded ? (double)((long)win0 + a.offset) * 1000 / TP_RATE : sent_ms;
	double span = ref_ms + (double)a.inserted_ms;
	json_object_set_new(o, "first_heard_ms", a.forwarded ? json_real(first) : json_null());
	json_object_set_new(o, "delay_ms", a.forwarded ? json_real(first - sent_ms) : json_null());
	int gaps = 0;
	double longest = 0;
	for (size_t k = 0; a.forwarded && k < r->ngaps; k++)
		if (r->gaps[k].at_ms >= first && r->gaps[k].at_ms < first + span) {
			gaps++;
			if (r->gaps[k].duration_ms > longest)
				longest = r->gaps[k].duration_ms;
		}
	json_object_set_new(o, "gaps", json_integer(gaps));
	json_object_set_new(o, "longest_gap_ms", json_real(longest));
	/* the caller barging in cuts the reply short: judged up to there */
	double bi = barge_in(s, r, first, first + span);
	size_t upto = bi >= 0 ? (size_t)((bi - first) * TP_RATE / 1000) : nref;
	struct vs_align_result b = a;
	if (upto < nref) {
		char e2[160];
		/* a stretch too short to hold speech: nothing of it to judge */
		if (!upto || vs_align(ref, upto, r->heard + win0, nwin, TP_RATE, &ao, &b, e2, sizeof e2))
			b.speech_frames = 0;
	}
	json_object_set_new(o, "barge_in_ms", bi >= 0 ? json_real(bi) : json_null());
	json_object_set_new(o, "truncated_at_barge_in", json_boolean(upto < nref));
	json_object_set_new(o, "judged_speech_ms", json_integer((json_int_t)(upto * 1000 / TP_RATE)));
	json_object_set_new(o, "judged_fraction", b.speech_frames ? json_real(b.fraction) : json_null());
	json_object_set_new(o, "judged_removed_ms", json_integer(b.speech_frames ? b.removed_ms : 0));
	return o;
}

static double judged(const json_t *o)
{
	const json_t *f = json_object_get(o, "judged_fraction");
	return json_is_null(f) ? 2 : json_number_value(f); /* nothing to judge beats any figure */
}

int vs_ttspath_judge(const int16_t *ref, size_t nref, double sent_ms, const struct vs_call_script *s,
		     const struct vs_call_result *r, json_t **out, char *err, size_t errlen)
{
	/* the nearest match first: the same words said again later (a repeated
	 * prompt) are another reply, and a reply the caller cut short matches
	 * a later whole one better over its full length */
	static const int delays[] = {1000, 3000, TP_MAX_DELAY_MS};
	json_t *best = NULL;
	for (size_t i = 0; i < sizeof delays / sizeof *delays; i++) {
		json_t *o = judge_window(ref, nref, sent_ms, s, r, delays[i], err, errlen);
		if (!o) {
			json_decref(best);
			return -1;
		}
		if (!best || judged(o) > judged(best) + 1e-9) {
			json_decref(best);
			best = o;
		} else {
			json_decref(o);
		}
		if (judged(best) >= 1)
			break;
	}
	*out = best;
	return 0;
}

/* One stand-in's replies that went out during the call: appended to out.
 * 1: the stand-in is not served or keeps no recordings (why set). */
static int one_standin(const char *base, const char *standin, const struct vs_call_script *s,
		       const struct vs_call_result *r, int64_t t0_ns,
		       json_t *out, char *why, size_t whylen, char *err, size_t errlen)
{
	json_t *j, *list;
	int got = vs_recfetch_list(base, standin, "replies", &j, &list, err, errlen);
	if (got == 2)
		snprintf(why, whylen, "the world does not serve %s", standin);
	else if (got == 1)
		snprintf(why, whylen, "[%s] record_audio is off", standin);
	if (got)
		return got > 0 ? 1 : -1;
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
		int16_t *pcm = NULL;
		size_t n = 0;
		if (vs_recfetch_audio(base, standin, id, &pcm, &n, err, errlen)) {
			rc = -1;
			break;
		}
		double sent_ms = (double)(t - t0_ns) / 1e6;
		json_t *o = NULL;
		char e2[200];
		if (!vs_ttspath_judge(pcm, n, sent_ms, s, r, &o, e2, sizeof e2)) {
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

int vs_ttspath_call(const char *control_url, const struct vs_call_script *s, const struct vs_call_result *r,
		    int64_t t0_ns, json_t **out, char *err, size_t errlen)
{
	static const char *const standins[] = VS_TTSPATH_STANDINS;
	*out = NULL;
	if (!r->heard) {
		*out = json_pack("{s:s}", "skipped", "the caller kept no audio of the call (keep_heard_ms)");
		return 0;
	}
	json_t *replies = json_array();
	char why[240] = "";
	int recorded = 0;
	for (size_t k = 0; k < sizeof standins / sizeof *standins; k++) {
		char w1[100] = "";
		int rc = one_standin(control_url, standins[k], s, r, t0_ns, replies, w1, sizeof w1, err, errlen);
		if (rc > 0) /* every stand-in's reason, for the skip */
			snprintf(why + strlen(why), sizeof why - strlen(why), "%s%s", *why ? "; " : "", w1);
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
