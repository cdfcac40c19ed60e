/* pipeline plugin (stress-test plan Phase 6): whole simulated Telnyx calls
 * against the target (signed webhook, answer seen through the world, the
 * media leg played from caller scripts, hang-up), checked against the
 * latency targets (first reply, turn-taking), replies, false triggers on
 * silence and noise, gaps inside agent speech, frames, Call Control
 * commands and the target's memory before and after. */
#ifndef VSTRESS_PIPELINE_H
#define VSTRESS_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include <vstress/plugin.h>
#include <vstress/caller/call.h>
#include <vstress/observe/proctree.h>
#include <vstress/caller/telnyx_call.h>
#include <vstress/callphase/calltarget.h>

#include "pl_cost.h"
#include "pl_adv.h"

#define PL_VERSION "1.0.0"

struct pl_call {
	const struct vs_call_script *script;
	struct vs_tcall_result r;
	int ran;    /* vs_tcall_run returned (r is valid) */
	int failed; /* vs_tcall_run returned -1 (harness-side) */
};

struct pl {
	const struct vs_host *h;
	vs_ctx *c;
	/* where */
	struct vs_calltarget t; /* target, world, numbers, test tenant, call engine */
	/* what */
	struct vs_call_script **scripts;
	size_t nscripts;
	long long ncalls_opt, pause_ms, answer_timeout_ms, warmup_calls;
	/* thresholds */
	long long first_reply_ms, turn_ms, turn_max_ms, max_gap_ms, max_false, frame_slack;
	double max_late_pct;
	double ap_min_fraction, ap_max_removed_pct, ap_max_wer; /* the audio path (pl_audio.c) */
	double tp_min_fraction, tp_max_removed_pct;             /* TTS -> caller (pl_tts.c) */
	/* the target's process (t.pid), for memory */
	long rss_before_kb, rss_after_kb;
	int nproc_before, nproc_after;
	/* the calls */
	struct pl_call *calls;
	size_t ncalls;
	int m_first, m_turn, m_gap, m_cost, m_overhead;
	/* cost.exact and agent_overhead (pl_cost.c) */
	struct pl_cost cost;
	/* adversarial calls (pl_adv.c) */
	struct pl_adv adv;
};

/* pl_conf.c */
extern const struct vs_option pl_options[];
/* Binds the state to its host and context, then reads the options. */
int pl_conf_load(struct pl *p, const struct vs_host *h, vs_ctx *c);
void pl_conf_free(struct pl *p);

/* VmRSS of pid and all its descendants, in kB; the number of processes in
 * *nproc.  -1 when pid is gone. */
static inline long pl_rss_tree_kb(pid_t pid, int *nproc)
{
	struct vs_proc_sample s;
	int ok = vs_proc_sample(pid, &s) == 0;
	*nproc = ok ? s.nproc : 0;
	return ok ? s.rss_kb : -1;
}

/* pl_checks.c: every check and the attached data from p->calls. */
void pl_checks(struct pl *p);
/* pl_messy.c: the backchannel check and our network impairment's figures. */
void pl_check_messy(struct pl *p);
/* pl_audio.c: the caller -> STT audio path and the WER of what arrived;
 * each call's comparison goes into calls_json[i].audio_path. */
void pl_audio_checks(struct pl *p, json_t *calls_json);
/* pl_tts.c: the TTS -> caller audio path; each call's comparison goes into
 * calls_json[i].tts_path. */
void pl_tts_checks(struct pl *p, json_t *calls_json);
/* Turn latencies of one call that count for turn-taking (a caller utterance
 * before them, replied): sorted ascending into out (malloc'd), count
 * returned, -1 on OOM. */
long pl_turn_latencies(const struct vs_call_result *m, double **out);
/* Nearest-rank percentile of sorted values. */
double pl_pct(const double *v, size_t n, double p);

#endif
