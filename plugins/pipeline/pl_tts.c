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

#include <vstress/callphase/checkmsg.h>
#include <vstress/callphase/ttspath.h>

#include "pipeline.h"

struct tp_tally {
	struct vs_checkmsg bad;
	int replies, cut;
	double min_fraction, worst_removed_pct, worst_dropout_ms, worst_gap_ms, worst_inserted_ms;
	double *delays;
	size_t ndelays;
};

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void judge_replies(struct pl *p, size_t call, const json_t *tj, struct tp_tally *t)
{
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
		if (f < t->min_fraction)
			t->min_fraction = f;
		if (rpct > t->worst_removed_pct)
			t->worst_removed_pct = rpct;
		if (drop > t->worst_dropout_ms)
			t->worst_dropout_ms = drop;
		if (gap > t->worst_gap_ms)
			t->worst_gap_ms = gap;
		if (ins > t->worst_inserted_ms)
			t->worst_inserted_ms = ins;
		json_t *d = json_object_get(u, "delay_ms");
		if (json_is_number(d)) {
			double *nd = realloc(t->delays, (t->ndelays + 1) * sizeof *nd);
			if (nd) {
				t->delays = nd;
				t->delays[t->ndelays++] = json_number_value(d);
			}
		}
		if (f < p->tp_min_fraction || rpct > p->tp_max_removed_pct) {
			const char *why = json_string_value(json_object_get(u, "why"));
			vs_checkmsg_item(&t->bad,
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
	if (t->ndelays) {
		qsort(t->delays, t->ndelays, sizeof *t->delays, cmp_d);
		snprintf(delay, sizeof delay, "delay added p50 %.0f ms, max %.0f ms", pl_pct(t->delays, t->ndelays, 50),
			 t->delays[t->ndelays - 1]);
	}
	if (t->cut)
		snprintf(cut, sizeof cut, "; %d cut short at the caller's barge-in (judged up to it)", t->cut);
	if (t->bad.items)
		VS_CHECK_MEASURED(p->h, p->c, "audio.tts_to_caller", VS_CHECK_FAIL, t->min_fraction, VS_GE,
				  p->tp_min_fraction, "ratio", "%s (want >= %.0f%% of the frames, <= %.0f%% removed); %s%s",
				  vs_checkmsg_more(&t->bad), 100 * p->tp_min_fraction, p->tp_max_removed_pct, delay, cut);
	else
		VS_CHECK_MEASURED(p->h, p->c, "audio.tts_to_caller", VS_CHECK_PASS, t->min_fraction, VS_GE,
				  p->tp_min_fraction, "ratio",
				  "%d TTS replies reached the caller: at least %.1f%% of each one's speech frames, at "
				  "most %.1f%% removed, longest dropout %.0f ms, at most %.0f ms of silence inserted into "
				  "one (longest pause heard inside a reply %.0f ms); %s%s",
				  t->replies, 100 * t->min_fraction, t->worst_removed_pct, t->worst_dropout_ms,
				  t->worst_inserted_ms, t->worst_gap_ms, delay, cut);
}

void pl_tts_checks(struct pl *p, json_t *calls_json)
{
	struct tp_tally t = {.min_fraction = 1};
	int skipped = 0;
	char why[400] = "no call streamed";
	for (size_t i = 0; i < p->ncalls; i++) {
		const struct pl_call *pc = &p->calls[i];
		if (!pc->ran || pc->failed || !pc->r.media_started || !pc->r.media.t0_ns)
			continue;
		json_t *tj = NULL;
		char err[300] = "";
		if (vs_ttspath_call(p->t.control_url, pc->script, &pc->r.media, (int64_t)pc->r.media.t0_ns, &tj, err, sizeof err)) {
			snprintf(why, sizeof why, "call %zu: %s", i + 1, err);
			skipped++;
			continue;
		}
		if (json_object_get(tj, "skipped")) {
			snprintf(why, sizeof why, "%s", json_string_value(json_object_get(tj, "skipped")));
			skipped++;
			json_decref(tj);
			continue;
		}
		judge_replies(p, i + 1, tj, &t);
		json_t *cj = json_array_get(calls_json, i);
		if (cj)
			json_object_set_new(cj, "tts_path", tj);
		else
			json_decref(tj);
	}
	if (!t.replies)
		p->h->check(p->c, "audio.tts_to_caller", VS_CHECK_SKIP, "%s",
			    skipped ? why : "no TTS reply went out during the calls");
	else
		check_delivered(p, &t);
	free(t.delays);
}
