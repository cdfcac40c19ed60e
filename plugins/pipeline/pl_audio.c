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

#include "pipeline.h"
#include "pl_path.h"

struct ap_tally {
	struct pl_pathstats st;
	int utterances, judged;
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
			vs_checkmsg_item(&t->st.bad, "call %zu, line %d (\"%.40s\"): not found in any STT stream (%s)",
					 call, line, words ? words : "", json_string_value(json_object_get(u, "why")));
			t->st.min_fraction = 0;
			continue;
		}
		t->judged++;
		pl_pathstats_add(&t->st, f, rpct, drop, json_object_get(u, "delay_ms"));
		if (f < p->ap_min_fraction || rpct > p->ap_max_removed_pct)
			vs_checkmsg_item(&t->st.bad,
					 "call %zu, line %d (\"%.40s\"): %.0f%% of its speech frames reached the STT "
					 "stream, %.0f ms of %.0f ms removed, longest dropout %.0f ms",
					 call, line, words ? words : "", 100 * f, removed, speech, drop);
	}
}

static void check_forwarded(struct pl *p, struct ap_tally *t)
{
	if (!t->utterances) {
		p->h->check(p->c, "audio.caller_to_stt", VS_CHECK_SKIP, "no caller utterance was compared");
		return;
	}
	char delay[120] = "delay not known (no turn followed an utterance)";
	pl_pathstats_delay(&t->st, delay, sizeof delay);
	if (t->st.bad.items)
		VS_CHECK_MEASURED(p->h, p->c, "audio.caller_to_stt", VS_CHECK_FAIL, t->st.min_fraction, VS_GE,
				  p->ap_min_fraction, "ratio", "%s (want >= %.0f%% of the frames, <= %.0f%% removed); %s",
				  vs_checkmsg_more(&t->st.bad), 100 * p->ap_min_fraction, p->ap_max_removed_pct, delay);
	else
		VS_CHECK_MEASURED(p->h, p->c, "audio.caller_to_stt", VS_CHECK_PASS, t->st.min_fraction, VS_GE,
				  p->ap_min_fraction, "ratio",
				  "%d caller utterances reached the agent's STT stream: at least %.1f%% of each one's "
				  "speech frames, at most %.1f%% removed, longest dropout %.0f ms; %s",
				  t->utterances, 100 * t->st.min_fraction, t->st.worst_removed_pct, t->st.worst_dropout_ms,
				  delay);
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

/* One call's comparison: its utterances, and its words into the WER. */
static void judge_call(struct pl *p, size_t call, const json_t *aj, void *arg)
{
	struct ap_tally *t = arg;
	judge_utterances(p, call, aj, t);
	long e = (long)json_integer_value(json_object_get(aj, "edits"));
	long w = (long)json_integer_value(json_object_get(aj, "reference_words"));
	t->edits += e;
	t->ref_words += w;
	if (w && (double)e / (double)w > t->worst_wer_rate) {
		t->worst_wer_rate = (double)e / (double)w;
		snprintf(t->worst_wer, sizeof t->worst_wer, "call %zu said \"%.120s\", the STT heard \"%.120s\"",
			 call, json_string_value(json_object_get(aj, "said")),
			 json_string_value(json_object_get(aj, "heard")));
	}
}

void pl_audio_checks(struct pl *p, json_t *calls_json)
{
	struct ap_tally t = {.st = PL_PATHSTATS_INIT};
	char why[400] = "";
	int skipped = pl_path_calls(p, calls_json, vs_audiopath_call, "audio_path", judge_call, &t, why, sizeof why);
	if (!t.utterances && skipped) {
		p->h->check(p->c, "audio.caller_to_stt", VS_CHECK_SKIP, "%s", why);
		p->h->check(p->c, "stt.wer", VS_CHECK_SKIP, "%s", why);
	} else {
		check_forwarded(p, &t);
		check_wer(p, &t);
	}
	pl_pathstats_free(&t.st);
}
