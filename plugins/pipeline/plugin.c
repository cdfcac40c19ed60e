/* pipeline plugin: descriptor, setup (options, scripts, call engine, test
 * tenant), run (the calls, memory before and after, checks), teardown. */
#include "pipeline.h"

#include <vstress/callphase/plugopt.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int pl_setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	struct pl *p = vs_popt_state(state, sizeof(*p));
	int rc;

	if (!p)
		return VS_ERROR;
	rc = pl_conf_load(p, h, c);
	if (rc != VS_OK)
		return rc;
	p->calls = calloc((size_t)p->ncalls_opt, sizeof(*p->calls));
	if (!p->calls)
		return VS_ERROR;
	p->m_first = h->metric(c, "first_reply", "ms");
	p->m_turn = h->metric(c, "turn_latency", "ms");
	p->m_gap = h->metric(c, "gap", "ms");
	p->m_cost = h->metric(c, "call_cost", "uUSD");
	p->m_overhead = h->metric(c, "agent_overhead", "ms");
	return vs_calltarget_open(h, c, "pipeline", 4, &p->t);
}

static void log_call(struct pl *p, size_t i)
{
	const struct pl_call *pc = &p->calls[i];
	const struct vs_call_result *m = &pc->r.media;

	p->h->log(p->c, VS_LOG_INFO,
		  "call %zu (%s) %s: webhook %d in %.0f ms, answer %s, first reply %.0f ms, %zu turns, %zu gaps, "
		  "%zu false triggers, frames %llu sent / %llu received (%llu late), hang-up by %s%s%s",
		  i + 1, pc->script->name, pc->r.call_control_id, pc->r.webhook_status, pc->r.webhook_ms,
		  pc->r.answered ? "seen" : "MISSING", m->first_reply_ms, m->nturns, m->ngaps, m->nfalse,
		  (unsigned long long)m->frames_sent, (unsigned long long)m->frames_received,
		  (unsigned long long)m->late_frames, vs_hangup_by_name(m->hangup_by), pc->r.error[0] ? "; error: " : "",
		  pc->r.error);
	for (size_t t = 0; t < m->nturns; t++) {
		const struct vs_call_turn *tu = &m->turns[t];
		const struct vs_call_step *st =
			tu->step >= 0 && (size_t)tu->step < pc->script->nsteps ? &pc->script->steps[tu->step] : NULL;
		p->h->log(p->c, VS_LOG_INFO, "call %zu turn %zu (step %d, line %d): %s, caller stopped at %.0f ms, "
					     "latency %.0f ms%s",
			  i + 1, t + 1, tu->step + 1, st ? st->line : 0, tu->replied ? "replied" : "NO REPLY", tu->ref_ms,
			  tu->latency_ms, tu->talk_over ? " (talk-over)" : "");
	}
}

/* Live progress on the terminal: calls one at a time; done calls so far. */
static void pl_progress(const struct vs_host *h, vs_ctx *c, const struct pl *p, size_t done, int in_flight)
{
	struct vs_progress pr = {.size = sizeof(pr), .p95_ms = -1, .label = "calls"};

	if (!VS_HOST_HAS(h, progress) || !h->progress)
		return;
	pr.completed = (int64_t)done;
	pr.in_flight = in_flight;
	pr.started = pr.completed + in_flight;
	for (size_t i = 0; i < done; i++)
		pr.failed += p->calls[i].failed || p->calls[i].r.error[0];
	h->progress(c, &pr);
}

static int pl_run(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct pl *p = state;
	uint64_t seed = h->seed(c);
	struct vs_tcall_cfg base;

	/* unmeasured calls first: an agent's first call may load its models
	 * (Pipecat's VAD and turn models) and take both cores while our media is
	 * paced; the measured calls then see the agent in its steady state */
	base = vs_calltarget_call(&p->t, p->answer_timeout_ms, 0);
	if (vs_calltarget_warm_up(h, c, p->t.eng, p->scripts[0], &base, p->warmup_calls, p->pause_ms) != VS_OK)
		return VS_SKIP; /* attached agent missing a need (reason set) */
	/* after the warm-up: the agent's one-time model loading is not a leak */
	if (p->t.pid)
		p->rss_before_kb = pl_rss_tree_kb(p->t.pid, &p->nproc_before);
	h->log(c, VS_LOG_INFO, "%lld calls to %s (%s -> %s), %zu scripts", p->ncalls_opt, p->t.webhook_url, p->t.caller,
	       p->t.routed, p->nscripts);
	for (size_t i = 0; i < (size_t)p->ncalls_opt && !h->should_stop(c); i++) {
		struct pl_call *pc = &p->calls[i];
		/* ids must be unique in the world's event log: mix the clock in (a
		 * replayed run gets new ids) */
		struct vs_tcall_cfg cfg = vs_calltarget_call(&p->t, p->answer_timeout_ms, (seed + i + 1) ^ h->now_ns());

		pc->script = p->scripts[i % p->nscripts];
		/* what the caller heard, for the TTS -> caller path (pl_tts.c) */
		cfg.keep_heard_ms = pc->script->m.max_call_ms + 5000;
		if (i && p->pause_ms)
			vs_popt_sleep(h, c, p->pause_ms);
		if (h->remaining_ms(c) < pc->script->m.max_call_ms / 4) {
			h->log(c, VS_LOG_WARN, "call %zu not started: %lld ms left before the deadline", i + 1,
			       (long long)h->remaining_ms(c));
			break;
		}
		pl_progress(h, c, p, i, 1);
		p->cost.seq0[i] = pl_cost_seq(p);
		pc->failed = vs_tcall_run(p->t.eng, pc->script, &cfg, &pc->r) != 0;
		p->cost.seq1[i] = pl_cost_seq(p);
		pc->ran = 1;
		if (i == 0 && !p->warmup_calls && vs_calltarget_attach_unmet(h, c, p->t.control_url, &pc->r) != VS_OK) {
			p->ncalls = 1;
			return VS_SKIP;
		}
		pl_progress(h, c, p, i + 1, 0);
		p->ncalls = i + 1;
		h->count(c, "calls", 1);
		log_call(p, i);
	}
	if (p->t.pid)
		p->rss_after_kb = pl_rss_tree_kb(p->t.pid, &p->nproc_after);
	pl_checks(p);
	pl_cost_checks(p);
	pl_adv_run(p);
	return VS_OK;
}

static int pl_teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct pl *p = state;

	if (!p)
		return VS_OK;
	vs_calltarget_close(h, c, &p->t);
	for (size_t i = 0; p->calls && i < (size_t)p->ncalls_opt; i++)
		if (p->calls[i].ran)
			vs_tcall_result_clear(&p->calls[i].r);
	free(p->calls);
	pl_conf_free(p);
	free(p);
	return VS_OK;
}

VS_PLUGIN(.name = "pipeline", .version = PL_VERSION,
	  .description = "whole simulated Telnyx calls: first reply, turn-taking, replies, false triggers, gaps, "
			 "frames, Call Control commands, target memory",
	  .options = pl_options, .setup = pl_setup, .run = pl_run, .teardown = pl_teardown);
