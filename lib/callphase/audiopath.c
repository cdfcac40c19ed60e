/* The caller -> STT audio path of one call (vstress/callphase/audiopath.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vstress/audio/align.h"
#include "vstress/audio/speechq.h"
#include "vstress/audio/ulaw.h"
#include "vstress/callphase/alignjson.h"
#include "vstress/callphase/audiopath.h"
#include "vstress/callphase/recfetch.h"

struct ap_stream {
	char id[48];
	int64_t start_ns;
	int16_t *pcm; /* 8 kHz */
	size_t n;
};

/* What the caller said aloud at step i (NULL: nothing with words). */
static const char *said_at(const struct vs_call_step *st)
{
	if (st->speech_start < 0 || st->speech_end <= st->speech_start)
		return NULL;
	if (st->kind == VS_STEP_SAY || st->kind == VS_STEP_BARGE_IN)
		return st->arg;
	if (st->kind == VS_STEP_WAV)
		return st->text ? st->text : "";
	return NULL;
}

/* The call's time (ms from its stream start) at which step i's speech
 * ended: the ref_ms of the turn that waits right after it, -1 if none. */
static double speech_end_ms(const struct vs_call_script *s, const struct vs_call_result *r, size_t i)
{
	for (size_t k = 0; k < r->nturns; k++) {
		size_t w = (size_t)r->turns[k].step;
		if (w <= i || w >= s->nsteps)
			continue;
		size_t j = w; /* the last step with words before the wait */
		while (j > 0 && !said_at(&s->steps[j - 1]))
			j--;
		if (j > 0 && j - 1 == i)
			return r->turns[k].ref_ms;
	}
	return -1;
}

static int fetch_streams(const char *base, int64_t from_ns, int64_t to_ns, struct ap_stream **out, size_t *nout,
			 json_t **words, char *err, size_t errlen)
{
	json_t *j, *list;
	int rc = vs_recfetch_list(base, "stt_deepgram", "streams", &j, &list, err, errlen);
	if (rc == 1)
		snprintf(err, errlen, "not recording");
	if (rc)
		return rc == 1 ? 1 : -1; /* a 404 says "HTTP 404" in err */
	/* in the order the streams opened */
	size_t i, cap = json_array_size(list);
	json_t *e;
	*out = calloc(cap ? cap : 1, sizeof **out);
	*nout = 0;
	*words = json_array();
	json_array_foreach(list, i, e)
	{
		int64_t t = (int64_t)json_integer_value(json_object_get(e, "start_ns"));
		const char *id = json_string_value(json_object_get(e, "stream"));
		if (!id || t < from_ns || t > to_ns)
			continue;
		struct ap_stream *a = &(*out)[(*nout)++];
		snprintf(a->id, sizeof a->id, "%s", id);
		a->start_ns = t;
		const char *heard = json_string_value(json_object_get(e, "transcript"));
		json_array_append_new(*words, json_pack("{s:s,s:I,s:s}", "stream", id, "order",
							json_integer_value(json_object_get(e, "order")), "heard",
							heard ? heard : ""));
	}
	json_decref(j);
	for (size_t k = 0; k < *nout; k++) {
		struct ap_stream *a = &(*out)[k];
		if (vs_recfetch_audio(base, "stt_deepgram", a->id, &a->pcm, &a->n, err, errlen))
			return -1;
	}
	return 0;
}

static void free_streams(struct ap_stream *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++)
		free(a[i].pcm);
	free(a);
}

/* The utterance against every stream of the call: the best match. */
static json_t *one_utterance(const struct vs_call_step *st, size_t step, const char *words, double end_ms,
			     int64_t t0_ns, const struct ap_stream *a, size_t na)
{
	size_t len = (size_t)(st->speech_end - st->speech_start);
	int16_t *ref = malloc(len * sizeof *ref);
	if (!ref)
		return NULL;
	vs_ulaw_decode_buf(st->ulaw + st->speech_start, len, ref);
	struct vs_align_result best = {0}, r;
	const struct ap_stream *in = NULL;
	char err[200] = "";
	for (size_t k = 0; k < na; k++)
		if (!vs_align(ref, len, a[k].pcm, a[k].n, 8000, NULL, &r, err, sizeof err) &&
		    (!in || r.fraction > best.fraction)) {
			best = r;
			in = &a[k];
		}
	free(ref);
	json_t *u = json_pack("{s:i,s:i,s:s,s:i}", "step", (int)step, "line", st->line, "words", words, "speech_ms",
			      (int)(len / 8));
	if (!in) {
		json_object_set_new(u, "stream", json_null());
		json_object_set_new(u, "fraction", json_real(0));
		json_object_set_new(u, "why", json_string(na ? err : "no STT stream during the call"));
		return u;
	}
	json_object_set_new(u, "stream", json_string(in->id));
	vs_align_json(u, &best);
	/* where the speech's last sample sits in the stream, as the stream's
	 * own clock has it (the agent forwards in real time from its start) */
	/* (only for a stream whose clock still matches ours: audio removed or
	 * inserted before the speech shifts every later position) */
	if (end_ms >= 0 && best.forwarded && !best.removed_ms && !best.inserted_ms) {
		double arrived = (double)(in->start_ns - t0_ns) / 1e6 + (double)((long)len - 1 + best.offset_end) / 8.0;
		json_object_set_new(u, "delay_ms", json_real(arrived - end_ms));
	} else {
		json_object_set_new(u, "delay_ms", json_null());
	}
	return u;
}

int vs_audiopath_call(const char *control_url, const struct vs_call_script *s, const struct vs_call_result *r,
		      int64_t t0_ns, json_t **out, char *err, size_t errlen)
{
	struct ap_stream *a = NULL;
	size_t na = 0;
	json_t *heard = NULL;
	*out = NULL;
	int64_t end_ns = t0_ns + (int64_t)(r->duration_ms * 1e6) + 1000000000;
	int rc = fetch_streams(control_url, t0_ns - 2000000000, end_ns, &a, &na, &heard, err, errlen);
	if (rc) {
		free_streams(a, na);
		json_decref(heard);
		if (rc > 0) {
			*out = json_pack("{s:s}", "skipped", "the world's STT stand-in keeps no recordings "
							     "([stt_deepgram] record_audio is off)");
			return 0;
		}
		if (strstr(err, "HTTP 404")) { /* a world without the stand-in's routes */
			*out = json_pack("{s:s}", "skipped", "the world keeps no STT recordings (stt_deepgram not served)");
			return 0;
		}
		return -1;
	}
	json_t *utts = json_array();
	char *said = calloc(1, 1), *hyp = calloc(1, 1);
	size_t saidn = 0, hypn = 0;
	for (size_t i = 0; i < s->nsteps; i++) {
		const char *w = said_at(&s->steps[i]);
		if (!w)
			continue;
		json_t *u = one_utterance(&s->steps[i], i, w, speech_end_ms(s, r, i), t0_ns, a, na);
		if (u)
			json_array_append_new(utts, u);
		size_t n = strlen(w);
		char *p = realloc(said, saidn + n + 2);
		if (p) {
			said = p;
			if (saidn)
				said[saidn++] = ' ';
			memcpy(said + saidn, w, n + 1);
			saidn += n;
		}
	}
	size_t i;
	json_t *e;
	json_array_foreach(heard, i, e)
	{
		const char *h = json_string_value(json_object_get(e, "heard"));
		size_t n = h ? strlen(h) : 0;
		char *p = n ? realloc(hyp, hypn + n + 2) : NULL;
		if (p) {
			hyp = p;
			if (hypn)
				hyp[hypn++] = ' ';
			memcpy(hyp + hypn, h, n + 1);
			hypn += n;
		}
	}
	struct vs_wer wer = {0};
	vs_wer_count(said ? said : "", hyp ? hyp : "", &wer);
	*out = json_pack("{s:o,s:o,s:s,s:s,s:f,s:I,s:I}", "streams", heard, "utterances", utts, "said", said ? said : "",
			 "heard", hyp ? hyp : "", "wer", vs_wer_rate(&wer), "edits", (json_int_t)vs_wer_edits(&wer),
			 "reference_words", (json_int_t)wer.ref_words);
	free(said);
	free(hyp);
	free_streams(a, na);
	return *out ? 0 : -1;
}
