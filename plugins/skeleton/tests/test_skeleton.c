/* The skeleton plugin, alone, on the fake host: the pattern to copy for a
 * new plugin's tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "fakehost.h"

static struct fakehost *load(void)
{
	const char *dir = getenv("VSTRESS_TEST_PLUGIN_DIR");
	char path[4096];
	struct fakehost *fh = fh_new("skeleton");

	snprintf(path, sizeof(path), "%s/skeleton.so", dir ? dir : "build/plugins");
	assert_non_null(fh);
	assert_int_equal(fh_load(fh, path), 0);
	return fh;
}

static void test_runs_paced_and_passes(void **state)
{
	struct fakehost *fh = load();
	size_t n = 0;
	const int64_t *v;

	(void)state;
	fh_set_opt(fh, "requests", "20");
	fh_set_opt(fh, "rate", "1000");
	fh_set_opt(fh, "work", "1ms");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_int_equal(fh_check_status(fh, "all operations ran"), VS_CHECK_PASS);
	assert_string_equal(fh_check_message(fh, "all operations ran"), "20 of 20");
	assert_int_equal(fh_check_status(fh, "p99 latency"), VS_CHECK_PASS);
	assert_int_equal(fh_counter(fh, "operations"), 20);
	v = fh_metric_values(fh, "latency", &n);
	assert_int_equal(n, 20);
	/* each operation sleeps 1 ms: recorded in us, never below that */
	for (size_t i = 0; i < n; i++)
		assert_true(v[i] >= 1000);
	assert_string_equal(fh_metric_unit(fh, "latency"), "us");
	assert_true(fh_log_contains(fh, "greeting: hello"));
	fh_free(fh);
}

static void test_threshold_can_fail(void **state)
{
	struct fakehost *fh = load();

	(void)state;
	fh_set_opt(fh, "requests", "5");
	fh_set_opt(fh, "work", "3ms");
	fh_set_opt(fh, "p99_max", "1ms");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_int_equal(fh_check_status(fh, "p99 latency"), VS_CHECK_FAIL);
	fh_free(fh);
}

static void test_bad_option_is_a_config_error(void **state)
{
	struct fakehost *fh = load();

	(void)state;
	fh_set_opt(fh, "requests", "lots");
	assert_int_equal(fh_run(fh), VS_ECONFIG);
	fh_free(fh);
	fh = load();
	fh_set_opt(fh, "rate", "0");
	assert_int_equal(fh_run(fh), VS_ECONFIG);
	assert_non_null(fh_reason(fh));
	fh_free(fh);
}

static void test_stops_at_the_deadline(void **state)
{
	struct fakehost *fh = load();

	(void)state;
	fh_set_opt(fh, "requests", "100000");
	fh_set_opt(fh, "rate", "100");
	fh_set_deadline_ms(fh, 200);
	assert_int_equal(fh_run(fh), VS_OK);
	/* the pacer returned 0 at the deadline: far fewer than asked, and said so */
	assert_true(fh_counter(fh, "operations") < 100);
	assert_int_equal(fh_check_status(fh, "all operations ran"), VS_CHECK_FAIL);
	fh_free(fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_paced_and_passes),
		cmocka_unit_test(test_threshold_can_fail),
		cmocka_unit_test(test_bad_option_is_a_config_error),
		cmocka_unit_test(test_stops_at_the_deadline),
	};

	return cmocka_run_group_tests_name("skeleton", tests, NULL, NULL);
}
