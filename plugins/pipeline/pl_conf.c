/* pipeline plugin: the options and reading them. */
#include "pipeline.h"

#include <vstress/callphase/calltarget.h>
#include <vstress/callphase/plugopt.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct vs_option pl_options[] = {
	VS_CALLOPT_TARGET("the target's base URL (unset: the plugin skips)"),
	VS_CALLOPT_WORLD("the world's control API: the target's Call Control commands are observed there (unset: skip)",
			 "the target's PID for its memory (itself and its children; 0: memory check skipped)"),
	{"scripts", VS_OPT_LIST, "conf.d/scripts/pipeline-human.ini,conf.d/scripts/pipeline-human-noisy.ini",
	 "caller scripts (docs/calls.md), used in turn by successive calls", 0},
	{"calls", VS_OPT_INT, "3", "sequential calls", 0},
	{"warmup_calls", VS_OPT_INT, "1", "unmeasured calls first (the agent may load its models on its first call)", 0},
	{"pause", VS_OPT_DURATION, "1s", "between two calls", 0},
	{"answer_timeout", VS_OPT_DURATION, "5s", "call.initiated -> the target's answer command", 0},
	{"caller_number", VS_OPT_STRING, "+15550109002", "the caller (from)", 0},
	VS_CALLOPT_PROVISION,
	{"db_url", VS_OPT_STRING, "${DATABASE_URL:-}", "the target's database, for the test tenant", VS_OPT_SECRET},
	VS_CALLOPT_TENANT("vstress pipeline", "+15550100002", "+15550199002"),
	{"first_reply_within", VS_OPT_DURATION, "3s", "check: stream start -> the agent's first audio, every call", 0},
	{"turn_within", VS_OPT_DURATION, "2s", "check: p95 of caller stops -> agent starts (turn-taking)", 0},
	{"turn_max_within", VS_OPT_DURATION, NULL, "check: the slowest turn (default: turn_within)", 0},
	{"max_false_triggers", VS_OPT_INT, "0", "check: agent turns starting in silence/noise steps, all calls", 0},
	{"max_gap", VS_OPT_DURATION, "500ms", "check: longest silence inside an agent reply", 0},
	{"max_late_pct", VS_OPT_DOUBLE, "5", "check: our own frames sent > late_frame after their slot, percent", 0},
	{"audio_min_forwarded", VS_OPT_DOUBLE, "0.95",
	 "check: the fraction of each caller utterance's speech frames found in the agent's STT stream", 0},
	{"audio_max_removed_pct", VS_OPT_DOUBLE, "5", "check: caller speech the agent left out of its STT stream, percent", 0},
	{"tts_min_delivered", VS_OPT_DOUBLE, "0.95",
	 "check: the fraction of each TTS reply's speech frames the caller heard (up to a barge-in)", 0},
	{"tts_max_removed_pct", VS_OPT_DOUBLE, "5", "check: TTS reply audio the agent left out of the call, percent", 0},
	{"max_wer", VS_OPT_DOUBLE, "0.25",
	 "check: WER of the words recognised in the agent's STT audio against the caller's words, all calls", 0},
	{"frame_slack", VS_OPT_INT, "25",
	 "check: frames sent may fall short of the stream's 20 ms slots by this many (the hang-up handshake)", 0},
	PL_COST_OPTIONS,
	PL_ADV_OPTIONS,
	{0},
};

#define I(k, f, min) {k, VS_POPT_INT, offsetof(struct pl, f), min}
#define MS(k, f) {k, VS_POPT_MS, offsetof(struct pl, f), 0}
#define D(k, f) {k, VS_POPT_DOUBLE, offsetof(struct pl, f), 0}
static const struct vs_popt_bind pl_binds[] = {
	I("warmup_calls", warmup_calls, 0), I("calls", ncalls_opt, 1), MS("pause", pause_ms),
	MS("answer_timeout", answer_timeout_ms), MS("first_reply_within", first_reply_ms), MS("turn_within", turn_ms),
	MS("max_gap", max_gap_ms), I("max_false_triggers", max_false, 0), I("frame_slack", frame_slack, 0),
	D("max_late_pct", max_late_pct), D("audio_min_forwarded", ap_min_fraction),
	D("audio_max_removed_pct", ap_max_removed_pct), D("max_wer", ap_max_wer), D("tts_min_delivered", tp_min_fraction),
	D("tts_max_removed_pct", tp_max_removed_pct),
	{0},
};

int pl_conf_load(struct pl *p, const struct vs_host *h, vs_ctx *c)
{
	int rc;

	p->h = h;
	p->c = c;
	rc = vs_popt_read(h, p->c, "pipeline", pl_binds, p);
	if (rc != VS_OK)
		return rc;
	p->turn_max_ms = p->turn_ms;
	if (vs_popt_ms(h, p->c, "pipeline", "turn_max_within", &p->turn_max_ms) || vs_calltarget_read(h, p->c, &p->t))
		return VS_ECONFIG;
	rc = pl_cost_conf(p);
	if (rc == VS_OK)
		rc = pl_adv_conf(p);
	if (rc != VS_OK)
		return rc;
	rc = vs_calltarget_skip(h, p->c, "pipeline", &p->t,
				"the agent's Call Control commands cannot be observed; run with the world (depends = world)");
	if (rc != VS_OK)
		return rc;
	if (!*p->t.routed) {
		h->reason(p->c, "[pipeline] routed_number is empty");
		return VS_ECONFIG;
	}
	return vs_popt_scripts(h, p->c, "pipeline", "scripts", &p->scripts, &p->nscripts);
}

void pl_conf_free(struct pl *p)
{
	pl_cost_free(&p->cost);
	pl_adv_free(&p->adv);
	for (size_t i = 0; i < p->nscripts; i++)
		vs_call_script_free(p->scripts[i]);
	free(p->scripts);
	p->scripts = NULL;
	p->nscripts = 0;
}
