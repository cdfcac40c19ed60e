/* The report's cost section: every object carrying "cost_usd" in a phase's
 * data (per provider: the LLM, TTS and STT probes' summaries), and the
 * per-call rows of the JSON artifacts the phases listed (llm_results*.json:
 * one row per request with its cost). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report_int.h"

#define RP_MAX_ARTIFACT (32u << 20) /* larger JSON artifacts are not read */

static void cost_rows(FILE *f, const json_t *p, const char *path, json_t *v, int depth, size_t *n)
{
	const char *k, *prov;
	json_t *x;
	char sub[256];

	if (!json_is_object(v) || depth > 3)
		return;
	if (json_is_number(json_object_get(v, "cost_usd"))) {
		fputs("<tr><td>", f);
		rp_esc(f, rp_get_str(p, "name"));
		fputs("</td><td>", f);
		rp_esc(f, path);
		fputs("</td><td>", f);
		prov = rp_get_str(v, "provider");
		rp_esc(f, prov ? prov : rp_get_str(p, "name"));
		if (rp_get_str(v, "model")) {
			fputs(" / ", f);
			rp_esc(f, rp_get_str(v, "model"));
		}
		fputs("</td><td>", f);
		if (json_is_number(json_object_get(v, "tokens_in"))) {
			rp_num(f, rp_get_num(v, "tokens_in", 0));
			fputs(" in, ", f);
			rp_num(f, rp_get_num(v, "tokens_out", 0));
			fputs(" out tokens", f);
		} else if (json_is_number(json_object_get(v, "characters"))) {
			rp_num(f, rp_get_num(v, "characters", 0));
			fputs(" characters", f);
		} else if (json_is_number(json_object_get(v, "audio_seconds"))) {
			rp_num(f, rp_get_num(v, "audio_seconds", 0));
			fputs(" s audio", f);
		}
		fprintf(f, "</td><td>$%.6f</td></tr>\n", rp_get_num(v, "cost_usd", 0));
		(*n)++;
		return;
	}
	json_object_foreach(v, k, x) {
		snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", k);
		cost_rows(f, p, sub, x, depth + 1, n);
	}
}

/* An artifact's array of rows with cost_usd (the document itself, or any
 * array member of it): count, total, the most expensive row. */
static void artifact_costs(FILE *f, struct rp *r, const json_t *p, const char *name, size_t *n)
{
	char *path;
	struct stat st;
	json_t *doc = NULL, *arr, *row;
	const char *k;
	json_error_t jerr;
	size_t i;

	if (strlen(name) < 5 || strcmp(name + strlen(name) - 5, ".json") || strchr(name, '/'))
		return;
	if (asprintf(&path, "%s/%s", r->dir, name) < 0)
		return;
	if (stat(path, &st) || st.st_size > RP_MAX_ARTIFACT || !(doc = json_load_file(path, 0, &jerr))) {
		free(path);
		return;
	}
	free(path);
	arr = json_is_array(doc) ? doc : NULL;
	if (!arr)
		json_object_foreach(doc, k, row)
			if (json_is_array(row) && json_is_number(json_object_get(json_array_get(row, 0), "cost_usd")))
				arr = row;
	if (json_is_array(arr)) {
		double total = 0, max = 0;
		size_t cnt = 0;
		json_array_foreach(arr, i, row) {
			double c = rp_get_num(row, "cost_usd", NAN);
			if (isnan(c))
				continue;
			cnt++;
			total += c;
			if (c > max)
				max = c;
		}
		if (cnt) {
			fputs("<tr><td>", f);
			rp_esc(f, rp_get_str(p, "name"));
			fputs("</td><td>", f);
			rp_esc(f, name);
			fprintf(f, "</td><td>%zu</td><td>$%.6f</td><td>$%.6f</td><td>$%.6f</td></tr>\n", cnt, total,
				total / (double)cnt, max);
			(*n)++;
		}
	}
	json_decref(doc);
}

void rp_section_cost(struct rp *r)
{
	FILE *f = r->f;
	const json_t *p, *a;
	size_t i, j, n = 0, na = 0;

	fputs("<section id=\"cost\"><h2>Cost</h2>\n<h3>Per provider</h3>\n<table><tr><th>phase</th><th>where</th>"
	      "<th>provider / model</th><th>usage</th><th>cost</th></tr>\n",
	      f);
	json_array_foreach(r->plugins, i, p)
		cost_rows(f, p, "data", json_object_get(p, "data"), 0, &n);
	fputs("</table>\n", f);
	if (!n)
		rp_absent(f, "no cost figures in this run (no phase's data carries cost_usd)");
	fputs("<h3>Per call (request)</h3>\n<table><tr><th>phase</th><th>artifact</th><th>requests</th><th>total</th>"
	      "<th>mean per request</th><th>most expensive</th></tr>\n",
	      f);
	json_array_foreach(r->plugins, i, p)
		json_array_foreach(json_object_get(p, "artifacts"), j, a)
			if (json_is_string(a))
				artifact_costs(f, r, p, json_string_value(a), &na);
	fputs("</table>\n", f);
	if (!na)
		rp_absent(f, "no per-request costs in this run (no JSON artifact with rows carrying cost_usd)");
	fputs("</section>\n", f);
}
