/* The report's distributions: every metric's encoded histogram ("hist")
 * decoded and walked bucket by bucket into a CDF, with the thresholds of
 * the checks that name the metric drawn on it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "report_int.h"

/* Factor from a unit to milliseconds; 0 when it is not a time unit. */
static double to_ms(const char *unit)
{
	if (!unit)
		return 0;
	if (!strcmp(unit, "ms"))
		return 1;
	if (!strcmp(unit, "us"))
		return 1e-3;
	if (!strcmp(unit, "ns"))
		return 1e-6;
	if (!strcmp(unit, "s"))
		return 1e3;
	return 0;
}

/* Does check `cname` judge metric `mname`?  The check's first dot- or
 * space-separated word equals the metric's name or the metric's first
 * underscore-separated word ("turn.p95" - "turn_latency"), or the metric's
 * name is a word of the check's name ("p99 latency" - "latency"). */
static int names_match(const char *cname, const char *mname)
{
	size_t cl = strcspn(cname, ". "), ml = strcspn(mname, "_"), n = strlen(mname);
	const char *s;

	if ((cl == strlen(mname) && !strncmp(cname, mname, cl)) || (cl == ml && !strncmp(cname, mname, ml)))
		return 1;
	for (s = strstr(cname, mname); s; s = strstr(s + 1, mname))
		if ((s == cname || strchr(". _", s[-1])) && strchr(". _", s[n]))
			return 1;
	return 0;
}

struct thr {
	double v;
	const char *label;
	int failed;
};

static size_t thresholds(const json_t *p, const char *mname, const char *munit, double scale, struct thr *out,
			 size_t max)
{
	const json_t *checks = json_object_get(p, "checks"), *c;
	size_t i, n = 0;

	json_array_foreach(checks, i, c) {
		const char *cn = rp_get_str(c, "name"), *cu = rp_get_str(c, "unit");
		double cs;
		if (!cn || !json_is_number(json_object_get(c, "threshold")) || !names_match(cn, mname) || n >= max)
			continue;
		if (scale > 0 && (cs = to_ms(cu)) > 0)
			out[n].v = rp_get_num(c, "threshold", 0) * cs;
		else if (cu && munit && !strcmp(cu, munit))
			out[n].v = rp_get_num(c, "threshold", 0);
		else
			continue;
		out[n].label = cn;
		out[n].failed = !strcmp(rp_get_str(c, "status") ? rp_get_str(c, "status") : "", "fail");
		n++;
	}
	return n;
}

/* The CDF's points: at each non-empty bucket's highest value (clamped to
 * the exact max), the share of values at or below it. */
static size_t cdf(const struct vs_hist *h, double scale, double **xs, double **ys)
{
	size_t nb = vs_hist_nbuckets(h), i, n = 0;
	int64_t total = vs_hist_count(h), cum = 0, lo, hi, cnt;
	double *x = NULL, *y = NULL;

	for (i = 0; i < nb; i++) {
		if (!(cnt = vs_hist_bucket(h, i, &lo, &hi)))
			continue;
		cum += cnt;
		if (hi > vs_hist_max(h))
			hi = vs_hist_max(h);
		x = realloc(x, (n + 2) * sizeof(*x));
		y = realloc(y, (n + 2) * sizeof(*y));
		if (!x || !y)
			break;
		if (!n) { /* start the step at the exact minimum, share 0 */
			x[n] = (double)vs_hist_min(h) * scale;
			y[n++] = 0;
		}
		x[n] = (double)hi * scale;
		y[n++] = 100.0 * (double)cum / (double)total;
	}
	*xs = x;
	*ys = y;
	return x && y ? n : 0;
}

static const double pcts[] = {50, 90, 95, 99, 99.9};

static void pct_row(FILE *f, const char *name, const struct vs_hist *h, double scale, const char *unit)
{
	fputs("<tr><td>", f);
	rp_esc(f, name);
	fprintf(f, "</td><td>%lld</td>", (long long)vs_hist_count(h));
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		fputs("<td>", f);
		rp_num(f, (double)vs_hist_percentile(h, pcts[i]) * scale);
		fputs("</td>", f);
	}
	fputs("<td>", f);
	rp_num(f, (double)vs_hist_max(h) * scale);
	fputs("</td><td>", f);
	rp_esc(f, unit);
	fprintf(f, "%s</td></tr>\n", vs_hist_overflow(h) ? " (overflow: top values are lower bounds)" : "");
}

static struct vs_hist *decode(const json_t *m)
{
	const char *enc = rp_get_str(m, "hist");
	struct vs_hist *h = NULL;

	if (!enc || vs_hist_decode(enc, &h))
		return NULL;
	if (!vs_hist_count(h)) {
		vs_hist_free(h);
		return NULL;
	}
	return h;
}

/* One chart: the metric, its _uncorrected companion (dashed) when there is one. */
static int metric_chart(FILE *f, const json_t *p, const char *mname, const json_t *m)
{
	const json_t *metrics = json_object_get(p, "metrics");
	char *uname = NULL;
	const json_t *um;
	struct vs_hist *h = decode(m), *uh = NULL;
	const char *unit = rp_get_str(m, "unit");
	double scale = to_ms(unit), s = scale > 0 ? scale : 1, *x = NULL, *y = NULL, *ux = NULL, *uy = NULL, xmax;
	struct thr thr[8];
	size_t n, un = 0, nt, i;
	struct rp_chart c = {.w = 760, .h = 220, .y0 = 0, .y1 = 100};
	char *title;
	int ok = 0;

	if (!h)
		return 0;
	if (asprintf(&uname, "%s_uncorrected", mname) > 0 && (um = json_object_get(metrics, uname)))
		uh = decode(um);
	n = cdf(h, s, &x, &y);
	if (uh)
		un = cdf(uh, s, &ux, &uy);
	nt = thresholds(p, mname, unit, scale, thr, 8);
	xmax = (double)vs_hist_max(h) * s;
	if (uh && (double)vs_hist_max(uh) * s > xmax)
		xmax = (double)vs_hist_max(uh) * s;
	for (i = 0; i < nt; i++)
		if (thr[i].v > xmax)
			xmax = thr[i].v;
	c.x1 = xmax * 1.05;
	{ /* values far below a threshold (or a long tail): a log axis keeps both readable */
		double xmin = (double)vs_hist_min(h) * s;
		if (uh && (double)vs_hist_min(uh) * s < xmin)
			xmin = (double)vs_hist_min(uh) * s;
		if (xmin > 0 && c.x1 / xmin > 20) {
			c.logx = 1;
			c.x0 = xmin * 0.8;
			c.x1 = xmax * 1.25;
		} else if (xmin > 0.5 * xmax) { /* a narrow band far from 0: zoom in */
			double step = rp_nice_step(xmax - xmin, 4);
			c.x0 = floor(xmin / step) * step - step;
			if (c.x0 < 0)
				c.x0 = 0;
		}
	}
	if (n && asprintf(&title, "%s: %s - CDF of %lld values", rp_get_str(p, "name"), mname,
			  (long long)vs_hist_count(h)) > 0) {
		fputs("<h3>", f);
		rp_esc(f, rp_get_str(p, "name"));
		fputs(": ", f);
		rp_esc(f, mname);
		fputs("</h3>\n", f);
		rp_chart_begin(&c, f, title, scale > 0 ? (c.logx ? "ms (log scale)" : "ms") : unit ? unit : "",
			       "% of values at or below");
		free(title);
		rp_chart_line(&c, x, y, n, "#1f5fbf", 0, 1);
		rp_chart_legend(&c, 0, "#1f5fbf", 0, uh ? "from the intended start" : mname);
		if (un) {
			rp_chart_line(&c, ux, uy, un, "#7a7a7a", 1, 1);
			rp_chart_legend(&c, 1, "#7a7a7a", 1, "service time (uncorrected)");
		}
		for (i = 0; i < nt; i++) {
			int row = 0;
			for (size_t k = 0; k < i; k++) /* lines within a few pixels: stack the labels */
				row += fabs(rp_cx(&c, thr[k].v) - rp_cx(&c, thr[i].v)) < 40;
			rp_chart_vline(&c, thr[i].v, thr[i].failed ? "#b00020" : "#176d2c", thr[i].label, row);
		}
		rp_chart_end(&c);
		fputs("<table><tr><th>metric</th><th>count</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th>"
		      "<th>p99.9</th><th>max</th><th>unit</th></tr>\n",
		      f);
		pct_row(f, mname, h, s, scale > 0 ? "ms" : unit);
		if (uh)
			pct_row(f, uname, uh, s, scale > 0 ? "ms" : unit);
		fputs("</table>\n", f);
		if (!nt)
			rp_absent(f, "no check with a numeric threshold names this metric; no threshold drawn");
		ok = 1;
	}
	free(x);
	free(y);
	free(ux);
	free(uy);
	free(uname);
	vs_hist_free(h);
	vs_hist_free(uh);
	return ok;
}

void rp_section_latency(struct rp *r)
{
	FILE *f = r->f;
	const json_t *p, *m;
	const char *k;
	size_t i, n = 0;

	fputs("<section id=\"latency\"><h2>Distributions</h2>\n<p>Each curve is the metric's histogram "
	      "(<code>hist</code>) decoded and walked bucket by bucket; percentiles are read from it, never "
	      "averaged. Dashed vertical lines: thresholds of the checks that name the metric (green passed, red "
	      "failed).</p>\n",
	      f);
	json_array_foreach(r->plugins, i, p) {
		json_object_foreach(json_object_get(p, "metrics"), k, m) {
			size_t kl = strlen(k);
			if (kl > 12 && !strcmp(k + kl - 12, "_uncorrected")) {
				char *base = strndup(k, kl - 12);
				int has_base = base && json_object_get(json_object_get(p, "metrics"), base);
				free(base);
				if (has_base)
					continue; /* drawn with its metric */
			}
			n += (size_t)metric_chart(f, p, k, m);
		}
	}
	if (!n)
		rp_absent(f, "no metric with recorded values in this run");
	fputs("</section>\n", f);
}
