/* load plugin: the checks of the target's side: its /metrics (drained,
 * errors), CPU and memory, and its database (rows, deadlocks, pool). */
#include "load.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* signal.calls over the batch per outcome ("completed +4, error +0"), into
 * buf and sum; "" when the outcomes were not read. */
static const char *by_outcome(struct ld *p, json_t *sum, char *buf, size_t len)
{
	const char *k;
	json_t *v, *delta;
	size_t o = 0;

	buf[0] = '\0';
	if (!p->calls_by_after || !json_object_size(p->calls_by_after))
		return buf;
	delta = json_object();
	o += (size_t)snprintf(buf, len, "; by %s:", p->sig.outcome);
	json_object_foreach(p->calls_by_after, k, v) {
		double d = json_number_value(v) - json_number_value(json_object_get(p->calls_by_before, k));
		json_object_set_new(delta, k, json_real(d));
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, " %s %+.0f", k, d);
	}
	json_object_set_new(sum, "agent_calls_by_outcome", delta);
	return buf;
}

/* The agent's own account, from /metrics before and after. */
void ld_check_agent(struct ld *p, json_t *sum)
{
	const struct ld_prom *b = &p->prom_before, *a = &p->prom_after;
	char why[700], sel[512], groups[400];

	if (!p->t.metrics_url[0]) {
		p->h->check(p->c, "agent.drained", VS_CHECK_SKIP, "metrics_path is empty");
		p->h->check(p->c, "agent.errors", VS_CHECK_SKIP, "metrics_path is empty");
		return;
	}
	if (!b->ok || !a->ok) {
		p->h->check(p->c, "agent.drained", VS_CHECK_SKIP, "GET %s did not answer 200 %s the batch", p->t.metrics_url,
			    b->ok ? "after" : "before");
		p->h->check(p->c, "agent.errors", VS_CHECK_SKIP, "GET %s did not answer", p->t.metrics_url);
		return;
	}
	if (!a->has_active)
		p->h->check(p->c, "agent.drained", VS_CHECK_SKIP, "%s", vs_signal_why(&p->sig.active, why, sizeof(why)));
	else
		p->h->check(p->c, "agent.drained", a->active == 0 ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "%s: %.0f before the batch, %.0f when read %.1f s after it ended%s",
			    vs_signal_str(&p->sig.active, sel, sizeof(sel)), b->active, a->active,
			    (double)(p->t_drained_ns - p->t_end_ns) / 1e9,
			    a->active == 0 ? "" : ": calls stuck in the agent (not removed when they ended)");
	if (!a->has_calls && !a->has_failed) {
		p->h->check(p->c, "agent.errors", VS_CHECK_SKIP, "%s",
			    vs_signal_why(vs_signal_declared(&p->sig.failed) ? &p->sig.failed : &p->sig.calls, why,
					  sizeof(why)));
		return;
	}
	if (a->has_calls)
		p->h->count(p->c, "agent_calls_counted", (int64_t)llround(a->calls_total - b->calls_total));
	if (!vs_signal_declared(&p->sig.failed)) {
		p->h->check(p->c, "agent.errors", VS_CHECK_SKIP, "%s", vs_signal_why(&p->sig.failed, why, sizeof(why)));
		return;
	}
	/* a counter that has not counted yet may be absent: 0 then, as long as
	 * the agent's call counter is there to show it counts at all */
	p->h->check(p->c, "agent.errors", a->calls_error - b->calls_error <= 0 ? VS_CHECK_PASS : VS_CHECK_FAIL,
		    "%s %+.0f over the batch (%.0f calls counted by the agent, %ld ran%s)",
		    vs_signal_str(&p->sig.failed, sel, sizeof(sel)), a->calls_error - b->calls_error,
		    a->calls_total - b->calls_total, p->ran, by_outcome(p, sum, groups, sizeof(groups)));
}

/* CPU % between successive samples; RSS per sample. */
void ld_check_cpu(struct ld *p, json_t *sum)
{
	double busy[3] = {0}, span[3] = {0}, maxpct = 0;
	long rss_max = 0, rss_first = -1, rss_last = -1;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	const char *phase[3] = {"before", "during", "after"};

	if (ncpu < 1)
		ncpu = 1;
	if (!p->t.pid || p->nproc < 2) {
		p->h->check(p->c, "cpu.mean", VS_CHECK_SKIP, "%s",
			    !p->t.pid ? "no target PID (VSTRESS_TARGET_PID / target_pid): CPU and memory not measured"
				    : "the target's process tree could not be sampled");
		return;
	}
	for (size_t i = 1; i < p->nproc; i++) {
		const struct vs_proc_sample *s0 = &p->proc[i - 1], *s1 = &p->proc[i];
		uint64_t mid = s0->t_ns / 2 + s1->t_ns / 2;
		int ph = mid < p->t_start_ns ? 0 : mid < p->t_end_ns ? 1 : 2;
		double c = vs_proc_cpu_pct(s0, s1);
		if (s1->rss_kb <= 0)
			continue;
		busy[ph] += c * (double)(s1->t_ns - s0->t_ns);
		span[ph] += (double)(s1->t_ns - s0->t_ns);
		if (ph == 1) {
			p->h->record(p->c, p->m_cpu, (int64_t)llround(c));
			p->h->record(p->c, p->m_rss, s1->rss_kb / 1024);
			if (c > maxpct)
				maxpct = c;
			if (s1->rss_kb > rss_max)
				rss_max = s1->rss_kb;
		}
		if (rss_first < 0)
			rss_first = s0->rss_kb;
		rss_last = s1->rss_kb;
	}
	for (int k = 0; k < 3; k++) {
		char key[32];
		snprintf(key, sizeof(key), "cpu_%s_mean_pct", phase[k]);
		json_object_set_new(sum, key, span[k] > 0 ? json_real(busy[k] / span[k]) : json_null());
	}
	json_object_set_new(sum, "cpu_during_max_pct", json_real(maxpct));
	json_object_set_new(sum, "cpus", json_integer(ncpu));
	json_object_set_new(sum, "rss_before_kb", json_integer(rss_first));
	json_object_set_new(sum, "rss_during_max_kb", json_integer(rss_max));
	json_object_set_new(sum, "rss_after_kb", json_integer(rss_last));
	if (span[1] <= 0) {
		p->h->check(p->c, "cpu.mean", VS_CHECK_SKIP, "no process sample during the batch");
		return;
	}
	{
		double mean = busy[1] / span[1], machine = mean / (double)ncpu;
		char fig[400];
		snprintf(fig, sizeof(fig),
			 "target CPU during the load: mean %.0f%%, max %.0f%% of one core (%.0f%% of %ld cores); before "
			 "%.0f%%, after %.0f%%; RSS %.0f MB -> max %.0f MB -> %.0f MB",
			 mean, maxpct, machine, ncpu, span[0] > 0 ? busy[0] / span[0] : 0.0,
			 span[2] > 0 ? busy[2] / span[2] : 0.0, (double)rss_first / 1024, (double)rss_max / 1024,
			 (double)rss_last / 1024);
		if (p->cpu_max_pct < 0)
			p->h->check(p->c, "cpu.mean", VS_CHECK_SKIP, "%s (cpu_max_pct unset: reported, not checked)", fig);
		else
			p->h->check(p->c, "cpu.mean", machine <= p->cpu_max_pct ? VS_CHECK_PASS : VS_CHECK_FAIL,
				    "%s; %.0f%% of the machine %s %.0f%%", fig, machine,
				    machine <= p->cpu_max_pct ? "<=" : ">", p->cpu_max_pct);
	}
}

/* What each call left in the target's database. */
void ld_check_db_rows(struct ld *p, json_t *calls_json)
{
	struct vs_checkmsg miss = {0}, bad = {0};
	char err[256] = "";
	size_t n = 0, nt = 0, ncmp = 0, nskip = 0;
	int turns = p->db_turns_sql && *p->db_turns_sql;

	if (!*p->t.db_url || !*p->db_call_sql) {
		p->h->check(p->c, "db.call_rows", VS_CHECK_SKIP, "no database URL or db_call_sql");
		p->h->check(p->c, "db.turn_rows", VS_CHECK_SKIP, "no database URL or db_call_sql");
		return;
	}
	for (size_t i = 0; i < (size_t)p->ncalls; i++) {
		const struct vs_cbatch_call *c = &p->calls[i];
		json_t *cj = json_array_get(calls_json, i);
		long long rows, trows;
		size_t heard;
		if (!ld_streamed(c))
			continue;
		n++;
		rows = ld_db_count(p->t.db_url, p->db_call_sql, c->r.call_control_id, err, sizeof(err));
		if (rows < 0) {
			p->h->check(p->c, "db.call_rows", VS_CHECK_FAIL, "db_call_sql failed: %s", err);
			p->h->check(p->c, "db.turn_rows", VS_CHECK_SKIP, "db_call_sql failed");
			return;
		}
		json_object_set_new(cj, "db_call_rows", json_integer(rows));
		if (rows < 1)
			vs_checkmsg_item(&miss, "call %zu (%s): no row", i + 1, c->r.call_control_id);
		if (!turns)
			continue;
		trows = ld_db_count(p->t.db_url, p->db_turns_sql, c->r.call_control_id, err, sizeof(err));
		if (trows < 0) {
			turns = 0;
			p->h->check(p->c, "db.turn_rows", VS_CHECK_FAIL, "db_turns_sql failed: %s", err);
			continue;
		}
		json_object_set_new(cj, "db_turn_rows", json_integer(trows));
		/* the agent turns the caller heard, where the caller's account is
		 * unambiguous: every wait_reply step (the greeting is one) replied,
		 * no agent turn outside them.  A late reply that lands in the next
		 * step cannot be matched to a row; calls.complete reports it. */
		if (ld_replied_turns(&c->r.media) < c->r.media.nturns || c->r.media.nfalse) {
			nskip++;
			continue;
		}
		heard = ld_replied_turns(&c->r.media);
		json_object_set_new(cj, "turns_heard", json_integer((json_int_t)heard));
		nt += (size_t)trows;
		ncmp++;
		if ((size_t)trows != heard)
			vs_checkmsg_item(&bad, "call %zu (%s): %lld turn rows, %zu agent turns heard", i + 1, c->r.call_control_id,
				trows, heard);
	}
	if (!n) {
		p->h->check(p->c, "db.call_rows", VS_CHECK_SKIP, "no call streamed");
		p->h->check(p->c, "db.turn_rows", VS_CHECK_SKIP, "no call streamed");
		return;
	}
	if (miss.items)
		p->h->check(p->c, "db.call_rows", VS_CHECK_FAIL, "%zu of %zu calls left their row: %s", n - (size_t)miss.items,
			    n, vs_checkmsg_more(&miss));
	else
		p->h->check(p->c, "db.call_rows", VS_CHECK_PASS, "every call (%zu) left its row (db_call_sql)", n);
	if (!p->db_turns_sql || !*p->db_turns_sql)
		p->h->check(p->c, "db.turn_rows", VS_CHECK_SKIP, "db_turns_sql is empty");
	else if (!turns)
		; /* reported above */
	else if (!ncmp)
		p->h->check(p->c, "db.turn_rows", VS_CHECK_SKIP,
			    "no call to compare: in each some wait_reply step went unanswered or the agent spoke "
			    "outside them (calls.complete)");
	else if (bad.items)
		p->h->check(p->c, "db.turn_rows", VS_CHECK_FAIL, "turn rows differ from the turns the caller heard: %s",
			    vs_checkmsg_more(&bad));
	else
		p->h->check(p->c, "db.turn_rows", VS_CHECK_PASS,
			    "turn rows match the agent turns the caller heard in %zu calls (%zu rows)%s", ncmp, nt,
			    nskip ? "; calls with an unanswered step or a turn outside them not compared" : "");
}

void ld_check_db_load(struct ld *p, json_t *sum)
{
	long long d = p->deadlocks_after - p->deadlocks_before;
	double lo = 1e18, hi = -1, idle_lo = 1e18;
	size_t n = 0;

	if (!*p->t.db_url)
		p->h->check(p->c, "db.deadlocks", VS_CHECK_SKIP, "no database URL (db_url)");
	else if (p->deadlocks_before < 0 || p->deadlocks_after < 0)
		p->h->check(p->c, "db.deadlocks", VS_CHECK_FAIL, "pg_stat_database not readable: %s", p->db_err);
	else
		p->h->check(p->c, "db.deadlocks", d == 0 ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "pg_stat_database.deadlocks of the target's database: %lld before, %lld after (%+lld)",
			    p->deadlocks_before, p->deadlocks_after, d);
	for (size_t i = 0; i < p->npromser; i++) {
		const struct ld_promsample *s = &p->promser[i];
		if (!s->m.has_pool || s->t_ns < p->t_start_ns || s->t_ns > p->t_end_ns)
			continue;
		n++;
		if (s->m.pool_size < lo)
			lo = s->m.pool_size;
		if (s->m.pool_size > hi)
			hi = s->m.pool_size;
		if (s->m.pool_idle < idle_lo)
			idle_lo = s->m.pool_idle;
		p->h->record(p->c, p->h->metric(p->c, "db_pool_size", "conns"), (int64_t)llround(s->m.pool_size));
	}
	if (!n) {
		char why[700];
		p->h->check(p->c, "db.pool", VS_CHECK_SKIP, "%s",
			    p->npromser ? vs_signal_why(&p->sig.pool_size, why, sizeof(why))
					: "no /metrics reading during the load");
		return;
	}
	json_object_set_new(sum, "db_pool_size_min", json_real(lo));
	json_object_set_new(sum, "db_pool_size_max", json_real(hi));
	json_object_set_new(sum, "db_pool_idle_min", json_real(idle_lo));
	p->h->check(p->c, "db.pool", lo >= (double)p->pool_min && hi <= (double)p->pool_max ? VS_CHECK_PASS : VS_CHECK_FAIL,
		    "%s %.0f..%.0f over %zu readings during the load (allowed %lld..%lld), idle down to %.0f",
		    p->sig.pool_size.name, lo, hi, n, p->pool_min, p->pool_max, idle_lo);
}

