/* resources plugin: memory_profile.txt, the run for a human: baseline, RSS
 * after each call, the time series of the load and of the long call, the
 * database counts, and every verdict. */
#include "resources.h"

#include <stdio.h>

#define MB(kb) ((double)(kb) / 1024.0)

static void series(FILE *f, const struct vs_proc_sample *s, size_t n, uint64_t t0)
{
	fprintf(f, "  %8s %10s %8s %7s %5s %6s\n", "t_s", "rss_MB", "cpu_%", "threads", "fds", "procs");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %8.1f %10.1f %8.1f %7d %5d %6d\n", (double)(int64_t)(s[i].t_ns - t0) / 1e9, MB(s[i].rss_kb),
			i ? vs_proc_cpu_pct(&s[i - 1], &s[i]) : 0.0, s[i].threads, s[i].fds, s[i].nproc);
}

void rs_report(struct rs *p)
{
	char path[1024];
	FILE *f;

	if (p->h->artifact(p->c, "memory_profile.txt", path, sizeof(path)) != 0 || !(f = fopen(path, "w"))) {
		p->h->log(p->c, VS_LOG_WARN, "memory_profile.txt could not be written");
		return;
	}
	fprintf(f, "vstress resources: memory profile of the target (stress-test plan 10.1, 10.2, 10.3, 8.4)\n\n");
	if (!p->t.pid)
		fprintf(f, "target PID: unknown (process readings skipped)\n");
	else if (p->base.t_ns)
		fprintf(f,
			"target PID %d; baseline after %lld warm-up call(s) and %lld ms idle:\n"
			"  RSS %.1f MB, threads %d, open fds %d, processes %d, CPU idle %.1f%% of one core\n",
			(int)p->t.pid, p->warmup_calls, p->idle_ms, MB(p->base.rss_kb), p->base.threads, p->base.fds,
			p->base.nproc, p->cpu_idle_pct);
	fprintf(f, "\nload: %lld calls (%s), %lld at once, %lld ms between starts; %.1f s\n", p->ncalls, p->script->name,
		p->concurrency, p->ramp_ms, p->batch_s);
	if (p->t.pid)
		fprintf(f, "CPU under load: mean %.1f%%, max %.1f%% of one core (1 s samples)\n", p->cpu_load_mean,
			p->cpu_load_max);
	fprintf(f, "\nRSS after each call (in the order the calls ended):\n  %4s %5s %8s %10s %9s %7s %5s\n", "#", "call",
		"t_s", "rss_MB", "delta_MB", "threads", "fds");
	for (size_t i = 0; i < p->nrows; i++) {
		const struct rs_row *r = &p->rows[i];
		if (r->ok)
			fprintf(f, "  %4zu %5zu %8.1f %10.1f %+9.1f %7d %5d\n", i + 1, r->call + 1, r->t_s, MB(r->s.rss_kb),
				MB(r->s.rss_kb - p->base.rss_kb), r->s.threads, r->s.fds);
		else
			fprintf(f, "  %4zu %5zu %8.1f %10s\n", i + 1, r->call + 1, r->t_s, "-");
	}
	if (p->t.pid && p->base.t_ns)
		fprintf(f, "least-squares slope: %+.0f kB per call\nafter the settle time: RSS %.1f MB (%+.1f MB), threads %d, fds %d\n",
			p->slope_kb, MB(p->final.rss_kb), MB(p->final.rss_kb - p->base.rss_kb), p->final.threads,
			p->final.fds);
	if (p->nseries) {
		fprintf(f, "\ntime series, load and settle (1 s):\n");
		series(f, p->series, p->nseries, p->batch_t0);
	}
	fprintf(f, "\nagent /metrics: active calls %.0f -> %.0f, background tasks %.0f -> %.0f\n", p->pm0.active,
		p->pm1.active, p->pm0.bg, p->pm1.bg);
	if (p->db_before >= 0)
		fprintf(f, "database connections (pg_stat_activity): %ld before, %ld at peak, %ld after; pool size signal peak %.0f\n",
			p->db_before, p->db_peak, p->db_after, p->pool_peak);
	if (p->long_ran) {
		fprintf(f, "\nlong call: %.1f s, RSS %.1f MB before, %.1f MB after it ended; growth %+.2f MB/min\n",
			p->long_r.media.duration_ms / 1000.0, MB(p->long_pre.rss_kb), MB(p->long_post.rss_kb), p->long_rate);
		if (p->nlseries)
			series(f, p->lseries, p->nlseries, p->lseries[0].t_ns);
	}
	fprintf(f, "\nverdicts:\n%s", p->verdicts ? p->verdicts : "(none)\n");
	fclose(f);
}
