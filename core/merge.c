/* vstress merge OUT_DIR SHARD_DIR...: load and validate the shards'
 * summaries, refuse shards that are not the N slices of one run, merge
 * every plugin (core/merge_plugin.c) and write the same files as a run. */
#include "merge.h"

#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "config.h"
#include "merge_int.h"
#include "report.h"
#include "results.h"
#include "run.h"
#include "shard.h"

#define EXIT_REFUSED 2

/* report.html for the merged results, as a run writes it. */
static int merge_write_report(const char *out_dir)
{
	char err[1024];

	if (vs_report_write(out_dir, err, sizeof(err))) {
		fprintf(stderr, "vstress merge: report: %s\n", err);
		return -1;
	}
	return 0;
}

static int bad(const struct vs_mshard *s, const char *field, const char *what)
{
	fprintf(stderr, "vstress merge: %s: field '%s' %s\n", s->file, field, what);
	return -1;
}

static int load_shard(struct vs_mshard *s, const char *dir)
{
	json_error_t je;
	json_t *sh, *pl, *e;
	json_int_t v;
	size_t i;
	char f[200];

	s->dir = vs_xstrdup(dir);
	s->file = vs_xasprintf("%s/test_summary.json", dir);
	s->root = json_load_file(s->file, 0, &je);
	if (!s->root) {
		if (je.line > 0)
			fprintf(stderr, "vstress merge: %s: line %d: %s\n", s->file, je.line, je.text);
		else
			fprintf(stderr, "vstress merge: %s: %s\n", s->file, je.text);
		return -1;
	}
	if (!json_is_object(s->root))
		return bad(s, "(root)", "is not an object");
	v = json_integer_value(json_object_get(s->root, "schema_version"));
	if (v != 1 && v != VS_SCHEMA_VERSION) /* 1: no check subjects, every check a target check */
		return bad(s, "schema_version", "is not 1 or 2 (this vstress reads schemas 1 and 2)");
	if (!json_is_string(json_object_get(s->root, "config_digest")))
		return bad(s, "config_digest", "is missing or not a string");
	if (!json_is_integer(json_object_get(s->root, "seed")))
		return bad(s, "seed", "is missing or not an integer");
	sh = json_object_get(s->root, "shard");
	if (!json_is_object(sh))
		return bad(s, "shard", "is missing or null: not the result of vstress run --shard I/N");
	if (!json_is_integer(json_object_get(sh, "index")) || !json_is_integer(json_object_get(sh, "count")) ||
	    !json_is_boolean(json_object_get(sh, "all")))
		return bad(s, "shard", "needs integer index and count and boolean all");
	s->index = (int)json_integer_value(json_object_get(sh, "index"));
	pl = json_object_get(s->root, "plugins");
	if (!json_is_array(pl))
		return bad(s, "plugins", "is missing or not an array");
	json_array_foreach(pl, i, e) {
		json_t *cs, *c;
		size_t j;

		snprintf(f, sizeof(f), "plugins[%zu]", i);
		if (!json_is_object(e) || !json_is_string(json_object_get(e, "name")))
			return bad(s, f, "is not an object with a name");
		snprintf(f, sizeof(f), "plugins[%zu].status", i);
		if (!vs_merge_status(json_string_value(json_object_get(e, "status"))))
			return bad(s, f, "is missing or not a known status");
		snprintf(f, sizeof(f), "plugins[%zu].counters", i);
		if (!json_is_object(json_object_get(e, "counters")))
			return bad(s, f, "is missing or not an object");
		snprintf(f, sizeof(f), "plugins[%zu].metrics", i);
		if (!json_is_object(json_object_get(e, "metrics")))
			return bad(s, f, "is missing or not an object");
		snprintf(f, sizeof(f), "plugins[%zu].checks", i);
		cs = json_object_get(e, "checks");
		if (!json_is_array(cs))
			return bad(s, f, "is missing or not an array");
		json_array_foreach(cs, j, c) {
			const char *st = json_string_value(json_object_get(c, "status"));

			snprintf(f, sizeof(f), "plugins[%zu].checks[%zu]", i, j);
			if (!json_is_string(json_object_get(c, "name")) || !st ||
			    (strcmp(st, "pass") && strcmp(st, "fail") && strcmp(st, "skip")))
				return bad(s, f, "needs a name and a status pass, fail or skip");
		}
	}
	return 0;
}

/* The shards are the N slices of one run. */
static int refuse(struct vs_mshard *s, size_t n)
{
	const char *d0 = json_string_value(json_object_get(s[0].root, "config_digest"));
	json_t *sh0 = json_object_get(s[0].root, "shard");
	long long count = json_integer_value(json_object_get(sh0, "count"));
	struct vs_mshard **by = NULL;
	size_t i;
	int rc = -1;
	char missing[400] = "";

	for (i = 1; i < n; i++) {
		json_t *sh = json_object_get(s[i].root, "shard");

		if (strcmp(d0, json_string_value(json_object_get(s[i].root, "config_digest")))) {
			fprintf(stderr,
				"vstress merge: refused: %s has config_digest %s but %s has %s: the shards did not run "
				"the same configuration\n",
				s[i].file, json_string_value(json_object_get(s[i].root, "config_digest")), s[0].file, d0);
			return -1;
		}
		if (json_integer_value(json_object_get(sh, "count")) != count) {
			fprintf(stderr, "vstress merge: refused: %s is shard %d of %lld but %s is shard %d of %lld\n",
				s[i].file, s[i].index, (long long)json_integer_value(json_object_get(sh, "count")),
				s[0].file, s[0].index, count);
			return -1;
		}
		if (!json_equal(json_object_get(s[i].root, "seed"), json_object_get(s[0].root, "seed"))) {
			fprintf(stderr,
				"vstress merge: refused: %s has seed %lld but %s has %lld: the shards are not slices "
				"of one run (pass the same --seed, or none)\n",
				s[i].file, (long long)json_integer_value(json_object_get(s[i].root, "seed")), s[0].file,
				(long long)json_integer_value(json_object_get(s[0].root, "seed")));
			return -1;
		}
		if (!json_equal(json_object_get(sh, "all"), json_object_get(sh0, "all"))) {
			fprintf(stderr, "vstress merge: refused: %s and %s differ in --shard-all\n", s[i].file, s[0].file);
			return -1;
		}
	}
	by = vs_xcalloc((size_t)count + 1, sizeof(*by));
	for (i = 0; i < n; i++) {
		if (s[i].index < 1 || s[i].index > count) {
			fprintf(stderr, "vstress merge: refused: %s: shard.index %d is not in 1..%lld\n", s[i].file,
				s[i].index, count);
			goto out;
		}
		if (by[s[i].index]) {
			fprintf(stderr, "vstress merge: refused: shard %d/%lld given twice: %s and %s\n", s[i].index, count,
				by[s[i].index]->file, s[i].file);
			goto out;
		}
		by[s[i].index] = &s[i];
	}
	for (long long k = 1; k <= count; k++)
		if (!by[k] && strlen(missing) + 16 < sizeof(missing))
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%lld", *missing ? ", " : "",
				 k);
	if (*missing) {
		fprintf(stderr, "vstress merge: refused: shard(s) %s of %lld missing (got %zu folder(s))\n", missing, count,
			n);
		goto out;
	}
	rc = 0;
out:
	free(by);
	return rc;
}

static int cmp_index(const void *a, const void *b)
{
	return ((const struct vs_mshard *)a)->index - ((const struct vs_mshard *)b)->index;
}

static const char *earliest(struct vs_mshard *s, size_t n, const char *key, int latest)
{
	const char *best = NULL;

	for (size_t i = 0; i < n; i++) {
		const char *v = json_string_value(json_object_get(s[i].root, key));
		if (v && (!best || (latest ? strcmp(v, best) > 0 : strcmp(v, best) < 0)))
			best = v;
	}
	return best;
}

/* Every other file of the shards' folders (world.log, target.log, a
 * run-level merge_artifacts output such as llm_results.json...) that no
 * plugin listed: concatenated from the shards that have it.  The files a
 * merge writes itself are left out. */
static void merge_other_files(struct vs_mshard *s, size_t n, const char *out_dir)
{
	static const char *const own[] = {"test_summary.json", "junit.xml", "errors.log", NULL};
	size_t *pi = vs_xcalloc(n, sizeof(*pi));

	for (size_t i = 0; i < n; i++) {
		DIR *d = opendir(s[i].dir);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			char *p, *q;
			struct stat st;
			size_t np = 0, k;
			int skip = e->d_name[0] == '.';

			for (k = 0; own[k] && !skip; k++)
				skip = !strcmp(e->d_name, own[k]);
			q = vs_xasprintf("%s/%s", out_dir, e->d_name);
			skip = skip || lstat(q, &st) == 0; /* written already (a plugin's) */
			free(q);
			for (k = 0; k < n && !skip; k++) {
				p = vs_xasprintf("%s/%s", s[k].dir, e->d_name);
				if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
					pi[np++] = k;
				free(p);
			}
			if (!skip && np)
				vs_merge_concat(s, pi, np, e->d_name, out_dir);
		}
		if (d)
			closedir(d);
	}
	free(pi);
}

static int write_merged(struct vs_mshard *s, size_t n, const char *out_dir, int verbose)
{
	json_t *names = json_array(), *x, *extra, *from = json_array(), *files;
	struct vs_result *res;
	struct vs_config cfg;
	struct vs_run run;
	size_t i, j, np;
	int failed = 0, passed = 0, skipped = 0, interrupted = 0, svc_failed = 0, rc = -1;
	char err[600] = "", stamp[32];
	const char *status;
	double dur = 0;
	time_t now = time(NULL);
	struct tm tm;

	for (i = 0; i < n; i++)
		json_array_foreach(json_object_get(s[i].root, "plugins"), j, x) {
			json_t *nm = json_object_get(x, "name"), *y;
			size_t k;
			int dup = 0;

			json_array_foreach(names, k, y)
				dup |= json_equal(nm, y);
			if (!dup)
				json_array_append(names, nm);
		}
	np = json_array_size(names);
	res = vs_xcalloc(np ? np : 1, sizeof(*res));
	for (i = 0; i < np; i++) {
		struct vs_mplugin mp = {.name = json_string_value(json_array_get(names, i)), .nshards = n, .shards = s};
		json_t *first = NULL;

		mp.e = vs_xcalloc(n, sizeof(*mp.e));
		for (size_t k = 0; k < n; k++)
			json_array_foreach(json_object_get(s[k].root, "plugins"), j, x)
				if (!strcmp(json_string_value(json_object_get(x, "name")), mp.name)) {
					mp.e[k] = x;
					first = first ? first : x;
				}
		vs_result_init(&res[i], mp.name, json_string_value(json_object_get(first, "version")));
		if (vs_merge_plugin(&mp, &res[i], out_dir, err, sizeof(err))) {
			free(mp.e);
			fprintf(stderr, "vstress merge: %s\n", err);
			np = i + 1;
			goto out;
		}
		free(mp.e);
		vs_status_tally(res[i].status, &passed, &skipped, &failed);
	}
	for (i = 0; i < n; i++) {
		const char *st = json_string_value(json_object_get(s[i].root, "status"));
		json_t *sv = json_object_get(s[i].root, "services"), *v;
		const char *k;

		interrupted |= st && !strcmp(st, "interrupted");
		/* a service a shard needed did not come up: that shard's run failed */
		json_object_foreach(sv, k, v)
			if (json_is_string(json_object_get(v, "status")) &&
			    !strcmp(json_string_value(json_object_get(v, "status")), "unavailable"))
				svc_failed++;
		if (json_number_value(json_object_get(s[i].root, "duration_ms")) > dur)
			dur = json_number_value(json_object_get(s[i].root, "duration_ms"));
		json_array_append_new(from, json_pack("{s:s,s:s?,s:i,s:s?,s:s?,s:s?,s:O?}", "dir", s[i].dir, "run_id",
						      json_string_value(json_object_get(s[i].root, "run_id")), "shard",
						      s[i].index, "status", st, "started_at",
						      json_string_value(json_object_get(s[i].root, "started_at")),
						      "finished_at",
						      json_string_value(json_object_get(s[i].root, "finished_at")),
						      "services", sv));
	}
	status = interrupted ? "interrupted" : failed || svc_failed ? "failed" : "passed";
	/* world.log and target.log of every shard, as the plugins' logs */
	merge_other_files(s, n, out_dir);
	vs_config_init(&cfg);
	free(cfg.profile);
	cfg.profile = vs_xstrdup(json_string_value(json_object_get(s[0].root, "profile"))
					 ? json_string_value(json_object_get(s[0].root, "profile"))
					 : "");
	files = json_object_get(s[0].root, "config_files");
	json_array_foreach(files, i, x)
		if (json_is_string(x)) {
			cfg.files = vs_xrealloc(cfg.files, (cfg.nfiles + 1) * sizeof(*cfg.files));
			cfg.files[cfg.nfiles++] = vs_xstrdup(json_string_value(x));
		}
	memset(&run, 0, sizeof(run));
	run.cfg = &cfg;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	run.run_id = vs_xasprintf("merged-%s", stamp);
	run.dir = vs_xstrdup(out_dir);
	run.results_root = vs_xstrdup(out_dir);
	run.seed = (uint64_t)json_integer_value(json_object_get(s[0].root, "seed"));
	run.no_latest = 1;
	extra = json_pack("{s:n,s:O,s:i,s:O,s:s?}", "shard", "merged_from", from, "shard_count", (int)n, "shard_all",
			  json_object_get(json_object_get(s[0].root, "shard"), "all"), "finished_at",
			  earliest(s, n, "finished_at", 1));
	run.summary_extra = extra;
	if (vs_summary_write(&run, res, np, status, earliest(s, n, "started_at", 0) ? earliest(s, n, "started_at", 0) : "",
			     dur, json_string_value(json_object_get(s[0].root, "config_digest")),
			     json_deep_copy(json_object_get(s[0].root, "services")))) {
		fprintf(stderr, "vstress merge: cannot write the summary in %s\n", out_dir);
	} else {
		merge_write_report(out_dir);
		rc = strcmp(status, "passed") ? 1 : 0;
		if (verbose >= 0)
			fprintf(stderr, "%s: %d passed, %d failed, %d skipped (merged from %zu shards); summary: %s/test_summary.json\n",
				status, passed, failed, skipped, n, out_dir);
	}
	json_decref(extra);
	free(run.run_id);
	free(run.dir);
	free(run.results_root);
	vs_config_free(&cfg);
out:
	for (i = 0; i < np; i++)
		vs_result_free(&res[i]);
	free(res);
	json_decref(from);
	json_decref(names);
	return rc < 0 ? -1 : rc;
}

int vs_merge_main(int nargs, char **args, int verbose)
{
	struct vs_mshard *s;
	size_t n, i;
	int rc = EXIT_REFUSED, e;

	if (nargs < 2) {
		fprintf(stderr, "usage: vstress merge OUT_DIR SHARD_DIR... (the results folders of vstress run --shard I/N)\n");
		return EXIT_REFUSED;
	}
	n = (size_t)nargs - 1;
	s = vs_xcalloc(n, sizeof(*s));
	for (i = 0; i < n; i++)
		if (load_shard(&s[i], args[i + 1]))
			goto out;
	if (refuse(s, n))
		goto out;
	/* never write over a shard's own results */
	{
		char *o = realpath(args[0], NULL);

		for (i = 0; o && i < n; i++) {
			char *d = realpath(s[i].dir, NULL);
			int same = d && !strcmp(d, o);

			free(d);
			if (same) {
				fprintf(stderr, "vstress merge: refused: OUT_DIR %s is shard %d's own folder\n", args[0],
					s[i].index);
				free(o);
				goto out;
			}
		}
		free(o);
	}
	qsort(s, n, sizeof(*s), cmp_index);
	if ((e = vs_mkdirs(args[0], 0755))) {
		fprintf(stderr, "vstress merge: cannot create %s: %s\n", args[0], strerror(-e));
		goto out;
	}
	e = write_merged(s, n, args[0], verbose);
	rc = e < 0 ? EXIT_REFUSED : e;
out:
	for (i = 0; i < n; i++) {
		free(s[i].dir);
		free(s[i].file);
		json_decref(s[i].root);
	}
	free(s);
	return rc;
}
