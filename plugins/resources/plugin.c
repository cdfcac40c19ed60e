/* resources plugin: descriptor, setup (options, scripts, call engine, test
 * tenant, database), run (warm-up, idle baseline, the M calls with the
 * process and database watched, settle, the long call), teardown. */
#include "resources.h"

#include <vstress/callphase/plugopt.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int rs_setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	struct rs *p = vs_popt_state(state, sizeof(*p));
	int rc;

	if (!p)
		return VS_ERROR;
	p->db_before = p->db_peak = p->db_after = -1;
	p->pool_peak = -1;
	rc = rs_conf_load(p, h, c);
	if (rc != VS_OK)
		return rc;
	p->calls = calloc((size_t)p->ncalls, sizeof(*p->calls));
	p->rows = calloc((size_t)p->ncalls, sizeof(*p->rows));
	if (!p->calls || !p->rows)
		return VS_ERROR;
	p->m_rss = h->metric(c, "rss_after_call", "kB");
	p->m_cpu = h->metric(c, "cpu_load", "pct");
	if (*p->t.db_url) {
		/* our own session: excluded from the counts (pg_backend_pid) */
		p->db = PQconnectdb(p->t.db_url);
		if (PQstatus(p->db) != CONNECTION_OK) {
			snprintf(p->db_err, sizeof(p->db_err), "%s", PQerrorMessage(p->db));
			PQfinish(p->db);
			p->db = NULL;
		}
	}
	return vs_calltarget_open(h, c, "resources", (int)p->concurrency + 1, &p->t);
}

static struct vs_tcall_cfg call_cfg(struct rs *p, uint64_t seed)
{
	return vs_calltarget_call(&p->t, p->answer_timeout_ms, seed);
}

static int should_stop(void *arg)
{
	struct rs *p = arg;
	return p->h->should_stop(p->c);
}

/* Unmeasured calls, up to `concurrency` at once: one-time allocations
 * (model sessions, inference arenas sized by concurrent use) are not leaks. */
static int warm_up(struct rs *p)
{
	struct vs_tcall_cfg base = call_cfg(p, 0);
	const struct vs_call_script *scripts[1] = {p->script};
	struct vs_cbatch_call *w;
	struct vs_cbatch_cfg cfg = {.base = &base,
				    .scripts = scripts,
				    .nscripts = 1,
				    .ncalls = (size_t)p->warmup_calls,
				    .concurrency = (int)(p->warmup_calls < p->concurrency ? p->warmup_calls : p->concurrency),
				    .ramp_ms = (int)p->ramp_ms,
				    .seed = (p->h->seed(p->c) ^ 0x5741524dull) + p->h->now_ns(),
				    .should_stop = should_stop,
				    .arg = p,
				    .host = p->h,
				    .ctx = p->c,
				    .progress_label = "warm-up calls"};
	char err[256] = "";
	long n;
	int rc = VS_OK;

	if (!p->warmup_calls)
		return VS_OK;
	w = calloc((size_t)p->warmup_calls, sizeof(*w));
	if (!w)
		return VS_OK;
	n = vs_cbatch_run(p->t.eng, &cfg, w, err, sizeof(err));
	for (long i = 0; i < n; i++)
		p->h->log(p->c, VS_LOG_INFO, "warm-up call %ld: %s", i + 1,
			  w[i].r.error[0] ? w[i].r.error : w[i].r.media_started ? "streamed" : "no media");
	if (n < 0)
		p->h->log(p->c, VS_LOG_WARN, "warm-up: %s", err);
	else if (n > 0 && w[0].ran) /* an attached agent that cannot take our calls: say what it needs */
		rc = vs_calltarget_attach_unmet(p->h, p->c, p->t.control_url, &w[0].r);
	vs_cbatch_clear(w, (size_t)p->warmup_calls);
	free(w);
	return rc;
}

/* After each call (serialized by the batch): the process tree now. */
static void on_done(void *arg, size_t i, const struct vs_tcall_result *r)
{
	struct rs *p = arg;
	struct rs_row *row;

	if (p->nrows >= (size_t)p->ncalls)
		return;
	row = &p->rows[p->nrows++];
	row->call = i;
	row->t_s = (double)(p->h->now_ns() - p->batch_t0) / 1e9;
	row->ok = p->t.pid && vs_proc_sample(p->t.pid, &row->s) == 0;
	if (row->ok)
		p->h->record(p->c, p->m_rss, row->s.rss_kb);
	p->h->log(p->c, VS_LOG_INFO, "call %zu ended at %.1f s (%s)%s%.1f MB", i + 1, row->t_s,
		  r->error[0] ? r->error : r->media_started ? "streamed" : "no media", row->ok ? ": target RSS " : "",
		  row->ok ? (double)row->s.rss_kb / 1024.0 : 0.0);
}

/* Until the agent reports no active call and its background tasks back at
 * the baseline, or settle_time; at least 1 s (the last call's own clean-up). */
static void settle(struct rs *p, struct rs_prom *pm)
{
	uint64_t t0 = p->h->now_ns();
	long long waited = 0;

	vs_popt_sleep(p->h, p->c, 1000);
	for (;;) {
		int ok = rs_prom_read(&p->sig, p->t.metrics_url, pm) == 0;
		waited = (long long)((p->h->now_ns() - t0) / 1000000u);
		if (ok && pm->has_active && pm->active == 0 &&
		    (!pm->has_bg || !p->pm0.has_bg || pm->bg <= p->pm0.bg + (double)p->bg_slack))
			break;
		if (waited >= p->settle_ms || p->h->should_stop(p->c))
			break;
		vs_popt_sleep(p->h, p->c, 500);
	}
	p->h->log(p->c, VS_LOG_INFO, "settled after %.1f s", (double)waited / 1000.0);
}

static void batch(struct rs *p)
{
	struct vs_tcall_cfg base = call_cfg(p, 0);
	const struct vs_call_script *scripts[1] = {p->script};
	struct vs_cbatch_cfg cfg = {.base = &base,
				    .scripts = scripts,
				    .nscripts = 1,
				    .ncalls = (size_t)p->ncalls,
				    .concurrency = (int)p->concurrency,
				    .ramp_ms = (int)p->ramp_ms,
				    .seed = p->h->seed(p->c) ^ p->h->now_ns(),
				    .should_stop = should_stop,
				    .on_done = on_done,
				    .arg = p,
				    .host = p->h,
				    .ctx = p->c};
	struct vs_procmon *mon = p->t.pid ? vs_procmon_start(p->t.pid, 1000) : NULL;
	struct rs_watch w = {.db = p->db, .count_sql = p->count_sql, .metrics_url = p->t.metrics_url, .sig = &p->sig,
			    .interval_ms = 500};
	int watching = rs_watch_start(&w) == 0;
	char err[256] = "";

	p->h->log(p->c, VS_LOG_INFO, "%lld calls, %lld at once, to %s (%s -> %s)", p->ncalls, p->concurrency,
		  p->t.webhook_url, p->t.caller, p->t.routed);
	p->batch_t0 = p->h->now_ns();
	p->ran = vs_cbatch_run(p->t.eng, &cfg, p->calls, err, sizeof(err));
	p->batch_s = (double)(p->h->now_ns() - p->batch_t0) / 1e9;
	if (p->ran < 0)
		p->h->log(p->c, VS_LOG_ERROR, "batch: %s", err);
	if (p->t.pid && vs_proc_sample(p->t.pid, &p->batch_end) != 0)
		p->have_proc = 0;
	if (watching) {
		rs_watch_stop(&w);
		p->db_peak = w.db_peak;
		p->pool_peak = w.pool_peak;
	}
	settle(p, &p->pm1);
	if (p->t.pid && vs_proc_sample(p->t.pid, &p->final) != 0)
		p->have_proc = 0;
	p->nseries = vs_procmon_stop(mon, &p->series);
	p->db_after = rs_db_count(p->db, p->count_sql, p->db_err, sizeof(p->db_err));
}

/* 8.4: one long call, the tree read every second during it. */
static void long_call(struct rs *p)
{
	struct vs_tcall_cfg cfg = call_cfg(p, (p->h->seed(p->c) ^ 0x4c4f4e47ull) + p->h->now_ns());
	struct vs_procmon *mon;
	struct rs_prom pm;

	if (!p->long_ms || p->h->should_stop(p->c))
		return;
	if (p->h->remaining_ms(p->c) < p->long_ms + 10000) {
		p->h->log(p->c, VS_LOG_WARN, "long call not started: %lld ms left before the deadline",
			  (long long)p->h->remaining_ms(p->c));
		return;
	}
	if (p->t.pid && vs_proc_sample(p->t.pid, &p->long_pre) != 0)
		memset(&p->long_pre, 0, sizeof(p->long_pre)); /* gone: the checks say so */
	mon = p->t.pid ? vs_procmon_start(p->t.pid, 1000) : NULL;
	p->h->log(p->c, VS_LOG_INFO, "long call: %lld s", p->long_ms / 1000);
	p->long_failed = vs_tcall_run(p->t.eng, p->long_script, &cfg, &p->long_r) != 0;
	p->long_ran = 1;
	p->nlseries = vs_procmon_stop(mon, &p->lseries);
	settle(p, &pm);
	if (p->t.pid && vs_proc_sample(p->t.pid, &p->long_post) != 0)
		memset(&p->long_post, 0, sizeof(p->long_post));
}

static int rs_run(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct rs *p = state;

	struct vs_tcall_cfg probe = call_cfg(p, 0);

	if (warm_up(p) != VS_OK ||
	    (!p->warmup_calls && vs_calltarget_attach_probe(h, c, p->t.eng, p->script, &probe) != VS_OK))
		return VS_SKIP; /* attached agent missing a need (reason set) */
	if (p->t.pid) {
		/* after the warm-up: the agent's one-time model loading is not a leak */
		p->have_proc = vs_proc_sample(p->t.pid, &p->idle0) == 0;
		vs_popt_sleep(h, c, p->idle_ms);
		p->have_proc = p->have_proc && vs_proc_sample(p->t.pid, &p->base) == 0;
		if (p->have_proc)
			p->cpu_idle_pct = vs_proc_cpu_pct(&p->idle0, &p->base);
	}
	rs_prom_read(&p->sig, p->t.metrics_url, &p->pm0);
	p->db_before = rs_db_count(p->db, p->count_sql, p->db_err, sizeof(p->db_err));
	batch(p);
	long_call(p);
	rs_checks(p);
	rs_report(p);
	return VS_OK;
}

static int rs_teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct rs *p = state;

	if (!p)
		return VS_OK;
	vs_calltarget_close(h, c, &p->t);
	if (p->calls)
		vs_cbatch_clear(p->calls, (size_t)p->ncalls);
	if (p->long_ran)
		vs_tcall_result_clear(&p->long_r);
	if (p->db)
		PQfinish(p->db);
	free(p->calls);
	free(p->rows);
	free(p->series);
	free(p->lseries);
	free(p->verdicts);
	rs_conf_free(p);
	free(p);
	return VS_OK;
}

VS_PLUGIN(.name = "resources", .version = RS_VERSION,
	  .description = "the target's memory (leaks over M calls, one long call), CPU, VAD/Smart Turn time and "
			 "database connections under whole simulated calls",
	  .options = rs_options, .setup = rs_setup, .run = rs_run, .teardown = rs_teardown);
