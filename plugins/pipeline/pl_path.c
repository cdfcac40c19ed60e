/* pipeline plugin: what both audio-path checks share (pl_path.h). */
#include <stdio.h>
#include <stdlib.h>

#include "pipeline.h"
#include "pl_path.h"

void pl_pathstats_add(struct pl_pathstats *st, double fraction, double removed_pct, double dropout_ms,
		      const json_t *delay)
{
	if (fraction < st->min_fraction)
		st->min_fraction = fraction;
	if (removed_pct > st->worst_removed_pct)
		st->worst_removed_pct = removed_pct;
	if (dropout_ms > st->worst_dropout_ms)
		st->worst_dropout_ms = dropout_ms;
	if (json_is_number(delay)) {
		double *nd = realloc(st->delays, (st->ndelays + 1) * sizeof *nd);
		if (nd) {
			st->delays = nd;
			st->delays[st->ndelays++] = json_number_value(delay);
		}
	}
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void pl_pathstats_delay(struct pl_pathstats *st, char *buf, size_t len)
{
	if (!st->ndelays)
		return;
	qsort(st->delays, st->ndelays, sizeof *st->delays, cmp_d);
	snprintf(buf, len, "delay added p50 %.0f ms, max %.0f ms", pl_pct(st->delays, st->ndelays, 50),
		 st->delays[st->ndelays - 1]);
}

void pl_pathstats_free(struct pl_pathstats *st)
{
	free(st->delays);
	st->delays = NULL;
	st->ndelays = 0;
}

int pl_path_calls(struct pl *p, json_t *calls_json, pl_path_fn fn, const char *key,
		  void (*judge)(struct pl *p, size_t call, const json_t *j, void *arg), void *arg, char *why,
		  size_t whylen)
{
	int skipped = 0;
	for (size_t i = 0; i < p->ncalls; i++) {
		const struct pl_call *pc = &p->calls[i];
		if (!pc->ran || pc->failed || !pc->r.media_started || !pc->r.media.t0_ns)
			continue;
		json_t *j = NULL;
		char err[300] = "";
		if (fn(p->t.control_url, pc->script, &pc->r.media, (int64_t)pc->r.media.t0_ns, &j, err, sizeof err)) {
			snprintf(why, whylen, "call %zu: %s", i + 1, err);
			skipped++;
			continue;
		}
		if (json_object_get(j, "skipped")) {
			snprintf(why, whylen, "%s", json_string_value(json_object_get(j, "skipped")));
			skipped++;
			json_decref(j);
			continue;
		}
		judge(p, i + 1, j, arg);
		json_t *cj = json_array_get(calls_json, i);
		if (cj)
			json_object_set_new(cj, key, j);
		else
			json_decref(j);
	}
	return skipped;
}
