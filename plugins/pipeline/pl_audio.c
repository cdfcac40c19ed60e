/* pipeline plugin: the caller -> STT audio path through the agent (issue 13).
 * The world holds both ends: what the caller sent and what the agent's STT
 * stream carried to the Deepgram stand-in, which recognises it without
 * being told what was said.  Two target checks:
 *   audio.caller_to_stt  every caller utterance arrived whole (fraction of
 *                        its speech frames found, audio removed), with the
 *                        delay the agent added
 *   stt.wer              the words recognised in what arrived against the
 *                        words the caller said, over every call */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vstress/callphase/audiopath.h>
#include <vstress/callphase/checkmsg.h>

#include "pipeline.h"

struct ap_tally {
	struct vs_checkmsg bad;
	int utterances, judged;
	double min_fraction, worst_removed_pct, worst_dropout_ms;
	double *delays;
	size_t ndelays;
	long edits, ref_words;
	char worst_wer[400];
	double worst_wer_rate;
};

static void judge_utterances(struct pl *p, size_t call, const json_t *aj, struct ap_tally *t)
{
	size_t i;
	json_t *u;
	json_array_foreach(json_object_get(aj, "utterances"), i, u)
	{
		double f = json_real_value(json_object_get(u, "fraction"));
		double speech = (double)json_integer_value(json_object_get(u, "speech_ms"));
		double removed = (double)json_integer_value(json_object_get(u, "removed_ms"));
		double drop = (double)json_integer_value(json_object_get(u, "longest_dropout_ms"));
		double rpct = speech > 0 ? 100 * removed / speech : 0;
		int line = (int)json_integer_value(json_object_get(u, "line"));
		const char *words = json_string_value(json_object_get(u, "words"));
		t->utterances++;
		if (json_is_null(json_object_get(u, "stream"))) {
			vs_checkmsg_item(&t->bad, "call %zu, line %d (\"%.40s\"): not found in any STT stream (%s)", call,
					 line, words ? words : "", json_string_value(json_object_get(u, "why")));
			t->min_fraction = 0;
			continue;
		}
		t->judged++;
		if (f < t->min_fraction)
			t->min_fraction = f;
		if (rpct > t->worst_removed_pct)
			t->worst_removed_pct = rpct;
		if (drop > t->worst_dropout_ms)
			t->worst_dropout_ms = drop;
		json_t *d = json_object_get(u, "delay_ms");
		if (json_is_number(d)) {
			double *nd = realloc(t->delays, (t->ndelays + 1) * sizeof *nd);
			if (nd) {
				t->delays = nd;
				t->delays[t->ndelays++] = json_number_value(d);
			}
		}
		if (f < p->ap_min_fraction || rpct > p->ap_max_removed_pct)
			vs_checkmsg_item(&t->bad,
					 "call %zu, line %d (\"%.40s\"): %.0f%% of its speech frames reached the STT "
					 "stream, %.0f ms of %.0f ms removed, longest dropout %.0f ms",
					 call, line, words ? words : "", 100 * f, removed, speech, drop);
	}
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void check_forwarded(struct pl *p, struct ap_tally *t)
{
	if (!t->utterances) {
		p->h->check(p->c, "audio.caller_to_stt", VS_CHECK_SKIP, "no caller utterance was compared");
		return;
	}
	char delay[120] = "delay not known (no turn followed an utterance)";
	if (t->ndelays) {
		qsort(t->delays, t->ndelays, sizeof *t->delays, cmp_d);
		snprintf(delay, sizeof delay, "delay added p50 %.0f ms, max %.0f ms",
			 pl_pct(t->delays, t->ndelays, 50), t->delays[t->ndelays - 1]);
	}
	if (t->bad.items)
		VS_CHECK_MEASURED(p->h, p->c, "audio.caller_to_stt", VS_CHECK_FAIL, t->min_fraction, VS_GE,
				  p->ap_min_fraction, "ratio", "%s (want >= %.0f%% of the frames, <= %.0f%% removed); %s",
				  vs_checkmsg_more(&t->bad), 100 * p->ap_min_fraction, p->ap_max_removed_pct, delay);
	else
		VS_CHECK_MEASURED(p->h, p->c, "audio.caller_to_stt", VS_CHECK_PASS, t->min_fraction, VS_GE,
				  p->ap_min_fraction, "ratio",
				  "%d caller utterances reached the agent's STT stream: at least %.1f%% of each one's "
				  "speech frames, at most %.1f%% removed, longest dropout %.0f ms; %s",
				  t->utterances, 100 * t->min_fraction, t->worst_removed_pct, t->worst_dropout_ms, delay);
}

static void check_wer(struct pl *p, struct ap_tally *t)
{
	if (!t->ref_words) {
		p->h->check(p->c, "stt.wer", VS_CHECK_SKIP, "no caller words to compare (no say step, no wav text)");
		return;
	}
	double wer = (double)t->edits / (double)t->ref_words;
	VS_CHECK_MEASURED(p->h, p->c, "stt.wer", wer <= p->ap_max_wer ? VS_CHECK_PASS : VS_CHECK_FAIL, wer, VS_LE,
			  p->ap_max_wer, "ratio",
			  "the words recognised in the audio the agent sent to STT: WER %.3f (%ld edits / %ld words "
			  "said)%s%s",
			  wer, t->edits, t->ref_words, t->worst_wer[0] ? "; worst call: " : "", t->worst_wer);
}

void pl_audio_checks(struct pl *p, json_t *calls_json)
{
	struct ap_tally t = {.min_fraction = 1};
	int skipped = 0;
	char why[400] = "";
	for (size_t i = 0; i < p->ncalls; i++) {
		const struct pl_call *pc = &p->calls[i];
		if (!pc->ran || pc->failed || !pc->r.media_started || !pc->r.media.t0_ns)
			continue;
		json_t *aj = NULL;
		char err[300] = "";
		if (vs_audiopath_call(p->t.control_url, pc->script, &pc->r.media, (int64_t)pc->r.media.t0_ns, &aj, err,
				      sizeof err)) {
			snprintf(why, sizeof why, "call %zu: %s", i + 1, err);
			skipped++;
			continue;
		}
		if (json_object_get(aj, "skipped")) {
			snprintf(why, sizeof why, "%s", json_string_value(json_object_get(aj, "skipped")));
			skipped++;
			json_decref(aj);
			continue;
		}
		judge_utterances(p, i + 1, aj, &t);
		long e = (long)json_integer_value(json_object_get(aj, "edits"));
		long w = (long)json_integer_value(json_object_get(aj, "reference_words"));
		t.edits += e;
		t.ref_words += w;
		if (w && (double)e / (double)w > t.worst_wer_rate) {
			t.worst_wer_rate = (double)e / (double)w;
			snprintf(t.worst_wer, sizeof t.worst_wer, "call %zu said \"%.120s\", the STT heard \"%.120s\"", i + 1,
				 json_string_value(json_object_get(aj, "said")), json_string_value(json_object_get(aj, "heard")));
		}
		json_t *cj = json_array_get(calls_json, i);
		if (cj)
			json_object_set_new(cj, "audio_path", aj);
		else
			json_decref(aj);
	}
	if (!t.utterances && skipped) {
		p->h->check(p->c, "audio.caller_to_stt", VS_CHECK_SKIP, "%s", why);
		p->h->check(p->c, "stt.wer", VS_CHECK_SKIP, "%s", why);
	} else {
		check_forwarded(p, &t);
		check_wer(p, &t);
	}
	free(t.delays);
}
