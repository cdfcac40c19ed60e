/* load plugin: per-turn waterfalls on each call, their percentiles in the
 * summary, and by concurrency (how many calls were in flight when the
 * caller stopped speaking), naming the stage that grows most with load
 * (docs/waterfall.md). */
#include "load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vstress/callphase/wfcalls.h>
#include <vstress/waterfall/waterfall.h>

/* Calls in flight at ms from the batch start. */
static int in_flight(const struct ld *p, double ms)
{
	int n = 0;
	for (size_t i = 0; i < (size_t)p->ncalls; i++)
		n += p->calls[i].ran && p->calls[i].started_ms <= ms && ms < p->calls[i].ended_ms;
	return n;
}

/* The stage whose p50 grew most from the lowest to the highest level. */
static void grows_most(json_t *by, json_t *ws)
{
	const char *k, *lo = NULL, *hi = NULL;
	json_t *v;
	const char *best = NULL;
	double bd = 0;

	json_object_foreach(by, k, v) {
		if (!json_integer_value(json_object_get(v, "attributed")))
			continue;
		if (!lo || atoi(k) < atoi(lo))
			lo = k;
		if (!hi || atoi(k) > atoi(hi))
			hi = k;
	}
	if (!lo || !hi || !strcmp(lo, hi))
		return;
	for (int s = 0; s < VS_WF_NSTAGES; s++) {
		const char *n = vs_wf_stages[s].name;
		json_t *a = json_object_get(json_object_get(json_object_get(json_object_get(by, lo), "stages"), n), "p50_ms");
		json_t *b = json_object_get(json_object_get(json_object_get(json_object_get(by, hi), "stages"), n), "p50_ms");
		if (json_is_number(a) && json_is_number(b) && (!best || json_number_value(b) - json_number_value(a) > bd)) {
			best = n;
			bd = json_number_value(b) - json_number_value(a);
		}
	}
	if (best)
		json_object_set_new(ws, "grows_most", json_pack("{s:s,s:f,s:i,s:i}", "stage", best, "p50_delta_ms", bd,
								"from_concurrency", atoi(lo), "to_concurrency", atoi(hi)));
}

void ld_waterfall(struct ld *p, json_t *calls, json_t *sum)
{
	size_t n = (size_t)p->ncalls;
	struct vs_wfc_call *wc = calloc(n + 1, sizeof(*wc));
	json_t **rows = calloc(n + 1, sizeof(*rows)), *all = json_array(), *levels = json_object(), *by = json_object();
	json_t *ws, *r, *lv;
	const char *k;
	char note[400], key[16];
	size_t j;

	if (!wc || !rows || !all || !levels || !by || !calls || !sum)
		goto out;
	for (size_t i = 0; i < n; i++)
		wc[i] = (struct vs_wfc_call){.r = p->calls[i].ran ? &p->calls[i].r : NULL, .script = p->calls[i].script};
	if (vs_wfc_compute(p->t.control_url, wc, n, rows, note, sizeof(note)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct vs_call_result *m = &p->calls[i].r.media;
		if (!rows[i])
			continue;
		json_array_foreach(rows[i], j, r) {
			long t = (long)json_integer_value(json_object_get(r, "turn")) - 1;
			if (t < 0 || (size_t)t >= m->nturns)
				continue;
			double at = (double)(int64_t)(m->t0_ns - p->t_start_ns) / 1e6 + m->turns[t].ref_ms;
			int cc = in_flight(p, at);
			json_object_set_new(r, "concurrency", json_integer(cc));
			snprintf(key, sizeof(key), "%d", cc);
			if (!(lv = json_object_get(levels, key))) {
				lv = json_array();
				json_object_set_new(levels, key, lv);
			}
			json_array_append(lv, r);
		}
		json_array_append(all, rows[i]);
		json_object_set_new(json_array_get(calls, i), "waterfall", rows[i]);
	}
	ws = vs_wf_summary(all);
	json_object_foreach(levels, k, lv) json_object_set_new(by, k, vs_wf_summary(lv));
	grows_most(by, ws);
	json_object_set_new(ws, "by_concurrency", by);
	by = NULL;
	vs_wfc_publish(p->h, p->c, sum, ws, note);
out:
	json_decref(all);
	json_decref(levels);
	json_decref(by);
	free(rows);
	free(wc);
}
