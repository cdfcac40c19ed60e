/* vstress --explain (core/explain.h): reads the per-turn "waterfall" rows
 * that pipeline and load attach to their calls. */
#include "explain.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/waterfall/waterfall.h"

static const char *or_q(const char *s)
{
	return s ? s : "?";
}

struct xrow {
	const char *plugin;
	size_t call;
	const json_t *row;
	double total;
};

static int by_total_desc(const void *a, const void *b)
{
	const struct xrow *x = a, *y = b;
	return x->total < y->total ? 1 : x->total > y->total ? -1 : 0;
}

/* A cell: the value in ms, "?" unknown. */
static void cell(FILE *f, const json_t *v, int width)
{
	if (json_is_number(v)) {
		double x = round(json_number_value(v));
		fprintf(f, " %*.0f", width, x == 0 ? 0.0 : x); /* no "-0" */
	}
	else
		fprintf(f, " %*s", width, "?");
}

/* Short column heads, in stage order. */
static const char *const heads[VS_WF_NSTAGES] = {"c>stt", "stt_ep", "t>llm", "llm_1st", "llm_str",
						 "llm>tts", "tts_1st", "a>caller"};

static void table(FILE *f, struct xrow *rows, size_t n, int top)
{
	char key[64];

	fprintf(f, "%-10s %4s %4s %7s", "phase", "call", "turn", "total");
	for (int s = 0; s < VS_WF_NSTAGES; s++)
		fprintf(f, " %8s", heads[s]);
	fprintf(f, " %7s\n", "residue");
	fprintf(f, "%-10s %4s %4s %7s", "", "", "", "");
	for (int s = 0; s < VS_WF_NSTAGES; s++)
		fprintf(f, " %8s", vs_wf_stages[s].owner);
	fprintf(f, "\n");
	for (size_t i = 0; i < n && (int)i < top; i++) {
		const json_t *r = rows[i].row;
		fprintf(f, "%-10.10s %4zu %4lld", rows[i].plugin, rows[i].call,
			(long long)json_integer_value(json_object_get(r, "turn")));
		cell(f, json_object_get(r, "total_ms"), 7);
		for (int s = 0; s < VS_WF_NSTAGES; s++) {
			snprintf(key, sizeof(key), "%s_ms", vs_wf_stages[s].name);
			cell(f, json_object_get(r, key), 8);
		}
		cell(f, json_object_get(r, "residue_ms"), 7);
		if (!json_is_true(json_object_get(r, "attributed")))
			fprintf(f, "  unattributed: %s", or_q(json_string_value(json_object_get(r, "why"))));
		fputc('\n', f);
	}
}

static void percentiles(FILE *f, const char *plugin, const json_t *ws)
{
	const json_t *st = json_object_get(ws, "stages");

	fprintf(f, "%s: %lld caller turns, %lld attributed, %lld unattributed", plugin,
		(long long)json_integer_value(json_object_get(ws, "turns")),
		(long long)json_integer_value(json_object_get(ws, "attributed")),
		(long long)json_integer_value(json_object_get(ws, "unattributed")));
	if (json_string_value(json_object_get(ws, "note")))
		fprintf(f, " (%s)", json_string_value(json_object_get(ws, "note")));
	fprintf(f, "\n  %-18s %-8s %8s %8s %8s\n", "stage", "owner", "p50", "p95", "p99");
	for (int s = 0; s < VS_WF_NSTAGES; s++) {
		const json_t *o = json_object_get(st, vs_wf_stages[s].name);
		fprintf(f, "  %-18s %-8s", vs_wf_stages[s].name, vs_wf_stages[s].owner);
		cell(f, json_object_get(o, "p50_ms"), 8);
		cell(f, json_object_get(o, "p95_ms"), 8);
		cell(f, json_object_get(o, "p99_ms"), 8);
		fputc('\n', f);
	}
	fprintf(f, "  %-18s %-8s", "total (caller)", "");
	cell(f, json_object_get(json_object_get(ws, "total"), "p50_ms"), 8);
	cell(f, json_object_get(json_object_get(ws, "total"), "p95_ms"), 8);
	cell(f, json_object_get(json_object_get(ws, "total"), "p99_ms"), 8);
	fprintf(f, "\n  %-18s %-8s", "residue", "");
	cell(f, json_object_get(json_object_get(ws, "residue"), "p50_ms"), 8);
	cell(f, json_object_get(json_object_get(ws, "residue"), "p95_ms"), 8);
	cell(f, json_object_get(json_object_get(ws, "residue"), "p99_ms"), 8);
	fputc('\n', f);
	const json_t *g = json_object_get(ws, "grows_most");
	if (g)
		fprintf(f, "  grows most with load: %s (+%.0f ms at p50, %lld -> %lld calls in flight)\n",
			or_q(json_string_value(json_object_get(g, "stage"))),
			json_number_value(json_object_get(g, "p50_delta_ms")),
			(long long)json_integer_value(json_object_get(g, "from_concurrency")),
			(long long)json_integer_value(json_object_get(g, "to_concurrency")));
}

int vs_explain(FILE *f, const char *dir, int top, char *err, size_t errlen)
{
	char path[4096];
	json_error_t je;
	json_t *s, *p, *c, *w, *r;
	struct xrow *rows = NULL;
	size_t n = 0, i, j, k;
	int phases = 0;

	snprintf(path, sizeof(path), "%s/test_summary.json", dir);
	if (!(s = json_load_file(path, 0, &je))) {
		if (je.line > 0)
			snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		else
			snprintf(err, errlen, "%s", je.text);
		return -1;
	}
	if (!json_is_array(json_object_get(s, "plugins"))) {
		snprintf(err, errlen, "%s: not a vstress summary (no \"plugins\" array)", path);
		json_decref(s);
		return -1;
	}
	json_array_foreach(json_object_get(s, "plugins"), i, p) {
		const json_t *ws = json_object_get(json_object_get(json_object_get(p, "data"), "summary"), "waterfall");
		const char *name = or_q(json_string_value(json_object_get(p, "name")));
		if (!ws)
			continue;
		phases++;
		percentiles(f, name, ws);
		json_array_foreach(json_object_get(json_object_get(p, "data"), "calls"), j, c) {
			w = json_object_get(c, "waterfall");
			json_array_foreach(w, k, r) {
				struct xrow *nr = realloc(rows, (n + 1) * sizeof(*rows));
				if (!nr)
					break;
				rows = nr;
				rows[n++] = (struct xrow){.plugin = name, .call = j + 1, .row = r,
							  .total = json_number_value(json_object_get(r, "total_ms"))};
			}
		}
	}
	if (!phases) {
		fprintf(f, "%s: no phase recorded per-turn waterfalls (pipeline and load do, when their calls ran)\n", dir);
	} else {
		qsort(rows, n, sizeof(*rows), by_total_desc);
		fprintf(f, "\nthe %d slowest caller turns (ms; ? = not observable or not attributed):\n", top);
		table(f, rows, n, top);
		fprintf(f, "stages: ");
		for (int st = 0; st < VS_WF_NSTAGES; st++)
			fprintf(f, "%s%s = %s", st ? ", " : "", heads[st], vs_wf_stages[st].name);
		fprintf(f, "\n");
	}
	free(rows);
	json_decref(s);
	return 0;
}
