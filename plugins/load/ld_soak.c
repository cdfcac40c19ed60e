/* load plugin: the soak's figures (only when soak_mark is set, as the soak
 * profile does): the target's RSS at every soak_mark of the load, the RSS
 * slope over the load (least squares, after its first tenth: start-up
 * allocations are no leak), and its open descriptors and threads before
 * the load and after it drained. */
#include "load.h"

#include <stdio.h>

/* The sample nearest after t_ns (NULL when none). */
static const struct vs_proc_sample *at(const struct ld *p, uint64_t t_ns)
{
	for (size_t i = 0; i < p->nproc; i++)
		if (p->proc[i].t_ns >= t_ns)
			return &p->proc[i];
	return p->nproc ? &p->proc[p->nproc - 1] : NULL;
}

void ld_check_soak(struct ld *p, json_t *sum)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0, slope, span;
	uint64_t from;
	const struct vs_proc_sample *b, *a;
	json_t *marks = json_array();
	char list[600];
	size_t o = 0;

	if (p->soak_mark_ms <= 0) {
		json_decref(marks);
		return;
	}
	if (!p->t.pid || p->nproc < 3) {
		const char *why = !p->t.pid ? "no target PID (VSTRESS_TARGET_PID / target_pid): memory not sampled"
					    : "the target's process tree could not be sampled";
		p->h->check(p->c, "soak.memory", VS_CHECK_SKIP, "%s", why);
		p->h->check(p->c, "soak.fds", VS_CHECK_SKIP, "%s", why);
		p->h->check(p->c, "soak.threads", VS_CHECK_SKIP, "%s", why);
		json_decref(marks);
		return;
	}
	span = (double)(p->t_end_ns - p->t_start_ns);
	list[0] = '\0';
	for (uint64_t t = p->t_start_ns;; t += (uint64_t)p->soak_mark_ms * 1000000ull) {
		const struct vs_proc_sample *s;
		if (t > p->t_end_ns)
			t = p->t_end_ns;
		s = at(p, t);
		if (s) {
			double m = (double)(t - p->t_start_ns) / 60e9;
			json_array_append_new(marks, json_pack("{s:f,s:I,s:i,s:i}", "t_min", m, "rss_kb", (json_int_t)s->rss_kb,
							       "fds", s->fds, "threads", s->threads));
			if (o + 40 < sizeof(list))
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%.0f MB at %.1f min", o ? ", " : "",
						      (double)s->rss_kb / 1024, m);
		}
		if (t >= p->t_end_ns)
			break;
	}
	from = p->t_start_ns + (uint64_t)(span / 10);
	for (size_t i = 0; i < p->nproc; i++) {
		const struct vs_proc_sample *s = &p->proc[i];
		double x, y;
		if (s->t_ns < from || s->t_ns > p->t_end_ns || s->rss_kb <= 0)
			continue;
		x = (double)(s->t_ns - p->t_start_ns) / 3600e9; /* hours */
		y = (double)s->rss_kb / 1024;                   /* MB */
		sx += x, sy += y, sxx += x * x, sxy += x * y, n++;
	}
	slope = n >= 3 && n * sxx - sx * sx > 0 ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : 0;
	if (n < 3)
		p->h->check(p->c, "soak.memory", VS_CHECK_SKIP, "fewer than 3 samples after the first tenth of the load");
	else
		p->h->check(p->c, "soak.memory", slope <= p->rss_slope_max ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "RSS slope %+.1f MB/hour %s %.1f MB/hour over %.1f min (least squares over %.0f samples after the first "
			    "tenth); RSS %s",
			    slope, slope <= p->rss_slope_max ? "<=" : ">", p->rss_slope_max, span / 60e9, n, list);
	b = &p->proc[0];
	a = &p->proc[p->nproc - 1];
	if (b->fds < 0 || a->fds < 0)
		p->h->check(p->c, "soak.fds", VS_CHECK_SKIP, "the target's descriptors could not be read (/proc/PID/fd)");
	else
		p->h->check(p->c, "soak.fds", a->fds - b->fds <= p->fd_growth_max ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "open descriptors %d before the load, %d after it drained (%+d, allowed +%lld)", b->fds, a->fds,
			    a->fds - b->fds, p->fd_growth_max);
	p->h->check(p->c, "soak.threads", a->threads - b->threads <= p->thread_growth_max ? VS_CHECK_PASS : VS_CHECK_FAIL,
		    "threads %d before the load, %d after it drained (%+d, allowed +%lld)", b->threads, a->threads,
		    a->threads - b->threads, p->thread_growth_max);
	json_object_set_new(sum, "soak",
			    json_pack("{s:o,s:f,s:I,s:I,s:i,s:i,s:i,s:i}", "marks", marks, "rss_slope_mb_per_hour", slope,
				      "mark_ms", (json_int_t)p->soak_mark_ms, "samples", (json_int_t)n, "fds_before", b->fds,
				      "fds_after", a->fds, "threads_before", b->threads, "threads_after", a->threads));
}
