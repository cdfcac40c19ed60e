/* resources plugin: the checks, from the readings of the run, and the data
 * attached to the results. */
#include "resources.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MB(kb) ((double)(kb) / 1024.0)

static void verdict(struct rs *p, const char *name, int st, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void verdict(struct rs *p, const char *name, int st, const char *fmt, ...)
{
	char msg[700];
	va_list ap;
	size_t need;
	char *g;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->h->check(p->c, name, st, "%s", msg);
	need = p->vlen + strlen(name) + strlen(msg) + 16;
	g = realloc(p->verdicts, need);
	if (!g)
		return;
	p->verdicts = g;
	p->vlen += (size_t)snprintf(p->verdicts + p->vlen, need - p->vlen, "%-4s %s: %s\n",
				    st == VS_CHECK_PASS ? "pass" : st == VS_CHECK_FAIL ? "FAIL" : "skip", name, msg);
}

double rs_slope(const double *x, const double *y, size_t n)
{
	double mx = 0, my = 0, sxy = 0, sxx = 0;

	if (n < 2)
		return 0;
	for (size_t i = 0; i < n; i++)
		mx += x[i], my += y[i];
	mx /= (double)n;
	my /= (double)n;
	for (size_t i = 0; i < n; i++)
		sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx);
	return sxx > 0 ? sxy / sxx : 0;
}

static int streamed(const struct vs_cbatch_call *c)
{
	return c->ran && !c->failed && c->r.answered && c->r.media_started;
}

static size_t check_calls(struct rs *p, double *audio_s)
{
	size_t n = 0;
	char bad[400] = "";
	size_t blen = 0;

	*audio_s = 0;
	for (long i = 0; i < p->ran; i++) {
		const struct vs_cbatch_call *c = &p->calls[i];
		if (streamed(c)) {
			n++;
			*audio_s += c->r.media.duration_ms / 1000.0;
		} else if (blen < sizeof(bad) - 80) {
			blen += (size_t)snprintf(bad + blen, sizeof(bad) - blen, "%scall %ld: %s", blen ? "; " : "", i + 1,
						 c->r.error[0] ? c->r.error : !c->r.answered ? "no answer" : "no media");
		}
	}
	p->h->count(p->c, "calls", p->ran > 0 ? p->ran : 0);
	if (p->ran <= 0)
		verdict(p, "calls.completed", VS_CHECK_FAIL, "no call ran (deadline, or the batch could not start)");
	else if (n < (size_t)p->ncalls)
		verdict(p, "calls.completed", VS_CHECK_FAIL, "%zu of %lld calls answered and streamed: %s", n,
			p->ncalls, bad);
	else
		verdict(p, "calls.completed", VS_CHECK_PASS, "%zu of %lld calls answered and streamed (%lld at once)", n,
			p->ncalls, p->concurrency);
	return n;
}

/* No PID, or the process unreadable from the start: every process check
 * skips with why; the process gone during the run fails them. */
static int proc_state(struct rs *p, const char *name)
{
	if (!p->t.pid) {
		verdict(p, name, VS_CHECK_SKIP,
			"no target PID (VSTRESS_TARGET_PID / [resources] target_pid): an attached or remote target "
			"without a pid cannot be read from /proc");
		return 0;
	}
	if (!p->base.t_ns) {
		verdict(p, name, VS_CHECK_SKIP, "target process %d not readable in /proc", (int)p->t.pid);
		return 0;
	}
	if (!p->have_proc) {
		verdict(p, name, VS_CHECK_FAIL, "target process %d is gone (it exited during the run)", (int)p->t.pid);
		return 0;
	}
	return 1;
}

static void check_slope(struct rs *p, json_t *sum)
{
	double *x, *y, slope;
	size_t n = 0;

	if (!proc_state(p, "memory.rss_slope"))
		return;
	x = calloc(p->nrows + 1, sizeof(double));
	y = calloc(p->nrows + 1, sizeof(double));
	if (!x || !y)
		goto out;
	for (size_t i = 0; i < p->nrows; i++)
		if (p->rows[i].ok)
			x[n] = (double)(n + 1), y[n] = (double)p->rows[i].s.rss_kb, n++;
	if (n < 3) {
		verdict(p, "memory.rss_slope", VS_CHECK_SKIP, "%zu readings after calls: 3 needed for a slope", n);
		goto out;
	}
	slope = rs_slope(x, y, n);
	p->slope_kb = slope;
	json_object_set_new(sum, "rss_slope_kb_per_call", json_real(slope));
	verdict(p, "memory.rss_slope", slope <= p->max_slope_kb ? VS_CHECK_PASS : VS_CHECK_FAIL,
		"RSS slope over %zu calls %+.0f kB per call %s %.0f kB (least squares; %.1f MB after the first call "
		"ended, %.1f MB after the last)",
		n, slope, slope <= p->max_slope_kb ? "<=" : ">", p->max_slope_kb, MB(y[0]), MB(y[n - 1]));
out:
	free(x);
	free(y);
}

static void check_memory(struct rs *p, json_t *sum)
{
	double growth;

	check_slope(p, sum);
	if (proc_state(p, "memory.rss_growth")) {
		growth = MB(p->final.rss_kb - p->base.rss_kb);
		json_object_set_new(sum, "rss_growth_mb", json_real(growth));
		verdict(p, "memory.rss_growth", growth <= p->max_growth_mb ? VS_CHECK_PASS : VS_CHECK_FAIL,
			"target RSS (pid %d, %d processes) %.1f MB at baseline -> %.1f MB after %ld calls and the settle "
			"time: %+.1f MB %s %.0f MB",
			(int)p->t.pid, p->final.nproc, MB(p->base.rss_kb), MB(p->final.rss_kb), p->ran, growth,
			growth <= p->max_growth_mb ? "<=" : ">", p->max_growth_mb);
	}
	if (proc_state(p, "memory.threads"))
		verdict(p, "memory.threads",
			p->final.threads <= p->base.threads + p->threads_slack ? VS_CHECK_PASS : VS_CHECK_FAIL,
			"threads %d at baseline, %d after the calls (slack %lld)", p->base.threads, p->final.threads,
			p->threads_slack);
	if (!proc_state(p, "memory.fds"))
		return;
	if (p->base.fds < 0 || p->final.fds < 0)
		verdict(p, "memory.fds", VS_CHECK_SKIP, "the target's /proc/<pid>/fd is not readable (another user?)");
	else
		verdict(p, "memory.fds", p->final.fds <= p->base.fds + p->fds_slack ? VS_CHECK_PASS : VS_CHECK_FAIL,
			"open descriptors %d at baseline, %d after the calls (slack %lld)", p->base.fds, p->final.fds,
			p->fds_slack);
}

static void check_cleanup(struct rs *p)
{
	char why[700], sel[512];

	if (!p->pm1.ok)
		verdict(p, "cleanup.active_calls", VS_CHECK_SKIP, "GET %s did not answer 200", p->t.metrics_url);
	else if (!p->pm1.has_active)
		verdict(p, "cleanup.active_calls", VS_CHECK_SKIP, "%s", vs_signal_why(&p->sig.active, why, sizeof(why)));
	else
		verdict(p, "cleanup.active_calls", p->pm1.active == 0 ? VS_CHECK_PASS : VS_CHECK_FAIL,
			"%s %.0f after the calls ended and %lld ms of settle time (0 expected)",
			vs_signal_str(&p->sig.active, sel, sizeof(sel)), p->pm1.active, p->settle_ms);
	if (!p->pm0.has_bg || !p->pm1.has_bg)
		verdict(p, "cleanup.background_tasks", VS_CHECK_SKIP, "%s", vs_signal_why(&p->sig.bg, why, sizeof(why)));
	else
		verdict(p, "cleanup.background_tasks",
			p->pm1.bg <= p->pm0.bg + (double)p->bg_slack ? VS_CHECK_PASS : VS_CHECK_FAIL,
			"%s %.0f at baseline, %.0f after the calls (slack %lld)", vs_signal_str(&p->sig.bg, sel, sizeof(sel)),
			p->pm0.bg, p->pm1.bg,
			p->bg_slack);
}

static void check_cpu(struct rs *p, json_t *sum)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double mean = 0, max = 0;
	size_t k = 0;

	if (ncpu < 1)
		ncpu = 1;
	if (!proc_state(p, "cpu.load"))
		return;
	mean = p->batch_s > 0 ? 100.0 * (p->batch_end.cpu_s - p->base.cpu_s) / p->batch_s : 0;
	for (size_t i = 1; i < p->nseries && p->series[i].t_ns <= p->batch_end.t_ns; i++, k++) {
		double v = vs_proc_cpu_pct(&p->series[i - 1], &p->series[i]);
		p->h->record(p->c, p->m_cpu, (int64_t)(v + 0.5));
		if (v > max)
			max = v;
	}
	p->cpu_load_mean = mean;
	p->cpu_load_max = max;
	json_object_set_new(sum, "cpu", json_pack("{s:f,s:f,s:f,s:i,s:i}", "idle_pct_of_one_core", p->cpu_idle_pct,
						  "load_mean_pct_of_one_core", mean, "load_max_pct_of_one_core", max,
						  "cores", (int)ncpu, "one_second_samples", (int)k));
	if (p->max_cpu_pct < 0)
		verdict(p, "cpu.load", VS_CHECK_SKIP,
			"no threshold (max_cpu_pct unset): CPU idle %.1f%%, under load mean %.1f%%, max %.1f%% of one "
			"core (%.1f%% / %.1f%% of the machine's %ld cores)",
			p->cpu_idle_pct, mean, max, mean / (double)ncpu, max / (double)ncpu, ncpu);
	else
		verdict(p, "cpu.load", mean / (double)ncpu <= p->max_cpu_pct ? VS_CHECK_PASS : VS_CHECK_FAIL,
			"CPU under load mean %.1f%% of the machine (%ld cores) %s %.0f%% (max %.1f%%, idle %.1f%% of one "
			"core)",
			mean / (double)ncpu, ncpu, mean / (double)ncpu <= p->max_cpu_pct ? "<=" : ">", p->max_cpu_pct,
			max / (double)ncpu, p->cpu_idle_pct);
}

static int is_false(const char *v)
{
	return v && (!strcasecmp(v, "false") || !strcasecmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "off"));
}

static void check_models(struct rs *p, size_t nstreamed, double audio_s, json_t *sum)
{
	double vs = p->pm1.vad_sum - p->pm0.vad_sum, vc = p->pm1.vad_cnt - p->pm0.vad_cnt;
	double ts = p->pm1.turn_sum - p->pm0.turn_sum, tc = p->pm1.turn_cnt - p->pm0.turn_cnt;
	char why[700];

	if (!p->pm1.ok)
		verdict(p, "cpu.vad_time", VS_CHECK_SKIP, "GET %s did not answer 200", p->t.metrics_url);
	else if (!p->pm1.has_vad)
		verdict(p, "cpu.vad_time", VS_CHECK_SKIP, "%s (its _sum and _count): VAD time not measured",
			vs_signal_why(&p->sig.vad, why, sizeof(why)));
	else if (vc <= 0 || !nstreamed || audio_s <= 0)
		verdict(p, "cpu.vad_time", VS_CHECK_SKIP, "no VAD analysis during the calls (no call streamed?)");
	else {
		double rt = 100.0 * vs / audio_s;
		json_object_set_new(sum, "vad", json_pack("{s:f,s:f,s:f,s:f}", "ms_per_call", 1000.0 * vs / (double)nstreamed,
							  "ms_per_analysis", 1000.0 * vs / vc, "analyses", vc,
							  "pct_of_audio_time", rt));
		verdict(p, "cpu.vad_time", rt <= p->vad_max_rt_pct ? VS_CHECK_PASS : VS_CHECK_FAIL,
			"VAD analysis %.0f ms per call (%.3f ms per analysis, %.0f analyses over %.0f s of call audio): "
			"%.2f%% of real time %s %.1f%%",
			1000.0 * vs / (double)nstreamed, 1000.0 * vs / vc, vc, audio_s, rt,
			rt <= p->vad_max_rt_pct ? "<=" : ">", p->vad_max_rt_pct);
	}
	if (!p->pm1.ok)
		verdict(p, "cpu.turn_time", VS_CHECK_SKIP, "GET %s did not answer 200", p->t.metrics_url);
	else if (is_false(p->smart_turn_hint) && tc <= 0)
		verdict(p, "cpu.turn_time", VS_CHECK_SKIP,
			"the turn analyzer is disabled on the target ([target] env.SMART_TURN_ENABLED = %s): Smart Turn "
			"inference time not measured",
			p->smart_turn_hint);
	else if (!p->pm1.has_turn)
		verdict(p, "cpu.turn_time", VS_CHECK_SKIP, "%s (its _sum and _count): turn analyzer disabled, or not exposed",
			vs_signal_why(&p->sig.turn, why, sizeof(why)));
	else if (tc <= 0)
		verdict(p, "cpu.turn_time", VS_CHECK_SKIP, "%s_count did not grow during the calls (turn analyzer unused)",
			p->sig.turn.name);
	else {
		double mean = 1000.0 * ts / tc;
		json_object_set_new(sum, "turn_analyzer",
				    json_pack("{s:f,s:f,s:f}", "ms_per_call", nstreamed ? 1000.0 * ts / (double)nstreamed : 0.0,
					      "ms_per_analysis", mean, "analyses", tc));
		verdict(p, "cpu.turn_time", mean <= p->turn_max_ms ? VS_CHECK_PASS : VS_CHECK_FAIL,
			"Smart Turn inference %.1f ms per analysis %s %.0f ms (%.0f analyses, %.0f ms per call)", mean,
			mean <= p->turn_max_ms ? "<=" : ">", p->turn_max_ms, tc,
			nstreamed ? 1000.0 * ts / (double)nstreamed : 0.0);
	}
}

/* A pool keeps the connections it opened under load (idle, until their
 * inactive lifetime): more sessions after the load than before is not by
 * itself a leak.  With the pool's gauges, a leak is a connection still
 * checked out of the pool after the calls ended (size - idle), or a session
 * the pool does not know (sessions - pool size: opened outside it).
 * Without them, sessions after > before. */
static void check_leaked(struct rs *p, long peak)
{
	const struct rs_prom *m = &p->pm1;

	if (m->has_pool && m->has_idle) {
		double out = m->pool_size - m->pool_idle, outside = (double)p->db_after - m->pool_size;
		int bad = out > (double)p->db_slack || outside > (double)p->db_slack;
		verdict(p, "db.leaked", bad ? VS_CHECK_FAIL : VS_CHECK_PASS,
			"after the calls: %.0f of the pool's %.0f connections still checked out, %.0f sessions outside the "
			"pool (slack %lld)%s; sessions in pg_stat_activity %ld before, %ld at peak, %ld after",
			out, m->pool_size, outside > 0 ? outside : 0.0, p->db_slack, bad ? ": connections leaked" : "",
			p->db_before, peak, p->db_after);
		return;
	}
	verdict(p, "db.leaked", p->db_after <= p->db_before + p->db_slack ? VS_CHECK_PASS : VS_CHECK_FAIL,
		"the target's sessions (pg_stat_activity) %ld before the calls, %ld at peak, %ld after (slack %lld; no "
		"reading of [target] signal.pool_size and signal.pool_idle)%s",
		p->db_before, peak, p->db_after, p->db_slack,
		p->db_after > p->db_before + p->db_slack ? ": connections leaked" : "");
}

static void check_db(struct rs *p, json_t *sum)
{
	const char *names[] = {"db.leaked", "db.pool_bounds"};
	long peak = p->db_peak;

	if (p->db_before < 0 || p->db_after < 0) { /* read only through a connection */
		for (size_t i = 0; i < 2; i++)
			verdict(p, names[i], VS_CHECK_SKIP, "pg_stat_activity not readable: %s",
				!*p->t.db_url ? "no database URL ([resources] db_url / DATABASE_URL)" : p->db_err);
	} else {
		if (p->db_before > peak)
			peak = p->db_before;
		if (p->db_after > peak)
			peak = p->db_after;
		json_object_set_new(sum, "db_connections",
				    json_pack("{s:i,s:i,s:i,s:f,s:i,s:i}", "before", (int)p->db_before, "peak", (int)peak,
					      "after", (int)p->db_after, "pool_size_gauge_peak", p->pool_peak, "pool_min",
					      (int)p->pool_min, "pool_max", (int)p->pool_max));
		check_leaked(p, peak);
		if (peak > p->pool_max || p->pool_peak > (double)p->pool_max)
			verdict(p, "db.pool_bounds", VS_CHECK_FAIL,
				"pool maximum %lld exceeded: %ld connections at peak, %s peak %.0f", p->pool_max, peak,
				p->sig.pool_size.name[0] ? p->sig.pool_size.name : "pool size", p->pool_peak);
		else if (p->db_after < p->pool_min)
			verdict(p, "db.pool_bounds", VS_CHECK_FAIL, "%ld connections after the load < pool minimum %lld",
				p->db_after, p->pool_min);
		else
			verdict(p, "db.pool_bounds", VS_CHECK_PASS,
				"%lld <= connections <= %lld: %ld at peak, %ld after the load%s%.0f", p->pool_min,
				p->pool_max, peak, p->db_after,
				p->pool_peak >= 0 ? ", pool size signal peak " : "", p->pool_peak >= 0 ? p->pool_peak : 0.0);
	}
	if (!p->pm1.has_timeouts) {
		char why[700];
		verdict(p, "db.timeouts", VS_CHECK_SKIP, "not measured: %s%s", vs_signal_why(&p->sig.timeouts, why, sizeof(why)),
			vs_signal_declared(&p->sig.timeouts) ? "" : "; the reference agent counts them as agent_db_timeouts_total");
	} else {
		char sel[512];
		verdict(p, "db.timeouts", p->pm1.timeouts - p->pm0.timeouts == 0 ? VS_CHECK_PASS : VS_CHECK_FAIL,
			"%s grew by %.0f during the calls (0 expected)", vs_signal_str(&p->sig.timeouts, sel, sizeof(sel)),
			p->pm1.timeouts - p->pm0.timeouts);
	}
}

/* RSS growth during the long call, MB per minute: least squares over the
 * samples after long_skip (the call's set-up allocations are not growth). */
static void check_long(struct rs *p, json_t *sum)
{
	double *x, *y, rate, released;
	size_t n = 0;
	uint64_t t0;

	if (!p->long_ms) {
		verdict(p, "long_call.growth", VS_CHECK_SKIP, "long_call = 0");
		verdict(p, "long_call.released", VS_CHECK_SKIP, "long_call = 0");
		return;
	}
	if (!p->long_ran) {
		verdict(p, "long_call.growth", VS_CHECK_SKIP, "the long call did not start (deadline)");
		verdict(p, "long_call.released", VS_CHECK_SKIP, "the long call did not start (deadline)");
		return;
	}
	if (p->long_failed || !p->long_r.media_started) {
		verdict(p, "long_call.growth", VS_CHECK_FAIL, "the long call did not stream: %s",
			p->long_r.error[0] ? p->long_r.error : "no media");
		verdict(p, "long_call.released", VS_CHECK_SKIP, "the long call did not stream");
		return;
	}
	if (!proc_state(p, "long_call.growth") || !p->long_pre.t_ns || !p->nlseries) {
		if (p->t.pid)
			verdict(p, "long_call.growth", VS_CHECK_FAIL, "target process %d gone during the long call",
				(int)p->t.pid);
		verdict(p, "long_call.released", VS_CHECK_SKIP, "no readings of the target process");
		return;
	}
	x = calloc(p->nlseries, sizeof(double));
	y = calloc(p->nlseries, sizeof(double));
	if (!x || !y)
		goto out;
	t0 = p->lseries[0].t_ns;
	for (size_t i = 0; i < p->nlseries; i++) {
		double t = (double)(p->lseries[i].t_ns - t0) / 1e9;
		if (t * 1000.0 < (double)p->long_skip_ms)
			continue;
		x[n] = t / 60.0;
		y[n++] = MB(p->lseries[i].rss_kb);
	}
	if (n < 5) {
		verdict(p, "long_call.growth", VS_CHECK_SKIP,
			"%zu readings after long_skip (%lld ms): 5 needed (lengthen long_call)", n, p->long_skip_ms);
	} else {
		rate = p->long_rate = rs_slope(x, y, n);
		json_object_set_new(sum, "long_call_mb_per_min", json_real(rate));
		verdict(p, "long_call.growth", rate <= p->long_max_mb_per_min ? VS_CHECK_PASS : VS_CHECK_FAIL,
			"RSS during a %.0f s call: %+.2f MB per minute %s %.1f (least squares over %zu readings from "
			"%.0f s; %.1f MB -> %.1f MB)",
			p->long_r.media.duration_ms / 1000.0, rate, rate <= p->long_max_mb_per_min ? "<=" : ">",
			p->long_max_mb_per_min, n, (double)p->long_skip_ms / 1000.0, y[0], y[n - 1]);
	}
	if (!p->long_post.t_ns) {
		verdict(p, "long_call.released", VS_CHECK_FAIL, "target process %d gone after the long call",
			(int)p->t.pid);
	} else {
		released = MB(p->long_post.rss_kb - p->long_pre.rss_kb);
		json_object_set_new(sum, "long_call_rss_after_minus_before_mb", json_real(released));
		verdict(p, "long_call.released", released <= p->long_release_mb ? VS_CHECK_PASS : VS_CHECK_FAIL,
			"RSS %.1f MB before the long call, %.1f MB after it ended: %+.1f MB %s %.0f MB",
			MB(p->long_pre.rss_kb), MB(p->long_post.rss_kb), released,
			released <= p->long_release_mb ? "<=" : ">", p->long_release_mb);
	}
out:
	free(x);
	free(y);
}

void rs_checks(struct rs *p)
{
	json_t *sum = json_object();
	double audio_s = 0;
	size_t n = check_calls(p, &audio_s);

	check_memory(p, sum);
	check_cleanup(p);
	check_cpu(p, sum);
	check_models(p, n, audio_s, sum);
	check_db(p, sum);
	check_long(p, sum);
	if (p->have_proc)
		json_object_set_new(sum, "baseline",
				    json_pack("{s:I,s:i,s:i,s:i}", "rss_kb", (json_int_t)p->base.rss_kb, "threads",
					      p->base.threads, "fds", p->base.fds, "processes", p->base.nproc));
	{ /* RSS after each call, in the order the calls ended (the slope's points) */
		json_t *rows = json_array();
		for (size_t i = 0; rows && i < p->nrows; i++)
			if (p->rows[i].ok)
				json_array_append_new(rows, json_pack("{s:I,s:f,s:I}", "call", (json_int_t)p->rows[i].call + 1,
								      "t_s", p->rows[i].t_s, "rss_kb",
								      (json_int_t)p->rows[i].s.rss_kb));
		if (rows)
			json_object_set_new(sum, "rss_after_calls", rows);
	}
	json_object_set_new(sum, "calls", json_integer(p->ran));
	json_object_set_new(sum, "streamed", json_integer((json_int_t)n));
	json_object_set_new(sum, "routed_number", json_string(p->t.routed));
	p->h->attach(p->c, "summary", sum);
}
