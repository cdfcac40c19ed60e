/* Inline SVG charts for the report: axes with "nice" ticks, lines, marker
 * lines and a legend.  Data ranges are mapped into a w x h plot area. */
#include <math.h>

#include "report_int.h"

double rp_nice_step(double span, int n)
{
	double raw, mag, m;

	if (!(span > 0) || n < 1)
		return 1;
	raw = span / n;
	mag = pow(10, floor(log10(raw)));
	m = raw / mag;
	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * mag;
}

double rp_cx(const struct rp_chart *c, double x)
{
	double t;

	if (c->logx)
		t = (log10(x > c->x0 ? x : c->x0) - log10(c->x0)) / (log10(c->x1) - log10(c->x0));
	else
		t = (x - c->x0) / (c->x1 - c->x0);
	if (t < 0)
		t = 0;
	if (t > 1)
		t = 1;
	return RP_ML + t * c->w;
}

double rp_cy(const struct rp_chart *c, double y)
{
	double t = (y - c->y0) / (c->y1 - c->y0);

	if (t < 0)
		t = 0;
	if (t > 1)
		t = 1;
	return RP_MT + (1 - t) * c->h;
}

static void tick_label(FILE *f, double v)
{
	rp_num(f, fabs(v) < 1e-12 ? 0 : v);
}

void rp_chart_begin(struct rp_chart *c, FILE *f, const char *title, const char *xlabel, const char *ylabel)
{
	double step, v;
	int W = c->w + RP_ML + RP_MR, H = c->h + RP_MT + RP_MB;

	c->f = f;
	if (!(c->x1 > c->x0))
		c->x1 = c->x0 + 1;
	if (!(c->y1 > c->y0))
		c->y1 = c->y0 + 1;
	if (c->logx && !(c->x0 > 0))
		c->logx = 0;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">",
		W, H, W, H);
	fputs("<title>", f);
	rp_esc(f, title);
	fprintf(f, "</title><text x=\"%d\" y=\"14\" font-weight=\"bold\">", RP_ML);
	rp_esc(f, title);
	fputs("</text>\n", f);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>\n", RP_ML, RP_MT,
		c->w, c->h);
	/* y ticks */
	step = rp_nice_step(c->y1 - c->y0, 5);
	for (v = ceil(c->y0 / step) * step; !c->no_yticks && v <= c->y1 + step * 1e-9; v += step) {
		double y = rp_cy(c, v);
		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>", RP_ML, RP_ML + c->w, y, y);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", RP_ML - 4, y + 4);
		tick_label(f, v);
		fputs("</text>\n", f);
	}
	/* x ticks: decades on a log axis */
	if (c->logx) {
		for (v = pow(10, floor(log10(c->x0))); v <= c->x1 * 1.0001; v *= 10) {
			double x;
			if (v < c->x0 * 0.9999)
				continue;
			x = rp_cx(c, v);
			fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#eee\"/>", x, x, RP_MT,
				RP_MT + c->h);
			fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", x, RP_MT + c->h + 14);
			tick_label(f, v);
			fputs("</text>\n", f);
		}
	} else {
		step = rp_nice_step(c->x1 - c->x0, 8);
		for (v = ceil(c->x0 / step) * step; v <= c->x1 + step * 1e-9; v += step) {
			double x = rp_cx(c, v);
			fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#eee\"/>", x, x, RP_MT,
				RP_MT + c->h);
			fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", x, RP_MT + c->h + 14);
			tick_label(f, v);
			fputs("</text>\n", f);
		}
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", RP_ML + c->w / 2, RP_MT + c->h + 32);
	rp_esc(f, xlabel);
	fprintf(f, "</text><text x=\"12\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 12 %d)\">",
		RP_MT + c->h / 2, RP_MT + c->h / 2);
	rp_esc(f, ylabel);
	fputs("</text>\n", f);
}

void rp_chart_end(struct rp_chart *c)
{
	fputs("</svg>\n", c->f);
}

void rp_chart_line(struct rp_chart *c, const double *x, const double *y, size_t n, const char *color, int dash,
		   int step)
{
	size_t i;

	if (!n)
		return;
	fprintf(c->f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s points=\"", color,
		dash ? " stroke-dasharray=\"5 3\"" : "");
	for (i = 0; i < n; i++) {
		if (step && i)
			fprintf(c->f, "%.1f,%.1f ", rp_cx(c, x[i]), rp_cy(c, y[i - 1]));
		fprintf(c->f, "%.1f,%.1f ", rp_cx(c, x[i]), rp_cy(c, y[i]));
	}
	fputs("\"/>\n", c->f);
	if (n == 1)
		fprintf(c->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", rp_cx(c, x[0]), rp_cy(c, y[0]),
			color);
}

void rp_chart_vline(struct rp_chart *c, double x, const char *color, const char *label, int label_row)
{
	double px = rp_cx(c, x);
	int right = px > RP_ML + c->w * 0.7; /* label on the left of a line near the right edge */

	fprintf(c->f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1.5\" "
		      "stroke-dasharray=\"2 2\"/><text x=\"%.1f\" y=\"%d\" fill=\"%s\" text-anchor=\"%s\">",
		px, px, RP_MT, RP_MT + c->h, color, right ? px - 3 : px + 3, RP_MT + c->h - 6 - 13 * label_row, color,
		right ? "end" : "start");
	rp_esc(c->f, label);
	fputs("</text>\n", c->f);
}

void rp_chart_hline(struct rp_chart *c, double y, const char *color, const char *label)
{
	double py = rp_cy(c, y);

	fprintf(c->f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\" "
		      "stroke-dasharray=\"2 2\"/><text x=\"%d\" y=\"%.1f\" fill=\"%s\">",
		RP_ML, RP_ML + c->w, py, py, color, RP_ML + 4, py - 3, color);
	rp_esc(c->f, label);
	fputs("</text>\n", c->f);
}

void rp_chart_legend(struct rp_chart *c, int i, const char *color, int dash, const char *label)
{
	int x = RP_ML + c->w - 200, y = RP_MT + 14 + 14 * i;

	fprintf(c->f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>"
		      "<text x=\"%d\" y=\"%d\">",
		x, x + 18, y - 4, y - 4, color, dash ? " stroke-dasharray=\"5 3\"" : "", x + 22, y);
	rp_esc(c->f, label);
	fputs("</text>\n", c->f);
}
