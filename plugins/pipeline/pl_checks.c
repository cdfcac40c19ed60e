/* pipeline plugin: the checks, from the finished calls, and the data
 * attached to the results (per call: the whole vs_tcall_result as JSON plus
 * its turn-latency p50/p95/max). */
#include "pipeline.h"

#include <vstress/callphase/wfcalls.h>
#include <vstress/waterfall/waterfall.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vstress/callphase/checkmsg.h>

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

long pl_turn_latencies(const struct vs_call_result *m, double **out)
{
	size_t n = 0;

	*out = malloc((m->nturns ? m->nturns : 1) * sizeof(**out));
	if (!*out)
		return -1;
	for (size_t i = 0; i < m->nturns; i++)
		if (m->turns[i].replied && m->turns[i].ref_ms > 0)
			(*out)[n++] = m->turns[i].latency_ms;
	qsort(*out, n, sizeof(**out), cmp_dbl);
	return (long)n;
}

/* A call whose media leg ran: the audio checks look at these. */
static int streamed(const struct pl_call *pc)
{
	return pc->ran && !pc->failed && pc->r.answered && pc->r.media_started;
}

static const char *step_kind(const struct vs_call_script *s, int step)
{
	return step >= 0 && (size_t)step < s->nsteps ? vs_step_kind_name(s->steps[step].kind) : "?";
}

static int step_line(const struct vs_call_script *s, int step)
{
	return step >= 0 && (size_t)step < s->nsteps ? s->steps[step].line : 0;
}

static void check_completed(struct pl *p, size_t *nstreamed)
{
	struct vs_checkmsg b = {0};

	*nstreamed = 0;
	for (size_t i = 0; i < p->ncalls; i++) {
		const struct pl_call *pc = &p->calls[i];
		if (streamed(pc))
			(*nstreamed)++;
		else
			vs_checkmsg_item(&b, "call %zu: %s", i + 1,
				pc->r.error[0] ? pc->r.error : !pc->r.answered ? "no answer" : "no media stream");
	}
	if (!p->ncalls)
		p->h->check(p->c, "calls.completed", VS_CHECK_FAIL, "no call ran (deadline?)");
	else if (b.items)
		p->h->check(p->c, "calls.completed", VS_CHECK_FAIL, "%zu of %zu calls answered and streamed: %s",
			    *nstreamed, p->ncalls, vs_checkmsg_more(&b));
	else
		p->h->check(p->c, "calls.completed", VS_CHECK_PASS,
			    "%zu of %lld calls: webhook answered, answer command seen, media streamed", p->ncalls,
			    p->ncalls_opt);
}

static void check_first_reply(struct pl *p)
{
	struct vs_checkmsg bad = {0}, all = {0};
	double worst = -1;

	for (size_t i = 0; i < p->ncalls; i++) {
		const struct pl_call *pc = &p->calls[i];
		double f = pc->r.media.first_reply_ms;
		if (!streamed(pc))
			continue;
		if (f < 0) {
			vs_checkmsg_item(&bad, "call %zu (%s): no agent audio at all", i + 1, pc->script->name);
			continue;
		}
		p->h->record(p->c, p->m_first, (int64_t)llround(f));
		vs_checkmsg_add(&all, "%s%.0f", all.len ? ", " : "", f);
		if (f > worst)
			worst = f;
		if (f > (double)p->first_reply_ms)
			vs_checkmsg_item(&bad, "call %zu (%s): first reply after %.0f ms", i + 1, pc->script->name, f);
	}
	if (!all.len && !bad.items)
		p->h->check(p->c, "first_reply", VS_CHECK_SKIP, "no call streamed");
	else if (bad.items)
		VS_CHECK_MEASURED(p->h, p->c, "first_reply", VS_CHECK_FAIL, worst, VS_LE, (double)p->first_reply_ms, "ms",
				  "%s > %lld ms (every call: %s ms)", vs_checkmsg_more(&bad), p->first_reply_ms,
				  all.len ? all.s : "-");
	else
		VS_CHECK_MEASURED(p->h, p->c, "first_reply", VS_CHECK_PASS, worst, VS_LE, (double)p->first_reply_ms, "ms",
				  "slowest %.0f ms <= %lld ms (every call: %s ms)", worst, p->first_reply_ms, all.s);
}

/* Turn-taking: p95 and max over every turn that followed a caller utterance;
 * also every wait_reply must have been answered. */
static void check_turns(struct pl *p, json_t *calls_json)
{
	struct vs_checkmsg slow = {0}, unreplied = {0};
	double *all = NULL, worst = -1, p50 = 0, p95 = 0;
	size_t nall = 0, nwait = 0, nreplied = 0, worst_call = 0;
	int64_t hp95 = -1, hcount = 0;

	for (size_t i = 0; i < p->ncalls; i++) {
		const struct pl_call *pc = &p->calls[i];
		const struct vs_call_result *m = &pc->r.media;
		double *v = NULL, *grown;
		long n;

		if (!streamed(pc))
			continue;
		for (size_t t = 0; t < m->nturns; t++) {
			const struct vs_call_turn *tu = &m->turns[t];
			nwait++;
			if (tu->replied)
				nreplied++;
			else
				vs_checkmsg_item(&unreplied, "call %zu step %d (wait_reply, line %d): no reply", i + 1, tu->step + 1,
					step_line(pc->script, tu->step));
		}
		n = pl_turn_latencies(m, &v);
		if (n < 0)
			return;
		grown = realloc(all, (nall + (size_t)n + 1) * sizeof(*all));
		if (!grown) {
			free(v);
			free(all);
			return;
		}
		all = grown;
		for (long k = 0; k < n; k++) {
			all[nall++] = v[k];
			p->h->record(p->c, p->m_turn, (int64_t)llround(v[k]));
			if (v[k] > (double)p->turn_max_ms)
				vs_checkmsg_item(&slow, "call %zu: %.0f ms", i + 1, v[k]);
			if (v[k] > worst)
				worst = v[k], worst_call = i + 1;
		}
		if (calls_json && json_array_get(calls_json, i)) {
			json_t *cj = json_array_get(calls_json, i);
			json_object_set_new(cj, "turns_counted", json_integer(n));
			json_object_set_new(cj, "turn_p50_ms", n ? json_real(pl_pct(v, (size_t)n, 50)) : json_null());
			json_object_set_new(cj, "turn_p95_ms", n ? json_real(pl_pct(v, (size_t)n, 95)) : json_null());
			json_object_set_new(cj, "turn_max_ms", n ? json_real(v[n - 1]) : json_null());
		}
		if (n)
			p->h->log(p->c, VS_LOG_INFO, "call %zu turn latency: p50 %.0f ms, p95 %.0f ms, max %.0f ms (%ld turns)",
				  i + 1, pl_pct(v, (size_t)n, 50), pl_pct(v, (size_t)n, 95), v[n - 1], n);
		free(v);
	}
	if (!nwait)
		p->h->check(p->c, "turn.replied", VS_CHECK_SKIP, "no wait_reply step was played");
	else if (unreplied.items)
		p->h->check(p->c, "turn.replied", VS_CHECK_FAIL, "%zu of %zu wait_reply steps got a reply: %s", nreplied,
			    nwait, vs_checkmsg_more(&unreplied));
	else
		p->h->check(p->c, "turn.replied", VS_CHECK_PASS, "%zu of %zu wait_reply steps got a reply", nreplied, nwait);
	if (!nall) {
		p->h->check(p->c, "turn.p95", VS_CHECK_SKIP, "no replied turn after a caller utterance");
		p->h->check(p->c, "turn.max", VS_CHECK_SKIP, "no replied turn after a caller utterance");
		free(all);
		return;
	}
	qsort(all, nall, sizeof(*all), cmp_dbl);
	p50 = pl_pct(all, nall, 50);
	p95 = pl_pct(all, nall, 95);
	if (VS_HOST_HAS(p->h, percentile) && (hp95 = p->h->percentile(p->c, p->m_turn, 95.0, &hcount)) >= 0 &&
	    hcount == (int64_t)nall)
		p95 = (double)hp95;
	VS_CHECK_MEASURED(p->h, p->c, "turn.p95", p95 <= (double)p->turn_ms ? VS_CHECK_PASS : VS_CHECK_FAIL, p95, VS_LE,
			  (double)p->turn_ms, "ms",
		    "turn-taking p95 %.0f ms %s %lld ms (p50 %.0f ms, max %.0f ms, %zu turns)", p95,
		    p95 <= (double)p->turn_ms ? "<=" : ">", p->turn_ms, p50, all[nall - 1], nall);
	if (slow.items)
		VS_CHECK_MEASURED(p->h, p->c, "turn.max", VS_CHECK_FAIL, worst, VS_LE, (double)p->turn_max_ms, "ms",
				  "%d of %zu turns slower than %lld ms: %s", slow.items, nall, p->turn_max_ms,
				  vs_checkmsg_more(&slow));
	else
		VS_CHECK_MEASURED(p->h, p->c, "turn.max", VS_CHECK_PASS, worst, VS_LE, (double)p->turn_max_ms, "ms",
				  "slowest turn %.0f ms (call %zu) <= %lld ms", worst, worst_call, p->turn_max_ms);
	free(all);
}

static void check_false_gaps(struct pl *p)
{
	struct vs_checkmsg ft = {0}, longgaps = {0};
	size_t nfalse = 0, ngaps = 0, n = 0;
	double longest = 0, longest_at = 0;
	size_t longest_call = 0;

	for (size_t i = 0; i < p->ncalls; i++) {
		const struct pl_call *pc = &p->calls[i];
		const struct vs_call_result *m = &pc->r.media;
		if (!streamed(pc))
			continue;
		n++;
		for (size_t k = 0; k < m->nfalse; k++) {
			nfalse++;
			vs_checkmsg_item(&ft, "call %zu at %.0f ms (step %d: %s, line %d)", i + 1, m->false_triggers[k].at_ms,
				m->false_triggers[k].step + 1, step_kind(pc->script, m->false_triggers[k].step),
				step_line(pc->script, m->false_triggers[k].step));
		}
		for (size_t k = 0; k < m->ngaps; k++) {
			double d = m->gaps[k].duration_ms;
			ngaps++;
			p->h->record(p->c, p->m_gap, (int64_t)llround(d));
			if (d > longest)
				longest = d, longest_at = m->gaps[k].at_ms, longest_call = i + 1;
			if (d > (double)p->max_gap_ms)
				vs_checkmsg_item(&longgaps, "call %zu: %.0f ms at %.0f ms", i + 1, d, m->gaps[k].at_ms);
		}
	}
	p->h->count(p->c, "false_triggers", (int64_t)nfalse);
	p->h->count(p->c, "gaps", (int64_t)ngaps);
	if (!n) {
		p->h->check(p->c, "false_triggers", VS_CHECK_SKIP, "no call streamed");
		p->h->check(p->c, "gaps", VS_CHECK_SKIP, "no call streamed");
		return;
	}
	if ((long long)nfalse > p->max_false)
		p->h->check(p->c, "false_triggers", VS_CHECK_FAIL,
			    "%zu agent turns started during silence or noise (max %lld): %s", nfalse, p->max_false,
			    vs_checkmsg_more(&ft));
	else
		p->h->check(p->c, "false_triggers", VS_CHECK_PASS,
			    "%zu agent turns started during silence or noise steps (max %lld)", nfalse, p->max_false);
	if (longgaps.items)
		p->h->check(p->c, "gaps", VS_CHECK_FAIL, "%d gaps inside agent speech longer than %lld ms: %s",
			    longgaps.items, p->max_gap_ms, vs_checkmsg_more(&longgaps));
	else if (ngaps)
		p->h->check(p->c, "gaps", VS_CHECK_PASS,
			    "%zu gaps inside agent speech, longest %.0f ms (call %zu at %.0f ms) <= %lld ms", ngaps,
			    longest, longest_call, longest_at, p->max_gap_ms);
	else
		p->h->check(p->c, "gaps", VS_CHECK_PASS, "no gap inside agent speech (<= %lld ms allowed)", p->max_gap_ms);
}

static void check_frames(struct pl *p)
{
	struct vs_checkmsg bad = {0}, none = {0}, sent = {0};
	uint64_t tot_sent = 0, tot_late = 0;
	double max_late = 0, pct;
	size_t n = 0;
	int prev;

	for (size_t i = 0; i < p->ncalls; i++) {
		const struct pl_call *pc = &p->calls[i];
		const struct vs_call_result *m = &pc->r.media;
		uint64_t slots, min;
		if (!streamed(pc))
			continue;
		n++;
		slots = (uint64_t)(m->duration_ms / 20.0);
		min = vs_call_script_min_frames(pc->script);
		tot_sent += m->frames_sent;
		tot_late += m->late_frames;
		if (m->max_late_ms > max_late)
			max_late = m->max_late_ms;
		vs_checkmsg_add(&sent, "%s%llu/%llu", sent.len ? ", " : "", (unsigned long long)m->frames_sent,
		       (unsigned long long)slots);
		if (m->frames_sent > slots + 1 || m->frames_sent + (uint64_t)p->frame_slack < slots)
			vs_checkmsg_item(&bad, "call %zu: %llu frames sent in %.0f ms of stream (%llu slots of 20 ms)", i + 1,
				(unsigned long long)m->frames_sent, m->duration_ms, (unsigned long long)slots);
		else if (m->hangup_by == VS_HANGUP_CALLER && !m->timed_out && m->frames_sent < min)
			vs_checkmsg_item(&bad, "call %zu: %llu frames sent, the script's own audio is %llu frames", i + 1,
				(unsigned long long)m->frames_sent, (unsigned long long)min);
		if (!m->frames_received)
			vs_checkmsg_item(&none, "call %zu: no media from the agent", i + 1);
	}
	if (!n) {
		p->h->check(p->c, "frames.received", VS_CHECK_SKIP, "no call streamed");
		prev = VS_SUBJECT(p->h, p->c, VS_SUBJECT_HARNESS);
		p->h->check(p->c, "frames.sent", VS_CHECK_SKIP, "no call streamed");
		p->h->check(p->c, "frames.late", VS_CHECK_SKIP, "no call streamed");
		VS_SUBJECT(p->h, p->c, prev);
		return;
	}
	/* what the agent sent is the agent's; what we sent and when is our own
	 * caller's (harness) */
	prev = VS_SUBJECT(p->h, p->c, VS_SUBJECT_HARNESS);
	if (bad.items)
		p->h->check(p->c, "frames.sent", VS_CHECK_FAIL, "%s", vs_checkmsg_more(&bad));
	else
		p->h->check(p->c, "frames.sent", VS_CHECK_PASS,
			    "one 20 ms frame per slot of the stream, the whole script played (sent/slots: %s)", sent.s);
	pct = tot_sent ? 100.0 * (double)tot_late / (double)tot_sent : 0;
	p->h->check(p->c, "frames.late", pct <= p->max_late_pct ? VS_CHECK_PASS : VS_CHECK_FAIL,
		    "our own pacing: %llu of %llu frames (%.2f%%) sent late, worst %.1f ms; %s %.2f%%",
		    (unsigned long long)tot_late, (unsigned long long)tot_sent, pct, max_late,
		    pct <= p->max_late_pct ? "<=" : ">", p->max_late_pct);
	VS_SUBJECT(p->h, p->c, prev);
	if (none.items)
		p->h->check(p->c, "frames.received", VS_CHECK_FAIL, "%s", vs_checkmsg_more(&none));
	else
		p->h->check(p->c, "frames.received", VS_CHECK_PASS, "every call received agent media");
}

/* Commands and the end of each call: one answer; the caller (the script)
 * ended the call, not the agent, not max_duration. */
static void check_commands(struct pl *p)
{
	struct vs_checkmsg ans = {0}, hang = {0};
	size_t n = 0;

	for (size_t i = 0; i < p->ncalls; i++) {
		const struct pl_call *pc = &p->calls[i];
		const struct vs_call_result *m = &pc->r.media;
		int answers, hangups;
		size_t k;
		json_t *c;

		if (!pc->ran || pc->failed)
			continue;
		n++;
		answers = vs_tcall_count_action(&pc->r, "answer", NULL);
		if (answers != 1)
			vs_checkmsg_item(&ans, "call %zu: %d answer commands", i + 1, answers);
		if (!streamed(pc))
			continue;
		hangups = 0;
		json_array_foreach(pc->r.commands, k, c) {
			json_t *at = json_object_get(c, "at_ms");
			const char *action = json_string_value(json_object_get(c, "action"));
			if (!action || strcmp(action, "hangup"))
				continue;
			if (!json_is_number(at) || json_number_value(at) < m->duration_ms)
				hangups++;
		}
		if (m->hangup_by == VS_HANGUP_AGENT)
			vs_checkmsg_item(&hang, "call %zu: the agent closed the media stream after %.0f ms, before the script ended",
				i + 1, m->duration_ms);
		else if (hangups)
			vs_checkmsg_item(&hang, "call %zu: the agent sent hangup before the script ended", i + 1);
		else if (m->timed_out)
			vs_checkmsg_item(&hang, "call %zu: the script did not finish within max_duration (%d ms)", i + 1,
				pc->script->m.max_call_ms);
		else if (m->hangup_by != VS_HANGUP_CALLER)
			vs_checkmsg_item(&hang, "call %zu: media leg ended by %s: %s", i + 1, vs_hangup_by_name(m->hangup_by),
				m->error);
	}
	if (!n) {
		p->h->check(p->c, "commands.answer", VS_CHECK_SKIP, "no call ran");
		p->h->check(p->c, "hangup", VS_CHECK_SKIP, "no call ran");
		return;
	}
	if (ans.items)
		p->h->check(p->c, "commands.answer", VS_CHECK_FAIL, "expected exactly one answer per call: %s",
			    vs_checkmsg_more(&ans));
	else
		p->h->check(p->c, "commands.answer", VS_CHECK_PASS, "one answer command per call (%zu calls)", n);
	if (hang.items)
		p->h->check(p->c, "hangup", VS_CHECK_FAIL, "%s", vs_checkmsg_more(&hang));
	else
		p->h->check(p->c, "hangup", VS_CHECK_PASS, "every call ran its script to the end; the caller hung up");
}

/* The target's RSS before and after the calls, as data only: two calls say
 * nothing about a leak (Pipecat loads models on a first call), so memory
 * is judged by the resources phase over 20 calls (slope, growth, a long
 * call); a verdict here allowed 200 MB and could not fail (issue 13). */
static void record_memory(struct pl *p, json_t *summary)
{
	if (!p->t.pid || p->rss_before_kb < 0)
		return;
	json_object_set_new(summary, "rss_before_kb", json_integer(p->rss_before_kb));
	json_object_set_new(summary, "rss_after_kb", json_integer(p->rss_after_kb));
	json_object_set_new(summary, "processes", json_integer(p->nproc_after));
}

/* Per-turn waterfalls on each call ("waterfall") and their percentiles in
 * the summary (docs/waterfall.md). */
static void pl_waterfall(struct pl *p, json_t *calls, json_t *summary)
{
	struct vs_wfc_call *wc = calloc(p->ncalls + 1, sizeof(*wc));
	json_t **rows = calloc(p->ncalls + 1, sizeof(*rows)), *all = json_array(), *ws;
	char note[400];

	if (!wc || !rows || !all || !calls || !summary)
		goto out;
	for (size_t i = 0; i < p->ncalls; i++)
		wc[i] = (struct vs_wfc_call){.r = p->calls[i].ran ? &p->calls[i].r : NULL, .script = p->calls[i].script};
	if (vs_wfc_compute(p->t.control_url, wc, p->ncalls, rows, note, sizeof(note)) != 0)
		goto out;
	for (size_t i = 0; i < p->ncalls; i++) {
		if (!rows[i])
			continue;
		json_array_append(all, rows[i]);
		json_object_set_new(json_array_get(calls, i), "waterfall", rows[i]);
	}
	ws = vs_wf_summary(all);
	vs_wfc_publish(p->h, p->c, summary, ws, note);
out:
	json_decref(all);
	free(rows);
	free(wc);
}

void pl_checks(struct pl *p)
{
	json_t *calls = json_array(), *summary = json_object();
	size_t nstreamed = 0;

	for (size_t i = 0; calls && i < p->ncalls; i++) {
		const struct pl_call *pc = &p->calls[i];
		json_t *cj = json_pack("{s:s,s:o}", "script", pc->script->name, "call",
				       pc->ran ? vs_tcall_result_json(&pc->r) : json_null());
		json_array_append_new(calls, cj ? cj : json_null());
	}
	pl_waterfall(p, calls, summary);
	check_completed(p, &nstreamed);
	check_first_reply(p);
	check_turns(p, calls);
	pl_audio_checks(p, calls);
	pl_tts_checks(p, calls);
	check_false_gaps(p);
	check_frames(p);
	check_commands(p);
	pl_check_messy(p);
	if (summary) {
		json_object_set_new(summary, "calls", json_integer((json_int_t)p->ncalls));
		json_object_set_new(summary, "streamed", json_integer((json_int_t)nstreamed));
		json_object_set_new(summary, "routed_number", json_string(p->t.routed));
		json_object_set_new(summary, "tenant_key", p->t.tenant.created ? json_string(p->t.tenant.key) : json_null());
	}
	record_memory(p, summary);
	if (calls)
		p->h->attach(p->c, "calls", calls);
	if (summary)
		p->h->attach(p->c, "summary", summary);
}
