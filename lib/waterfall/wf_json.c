/* Waterfall rows and their per-stage percentiles as JSON. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/waterfall/waterfall.h"

static json_t *ms_or_null(int64_t a, int64_t b)
{
	if (a < 0 || b < 0)
		return json_null();
	return json_real(round((double)(b - a) / 1e4) / 100.0); /* 0.01 ms */
}

json_t *vs_wf_row(const struct vs_wf_turn *t, int turn_no)
{
	json_t *r = json_object();
	char key[64];
	double known = 0, total;

	if (!r)
		return NULL;
	total = (double)(t->heard_ns - t->speech_end_ns) / 1e6;
	json_object_set_new(r, "turn", json_integer(turn_no));
	json_object_set_new(r, "attributed", json_boolean(t->attributed));
	json_object_set_new(r, "total_ms", t->heard_ns >= 0 ? json_real(round(total * 100) / 100) : json_null());
	for (int i = 0; i < VS_WF_NSTAGES; i++) {
		json_t *v = ms_or_null(t->t[i], t->t[i + 1]);
		if (json_is_real(v))
			known += json_real_value(v);
		snprintf(key, sizeof(key), "%s_ms", vs_wf_stages[i].name);
		json_object_set_new(r, key, v);
	}
	/* the endpointing delay: the caller's speech end -> the agent's LLM
	 * request (its STT, its turn detection and aggregation; issue 13) */
	json_object_set_new(r, "endpointing_ms", ms_or_null(t->t[VS_WF_SPEECH_END], t->t[VS_WF_LLM_REQUEST]));
	double res = round((total - known) * 100) / 100;
	json_object_set_new(r, "residue_ms", t->heard_ns >= 0 ? json_real(res == 0 ? 0.0 : res) : json_null());
	if (!t->attributed)
		json_object_set_new(r, "why", json_string(t->why));
	return r;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
	size_t k = (size_t)ceil(p / 100.0 * (double)n);
	return v[k ? k - 1 : 0];
}

static void add_row(const json_t *row, json_t *flat)
{
	if (json_is_object(row) && json_object_get(row, "turn"))
		json_array_append_new(flat, json_deep_copy(row));
}

/* Percentiles of key over the rows: {"n","p50_ms","p95_ms","p99_ms"} (n 0: nulls). */
static json_t *stat_of(const json_t *rows, const char *key, int absolute)
{
	size_t n = 0, i;
	double *v = malloc((json_array_size(rows) + 1) * sizeof(*v));
	const json_t *r;

	if (!v)
		return json_null();
	json_array_foreach(rows, i, r) {
		const json_t *x = json_object_get(r, key);
		if (json_is_number(x))
			v[n++] = absolute ? fabs(json_number_value(x)) : json_number_value(x);
	}
	qsort(v, n, sizeof(*v), cmp_d);
	json_t *o = json_pack("{s:I}", "n", (json_int_t)n);
	json_object_set_new(o, "p50_ms", n ? json_real(pct(v, n, 50)) : json_null());
	json_object_set_new(o, "p95_ms", n ? json_real(pct(v, n, 95)) : json_null());
	json_object_set_new(o, "p99_ms", n ? json_real(pct(v, n, 99)) : json_null());
	free(v);
	return o;
}

json_t *vs_wf_summary(const json_t *rows)
{
	json_t *flat = json_array(), *st = json_object(), *out;
	const json_t *r, *x;
	size_t i, j, att = 0;
	char key[64];

	json_array_foreach(rows, i, r) {
		if (json_is_array(r))
			json_array_foreach(r, j, x) add_row(x, flat);
		else
			add_row(r, flat);
	}
	json_array_foreach(flat, i, r) att += json_is_true(json_object_get(r, "attributed"));
	for (int k = 0; k < VS_WF_NSTAGES; k++) {
		json_t *s;
		snprintf(key, sizeof(key), "%s_ms", vs_wf_stages[k].name);
		s = stat_of(flat, key, 0);
		json_object_set_new(s, "owner", json_string(vs_wf_stages[k].owner));
		json_object_set_new(st, vs_wf_stages[k].name, s);
	}
	out = json_pack("{s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o}", "turns", (json_int_t)json_array_size(flat), "attributed",
			(json_int_t)att, "unattributed", (json_int_t)(json_array_size(flat) - att), "stages", st, "total",
			stat_of(flat, "total_ms", 0), "residue", stat_of(flat, "residue_ms", 0), "abs_residue",
			stat_of(flat, "residue_ms", 1), "endpointing", stat_of(flat, "endpointing_ms", 0));
	json_decref(flat);
	return out;
}

json_t *vs_wf_rows_of_calls(const json_t *calls)
{
	json_t *out = json_array();
	const json_t *c, *w;
	size_t i;

	json_array_foreach(calls, i, c) {
		w = json_object_get(c, "waterfall");
		if (json_is_array(w))
			json_array_append_new(out, json_deep_copy(w));
	}
	return out;
}
