/* vstress merge (core/merge.c, core/merge_plugin.c) on synthetic shard
 * summaries with known samples, so the merged figures are known exactly:
 * counters add, the histogram merge gives the union's percentiles (not the
 * mean of the shards'), sourced checks are recomputed (a shard's failure
 * can become a merged pass and the reverse), unsourced checks take the
 * worst shard, a shard-1-only plugin is taken from shard 1, artifacts are
 * concatenated; refusals exit 2 and write nothing.  Also core/shard.c.
 * No network, no clock: runs under valgrind too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "hist.h"
#include "merge.h"
#include "shard.h"

static char root[64];

static char *enc_range(int64_t lo, int64_t hi)
{
	struct vs_hist *h = NULL;
	char *e;

	assert_int_equal(vs_hist_new(1, 86400000, 3, &h), 0);
	for (int64_t v = lo; v <= hi; v++)
		vs_hist_record(h, v);
	e = vs_hist_encode(h);
	vs_hist_free(h);
	return e;
}

/* Shard i of 3: metric lat holds 10*(4i-3) .. +9 (10..19, 50..59, 90..99),
 * counters ok/all 9/10, 10/10, 10/10; check "plain" pass, pass, skip;
 * plugin q (shard1) passed on 1 and skipped on 2, 3. */
static void write_shard(const char *dir, int i, const char *digest, long long seed, int count)
{
	char *enc = enc_range(10 * (4 * i - 3), 10 * (4 * i - 3) + 9), path[300];
	int64_t p95 = 10 * (4 * i - 3) + 9;
	json_t *checks = json_pack(
		"[{s:s,s:s,s:s,s:I,s:s,s:i,s:s,s:{s:s,s:f}},{s:s,s:s,s:s,s:f,s:s,s:i,s:s,s:{s:s,s:s,s:f}},"
		"{s:s,s:s,s:s}]",
		"name", "lat.p95", "status", p95 <= 95 ? "pass" : "fail", "message", "shard p95", "value", (json_int_t)p95,
		"op", "<=", "threshold", 95, "unit", "ms", "source", "metric", "lat", "percentile", 95.0,
		"name", "ratio", "status", i == 1 ? "fail" : "pass", "message", "shard ratio", "value", i == 1 ? 90.0 : 100.0,
		"op", ">=", "threshold", 95, "unit", "%", "source", "numerator", "ok", "denominator", "all", "scale", 100.0,
		"name", "plain", "status", i == 3 ? "skip" : "pass", "message", i == 3 ? "nothing here" : "fine");
	json_t *p = json_pack("{s:s,s:s,s:s,s:n,s:s,s:f,s:o,s:i,s:i,s:i,s:{s:{s:s,s:s}},s:{s:i,s:i},s:[s],s:{s:i},s:s,s:s}",
			      "name", "p", "version", "1", "status", i == 1 || p95 > 95 ? "failed" : "passed", "reason",
			      "started_at", i == 2 ? "2026-01-01T00:00:01.000Z" : "2026-01-01T00:00:02.000Z", "duration_ms",
			      100.0 * i, "checks", checks, "checks_passed", 1, "checks_failed", 1, "checks_skipped", 0,
			      "metrics", "lat", "unit", "ms", "hist", enc, "counters", "ok", i == 1 ? 9 : 10, "all", 10,
			      "artifacts", "a.txt", "data", "i", i, "log", "p.log", "sharding", "split");
	json_t *q = i == 1 ? json_pack("{s:s,s:s,s:n,s:[{s:s,s:s,s:s}],s:{},s:{s:i},s:[],s:{},s:s}", "name", "q",
				       "status", "passed", "reason", "checks", "name", "q.ok", "status", "pass", "message",
				       "shard 1 says", "metrics", "counters", "n", 5, "artifacts", "data", "sharding", "shard1")
			   : json_pack("{s:s,s:s,s:s,s:[],s:{},s:{},s:[],s:{},s:s}", "name", "q", "status", "skipped",
				       "reason", VS_SHARD_SKIP_REASON, "checks", "metrics", "counters", "artifacts", "data",
				       "sharding", "shard1");
	json_t *s = json_pack("{s:i,s:s,s:I,s:{s:i,s:i,s:b},s:s,s:s,s:s,s:s,s:[],s:{},s:[o,o]}", "schema_version", 1,
			      "config_digest", digest, "seed", (json_int_t)seed, "shard", "index", i, "count", count, "all",
			      0, "status", "failed", "run_id", "r", "started_at", "2026-01-01T00:00:00.000Z", "profile",
			      "hermetic", "config_files", "services", "plugins", p, q);
	FILE *f;

	assert_non_null(s);
	assert_int_equal(vs_mkdirs(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/test_summary.json", dir);
	assert_int_equal(json_dump_file(s, path, JSON_INDENT(1)), 0);
	snprintf(path, sizeof(path), "%s/a.txt", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "line of shard %d\n", i);
	fclose(f);
	json_decref(s);
	free(enc);
}

static int setup(void **st)
{
	(void)st;
	snprintf(root, sizeof(root), "/tmp/vs-merge-unit.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	return 0;
}

static int teardown(void **st)
{
	char cmd[128];
	(void)st;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static char *P(const char *name)
{
	static char buf[8][300];
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", root, name);
	return buf[k];
}

static int merge(const char *out, const char *a, const char *b, const char *c)
{
	char *args[] = {P(out), P(a), P(b), c ? P(c) : NULL, NULL};
	return vs_merge_main(c ? 4 : 3, args, -1);
}

static json_t *plugin(json_t *s, const char *name)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(s, "plugins"), i, p)
		if (!strcmp(json_string_value(json_object_get(p, "name")), name))
			return p;
	return NULL;
}

static json_t *check(json_t *p, const char *name)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(p, "checks"), i, c)
		if (!strcmp(json_string_value(json_object_get(c, "name")), name))
			return c;
	return NULL;
}

static void merges_exactly(void **st)
{
	json_t *s, *p, *c, *q;
	char path[300], *txt;
	FILE *f;
	size_t len = 0;
	(void)st;

	for (int i = 1; i <= 3; i++) {
		char d[16];
		snprintf(d, sizeof(d), "s%d", i);
		write_shard(P(d), i, "sha256:same", 7, 3);
	}
	/* out of order on purpose; exit 1: lat.p95 fails on the merged figures */
	assert_int_equal(merge("out", "s3", "s1", "s2"), 1);
	snprintf(path, sizeof(path), "%s/test_summary.json", P("out"));
	s = json_load_file(path, 0, NULL);
	assert_non_null(s);
	p = plugin(s, "p");
	assert_non_null(p);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "counters"), "ok")), 29);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "counters"), "all")), 30);
	/* the union 10..19, 50..59, 90..99: p95 is the 29th of 30 = 98, p50 the
	 * 15th = 54; the mean of the shards' p95s would be 58.67 */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(p, "metrics"), "lat"), "count")), 30);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(p, "metrics"), "lat"), "p95_ms")), 98);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(p, "metrics"), "lat"), "p50_ms")), 54);
	c = check(p, "lat.p95");
	assert_string_equal(json_string_value(json_object_get(c, "status")), "fail"); /* 98 > 95: shards 1, 2 passed */
	assert_true(json_number_value(json_object_get(c, "value")) == 98.0);
	assert_true(json_is_true(json_object_get(c, "reevaluated")));
	assert_non_null(strstr(json_string_value(json_object_get(c, "message")), "re-evaluated on the merged figures of 3 shards"));
	c = check(p, "ratio");
	assert_string_equal(json_string_value(json_object_get(c, "status")), "pass"); /* 29/30: shard 1 failed alone */
	assert_true(json_number_value(json_object_get(c, "value")) > 96.66 && json_number_value(json_object_get(c, "value")) < 96.67);
	c = check(p, "plain");
	assert_string_equal(json_string_value(json_object_get(c, "status")), "skip");
	assert_true(json_is_false(json_object_get(c, "reevaluated")));
	assert_non_null(strstr(json_string_value(json_object_get(c, "message")),
			       "not re-evaluable: worst of 3 shards (pass, pass, skip); shard 3: nothing here"));
	assert_string_equal(json_string_value(json_object_get(p, "status")), "failed");
	assert_int_equal(json_integer_value(json_object_get(p, "checks_failed")), 1);
	assert_string_equal(json_string_value(json_object_get(p, "started_at")), "2026-01-01T00:00:01.000Z");
	assert_true(json_number_value(json_object_get(p, "duration_ms")) == 300.0);
	assert_int_equal(json_array_size(json_object_get(json_object_get(p, "data"), "shards")), 3);
	q = plugin(s, "q");
	assert_string_equal(json_string_value(json_object_get(q, "status")), "passed");
	assert_string_equal(json_string_value(json_object_get(check(q, "q.ok"), "message")), "shard 1 says");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(q, "counters"), "n")), 5);
	assert_int_equal(json_integer_value(json_object_get(s, "shard_count")), 3);
	assert_int_equal(json_array_size(json_object_get(s, "merged_from")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(s, "merged_from"), 0), "shard")), 1);
	assert_string_equal(json_string_value(json_object_get(s, "status")), "failed");
	json_decref(s);
	snprintf(path, sizeof(path), "%s/a.txt", P("out"));
	f = fopen(path, "r");
	assert_non_null(f);
	txt = calloc(1, 4096);
	len = fread(txt, 1, 4095, f);
	fclose(f);
	assert_true(len > 0);
	assert_non_null(strstr(txt, "line of shard 1\n# vstress merge: shard 2"));
	assert_non_null(strstr(txt, "line of shard 3\n"));
	free(txt);
	snprintf(path, sizeof(path), "%s/junit.xml", P("out"));
	assert_int_equal(access(path, R_OK), 0);
}

static void refuses(void **st)
{
	char path[300];
	(void)st;

	write_shard(P("d1"), 1, "sha256:same", 7, 3);
	write_shard(P("d2"), 2, "sha256:other", 7, 3);
	write_shard(P("d3"), 3, "sha256:same", 7, 3);
	write_shard(P("e3"), 3, "sha256:same", 8, 3);
	write_shard(P("f3"), 3, "sha256:same", 7, 4);
	assert_int_equal(merge("r1", "d1", "d2", "d3"), 2); /* digest */
	assert_int_equal(merge("r2", "d1", "d3", NULL), 2); /* shard 2 missing */
	assert_int_equal(merge("r3", "d1", "d1", "d3"), 2); /* duplicated */
	assert_int_equal(merge("r4", "d1", "s2", "e3"), 2); /* seed */
	assert_int_equal(merge("r5", "d1", "s2", "f3"), 2); /* N */
	assert_int_equal(merge("r6", "d1", "s2", "nowhere"), 2); /* unreadable */
	assert_int_equal(merge("s2", "s1", "s2", "s3"), 2); /* into a shard's own folder */
	for (int i = 1; i <= 6; i++) {
		char d[8];
		snprintf(d, sizeof(d), "r%d", i);
		snprintf(path, sizeof(path), "%s/test_summary.json", P(d));
		assert_int_not_equal(access(path, F_OK), 0);
	}
	{
		char *args[] = {P("r7")};
		assert_int_equal(vs_merge_main(1, args, -1), 2); /* usage */
	}
}

static void rejects_a_bad_histogram(void **st)
{
	char path[300];
	json_t *s;
	(void)st;

	write_shard(P("h3"), 3, "sha256:same", 7, 3);
	snprintf(path, sizeof(path), "%s/test_summary.json", P("h3"));
	s = json_load_file(path, 0, NULL);
	{
		json_t *pl = json_array_get(json_object_get(s, "plugins"), 0);
		json_t *lat = json_object_get(json_object_get(pl, "metrics"), "lat");

		json_object_set_new(lat, "hist", json_string("VSH1:garbage"));
	}
	json_dump_file(s, path, 0);
	json_decref(s);
	assert_int_equal(merge("r8", "s1", "s2", "h3"), 2);
}

static void shard_rules(void **st)
{
	int i = 0, n = 0;
	char err[160];
	(void)st;

	assert_int_equal(vs_shard_parse("2/3", &i, &n, err, sizeof(err)), 0);
	assert_int_equal(i, 2);
	assert_int_equal(n, 3);
	assert_int_equal(vs_shard_parse("1/1", &i, &n, err, sizeof(err)), 0);
	assert_int_equal(vs_shard_parse("0/3", &i, &n, err, sizeof(err)), -1);
	assert_int_equal(vs_shard_parse("4/3", &i, &n, err, sizeof(err)), -1);
	assert_int_equal(vs_shard_parse("2/3x", &i, &n, err, sizeof(err)), -1);
	assert_int_equal(vs_shard_parse("3", &i, &n, err, sizeof(err)), -1);
	assert_int_equal(vs_shard_parse("1/2000", &i, &n, err, sizeof(err)), -1);
	assert_true(vs_shard_seed(12345, 1, 1) == 12345);
	for (int a = 1; a <= 8; a++) {
		assert_true(vs_shard_seed(12345, a, 8) == vs_shard_seed(12345, a, 8));
		for (int b = a + 1; b <= 8; b++)
			assert_true(vs_shard_seed(12345, a, 8) != vs_shard_seed(12345, b, 8));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shard_rules),
		cmocka_unit_test(merges_exactly),
		cmocka_unit_test(refuses),
		cmocka_unit_test(rejects_a_bad_histogram),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
