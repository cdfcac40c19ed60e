/* load plugin: the checks, from the finished batch and the target's
 * readings around it (docs/plugins/load.md lists them). */
#include "load.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHOW_MAX 4 /* offenders named in a message */

struct sbuf {
	char s[900];
	size_t len;
	int items;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len >= sizeof(b->s) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, sizeof(b->s) - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n < sizeof(b->s) - b->len ? (size_t)n : sizeof(b->s) - b->len - 1;
}

/* "item; item; ... (+N more)" */
static void sb_item(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_item(struct sbuf *b, const char *fmt, ...)
{
	char one[300];
	va_list ap;

	if (++b->items > SHOW_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(one, sizeof(one), fmt, ap);
	va_end(ap);
	sb_add(b, "%s%s", b->items > 1 ? "; " : "", one);
}

static const char *sb_more(struct sbuf *b)
{
	if (b->items > SHOW_MAX)
		sb_add(b, " (+%d more)", b->items - SHOW_MAX);
	return b->s;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Nearest rank of sorted values. */
static double pct(const double *v, size_t n, double p)
{
	size_t k;

	if (!n)
		return 0;
	k = (size_t)ceil(p / 100.0 * (double)n);
	return v[k ? k - 1 : 0];
}

int ld_streamed(const struct vs_cbatch_call *c)
{
	return c->ran && !c->failed && c->r.answered && c->r.media_started;
}

int ld_max_overlap(const struct vs_cbatch_call *calls, size_t n)
{
	int best = 0;

	/* the most calls in progress at some call's start (a maximum is
	 * reached at a start); [started, ended); only calls the target
	 * answered and streamed: calls waiting on a dead target are no load */
	for (size_t i = 0; i < n; i++) {
		int k = 0;
		if (!ld_streamed(&calls[i]))
			continue;
		for (size_t j = 0; j < n; j++)
			if (ld_streamed(&calls[j]) && calls[j].started_ms <= calls[i].started_ms &&
			    calls[i].started_ms < calls[j].ended_ms)
				k++;
		if (k > best)
			best = k;
	}
	return best;
}

int ld_turns_append(const struct vs_call_result *m, double **v, size_t *n)
{
	double *g = realloc(*v, (*n + m->nturns + 1) * sizeof(**v));

	if (!g)
		return -1;
	*v = g;
	for (size_t i = 0; i < m->nturns; i++)
		if (m->turns[i].replied && m->turns[i].ref_ms > 0)
			(*v)[(*n)++] = m->turns[i].latency_ms;
	return 0;
}

static size_t replied_turns(const struct vs_call_result *m)
{
	size_t k = 0;

	for (size_t i = 0; i < m->nturns; i++)
		k += m->turns[i].replied != 0;
	return k;
}

/* Why one call is not complete ("" when it is). */
static void call_problem(const struct vs_cbatch_call *c, char *out, size_t len)
{
	const struct vs_tcall_result *r = &c->r;
	const struct vs_call_result *m = &r->media;

	*out = '\0';
	if (!c->ran)
		snprintf(out, len, "not started (stopped or deadline)");
	else if (c->failed)
		snprintf(out, len, "harness error: %s", r->error);
	else if (!r->webhook_status)
		snprintf(out, len, "no answer to call.initiated (target unreachable, or silent for 5 s)");
	else if (r->webhook_status < 200 || r->webhook_status > 299)
		snprintf(out, len, "call.initiated answered HTTP %d", r->webhook_status);
	else if (!r->answered)
		snprintf(out, len, "no answer command%s%s", r->error[0] ? ": " : "", r->error);
	else if (!r->media_started)
		snprintf(out, len, "media did not connect%s%s", r->error[0] ? ": " : "", r->error);
	else if (replied_turns(m) < m->nturns)
		snprintf(out, len, "%zu of %zu wait_reply steps replied", replied_turns(m), m->nturns);
	else if (m->hangup_by == VS_HANGUP_AGENT || r->agent_hangup)
		snprintf(out, len, "the agent ended the call after %.0f ms", m->duration_ms);
	else if (m->timed_out)
		snprintf(out, len, "the script did not finish within max_duration");
	else if (m->hangup_by != VS_HANGUP_CALLER)
		snprintf(out, len, "media ended by %s: %s", vs_hangup_by_name(m->hangup_by), m->error);
	else if (r->error[0])
		snprintf(out, len, "%s", r->error);
}

static void check_complete(struct ld *p)
{
	struct sbuf b = {0};
	size_t ok = 0;
	char why[400];

	for (size_t i = 0; i < (size_t)p->ncalls; i++) {
		call_problem(&p->calls[i], why, sizeof(why));
		if (why[0])
			sb_item(&b, "call %zu: %s", i + 1, why);
		else
			ok++;
	}
	p->h->count(p->c, "calls_complete", (int64_t)ok);
	if (b.items)
		p->h->check(p->c, "calls.complete", VS_CHECK_FAIL, "%zu of %lld calls complete: %s", ok, p->ncalls,
			    sb_more(&b));
	else
		p->h->check(p->c, "calls.complete", VS_CHECK_PASS,
			    "all %lld calls complete: webhook 2xx, answered, media connected, every caller turn replied, "
			    "hung up by the caller",
			    p->ncalls);
}

/* p50/p95/max of a metric recorded from values v (sorted here); p95 from
 * the host's histogram when it holds exactly these samples. */
static void spread(struct ld *p, int metric, double *v, size_t n, double *p50, double *p95, double *max)
{
	int64_t hp, cnt = 0;

	qsort(v, n, sizeof(*v), cmp_dbl);
	*p50 = pct(v, n, 50);
	*p95 = pct(v, n, 95);
	*max = n ? v[n - 1] : 0;
	if (VS_HOST_HAS(p->h, percentile) && (hp = p->h->percentile(p->c, metric, 95.0, &cnt)) >= 0 &&
	    cnt == (int64_t)n) {
		*p95 = (double)hp;
		if ((hp = p->h->percentile(p->c, metric, 50.0, &cnt)) >= 0)
			*p50 = (double)hp;
	}
}

static void check_latency(struct ld *p)
{
	double *first = calloc((size_t)p->ncalls + 1, sizeof(*first)), *turns = NULL, p50, p95, max;
	size_t nfirst = 0, nturns = 0, nstreamed = 0, nosound = 0;

	if (!first)
		return;
	for (size_t i = 0; i < (size_t)p->ncalls; i++) {
		const struct vs_cbatch_call *c = &p->calls[i];
		if (!ld_streamed(c))
			continue;
		nstreamed++;
		if (c->r.media.first_reply_ms >= 0) {
			first[nfirst++] = c->r.media.first_reply_ms;
			p->h->record(p->c, p->m_first, (int64_t)llround(c->r.media.first_reply_ms));
		} else {
			nosound++;
		}
		if (ld_turns_append(&c->r.media, &turns, &nturns) != 0)
			break;
	}
	for (size_t k = 0; k < nturns; k++)
		p->h->record(p->c, p->m_turn, (int64_t)llround(turns[k]));
	if (!nfirst) {
		p->h->check(p->c, "first_reply.p95", VS_CHECK_SKIP, "no call streamed agent audio");
	} else {
		spread(p, p->m_first, first, nfirst, &p50, &p95, &max);
		p->h->check(p->c, "first_reply.p95", p95 <= (double)p->first_reply_ms && !nosound ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "first reply under load: p95 %.0f ms %s %lld ms (p50 %.0f ms, max %.0f ms, %zu calls%s)", p95,
			    p95 <= (double)p->first_reply_ms ? "<=" : ">", p->first_reply_ms, p50, max, nfirst,
			    nosound ? "; some streamed calls heard no agent audio at all" : "");
	}
	if (!nturns) {
		p->h->check(p->c, "turn.p95", VS_CHECK_SKIP, "no replied turn after a caller utterance");
	} else {
		spread(p, p->m_turn, turns, nturns, &p50, &p95, &max);
		p->h->check(p->c, "turn.p95", p95 <= (double)p->turn_ms ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "turn-taking under load: p95 %.0f ms %s %lld ms (p50 %.0f ms, max %.0f ms, %zu turns in %zu calls)",
			    p95, p95 <= (double)p->turn_ms ? "<=" : ">", p->turn_ms, p50, max, nturns, nstreamed);
	}
	free(first);
	free(turns);
}

static void check_pacing(struct ld *p)
{
	uint64_t sent = 0, late = 0;
	double worst = 0, pc, worst_start = 0;
	size_t n = 0;

	for (size_t i = 0; i < (size_t)p->ncalls; i++) {
		const struct vs_cbatch_call *c = &p->calls[i];
		if (c->ran) {
			double l = c->started_ms - c->intended_ms;
			p->h->record(p->c, p->m_lateness, (int64_t)llround(l));
			if (l > worst_start)
				worst_start = l;
		}
		if (!ld_streamed(c))
			continue;
		n++;
		sent += c->r.media.frames_sent;
		late += c->r.media.late_frames;
		if (c->r.media.max_late_ms > worst)
			worst = c->r.media.max_late_ms;
	}
	if (!n) {
		p->h->check(p->c, "pacing.late_frames", VS_CHECK_SKIP, "no call streamed");
		return;
	}
	pc = sent ? 100.0 * (double)late / (double)sent : 0;
	p->h->check(p->c, "pacing.late_frames", pc <= p->max_late_pct ? VS_CHECK_PASS : VS_CHECK_FAIL,
		    "our own pacing: %llu of %llu frames (%.2f%%) sent late, worst %.1f ms, %s %.2f%%; latest call "
		    "start %.0f ms after its intended time",
		    (unsigned long long)late, (unsigned long long)sent, pc, worst, pc <= p->max_late_pct ? "<=" : ">",
		    p->max_late_pct, worst_start);
}

static void check_concurrency(struct ld *p)
{
	int got = ld_max_overlap(p->calls, (size_t)p->ncalls);

	if (!got) {
		p->h->check(p->c, "concurrency.reached", VS_CHECK_SKIP, "no call streamed");
		return;
	}
	p->h->count(p->c, "max_simultaneous_calls", got);
	p->h->check(p->c, "concurrency.reached", got >= p->min_concurrency ? VS_CHECK_PASS : VS_CHECK_FAIL,
		    "%d calls in progress at the same moment (from their start/end times) %s %lld required "
		    "(concurrency %lld, %lld calls, ramp %lld ms)",
		    got, got >= p->min_concurrency ? ">=" : "<", p->min_concurrency, p->concurrency, p->ncalls,
		    p->ramp_ms);
}

/* Every call's Call Control commands are its own: one answer for its own
 * call_control_id (the world files commands by id), no stream URL shared. */
static void check_races(struct ld *p)
{
	struct sbuf ans = {0}, dup = {0};
	size_t n = 0, nanswers = 0, nurls = 0;

	for (size_t i = 0; i < (size_t)p->ncalls; i++) {
		const struct vs_cbatch_call *c = &p->calls[i];
		int a;
		if (!c->ran || c->failed)
			continue;
		n++;
		a = vs_tcall_count_action(&c->r, "answer", NULL);
		nanswers += a > 0 ? (size_t)a : 0;
		if (a != 1)
			sb_item(&ans, "call %zu (%s): %d answer commands", i + 1, c->r.call_control_id, a);
		if (!c->r.stream_url[0])
			continue;
		nurls++;
		for (size_t j = 0; j < i; j++)
			if (p->calls[j].ran && !strcmp(p->calls[j].r.stream_url, c->r.stream_url)) {
				sb_item(&dup, "calls %zu and %zu both got %s", j + 1, i + 1, c->r.stream_url);
				break;
			}
	}
	if (!n) {
		p->h->check(p->c, "race.answers", VS_CHECK_SKIP, "no call ran");
		p->h->check(p->c, "race.stream_urls", VS_CHECK_SKIP, "no call ran");
		return;
	}
	if (!nanswers)
		p->h->check(p->c, "race.answers", VS_CHECK_SKIP, "the target answered no call (calls.complete says why)");
	else if (ans.items)
		p->h->check(p->c, "race.answers", VS_CHECK_FAIL, "expected exactly one answer per call_control_id: %s",
			    sb_more(&ans));
	else
		p->h->check(p->c, "race.answers", VS_CHECK_PASS, "exactly one answer command for each call's own id (%zu calls)",
			    n);
	if (!nurls)
		p->h->check(p->c, "race.stream_urls", VS_CHECK_SKIP, "no call got a stream URL");
	else if (dup.items)
		p->h->check(p->c, "race.stream_urls", VS_CHECK_FAIL, "stream URLs shared between calls: %s", sb_more(&dup));
	else
		p->h->check(p->c, "race.stream_urls", VS_CHECK_PASS, "every call got its own stream URL (%zu calls)", nurls);
}

/* The agent's own account, from /metrics before and after. */
static void check_agent(struct ld *p)
{
	const struct ld_prom *b = &p->prom_before, *a = &p->prom_after;

	if (!p->metrics_url[0]) {
		p->h->check(p->c, "agent.drained", VS_CHECK_SKIP, "metrics_path is empty");
		p->h->check(p->c, "agent.errors", VS_CHECK_SKIP, "metrics_path is empty");
		return;
	}
	if (!b->ok || !a->ok) {
		p->h->check(p->c, "agent.drained", VS_CHECK_SKIP, "GET %s did not answer 200 %s the batch", p->metrics_url,
			    b->ok ? "after" : "before");
		p->h->check(p->c, "agent.errors", VS_CHECK_SKIP, "GET %s did not answer", p->metrics_url);
		return;
	}
	if (!a->has_active)
		p->h->check(p->c, "agent.drained", VS_CHECK_SKIP, "the target's /metrics has no agent_active_calls");
	else
		p->h->check(p->c, "agent.drained", a->active == 0 ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "agent_active_calls: %.0f before the batch, %.0f when read %.1f s after it ended%s", b->active,
			    a->active,
			    (double)(p->t_drained_ns - p->t_end_ns) / 1e9,
			    a->active == 0 ? "" : ": calls stuck in the agent (not removed when they ended)");
	if (!a->has_calls) {
		p->h->check(p->c, "agent.errors", VS_CHECK_SKIP, "the target's /metrics has no agent_calls_total");
		return;
	}
	p->h->count(p->c, "agent_calls_counted", (int64_t)llround(a->calls_total - b->calls_total));
	p->h->check(p->c, "agent.errors", a->calls_error - b->calls_error <= 0 ? VS_CHECK_PASS : VS_CHECK_FAIL,
		    "agent_calls_total{outcome=\"error\"} %+.0f over the batch (%.0f calls counted by the agent, %ld ran)",
		    a->calls_error - b->calls_error, a->calls_total - b->calls_total, p->ran);
}

/* CPU % between successive samples; RSS per sample. */
static void check_cpu(struct ld *p, json_t *sum)
{
	double busy[3] = {0}, span[3] = {0}, maxpct = 0;
	long rss_max = 0, rss_first = -1, rss_last = -1;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	const char *phase[3] = {"before", "during", "after"};

	if (ncpu < 1)
		ncpu = 1;
	if (!p->pid || p->nproc < 2) {
		p->h->check(p->c, "cpu.mean", VS_CHECK_SKIP, "%s",
			    !p->pid ? "no target PID (VSTRESS_TARGET_PID / target_pid): CPU and memory not measured"
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
static void check_db_rows(struct ld *p, json_t *calls_json)
{
	struct sbuf miss = {0}, bad = {0};
	char err[256] = "";
	size_t n = 0, nt = 0;
	int turns = p->db_turns_sql && *p->db_turns_sql;

	if (!*p->db_url || !*p->db_call_sql) {
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
		rows = ld_db_count(p->db_url, p->db_call_sql, c->r.call_control_id, err, sizeof(err));
		if (rows < 0) {
			p->h->check(p->c, "db.call_rows", VS_CHECK_FAIL, "db_call_sql failed: %s", err);
			p->h->check(p->c, "db.turn_rows", VS_CHECK_SKIP, "db_call_sql failed");
			return;
		}
		json_object_set_new(cj, "db_call_rows", json_integer(rows));
		if (rows < 1)
			sb_item(&miss, "call %zu (%s): no row", i + 1, c->r.call_control_id);
		if (!turns)
			continue;
		trows = ld_db_count(p->db_url, p->db_turns_sql, c->r.call_control_id, err, sizeof(err));
		if (trows < 0) {
			turns = 0;
			p->h->check(p->c, "db.turn_rows", VS_CHECK_FAIL, "db_turns_sql failed: %s", err);
			continue;
		}
		/* the agent turns the caller heard: replies to wait_reply steps
		 * (the greeting is one) and turns started in silence or noise */
		heard = replied_turns(&c->r.media) + c->r.media.nfalse;
		json_object_set_new(cj, "db_turn_rows", json_integer(trows));
		json_object_set_new(cj, "turns_heard", json_integer((json_int_t)heard));
		nt += (size_t)trows;
		if ((size_t)trows != heard)
			sb_item(&bad, "call %zu (%s): %lld turn rows, %zu agent turns heard", i + 1, c->r.call_control_id,
				trows, heard);
	}
	if (!n) {
		p->h->check(p->c, "db.call_rows", VS_CHECK_SKIP, "no call streamed");
		p->h->check(p->c, "db.turn_rows", VS_CHECK_SKIP, "no call streamed");
		return;
	}
	if (miss.items)
		p->h->check(p->c, "db.call_rows", VS_CHECK_FAIL, "%zu of %zu calls left their row: %s", n - (size_t)miss.items,
			    n, sb_more(&miss));
	else
		p->h->check(p->c, "db.call_rows", VS_CHECK_PASS, "every call (%zu) left its row (db_call_sql)", n);
	if (!p->db_turns_sql || !*p->db_turns_sql)
		p->h->check(p->c, "db.turn_rows", VS_CHECK_SKIP, "db_turns_sql is empty");
	else if (!turns)
		; /* reported above */
	else if (bad.items)
		p->h->check(p->c, "db.turn_rows", VS_CHECK_FAIL, "turn rows differ from the turns the caller heard: %s",
			    sb_more(&bad));
	else
		p->h->check(p->c, "db.turn_rows", VS_CHECK_PASS,
			    "every call's turn rows match the agent turns its caller heard (%zu rows)", nt);
}

static void check_db_load(struct ld *p, json_t *sum)
{
	long long d = p->deadlocks_after - p->deadlocks_before;
	double lo = 1e18, hi = -1, idle_lo = 1e18;
	size_t n = 0;

	if (!*p->db_url)
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
		p->h->check(p->c, "db.pool", VS_CHECK_SKIP, "%s",
			    p->npromser ? "the target's /metrics has no agent_db_pool_size"
					: "no /metrics reading during the load");
		return;
	}
	json_object_set_new(sum, "db_pool_size_min", json_real(lo));
	json_object_set_new(sum, "db_pool_size_max", json_real(hi));
	json_object_set_new(sum, "db_pool_idle_min", json_real(idle_lo));
	p->h->check(p->c, "db.pool", lo >= (double)p->pool_min && hi <= (double)p->pool_max ? VS_CHECK_PASS : VS_CHECK_FAIL,
		    "agent_db_pool_size %.0f..%.0f over %zu readings during the load (allowed %lld..%lld), idle down to %.0f",
		    lo, hi, n, p->pool_min, p->pool_max, idle_lo);
}

void ld_checks(struct ld *p)
{
	json_t *calls = json_array(), *sum = json_object();

	for (size_t i = 0; calls && i < (size_t)p->ncalls; i++) {
		const struct vs_cbatch_call *c = &p->calls[i];
		json_t *cj = json_pack("{s:s?,s:f,s:f,s:f,s:o}", "script", c->script ? c->script->name : NULL,
				       "intended_ms", c->intended_ms, "started_ms", c->ran ? c->started_ms : -1.0,
				       "ended_ms", c->ran ? c->ended_ms : -1.0, "call",
				       c->ran ? vs_tcall_result_json(&c->r) : json_null());
		json_array_append_new(calls, cj ? cj : json_null());
	}
	check_complete(p);
	check_latency(p);
	check_pacing(p);
	check_concurrency(p);
	check_races(p);
	check_agent(p);
	check_cpu(p, sum);
	check_db_rows(p, calls);
	check_db_load(p, sum);
	json_object_set_new(sum, "calls", json_integer(p->ncalls));
	json_object_set_new(sum, "ran", json_integer(p->ran));
	json_object_set_new(sum, "concurrency", json_integer(p->concurrency));
	json_object_set_new(sum, "max_simultaneous", json_integer(ld_max_overlap(p->calls, (size_t)p->ncalls)));
	json_object_set_new(sum, "batch_ms", json_real((double)(p->t_end_ns - p->t_start_ns) / 1e6));
	json_object_set_new(sum, "routed_number", json_string(p->routed));
	json_object_set_new(sum, "tenant_key", p->tenant.created ? json_string(p->tenant.key) : json_null());
	ld_report(p);
	p->h->attach(p->c, "calls", calls);
	p->h->attach(p->c, "summary", sum);
}
