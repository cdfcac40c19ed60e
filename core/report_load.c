/* The report's load section (calls in flight over time from the calls'
 * start/end, each call's first reply and failures by start time, the
 * target's CPU/RSS/active calls from the load timeline) and the memory and
 * CPU section (RSS after each call with the fitted leak slope). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

struct ev {
	double t; /* seconds */
	int d;    /* +1 start, -1 end */
};

static int cmp_ev(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->d - y->d; /* ends before starts at the same instant */
}

/* Calls in flight: +1 at each start, -1 at each end, as a step line. */
static void concurrency(FILE *f, const json_t *calls, const json_t *p)
{
	size_t n = json_array_size(calls), i, k = 0, m = 0;
	struct ev *ev = calloc(2 * n + 1, sizeof(*ev));
	double *x = calloc(2 * n + 2, sizeof(double)), *y = calloc(2 * n + 2, sizeof(double)), level = 0, peak = 0;
	const json_t *e, *sum = json_object_get(json_object_get(p, "data"), "summary");
	struct rp_chart c = {.w = 760, .h = 160, .y0 = 0};

	if (!ev || !x || !y)
		goto out;
	json_array_foreach(calls, i, e) {
		double s = rp_get_num(e, "started_ms", -1), t = rp_get_num(e, "ended_ms", -1);
		if (s < 0 || t < s)
			continue;
		ev[k++] = (struct ev){s / 1000, 1};
		ev[k++] = (struct ev){t / 1000, -1};
	}
	if (!k) {
		rp_absent(f, "the calls carry no start/end times");
		goto out;
	}
	qsort(ev, k, sizeof(*ev), cmp_ev);
	x[m] = 0, y[m++] = 0;
	for (i = 0; i < k; i++) {
		level += ev[i].d;
		if (level > peak)
			peak = level;
		x[m] = ev[i].t, y[m++] = level;
	}
	c.x1 = x[m - 1] > 0 ? x[m - 1] : 1;
	c.y1 = peak + 1;
	if (rp_get_num(sum, "concurrency", 0) + 1 > c.y1)
		c.y1 = rp_get_num(sum, "concurrency", 0) + 1;
	rp_chart_begin(&c, f, "calls in flight (from each call's start and end)", "seconds from the batch start", "calls");
	rp_chart_line(&c, x, y, m, "#1f5fbf", 0, 1);
	if (json_is_number(json_object_get(sum, "concurrency")))
		rp_chart_hline(&c, rp_get_num(sum, "concurrency", 0), "#7a7a7a", "configured concurrency");
	rp_chart_end(&c);
out:
	free(ev);
	free(x);
	free(y);
}

/* Each call's first reply by start time; failed calls as red marks. */
static void replies(FILE *f, const json_t *calls, const json_t *p)
{
	const json_t *e, *ck, *m;
	struct rp_chart c = {.w = 760, .h = 180, .y0 = 0};
	size_t i, nf = 0, n = 0;
	double ymax = 1, xmax = 1;

	json_array_foreach(calls, i, e) {
		m = json_object_get(json_object_get(e, "call"), "media");
		if (rp_get_num(m, "first_reply_ms", -1) > ymax)
			ymax = rp_get_num(m, "first_reply_ms", -1);
		if (rp_get_num(e, "ended_ms", -1) / 1000 > xmax)
			xmax = rp_get_num(e, "ended_ms", -1) / 1000;
	}
	json_array_foreach(json_object_get(p, "checks"), i, ck)
		if (!strncmp(rp_get_str(ck, "name") ? rp_get_str(ck, "name") : "", "first_reply", 11) &&
		    json_is_number(json_object_get(ck, "threshold")) && rp_get_num(ck, "threshold", 0) > ymax)
			ymax = rp_get_num(ck, "threshold", 0);
	c.x1 = xmax;
	c.y1 = ymax * 1.1;
	rp_chart_begin(&c, f, "first reply of each call, by its start (red: the call failed)", "seconds from the batch start",
		       "first reply, ms");
	json_array_foreach(calls, i, e) {
		double s = rp_get_num(e, "started_ms", -1), fr;
		m = json_object_get(json_object_get(e, "call"), "media");
		fr = rp_get_num(m, "first_reply_ms", -1);
		if (s < 0)
			continue;
		if (fr >= 0) {
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#1f5fbf\"/>\n", rp_cx(&c, s / 1000),
				rp_cy(&c, fr));
			n++;
		}
		if (!m || json_is_false(json_object_get(m, "ok"))) {
			fprintf(f, "<path d=\"M%.1f %d l4 -8 l-8 0 z\" fill=\"#b00020\"/>\n", rp_cx(&c, s / 1000), RP_MT + c.h);
			nf++;
		}
	}
	json_array_foreach(json_object_get(p, "checks"), i, ck)
		if (!strncmp(rp_get_str(ck, "name") ? rp_get_str(ck, "name") : "", "first_reply", 11) &&
		    json_is_number(json_object_get(ck, "threshold")))
			rp_chart_hline(&c, rp_get_num(ck, "threshold", 0), "#b00020", rp_get_str(ck, "name"));
	rp_chart_end(&c);
	fprintf(f, "<p>%zu call(s) with a first reply, %zu failed or without a media stream.</p>\n", n, nf);
}

/* One series of the load timeline (t_ms, key) as a line chart. */
static int series(FILE *f, const json_t *tl, const char *key, double scale, const char *title, const char *ylabel)
{
	size_t n = json_array_size(tl), i, k = 0;
	double *x = calloc(n + 1, sizeof(double)), *y = calloc(n + 1, sizeof(double));
	struct rp_chart c = {.w = 760, .h = 140, .y0 = 0, .y1 = 1};
	const json_t *e;

	if (!x || !y)
		goto out;
	json_array_foreach(tl, i, e) {
		if (!json_is_number(json_object_get(e, key)) || !json_is_number(json_object_get(e, "t_ms")))
			continue;
		x[k] = rp_get_num(e, "t_ms", 0) / 1000;
		y[k] = rp_get_num(e, key, 0) * scale;
		if (y[k] > c.y1)
			c.y1 = y[k];
		if (x[k] > c.x1)
			c.x1 = x[k];
		k++;
	}
	if (k) {
		c.y1 *= 1.1;
		rp_chart_begin(&c, f, title, "seconds from the batch start", ylabel);
		rp_chart_line(&c, x, y, k, "#1f5fbf", 0, 0);
		rp_chart_end(&c);
	}
out:
	free(x);
	free(y);
	return k > 0;
}

void rp_section_load(struct rp *r)
{
	FILE *f = r->f;
	const json_t *p, *d, *calls, *tl;
	size_t i, n = 0;

	fputs("<section id=\"load\"><h2>Load over time</h2>\n", f);
	json_array_foreach(r->plugins, i, p) {
		d = json_object_get(p, "data");
		calls = json_object_get(d, "calls");
		tl = json_object_get(d, "timeline");
		/* a load phase: calls with start/end times, or a timeline */
		if (!json_is_array(tl) && !json_is_number(json_object_get(json_array_get(calls, 0), "started_ms")))
			continue;
		n++;
		fputs("<h3>", f);
		rp_esc(f, rp_get_str(p, "name"));
		fputs("</h3>\n<p class=\"absent\">One batch: this phase has no load stages; p95 per stage is not in this "
		      "run, each call's first reply is.</p>\n",
		      f);
		if (json_array_size(calls)) {
			concurrency(f, calls, p);
			replies(f, calls, p);
		}
		if (json_array_size(tl)) {
			if (!series(f, tl, "active_calls", 1, "the agent's active calls (/metrics)", "calls"))
				rp_absent(f, "the agent's /metrics gave no active-call gauge");
			series(f, tl, "cpu_pct", 1, "target CPU (% of one core)", "%");
			series(f, tl, "rss_kb", 1 / 1024.0, "target RSS", "MB");
		} else {
			rp_absent(f, "no process timeline of the target in this run");
		}
	}
	if (!n)
		rp_absent(f, "no load phase in this run (no data.timeline, no calls with start and end times)");
	fputs("</section>\n", f);
}

static void rss_chart(FILE *f, const json_t *rows, double slope)
{
	size_t n = json_array_size(rows), i;
	double *x = calloc(n + 1, sizeof(double)), *y = calloc(n + 1, sizeof(double)), sx = 0, sy = 0, lx[2], ly[2];
	struct rp_chart c = {.w = 760, .h = 200};
	const json_t *e;

	if (!x || !y)
		goto out;
	c.y0 = INFINITY, c.y1 = -INFINITY;
	json_array_foreach(rows, i, e) {
		x[i] = (double)(i + 1); /* the slope is fitted over the calls' order of ending */
		y[i] = rp_get_num(e, "rss_kb", 0) / 1024.0;
		sx += x[i], sy += y[i];
		c.y0 = fmin(c.y0, y[i]), c.y1 = fmax(c.y1, y[i]);
	}
	c.x0 = 0, c.x1 = (double)n + 1;
	lx[0] = 1, lx[1] = (double)n;
	ly[0] = sy / (double)n + slope / 1024.0 * (1 - sx / (double)n);
	ly[1] = sy / (double)n + slope / 1024.0 * ((double)n - sx / (double)n);
	c.y0 = fmin(c.y0, fmin(ly[0], ly[1]));
	c.y1 = fmax(c.y1, fmax(ly[0], ly[1]));
	{
		double pad = (c.y1 - c.y0) * 0.1 + 0.5;
		c.y0 -= pad, c.y1 += pad;
	}
	rp_chart_begin(&c, f, "target RSS after each call, and the fitted slope", "n-th call to end", "RSS, MB");
	rp_chart_line(&c, x, y, n, "#1f5fbf", 0, 0);
	rp_chart_line(&c, lx, ly, 2, "#b00020", 1, 0);
	rp_chart_legend(&c, 0, "#1f5fbf", 0, "RSS after the call");
	rp_chart_legend(&c, 1, "#b00020", 1, "least-squares fit");
	rp_chart_end(&c);
out:
	free(x);
	free(y);
}

void rp_section_memory(struct rp *r)
{
	FILE *f = r->f;
	const json_t *p, *s, *cpu;
	size_t i, n = 0;

	fputs("<section id=\"memory\"><h2>Memory and CPU</h2>\n", f);
	json_array_foreach(r->plugins, i, p) {
		s = json_object_get(json_object_get(p, "data"), "summary");
		if (!json_is_number(json_object_get(s, "rss_slope_kb_per_call")) && !json_object_get(s, "rss_after_calls") &&
		    !json_is_object(json_object_get(s, "cpu")))
			continue;
		n++;
		fputs("<h3>", f);
		rp_esc(f, rp_get_str(p, "name"));
		fputs("</h3>\n<p>", f);
		if (json_is_number(json_object_get(s, "rss_slope_kb_per_call"))) {
			fputs("fitted leak slope: ", f);
			rp_num(f, rp_get_num(s, "rss_slope_kb_per_call", 0));
			fputs(" kB per call", f);
		} else {
			fputs("no leak slope in this run", f);
		}
		if (json_is_number(json_object_get(s, "rss_growth_mb"))) {
			fputs("; RSS growth from the baseline: ", f);
			rp_num(f, rp_get_num(s, "rss_growth_mb", 0));
			fputs(" MB", f);
		}
		fputs(".</p>\n", f);
		if (json_array_size(json_object_get(s, "rss_after_calls")) >= 2)
			rss_chart(f, json_object_get(s, "rss_after_calls"), rp_get_num(s, "rss_slope_kb_per_call", 0));
		else
			rp_absent(f, "fewer than two RSS readings after calls: no memory chart");
		if (json_is_object((cpu = json_object_get(s, "cpu")))) {
			fputs("<table><tr><th>CPU, % of one core</th><th>idle</th><th>under load, mean</th><th>max</th>"
			      "<th>cores</th></tr><tr><td></td><td>",
			      f);
			rp_num(f, rp_get_num(cpu, "idle_pct_of_one_core", NAN));
			fputs("</td><td>", f);
			rp_num(f, rp_get_num(cpu, "load_mean_pct_of_one_core", NAN));
			fputs("</td><td>", f);
			rp_num(f, rp_get_num(cpu, "load_max_pct_of_one_core", NAN));
			fputs("</td><td>", f);
			rp_num(f, rp_get_num(cpu, "cores", NAN));
			fputs("</td></tr></table>\n", f);
		} else {
			rp_absent(f, "no CPU reading in this phase");
		}
	}
	if (!n)
		rp_absent(f, "no memory or CPU readings of the target in this run");
	fputs("</section>\n", f);
}
