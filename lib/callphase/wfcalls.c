/* Per-turn waterfalls of a phase's calls (include/vstress/callphase/wfcalls.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/callphase/wfcalls.h"
#include "vstress/waterfall/waterfall.h"

/* The caller's words before a wait_reply step: the last say/barge_in text,
 * or a WAV's `text =` (NULL after a WAV without it or anything else: words
 * not known). */
static const char *words_before(const struct vs_call_script *s, int step)
{
	for (int i = step - 1; s && i >= 0 && (size_t)i < s->nsteps; i--) {
		enum vs_step_kind k = s->steps[i].kind;
		if (k == VS_STEP_SAY || k == VS_STEP_BARGE_IN)
			return s->steps[i].arg;
		if (k == VS_STEP_WAV)
			return s->steps[i].text;
		if (k == VS_STEP_TONE || k == VS_STEP_DTMF)
			return NULL;
	}
	return NULL;
}

static int caller_turn(const struct vs_call_turn *t)
{
	return t->replied && t->ref_ms > 0; /* the greeting (ref 0) is first_reply's */
}

int vs_wfc_compute(const char *control_url, const struct vs_wfc_call *calls, size_t n, json_t **rows, char *note,
		   size_t notelen)
{
	struct vs_wf_world w = {0};
	struct vs_wf_turn *turns;
	size_t nt = 0, k = 0;
	int64_t off = 0;
	char err[300] = "";

	*note = '\0';
	for (size_t i = 0; i < n; i++) {
		rows[i] = NULL;
		if (calls[i].r && calls[i].r->media_started && calls[i].r->media.t0_ns)
			for (size_t t = 0; t < calls[i].r->media.nturns; t++)
				nt += caller_turn(&calls[i].r->media.turns[t]);
	}
	if (!nt)
		return 0;
	turns = calloc(nt, sizeof(*turns));
	if (!turns)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct vs_tcall_result *r = calls[i].r;
		if (!r || !r->media_started || !r->media.t0_ns)
			continue;
		for (size_t t = 0; t < r->media.nturns; t++) {
			const struct vs_call_turn *ct = &r->media.turns[t];
			if (!caller_turn(ct))
				continue;
			struct vs_wf_turn *wt = &turns[k++];
			wt->speech_end_ns = (int64_t)r->media.t0_ns + (int64_t)(ct->ref_ms * 1e6);
			wt->heard_ns = wt->speech_end_ns + (int64_t)(ct->latency_ms * 1e6);
			wt->words = words_before(calls[i].script, ct->step);
			wt->ids[0] = r->call_control_id;
			wt->ids[1] = r->media.stream_id;
		}
	}
	if (!control_url || !*control_url)
		snprintf(note, notelen, "no world control URL: live providers, world stages unknown");
	else if (vs_wf_fetch(control_url, &w, &off, err, sizeof(err)) != 0)
		snprintf(note, notelen, "the world's records could not be read (%s): world stages unknown", err);
	else if (off)
		snprintf(note, notelen, "world clock offset %.3f ms applied", (double)off / 1e6);
	vs_wf_correlate(&w, turns, nt);
	k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct vs_tcall_result *r = calls[i].r;
		if (!r || !r->media_started || !r->media.t0_ns)
			continue;
		for (size_t t = 0; t < r->media.nturns; t++) {
			if (!caller_turn(&r->media.turns[t]))
				continue;
			if (!rows[i])
				rows[i] = json_array();
			/* turn: its place in the call's turns[] (1-based) */
			json_array_append_new(rows[i], vs_wf_row(&turns[k++], (int)t + 1));
		}
	}
	vs_wf_world_free(&w);
	free(turns);
	return 0;
}

void vs_wfc_publish(const struct vs_host *h, vs_ctx *c, json_t *summary, json_t *ws, const char *note)
{
	if (*note)
		json_object_set_new(ws, "note", json_string(note));
	h->log(c, VS_LOG_INFO, "waterfall: %lld of %lld caller turns attributed%s%s",
	       (long long)json_integer_value(json_object_get(ws, "attributed")),
	       (long long)json_integer_value(json_object_get(ws, "turns")), *note ? "; " : "", note);
	json_object_set_new(summary, "waterfall", ws);
}
