/* pl_path: what the two audio-path checks share, with crafted answers in
 * place of the world's comparisons: the worst figures and delays over the
 * items judged, and which calls are compared, skipped or kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../pl_path.c"
#include "../pl_pct.c"

static void test_stats(void **state)
{
	(void)state;
	struct pl_pathstats st = PL_PATHSTATS_INIT;
	char delay[120] = "none";
	pl_pathstats_delay(&st, delay, sizeof delay);
	assert_string_equal(delay, "none");
	json_t *d[] = {json_real(300), json_null(), json_integer(100), json_real(200)};
	const double f[] = {0.98, 0.7, 1, 0.9}, rem[] = {1, 20, 0, 5}, drop[] = {40, 10, 0, 120};
	for (int i = 0; i < 4; i++) {
		pl_pathstats_add(&st, f[i], rem[i], drop[i], d[i]);
		json_decref(d[i]);
	}
	pl_pathstats_add(&st, 0.8, 2, 60, NULL);
	assert_true(st.min_fraction == 0.7);
	assert_true(st.worst_removed_pct == 20);
	assert_true(st.worst_dropout_ms == 120);
	assert_int_equal(st.ndelays, 3);
	pl_pathstats_delay(&st, delay, sizeof delay);
	assert_string_equal(delay, "delay added p50 200 ms, max 300 ms");
	pl_pathstats_free(&st);
	assert_null(st.delays);
}

/* call 2 errs, call 3 is skipped by the comparison, call 4 never streamed */
static int fake_path(const char *control_url, const struct vs_call_script *s, const struct vs_call_result *r,
		     int64_t t0_ns, json_t **out, char *err, size_t errlen)
{
	(void)control_url, (void)s, (void)r;
	if (t0_ns == 2) {
		snprintf(err, errlen, "world gone");
		return -1;
	}
	*out = t0_ns == 3 ? json_pack("{s:s}", "skipped", "keeps no recordings") : json_pack("{s:I}", "t0", t0_ns);
	return 0;
}

static void judge(struct pl *p, size_t call, const json_t *j, void *arg)
{
	(void)p;
	int *seen = arg;
	assert_int_equal(json_integer_value(json_object_get(j, "t0")), (json_int_t)call);
	seen[call]++;
}

static void test_calls(void **state)
{
	(void)state;
	struct pl_call calls[5];
	memset(calls, 0, sizeof calls);
	for (int i = 0; i < 5; i++) {
		calls[i].ran = 1;
		calls[i].r.media_started = i != 3;
		calls[i].r.media.t0_ns = (uint64_t)i + 1;
	}
	calls[4].failed = 1;
	struct pl p;
	memset(&p, 0, sizeof p);
	p.calls = calls;
	p.ncalls = 5;
	json_t *cj = json_pack("[{},{},{},{},{}]");
	int seen[6] = {0};
	char why[200] = "";
	assert_int_equal(pl_path_calls(&p, cj, fake_path, "x_path", judge, seen, why, sizeof why), 2);
	assert_string_equal(why, "keeps no recordings");
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[2] + seen[3] + seen[4] + seen[5], 0);
	assert_non_null(json_object_get(json_array_get(cj, 0), "x_path"));
	for (size_t i = 1; i < 5; i++)
		assert_null(json_object_get(json_array_get(cj, i), "x_path"));
	p.ncalls = 2;
	assert_int_equal(pl_path_calls(&p, cj, fake_path, "x_path", judge, seen, why, sizeof why), 1);
	assert_string_equal(why, "call 2: world gone");
	json_decref(cj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_stats), cmocka_unit_test(test_calls)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
