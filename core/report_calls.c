/* The report's per-call timelines (the slowest calls of every phase that
 * attached "calls": agent speech, ends of the caller's utterances and the
 * reply latencies, gaps, barge-ins, false triggers, injected faults), and
 * the per-turn waterfalls when a phase attached them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

#define RP_SLOWEST 5

struct callref {
	const json_t *plugin;
	size_t index;      /* in data.calls */
	const json_t *rec; /* the element of data.calls */
	const json_t *m;   /* its media result (has agent_speech_ms) */
	double score;      /* the slowest reply: first reply or a turn, ms */
};

/* The media result of a data.calls element: the element itself, .media,
 * .call or .call.media - whichever has agent_speech_ms. */
static const json_t *media_of(const json_t *e)
{
	const json_t *c = json_object_get(e, "call");

	if (json_object_get(e, "agent_speech_ms"))
		return e;
	if (json_object_get(json_object_get(e, "media"), "agent_speech_ms"))
		return json_object_get(e, "media");
	if (json_object_get(c, "agent_speech_ms"))
		return c;
	if (json_object_get(json_object_get(c, "media"), "agent_speech_ms"))
		return json_object_get(c, "media");
	return NULL;
}

static double slowest(const json_t *m)
{
	double s = rp_get_num(m, "first_reply_ms", -1);
	const json_t *t;
	size_t i;

	json_array_foreach(json_object_get(m, "turns"), i, t) {
		double l = rp_get_num(t, "latency_ms", -1);
		if (l > s)
			s = l;
	}
	return s;
}

static int by_score(const void *a, const void *b)
{
	double x = ((const struct callref *)a)->score, y = ((const struct callref *)b)->score;

	return x < y ? 1 : x > y ? -1 : 0;
}

enum { ROW_CALLER, ROW_AGENT, ROW_GAPS, ROW_BARGE, ROW_FAULTS, NROWS };
static const char *const row_names[NROWS] = {"caller", "agent", "gaps", "barge-ins", "faults"};

static double row_y(const struct rp_chart *c, int row)
{
	return RP_MT + 6 + row * (c->h - 12) / (double)NROWS;
}

static void bar(struct rp_chart *c, int row, double a_ms, double b_ms, const char *color, const char *tip)
{
	double x0 = rp_cx(c, a_ms / 1000), x1 = rp_cx(c, b_ms / 1000), h = (c->h - 12) / (double)NROWS - 6;

	fprintf(c->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>", x0, row_y(c, row),
		x1 - x0 < 1 ? 1 : x1 - x0, h, color);
	rp_esc(c->f, tip);
	fputs("</title></rect>\n", c->f);
}

static void mark(struct rp_chart *c, int row, double ms, const char *color, const char *tip)
{
	double x = rp_cx(c, ms / 1000), y = row_y(c, row), h = (c->h - 12) / (double)NROWS - 6;

	fprintf(c->f, "<path d=\"M%.1f %.1f l5 %.1f l-10 0 z\" fill=\"%s\"><title>", x, y, h, color);
	rp_esc(c->f, tip);
	fputs("</title></path>\n", c->f);
}

static void timeline(FILE *f, const struct callref *cr)
{
	const json_t *m = cr->m, *v, *faults;
	double dur = rp_get_num(m, "duration_ms", 0), fr = rp_get_num(m, "first_reply_ms", -1);
	struct rp_chart c = {.w = 860, .h = 150, .y0 = 0, .y1 = 1, .no_yticks = 1};
	char tip[160], *title = NULL;
	size_t i;
	int nfaults = 0;

	c.x1 = dur > 0 ? dur / 1000 : 1;
	json_array_foreach(json_object_get(m, "agent_speech_ms"), i, v) {
		double off = json_is_number(json_array_get(v, 1)) ? json_number_value(json_array_get(v, 1)) : dur;
		if (off / 1000 > c.x1)
			c.x1 = off / 1000;
	}
	if (asprintf(&title, "%s call %zu (%s): slowest reply %.0f ms", rp_get_str(cr->plugin, "name"), cr->index + 1,
		     rp_get_str(m, "script") ? rp_get_str(m, "script") : "?", cr->score) < 0)
		return;
	fputs("<h3>", f);
	rp_esc(f, title);
	fputs("</h3>\n", f);
	rp_chart_begin(&c, f, title, "seconds from the media stream start", "");
	free(title);
	json_array_foreach(json_object_get(m, "agent_speech_ms"), i, v) {
		double on = json_number_value(json_array_get(v, 0));
		const json_t *offj = json_array_get(v, 1);
		double off = json_is_number(offj) ? json_number_value(offj) : dur;
		snprintf(tip, sizeof tip, "agent speech %.0f..%.0f ms%s", on, off, json_is_number(offj) ? "" : " (open at the end)");
		bar(&c, ROW_AGENT, on, off, "#1f5fbf", tip);
	}
	json_array_foreach(json_object_get(m, "turns"), i, v) {
		double ref = rp_get_num(v, "ref_ms", -1), lat = rp_get_num(v, "latency_ms", -1);
		if (ref < 0)
			continue;
		if (lat >= 0) {
			snprintf(tip, sizeof tip, "step %d: reply after %.0f ms", (int)rp_get_num(v, "step", 0), lat);
			bar(&c, ROW_CALLER, ref, ref + lat, "#f0b000", tip);
		} else {
			snprintf(tip, sizeof tip, "step %d: no reply", (int)rp_get_num(v, "step", 0));
			bar(&c, ROW_CALLER, ref, dur, "#e3b5bb", tip);
		}
		snprintf(tip, sizeof tip, "step %d: caller stopped at %.0f ms", (int)rp_get_num(v, "step", 0), ref);
		mark(&c, ROW_CALLER, ref, "#444", tip);
	}
	if (fr >= 0) {
		snprintf(tip, sizeof tip, "first reply at %.0f ms", fr);
		mark(&c, ROW_AGENT, fr, "#0a8a3a", tip);
	}
	json_array_foreach(json_object_get(m, "gaps"), i, v) {
		double at = rp_get_num(v, "at_ms", 0), d = rp_get_num(v, "duration_ms", 0);
		snprintf(tip, sizeof tip, "gap of %.0f ms at %.0f ms", d, at);
		bar(&c, ROW_GAPS, at, at + d, "#b00020", tip);
	}
	json_array_foreach(json_object_get(m, "false_triggers"), i, v) {
		snprintf(tip, sizeof tip, "false trigger at %.0f ms", rp_get_num(v, "at_ms", 0));
		mark(&c, ROW_GAPS, rp_get_num(v, "at_ms", 0), "#8a6100", tip);
	}
	json_array_foreach(json_object_get(m, "barge_ins"), i, v) {
		double at = rp_get_num(v, "at_ms", -1), stop = rp_get_num(v, "agent_stop_ms", -1);
		if (at < 0)
			continue;
		snprintf(tip, sizeof tip, "barge-in at %.0f ms; agent stopped %s", at, stop >= 0 ? "" : "(never)");
		if (stop >= 0)
			bar(&c, ROW_BARGE, at, stop, "#9b3fbf", tip);
		mark(&c, ROW_BARGE, at, "#9b3fbf", tip);
	}
	/* faults: a "faults" array of {at_ms, …} on the call or its media */
	faults = json_object_get(cr->rec, "faults");
	if (!faults)
		faults = json_object_get(m, "faults");
	json_array_foreach(faults, i, v) {
		double at = rp_get_num(v, "at_ms", -1);
		if (at < 0)
			continue;
		snprintf(tip, sizeof tip, "fault at %.0f ms", at);
		mark(&c, ROW_FAULTS, at, "#b00020", tip);
		nfaults++;
	}
	for (int r = 0; r < NROWS; r++) {
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", RP_ML - 4, row_y(&c, r) + 12,
			row_names[r]);
	}
	rp_chart_end(&c);
	fputs("<p>", f);
	fprintf(f, "%zu agent speech segment(s), %zu turn(s), %zu gap(s), %zu barge-in(s); ",
		json_array_size(json_object_get(m, "agent_speech_ms")), json_array_size(json_object_get(m, "turns")),
		json_array_size(json_object_get(m, "gaps")), json_array_size(json_object_get(m, "barge_ins")));
	fputs(nfaults ? "" : "no per-call fault record; ", f);
	fputs("hung up by ", f);
	rp_esc(f, rp_get_str(m, "hangup_by"));
	if (rp_get_str(m, "error")) {
		fputs("; error: ", f);
		rp_esc(f, rp_get_str(m, "error"));
	}
	fputs(".</p>\n", f);
}

void rp_section_calls(struct rp *r)
{
	FILE *f = r->f;
	const json_t *p, *e;
	struct callref *cr = NULL;
	size_t i, j, n = 0, total = 0;

	fputs("<section id=\"calls\"><h2>Per-call timelines (slowest calls)</h2>\n<p>Rows: caller = the end of each "
	      "utterance (a triangle; its start is not recorded) and the wait for the reply (yellow, pink when none "
	      "came); agent = its speech (blue) and the first reply (green); gaps in the agent's speech (red) and false "
	      "triggers; barge-ins and how long the agent kept talking; faults injected into the call, when the phase "
	      "records them. Hover a mark for its times.</p>\n",
	      f);
	json_array_foreach(r->plugins, i, p) {
		size_t first = n;
		json_array_foreach(json_object_get(json_object_get(p, "data"), "calls"), j, e) {
			const json_t *m = media_of(e);
			if (!m)
				continue;
			cr = realloc(cr, (n + 1) * sizeof(*cr));
			if (!cr)
				return;
			cr[n] = (struct callref){.plugin = p, .index = j, .rec = e, .m = m, .score = slowest(m)};
			n++;
		}
		total += n - first;
		if (n == first)
			continue;
		qsort(cr + first, n - first, sizeof(*cr), by_score);
		fputs("<p>", f);
		rp_esc(f, rp_get_str(p, "name"));
		fprintf(f, ": %zu call(s) with a media result; the %zu slowest by their slowest reply:</p>\n", n - first,
			n - first < RP_SLOWEST ? n - first : (size_t)RP_SLOWEST);
		for (j = first; j < n && j < first + RP_SLOWEST; j++)
			timeline(f, &cr[j]);
	}
	if (!total)
		rp_absent(f, "no per-call media results in this run (phases that place calls attach data.calls)");
	free(cr);
	fputs("</section>\n", f);
}

static void waterfall_table(FILE *f, const json_t *w)
{
	json_t *row, *v;
	const char *k;
	size_t i;

	fputs("<table>\n", f);
	json_array_foreach(w, i, row) {
		fputs("<tr>", f);
		if (json_is_object(row)) {
			json_object_foreach(row, k, v) {
				fputs("<td><b>", f);
				rp_esc(f, k);
				fputs("</b> ", f);
				rp_esc_json(f, v);
				fputs("</td>", f);
			}
		} else {
			fputs("<td>", f);
			rp_esc_json(f, row);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

void rp_section_waterfalls(struct rp *r)
{
	FILE *f = r->f;
	const json_t *p, *e, *w;
	size_t i, j, n = 0;

	fputs("<section id=\"waterfalls\"><h2>Per-turn waterfalls</h2>\n", f);
	json_array_foreach(r->plugins, i, p) {
		json_array_foreach(json_object_get(json_object_get(p, "data"), "calls"), j, e) {
			const json_t *m = media_of(e);
			w = json_object_get(e, "waterfall");
			if (!w && m)
				w = json_object_get(m, "waterfall");
			if (!json_is_array(w) || n >= RP_SLOWEST * 4)
				continue;
			fputs("<h3>", f);
			rp_esc(f, rp_get_str(p, "name"));
			fprintf(f, " call %zu</h3>\n", j + 1);
			waterfall_table(f, w);
			n++;
		}
	}
	if (!n)
		rp_absent(f, "no per-turn waterfall in this run (no call carries a \"waterfall\")");
	fputs("</section>\n", f);
}
