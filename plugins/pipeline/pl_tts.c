/* pipeline plugin: the TTS -> caller audio path through the agent (issue
 * 13).  The world holds both ends: what each TTS stand-in sent the agent
 * (record_audio) and what the caller heard on the media stream.  One
 * target check:
 *   audio.tts_to_caller  every reply the TTS sent reached the caller whole
 *                        (fraction of its speech frames heard, audio
 *                        removed), up to the caller's barge-in where the
 *                        caller cut it short; the delay the agent added
 *                        (stand-in's first audio sent -> caller first
 *                        heard it), dropouts and gaps are reported */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vstress/callphase/ttspath.h>

#include "pipeline.h"
#include "pl_path.h"

struct tp_tally {
	struct pl_pathstats st;
	int replies, cut;
	double worst_gap_ms, worst_inserted_ms;
};

static void judge_replies(struct pl *p, size_t call, const json_t *tj, void *arg)
{
	struct tp_tally *t = arg;
	size_t i;
	json_t *u;
	json_array_foreach(json_object_get(tj, "replies"), i, u)
	{
		json_t *jf = json_object_get(u, "judged_fraction");
		double f = json_number_value(jf);
		double speech = (double)json_integer_value(json_object_get(u, "judged_speech_ms"));
		double removed = (double)json_integer_value(json_object_get(u, "judged_removed_ms"));
		double drop = (double)json_integer_value(json_object_get(u, "longest_dropout_ms"));
		double gap = json_number_value(json_object_get(u, "longest_gap_ms"));
		double ins = (double)json_integer_value(json_object_get(u, "inserted_ms"));
		double rpct = speech > 0 ? 100 * removed / speech : 0;
		const char *text = json_string_value(json_object_get(u, "text"));
		const char *standin = json_string_value(json_object_get(u, "standin"));
		int cut = json_is_true(json_object_get(u, "truncated_at_barge_in"));
		t->replies++;
		t->cut += cut;
		if (json_is_null(jf))
			continue; /* the caller barged in before any of it was due */
		pl_pathstats_add(&t->st, f, rpct, drop, json_object_get(u, "delay_ms"));
		if (gap > t->worst_gap_ms)
			t->worst_gap_ms = gap;
		if (ins > t->worst_inserted_ms)
			t->worst_inserted_ms = ins;
		if (f < p->tp_min_fraction || rpct > p->tp_max_removed_pct) {
			const char *why = json_string_value(json_object_get(u, "why"));
			vs_checkmsg_item(&t->st.bad,
					 "call %zu, %s reply \"%.40s\": the caller heard %.0f%% of its speech frames%s, "
					 "%.0f ms of %.0f ms removed, longest dropout %.0f ms%s%s",
					 call, standin ? standin : "?", text ? text : "", 100 * f,
					 cut ? " before the barge-in" : "", removed, speech, drop, why ? "; " : "",
					 why ? why : "");
		}
	}
}

static void check_delivered(struct pl *p, struct tp_tally *t)
{
	char delay[120] = "delay not known (no reply was heard)", cut[80] = "";
	pl_pathstats_delay(&t->st, delay, sizeof delay);
	if (t->cut)
		snprintf(cut, sizeof cut, "; %d cut short at the caller's barge-in (judged up to it)", t->cut);
	if (t->st.bad.items)
		VS_CHECK_MEASURED(p->h, p->c, "audio.tts_to_caller", VS_CHECK_FAIL, t->st.min_fraction, VS_GE,
				  p->tp_min_fraction, "ratio", "%s (want >= %.0f%% of the frames, <= %.0f%% removed); %s%s",
				  vs_checkmsg_more(&t->st.bad), 100 * p->tp_min_fraction, p->tp_max_removed_pct, delay, cut);
	else
		VS_CHECK_MEASURED(p->h, p->c, "audio.tts_to_caller", VS_CHECK_PASS, t->st.min_fraction, VS_GE,
				  p->tp_min_fraction, "ratio",
				  "%d TTS replies reached the caller: at least %.1f%% of each one's speech frames, at "
				  "most %.1f%% removed, longest dropout %.0f ms, at most %.0f ms of silence inserted into "
				  "one (longest pause heard inside a reply %.0f ms); %s%s",
				  t->replies, 100 * t->st.min_fraction, t->st.worst_removed_pct, t->st.worst_dropout_ms,
				  t->worst_inserted_ms, t->worst_gap_ms, delay, cut);
}

void pl_tts_checks(struct pl *p, json_t *calls_json)
{
	struct tp_tally t = {.st = PL_PATHSTATS_INIT};
	char why[400] = "no call streamed";
	int skipped = pl_path_calls(p, calls_json, vs_ttspath_call, "tts_path", judge_replies, &t, why, sizeof why);
	if (!t.replies)
		p->h->check(p->c, "audio.tts_to_caller", VS_CHECK_SKIP, "%s",
			    skipped ? why : "no TTS reply went out during the calls");
	else
		check_delivered(p, &t);
	pl_pathstats_free(&t.st);
}
