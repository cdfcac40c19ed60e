/* The skeleton plugin on the fake host: the pattern to copy for a new
 * plugin's tests.  The probe alone (the sleep), and the probe against its
 * own stand-in served by the real world (`vstress world --only skeleton`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include <jansson.h>
#include <vstress/net/httpc.h>

#include "fakehost.h"
#include "fh_assert.h"
#include "fh_world.h"

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
	assert_check(fh, "p99 latency", VS_CHECK_FAIL);
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
	assert_check(fh, "all operations ran", VS_CHECK_FAIL);
	fh_free(fh);
}

static void test_declares_secret_and_standin(void **state)
{
	struct fakehost *fh = load();
	const struct vs_plugin *p = fh_plugin(fh);

	(void)state;
	assert_true(VS_PLUGIN_HAS(p, secrets));
	assert_non_null(p->secrets);
	assert_string_equal(p->secrets[0], "SKELETON_API_KEY");
	assert_null(p->secrets[1]);
	assert_non_null(p->world);
	fh_free(fh);
}

static void test_probe_against_its_standin(void **state)
{
	const char *extra[] = {"--only", "skeleton", NULL};
	char urls_path[128], url[512], bad[512];
	json_t *urls = NULL;
	const char *base;
	pid_t pid;
	struct fakehost *fh;
	long status = 0;
	char *resp = NULL, err[256];

	(void)state;
	snprintf(urls_path, sizeof urls_path, "/tmp/vs-skel-%d.json", (int)getpid());
	pid = fh_world_spawn(urls_path, extra, "skeleton", &urls);
	assert_true(pid > 0);
	base = json_string_value(json_object_get(json_object_get(json_object_get(urls, "standins"), "skeleton"), "http"));
	assert_non_null(base);
	/* what the stand-in exports for a target: its URL and a dummy key */
	assert_string_equal(json_string_value(json_object_get(json_object_get(urls, "env"), "SKELETON_BASE_URL")), base);
	assert_string_equal(json_string_value(json_object_get(json_object_get(urls, "env"), "SKELETON_API_KEY")),
			    "skeleton-dummy-key");

	/* the probe talks to it: every answer right */
	fh = load();
	fh_set_opt(fh, "requests", "10");
	fh_set_opt(fh, "base_url", base);
	fh_set_opt(fh, "api_key", "k-test");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_int_equal(fh_check_status(fh, "all operations ran"), VS_CHECK_PASS);
	assert_int_equal(fh_check_status(fh, "answers correct"), VS_CHECK_PASS);
	assert_non_null(strstr(fh_check_message(fh, "answers correct"), "10 of 10"));
	assert_int_equal(fh_counter(fh, "errors"), 0);
	fh_free(fh);

	/* a wrong endpoint: the check fails */
	fh = load();
	snprintf(bad, sizeof bad, "%s/nowhere", base);
	fh_set_opt(fh, "requests", "3");
	fh_set_opt(fh, "base_url", bad);
	fh_set_opt(fh, "api_key", "k-test");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "answers correct", VS_CHECK_FAIL);
	assert_int_equal(fh_counter(fh, "errors"), 3);
	fh_free(fh);

	/* no key: the probe skips; the stand-in refuses a request without one */
	fh = load();
	fh_set_opt(fh, "base_url", base);
	fh_set_opt(fh, "api_key", "");
	assert_int_equal(fh_run(fh), VS_SKIP);
	assert_non_null(strstr(fh_reason(fh), "SKELETON_API_KEY not set"));
	fh_free(fh);
	snprintf(url, sizeof url, "%s/v1/echo", base);
	assert_int_equal(vs_httpc("POST", url, "{\"text\":\"x\"}", 5000, &status, &resp, err, sizeof err), 0);
	assert_int_equal(status, 401);
	assert_non_null(resp);
	assert_non_null(strstr(resp, "missing API key"));
	free(resp);
	resp = NULL;
	if (vs_httpc("POST", url, "{\"key\":\"k\"}", 5000, &status, &resp, err, sizeof err) != 0)
		fail_msg("POST %s without text: %s", url, err);
	assert_int_equal(status, 400);
	free(resp);

	fh_world_kill(&pid, urls_path);
	json_decref(urls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_paced_and_passes),
		cmocka_unit_test(test_threshold_can_fail),
		cmocka_unit_test(test_bad_option_is_a_config_error),
		cmocka_unit_test(test_stops_at_the_deadline),
		cmocka_unit_test(test_declares_secret_and_standin),
		cmocka_unit_test(test_probe_against_its_standin),
	};

	return cmocka_run_group_tests_name("skeleton", tests, NULL, NULL);
}
