/* load plugin: the artifact load_test.log (one line per call, then the
 * target's CPU/RSS and /metrics timeline) and the per-call log lines. */
#include "load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "1234/1500/980" turn latencies of one call, "-" when none. */
static void turn_list(const struct vs_call_result *m, char *out, size_t len)
{
	size_t o = 0;

	*out = '\0';
	for (size_t t = 0; t < m->nturns && o + 16 < len; t++) {
		const struct vs_call_turn *tu = &m->turns[t];
		if (tu->ref_ms <= 0) /* the greeting: first_reply */
			continue;
		if (tu->replied)
			o += (size_t)snprintf(out + o, len - o, "%s%.0f", o ? "/" : "", tu->latency_ms);
		else
			o += (size_t)snprintf(out + o, len - o, "%snone", o ? "/" : "");
	}
	if (!o)
		snprintf(out, len, "-");
}

static void call_line(const struct vs_cbatch_call *c, size_t i, char *out, size_t len)
{
	const struct vs_tcall_result *r = &c->r;
	const struct vs_call_result *m = &r->media;
	char turns[256];

	if (!c->ran) {
		snprintf(out, len, "call=%zu intended_ms=%.0f outcome=not_started", i + 1, c->intended_ms);
		return;
	}
	turn_list(m, turns, sizeof(turns));
	snprintf(out, len,
		 "call=%zu script=%s call_control_id=%s stream_id=%s intended_ms=%.0f started_ms=%.0f late_ms=%.0f "
		 "ended_ms=%.0f webhook=%d webhook_ms=%.0f answer_ms=%.0f first_reply_ms=%.0f turn_ms=%s "
		 "frames_sent=%llu frames_late=%llu frames_received=%llu commands=%zu answers=%d hangup_by=%s "
		 "outcome=%s%s%s",
		 i + 1, c->script ? c->script->name : "?", r->call_control_id, m->stream_id, c->intended_ms,
		 c->started_ms, c->started_ms - c->intended_ms, c->ended_ms, r->webhook_status, r->webhook_ms,
		 r->answered ? r->answer_ms : -1.0, m->first_reply_ms, turns, (unsigned long long)m->frames_sent,
		 (unsigned long long)m->late_frames, (unsigned long long)m->frames_received,
		 json_array_size(r->commands), vs_tcall_count_action(r, "answer", NULL),
		 vs_hangup_by_name(m->hangup_by), c->failed ? "harness_error" : ld_streamed(c) ? "streamed" : "no_media",
		 r->error[0] ? " error=" : "", r->error);
}

void ld_log_call(struct ld *p, size_t i)
{
	char line[2048];

	call_line(&p->calls[i], i, line, sizeof(line));
	p->h->log(p->c, VS_LOG_INFO, "%s", line);
}

void ld_log_rec(struct ld *p, const struct vs_cbatch_call *c, size_t i)
{
	char line[2048];

	call_line(c, i, line, sizeof(line));
	p->h->log(p->c, VS_LOG_INFO, "%s", line);
}

/* The /metrics reading nearest before t (NULL when none). */
static const struct ld_promsample *prom_at(const struct ld *p, uint64_t t)
{
	const struct ld_promsample *best = NULL;

	for (size_t i = 0; i < p->npromser && p->promser[i].t_ns <= t; i++)
		best = &p->promser[i];
	return best;
}

void ld_report(struct ld *p)
{
	char path[1024], line[2048];
	FILE *f;
	json_t *tl = json_array();

	/* the timeline, also attached */
	for (size_t i = 1; tl && i < p->nproc; i++) {
		const struct vs_proc_sample *s = &p->proc[i];
		const struct ld_promsample *m = prom_at(p, s->t_ns);
		json_array_append_new(
			tl, json_pack("{s:f,s:f,s:I,s:i,s:i,s:i,s:o,s:o}", "t_ms", (double)(int64_t)(s->t_ns - p->t_start_ns) / 1e6,
				      "cpu_pct", vs_proc_cpu_pct(&p->proc[i - 1], s), "rss_kb", (json_int_t)s->rss_kb,
				      "threads", s->threads, "fds", s->fds, "nproc", s->nproc,
				      "active_calls", m && m->m.has_active ? json_real(m->m.active) : json_null(),
				      "db_pool_size", m && m->m.has_pool ? json_real(m->m.pool_size) : json_null()));
	}
	if (p->h->artifact(p->c, "load_test.log", path, sizeof(path)) != 0 || !(f = fopen(path, "w"))) {
		p->h->log(p->c, VS_LOG_WARN, "cannot write load_test.log");
	} else {
		fprintf(f, "# vstress load: %lld calls, concurrency %lld, ramp %lld ms, target %s\n", p->ncalls,
			p->concurrency, p->ramp_ms, p->t.webhook_url);
		fprintf(f, "# times in ms from the batch start; turn_ms: each caller turn's latency (none: no reply)\n");
		for (size_t i = 0; i < (size_t)p->ncalls; i++) {
			call_line(&p->calls[i], i, line, sizeof(line));
			fprintf(f, "%s\n", line);
		}
		fprintf(f, "# target process tree (pid %d) every %lld ms; batch %.0f..%.0f ms; cpu %% of one core\n",
			(int)p->t.pid, p->sample_ms, 0.0, (double)(p->t_end_ns - p->t_start_ns) / 1e6);
		for (size_t i = 1; i < p->nproc; i++) {
			const struct vs_proc_sample *s = &p->proc[i];
			const struct ld_promsample *m = prom_at(p, s->t_ns);
			fprintf(f, "t_ms=%.0f cpu_pct=%.1f rss_mb=%.1f threads=%d nproc=%d",
				(double)(int64_t)(s->t_ns - p->t_start_ns) / 1e6, vs_proc_cpu_pct(&p->proc[i - 1], s),
				(double)s->rss_kb / 1024, s->threads, s->nproc);
			if (m && m->m.has_active)
				fprintf(f, " active_calls=%.0f", m->m.active);
			if (m && m->m.has_pool)
				fprintf(f, " db_pool_size=%.0f db_pool_idle=%.0f", m->m.pool_size, m->m.pool_idle);
			fputc('\n', f);
		}
		if (!p->nproc)
			fprintf(f, "# (no process samples: %s)\n", p->t.pid ? "the tree could not be read" : "no target PID");
		fclose(f);
	}
	p->h->attach(p->c, "timeline", tl);
}
