/* Internals of the HTML report: one file per section, all writing to one
 * FILE (an open_memstream buffer).  Every string that comes from the
 * results goes through rp_esc: the system under test may be hostile. */
#ifndef VS_REPORT_INT_H
#define VS_REPORT_INT_H

#include <jansson.h>
#include <stdio.h>

struct rp {
	FILE *f;
	const char *dir;  /* the results folder */
	json_t *summary;  /* test_summary.json */
	json_t *plugins;  /* its "plugins" array (never NULL) */
};

/* HTML text and attribute escaping (& < > " ' and control characters). */
void rp_esc(FILE *f, const char *s);
/* rp_esc of a JSON value: strings as is, numbers compactly, else its JSON. */
void rp_esc_json(FILE *f, const json_t *v);
/* A number for display: at most 4 significant digits, "-" for NaN. */
void rp_num(FILE *f, double v);
/* <p class="absent">…</p> for a section whose data is not in the run. */
void rp_absent(FILE *f, const char *what);
/* A check's subject: "harness" when it says so, else "target". */
int rp_is_harness(const json_t *check);
/* Number value of a key, or def when missing or not a number. */
double rp_get_num(const json_t *o, const char *key, double def);
const char *rp_get_str(const json_t *o, const char *key);

/* ---- SVG charts ---------------------------------------------------------- */
struct rp_chart {
	FILE *f;
	double x0, x1, y0, y1; /* data ranges */
	int logx;              /* x on a log10 scale (x0 > 0) */
	int w, h;              /* pixels, plot area inside margins */
	int no_yticks;         /* rows drawn by the caller instead of y ticks */
};
enum { RP_ML = 64, RP_MR = 16, RP_MT = 24, RP_MB = 40 };

/* Opens <svg> with a title, both axes with ticks and their labels. */
void rp_chart_begin(struct rp_chart *c, FILE *f, const char *title, const char *xlabel, const char *ylabel);
void rp_chart_end(struct rp_chart *c);
double rp_cx(const struct rp_chart *c, double x);
double rp_cy(const struct rp_chart *c, double y);
/* A polyline through n points; dashed when dash != 0; step: horizontal then vertical. */
void rp_chart_line(struct rp_chart *c, const double *x, const double *y, size_t n, const char *color, int dash,
		   int step);
/* A vertical (or horizontal) marker line with a short label; label_row
 * stacks the labels of lines drawn at the same place. */
void rp_chart_vline(struct rp_chart *c, double x, const char *color, const char *label, int label_row);
void rp_chart_hline(struct rp_chart *c, double y, const char *color, const char *label);
/* A legend entry, at row i in the top-right corner. */
void rp_chart_legend(struct rp_chart *c, int i, const char *color, int dash, const char *label);
/* Tick step for a range: 1, 2 or 5 times a power of ten, about n ticks. */
double rp_nice_step(double span, int n);

/* ---- sections ------------------------------------------------------------ */
void rp_section_verdict(struct rp *r);
void rp_section_checks(struct rp *r);
void rp_section_latency(struct rp *r);
void rp_section_calls(struct rp *r);
void rp_section_waterfalls(struct rp *r);
void rp_section_load(struct rp *r);
void rp_section_memory(struct rp *r);
void rp_section_cost(struct rp *r);

#endif
