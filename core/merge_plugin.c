/* vstress merge: one plugin's entries from the shards merged into one
 * (docs/scale-out.md): counters add, histograms merge from their encoded
 * form, checks with a source are re-evaluated on the merged figures, the
 * others take the worst shard's status and say so; artifacts and logs are
 * concatenated. */
#include "merge_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "hist.h"
#include "shard.h"
#include "vstress/waterfall/waterfall.h"

static const char *const statuses[] = {"passed",  "failed",    "skipped", "config_error", "error",
				       "timed_out", "crashed", "no_result", "interrupted", NULL};

const char *vs_merge_status(const char *s)
{
	for (size_t i = 0; s && statuses[i]; i++)
		if (!strcmp(s, statuses[i]))
			return statuses[i];
	return NULL;
}

int vs_merge_participates(const json_t *e)
{
	const char *st = json_string_value(json_object_get(e, "status"));
	const char *r = json_string_value(json_object_get(e, "reason"));

	return e && !(st && r && !strcmp(st, "skipped") && !strcmp(r, VS_SHARD_SKIP_REASON));
}

struct mmetric {
	const char *name, *unit;
	struct vs_hist *h;
};

struct mstate {
	const struct vs_mplugin *mp;
	size_t np;           /* participants */
	size_t *pi;          /* their shard positions */
	struct mmetric *m;
	size_t nm;
	json_t *counters;    /* merged */
	char *err;
	size_t errlen;
};

static int fail_at(struct mstate *s, size_t k, const char *field, const char *what)
{
	snprintf(s->err, s->errlen, "%s: plugin '%s': %s %s", s->mp->shards[k].file, s->mp->name, field, what);
	return -1;
}

static int merge_counters(struct mstate *s)
{
	for (size_t p = 0; p < s->np; p++) {
		json_t *k = json_object_get(s->mp->e[s->pi[p]], "counters"), *v, *have;
		const char *name;

		json_object_foreach(k, name, v) {
			json_int_t sum;

			char field[300];

			snprintf(field, sizeof(field), "counters.%s", name);
			if (!json_is_integer(v))
				return fail_at(s, s->pi[p], field, "is not an integer");
			have = json_object_get(s->counters, name);
			if (__builtin_add_overflow(have ? json_integer_value(have) : 0, json_integer_value(v), &sum))
				return fail_at(s, s->pi[p], field, "overflows when added");
			json_object_set_new(s->counters, name, json_integer(sum));
		}
	}
	return 0;
}

static struct mmetric *find_metric(struct mstate *s, const char *name)
{
	for (size_t i = 0; i < s->nm; i++)
		if (!strcmp(s->m[i].name, name))
			return &s->m[i];
	return NULL;
}

static int merge_metrics(struct mstate *s)
{
	for (size_t p = 0; p < s->np; p++) {
		size_t k = s->pi[p];
		json_t *ms = json_object_get(s->mp->e[k], "metrics"), *v;
		const char *name;

		json_object_foreach(ms, name, v) {
			const char *enc = json_string_value(json_object_get(v, "hist"));
			const char *unit = json_string_value(json_object_get(v, "unit"));
			struct vs_hist *h = NULL;
			struct mmetric *m;
			char field[300];

			snprintf(field, sizeof(field), "metrics.%s.hist", name);
			if (!enc || !unit || vs_hist_decode(enc, &h))
				return fail_at(s, k, field, "is missing or not a valid encoded histogram (VSH1:...)");
			if ((m = find_metric(s, name))) {
				if (strcmp(m->unit, unit)) {
					vs_hist_free(h);
					snprintf(field, sizeof(field), "metrics.%s.unit", name);
					return fail_at(s, k, field, "differs between the shards");
				}
				if (vs_hist_merge(m->h, h)) {
					vs_hist_free(h);
					return fail_at(s, k, field, "cannot be merged (count overflow)");
				}
				vs_hist_free(h);
				continue;
			}
			s->m = vs_xrealloc(s->m, (s->nm + 1) * sizeof(*s->m));
			s->m[s->nm++] = (struct mmetric){.name = name, .unit = unit, .h = h};
		}
	}
	return 0;
}

static int check_rank(const char *st)
{
	return !st ? 3 : !strcmp(st, "pass") ? 0 : !strcmp(st, "skip") ? 1 : 2;
}

static const char *rank_name(int r)
{
	return r == 0 ? "pass" : r == 1 ? "skip" : "fail";
}

/* The check named `name` of participant p, or NULL. */
static json_t *check_of(struct mstate *s, size_t p, const char *name)
{
	json_t *cs = json_object_get(s->mp->e[s->pi[p]], "checks"), *c;
	size_t i;

	json_array_foreach(cs, i, c)
		if (json_is_string(json_object_get(c, "name")) && !strcmp(json_string_value(json_object_get(c, "name")), name))
			return c;
	return NULL;
}

/* Recompute a check from its source on the merged figures; NULL when the
 * source is not one this merge knows. */
static json_t *reevaluate(struct mstate *s, const char *name, json_t *src, const char *op, double thr,
			  const char *unit)
{
	const char *metric = json_string_value(json_object_get(src, "metric"));
	const char *num = json_string_value(json_object_get(src, "numerator"));
	const char *den = json_string_value(json_object_get(src, "denominator"));
	char *msg, tail[80];
	const char *st;
	double v = 0;
	int ok = 0;
	json_t *c;

	snprintf(tail, sizeof(tail), " (re-evaluated on the merged figures of %zu shards)", s->np);
	if (vs_check_compare(0, op, 0, &ok))
		return NULL;
	if (metric && json_is_number(json_object_get(src, "percentile"))) {
		double p = json_number_value(json_object_get(src, "percentile"));
		struct mmetric *m = find_metric(s, metric);
		int64_t n = m ? vs_hist_count(m->h) : 0;

		if (!n) {
			msg = vs_xasprintf("no sample of %s in any shard%s", metric, tail);
			st = "skip";
		} else {
			v = (double)vs_hist_percentile(m->h, p);
			vs_check_compare(v, op, thr, &ok);
			msg = vs_xasprintf("p%g of %s (%lld samples) %.0f%s %s %g%s: %s%s", p, metric, (long long)n, v,
					   m->unit, op, thr, m->unit, ok ? "ok" : "not met", tail);
			st = ok ? "pass" : "fail";
			unit = m->unit;
		}
	} else if (num && json_is_number(json_object_get(src, "scale"))) {
		double scale = json_number_value(json_object_get(src, "scale"));
		json_t *a = json_object_get(s->counters, num), *b = den ? json_object_get(s->counters, den) : NULL;
		long long av = a ? (long long)json_integer_value(a) : 0, bv = den ? (b ? (long long)json_integer_value(b) : 0) : 1;

		if (!bv) {
			msg = vs_xasprintf("%s is 0 in every shard%s", den, tail);
			st = "skip";
		} else {
			v = scale * (double)av / (double)bv;
			vs_check_compare(v, op, thr, &ok);
			if (den)
				msg = vs_xasprintf("%g x %s/%s (%lld/%lld) = %g%s %s %g%s: %s%s", scale, num, den, av, bv, v,
						   unit, op, thr, unit, ok ? "ok" : "not met", tail);
			else
				msg = vs_xasprintf("%g x %s (%lld) = %g%s %s %g%s: %s%s", scale, num, av, v, unit, op, thr,
						   unit, ok ? "ok" : "not met", tail);
			st = ok ? "pass" : "fail";
		}
	} else {
		return NULL;
	}
	c = json_pack("{s:s,s:s,s:s,s:s,s:f,s:s,s:O,s:b}", "name", name, "status", st, "message", msg, "op", op,
		      "threshold", thr, "unit", unit, "source", src, "reevaluated", 1);
	if (c && strcmp(st, "skip"))
		json_object_set_new(c, "value", json_real(v));
	free(msg);
	return c;
}

static json_t *merge_check(struct mstate *s, const char *name)
{
	json_t *first = NULL, *src = NULL, *c;
	size_t have = 0, same = 1, p, worst_p = 0;
	int worst = -1;
	char *msg, *list;

	if (s->np == 1) /* one shard took part: its check as it was */
		return json_deep_copy(check_of(s, 0, name));
	list = vs_xstrdup("");
	for (p = 0; p < s->np; p++) {
		json_t *cp = check_of(s, p, name), *sp;
		int r;
		char *t;

		if (!cp) {
			same = 0;
			t = vs_xasprintf("%s%sabsent", list, p ? ", " : "");
			free(list);
			list = t;
			continue;
		}
		have++;
		sp = json_object_get(cp, "source");
		if (!first) {
			first = cp;
			src = sp;
		}
		if (!sp || !src || !json_equal(sp, src) ||
		    !json_equal(json_object_get(cp, "op"), json_object_get(first, "op")) ||
		    !json_equal(json_object_get(cp, "threshold"), json_object_get(first, "threshold")))
			same = 0;
		r = check_rank(json_string_value(json_object_get(cp, "status")));
		if (r > worst) {
			worst = r;
			worst_p = p;
		}
		t = vs_xasprintf("%s%s%s", list, p ? ", " : "", rank_name(r > 2 ? 2 : r));
		free(list);
		list = t;
	}
	if (same && src && have == s->np) {
		const char *op = json_string_value(json_object_get(first, "op"));
		const char *unit = json_string_value(json_object_get(first, "unit"));

		c = reevaluate(s, name, src, op, json_number_value(json_object_get(first, "threshold")), unit ? unit : "");
		if (c) {
			free(list);
			return c;
		}
	}
	if (worst > 2)
		worst = 2;
	{
		json_t *wc = check_of(s, worst_p, name);
		const char *wm = json_string_value(json_object_get(wc, "message"));

		msg = vs_xasprintf("not re-evaluable: worst of %zu shards (%s); shard %d: %s", s->np, list,
				   s->mp->shards[s->pi[worst_p]].index, wm ? wm : "");
	}
	c = json_pack("{s:s,s:s,s:s,s:b}", "name", name, "status", rank_name(worst), "message", msg, "reevaluated", 0);
	free(msg);
	free(list);
	return c;
}

static void merge_checks(struct mstate *s, struct vs_result *res)
{
	json_t *names = json_array();
	size_t i;

	for (size_t p = 0; p < s->np; p++) {
		json_t *cs = json_object_get(s->mp->e[s->pi[p]], "checks"), *c;
		json_array_foreach(cs, i, c) {
			json_t *nm = json_object_get(c, "name"), *x;
			size_t j;
			int dup = 0;

			json_array_foreach(names, j, x)
				dup |= json_equal(x, nm);
			if (!dup && json_is_string(nm))
				json_array_append(names, nm);
		}
	}
	for (i = 0; i < json_array_size(names); i++) {
		json_t *c = merge_check(s, json_string_value(json_array_get(names, i)));
		json_t *orig = NULL;
		size_t p;

		if (!c)
			continue;
		for (p = 0; p < s->np && !orig; p++)
			orig = check_of(s, p, json_string_value(json_array_get(names, i)));
		if (orig && json_is_string(json_object_get(orig, "subject"))) /* a re-evaluated check keeps it */
			json_object_set(c, "subject", json_object_get(orig, "subject"));
		vs_result_count_check(res, c);
		json_array_append_new(res->checks, c);
	}
	json_decref(names);
}

/* ---- files ----------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 65536 > cap) {
			cap = (cap + 65536) * 2;
			buf = vs_xrealloc(buf, cap + 1);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* out_dir/name from the participants' dir/name: JSON documents as one
 * JSON array in shard order; other files concatenated, each after a line
 * naming its shard (one participant: copied as is).  Missing parts are
 * noted in the output. */
int vs_merge_concat(const struct vs_mshard *shards, const size_t *pi, size_t np, const char *name,
		    const char *out_dir)
{
	size_t nl = strlen(name), len, p;
	int is_json = nl > 5 && !strcmp(name + nl - 5, ".json");
	char *path, *buf = NULL, *part;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	json_t *arr = is_json ? json_array() : NULL;
	int rc;

	if (!f)
		return -1;
	for (p = 0; p < np; p++) {
		const struct vs_mshard *sh = &shards[pi[p]];

		path = vs_xasprintf("%s/%s", sh->dir, name);
		part = slurp(path, &len);
		free(path);
		if (arr) {
			json_t *doc = part ? json_loadb(part, len, 0, NULL) : NULL;

			if (!doc && part) { /* not JSON after all: text */
				json_decref(arr);
				arr = NULL;
				free(part);
				fclose(f);
				free(buf);
				buf = NULL;
				f = open_memstream(&buf, &blen);
				if (!f)
					return -1;
				p = (size_t)-1;
				is_json = 0;
				continue;
			}
			json_array_append_new(arr, doc ? doc : json_null());
		} else {
			if (np > 1)
				fprintf(f, "# vstress merge: shard %d (%s)%s\n", sh->index, sh->dir, part ? "" : ": no such file");
			if (part)
				fwrite(part, 1, len, f);
			if (np > 1 && part && len && part[len - 1] != '\n')
				fputc('\n', f);
		}
		free(part);
	}
	fclose(f);
	path = vs_xasprintf("%s/%s", out_dir, name);
	if (arr) {
		char *txt = json_dumps(arr, JSON_INDENT(2));

		rc = txt ? vs_write_atomic(path, txt, strlen(txt)) : -1;
		free(txt);
		json_decref(arr);
	} else {
		rc = vs_write_atomic(path, buf ? buf : "", blen);
	}
	free(path);
	free(buf);
	return rc;
}

static int concat_file(struct mstate *s, const char *name, const char *out_dir)
{
	return vs_merge_concat(s->mp->shards, s->pi, s->np, name, out_dir);
}

/* ---- the plugin --------------------------------------------------------------- */

static void derive_status(struct mstate *s, struct vs_result *res)
{
	size_t p;

	/* a shard's own failure (crash, timeout, error...) stays */
	for (p = 0; p < s->np; p++) {
		json_t *e = s->mp->e[s->pi[p]];
		const char *st = vs_merge_status(json_string_value(json_object_get(e, "status")));
		const char *r = json_string_value(json_object_get(e, "reason"));

		if (strcmp(st, "passed") && strcmp(st, "failed") && strcmp(st, "skipped")) {
			vs_result_set(res, st, "shard %d: %s", s->mp->shards[s->pi[p]].index, r ? r : st);
			return;
		}
	}
	for (p = 0; p < s->np; p++) {
		json_t *e = s->mp->e[s->pi[p]];
		const char *r = json_string_value(json_object_get(e, "reason"));

		if (!strcmp(json_string_value(json_object_get(e, "status")), "skipped")) {
			vs_result_set(res, "skipped", "shard %d: %s", s->mp->shards[s->pi[p]].index, r ? r : "skipped");
			return;
		}
	}
	if (res->nfail) {
		vs_result_set(res, "failed", "%d of %d checks failed on the merged figures", res->nfail,
			      res->nfail + res->npass + res->nskip);
		vs_result_judge_subjects(res);
		return;
	}
	/* failed with no failed check: the plugin said so */
	for (p = 0; p < s->np; p++) {
		json_t *e = s->mp->e[s->pi[p]];
		const char *r = json_string_value(json_object_get(e, "reason"));

		if (!strcmp(json_string_value(json_object_get(e, "status")), "failed") &&
		    json_integer_value(json_object_get(e, "checks_failed")) == 0) {
			vs_result_set(res, "failed", "shard %d: %s", s->mp->shards[s->pi[p]].index, r ? r : "failed");
			return;
		}
	}
	vs_result_set(res, "passed", NULL);
	vs_result_judge_subjects(res);
}

/* The shards' per-turn waterfall rows, summarised together (exact: the
 * percentiles are taken again over every row; docs/waterfall.md). */
static void merge_waterfall(json_t *data, const json_t *shards)
{
	json_t *all = json_array(), *x, *rows, *r;
	size_t i, j;

	json_array_foreach(shards, i, x) {
		rows = vs_wf_rows_of_calls(json_object_get(json_object_get(x, "data"), "calls"));
		json_array_foreach(rows, j, r) json_array_append(all, r);
		json_decref(rows);
	}
	if (json_array_size(all)) {
		json_t *ws = vs_wf_summary(all);
		json_object_set_new(ws, "note", json_string("merged: the shards' rows together"));
		json_object_set_new(data, "waterfall", ws);
	}
	json_decref(all);
}

static void merge_data_artifacts(struct mstate *s, struct vs_result *res, const char *out_dir)
{
	json_t *shards = json_array(), *x;
	size_t p, i, j;

	for (p = 0; p < s->np; p++) {
		json_t *e = s->mp->e[s->pi[p]], *a = json_object_get(e, "artifacts"), *ce = json_object_get(e, "config_errors");

		json_array_append_new(shards, json_pack("{s:i,s:O}", "shard", s->mp->shards[s->pi[p]].index, "data",
							json_object_get(e, "data") ? json_object_get(e, "data")
										   : json_null()));
		json_array_foreach(a, i, x) {
			int dup = 0;
			json_t *y;

			json_array_foreach(res->artifacts, j, y)
				dup |= json_equal(x, y);
			if (!dup && json_is_string(x) && !strchr(json_string_value(x), '/'))
				json_array_append(res->artifacts, x);
		}
		json_array_foreach(ce, i, x)
			json_array_append(res->config_errors, x);
	}
	if (s->np == 1) {
		json_decref(res->data);
		res->data = json_deep_copy(json_object_get(json_array_get(shards, 0), "data"));
		if (!json_is_object(res->data)) {
			json_decref(res->data);
			res->data = json_object();
		}
	} else {
		json_object_set(res->data, "shards", shards);
		merge_waterfall(res->data, shards);
	}
	json_decref(shards);
	json_array_foreach(res->artifacts, i, x)
		concat_file(s, json_string_value(x), out_dir);
	if (s->np) {
		const char *log = json_string_value(json_object_get(s->mp->e[s->pi[0]], "log"));

		if (log && !strchr(log, '/')) {
			concat_file(s, log, out_dir);
			res->log_file = vs_xstrdup(log);
		}
	}
}

int vs_merge_plugin(const struct vs_mplugin *mp, struct vs_result *res, const char *out_dir, char *err,
		    size_t errlen)
{
	struct mstate s = {.mp = mp, .err = err, .errlen = errlen, .counters = res->counters};
	const char *first_start = NULL, *sharding = NULL;
	double dur = 0;
	int rc = -1;

	s.pi = vs_xcalloc(mp->nshards + 1, sizeof(*s.pi));
	for (size_t k = 0; k < mp->nshards; k++) {
		json_t *e = mp->e[k];
		const char *st;

		if (!e)
			continue;
		st = json_string_value(json_object_get(e, "started_at"));
		if (!sharding)
			sharding = json_string_value(json_object_get(e, "sharding"));
		if (!vs_merge_participates(e))
			continue;
		s.pi[s.np++] = k;
		if (st && (!first_start || strcmp(st, first_start) < 0))
			first_start = st;
		if (json_number_value(json_object_get(e, "duration_ms")) > dur)
			dur = json_number_value(json_object_get(e, "duration_ms"));
	}
	if (!s.np) {
		snprintf(err, errlen, "plugin '%s' ran on no shard (it says '%s' everywhere: is shard 1 missing?)",
			 mp->name, VS_SHARD_SKIP_REASON);
		goto out;
	}
	if (merge_counters(&s) || merge_metrics(&s))
		goto out;
	for (size_t i = 0; i < s.nm; i++) {
		json_t *sum = NULL;

		if (vs_hist_to_json(s.m[i].h, s.m[i].unit, &sum) == 0) {
			json_object_set_new(sum, "unit", json_string(s.m[i].unit));
			json_object_set_new(res->metrics, s.m[i].name, sum);
		}
	}
	merge_checks(&s, res);
	merge_data_artifacts(&s, res, out_dir);
	derive_status(&s, res);
	if (sharding && !strcmp(sharding, "split") && s.np < mp->nshards) {
		vs_result_set(res, "error", "a split plugin ran on %zu of %zu shards: its merged figures would miss a slice",
			      s.np, mp->nshards);
	}
	res->started_at = first_start ? vs_xstrdup(first_start) : NULL;
	res->duration_ms = dur;
	res->sharding = sharding && !strcmp(sharding, "split") ? "split" : sharding && !strcmp(sharding, "every") ? "every" : sharding ? "shard1" : NULL;
	rc = 0;
out:
	for (size_t i = 0; i < s.nm; i++)
		vs_hist_free(s.m[i].h);
	free(s.m);
	free(s.pi);
	return rc;
}
