/* api plugin: every check can fail, cleanly.  The reference agent with its
 * fault switches, a target that is down, and a target answering garbage. */
#include "apitest.h"

static struct tgt agent, garbage;

static int group_setup(void **st)
{
	(void)st;
	if (tgt_env_init() || tgt_agent_start(&agent, "wrong_health_body,no_rate_limit") || tgt_garbage_start(&garbage))
		return -1;
	return 0;
}

static int group_teardown(void **st)
{
	(void)st;
	tgt_stop(&agent);
	tgt_stop(&garbage);
	tgt_env_done();
	return 0;
}

static void agent_faults_fail_their_checks(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = at_host(agent.url);
	fh_set_opt(fh, "session_ttl", "1h"); /* not waited for here */
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "health.status", VS_CHECK_PASS);
	assert_check(fh, "health.body", VS_CHECK_FAIL);
	assert_message_has(fh, "health.body", "\"status\" is \"fine\", expected \"ok\"");
	assert_check(fh, "ratelimit.engaged", VS_CHECK_FAIL);
	assert_message_has(fh, "ratelimit.engaged", "no 429");
	assert_check(fh, "auth.login", VS_CHECK_PASS);
	assert_int_equal(at_failed(fh), 2);
	fh_free(fh);
}

static void target_down(void **st)
{
	struct fakehost *fh;
	char url[64];
	(void)st;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", tgt_free_port());
	fh = at_host(url);
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "health.status", VS_CHECK_FAIL);
	assert_message_has(fh, "health.status", "GET /health: ");
	assert_non_null(fh_reason(fh));
	assert_non_null(strstr(fh_reason(fh), "target not answering"));
	assert_int_equal(at_failed(fh), 1);
	fh_free(fh);
}

static void no_target_url_skips(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = at_host("");
	unsetenv("VSTRESS_TARGET_URL");
	assert_int_equal(fh_run(fh), VS_SKIP);
	assert_non_null(strstr(fh_reason(fh), "no target URL"));
	fh_free(fh);
}

static void default_base_url_from_env(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = at_host(NULL); /* the default ${VSTRESS_TARGET_URL} */
	setenv("VSTRESS_TARGET_URL", garbage.url, 1);
	fh_set_opt(fh, "health_path", "/ok");
	fh_set_opt(fh, "login_path", "");
	fh_set_opt(fh, "openapi_path", "");
	fh_set_opt(fh, "rate_limit_path", "");
	fh_set_opt(fh, "protected_path", "");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "health.status", VS_CHECK_PASS);
	assert_check(fh, "health.body", VS_CHECK_PASS);
	if (at_failed(fh))
		fh_dump(fh);
	assert_int_equal(at_failed(fh), 0);
	unsetenv("VSTRESS_TARGET_URL");
	fh_free(fh);
}

/* garbage answers everywhere: each check fails with a clear message */
static void garbage_target(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = at_host(garbage.url);
	fh_set_opt(fh, "health_path", "/garbage");
	fh_set_opt(fh, "login_path", "/token-number");
	fh_set_opt(fh, "protected_path", "/ok"); /* accepts anything: not protected */
	fh_set_opt(fh, "openapi_path", "/openapi-garbage");
	fh_set_opt(fh, "rate_limit_path", "/always-429");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "health.status", VS_CHECK_PASS);
	assert_check(fh, "health.body", VS_CHECK_FAIL);
	assert_message_has(fh, "health.body", "body is not JSON");
	assert_check(fh, "auth.login", VS_CHECK_FAIL);
	assert_message_has(fh, "auth.login", "no \"token\" token string in the answer: 42");
	assert_check(fh, "auth.missing_token", VS_CHECK_FAIL);
	assert_message_has(fh, "auth.missing_token", "200 (expected 401), the route is not protected");
	assert_message_has(fh, "auth.invalid_token", "200 (expected 401), the token was accepted");
	assert_check(fh, "auth.invalid_token", VS_CHECK_FAIL);
	assert_check(fh, "openapi", VS_CHECK_FAIL);
	assert_message_has(fh, "openapi", "no \"paths\" object");
	assert_check(fh, "ratelimit.engaged", VS_CHECK_PASS);
	assert_check(fh, "ratelimit.retry_after", VS_CHECK_FAIL);
	assert_message_has(fh, "ratelimit.retry_after", "Retry-After \"soon\" is not a number");
	assert_check(fh, "ratelimit.recovery", VS_CHECK_FAIL);
	assert_message_has(fh, "ratelimit.recovery", "after the burst: still 429 (Retry-After soon)");
	fh_free(fh);
}

/* A session that never ends: /ok accepts any token (after logout, after
 * session_ttl), verify and cleanup are refused, and a client stays refused
 * after waiting the Retry-After it was told. */
static void sessions_never_end(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = at_host(garbage.url);
	fh_set_opt(fh, "health_path", "/ok");
	fh_set_opt(fh, "login_path", "/ok");
	fh_set_opt(fh, "token_field", "status"); /* {"status": "ok"}: the token "ok" */
	fh_set_opt(fh, "protected_path", "/ok");
	fh_set_opt(fh, "verify_path", "/always-429");
	fh_set_opt(fh, "logout_path", "/ok");
	fh_set_opt(fh, "cleanup_path", "/always-429");
	fh_set_opt(fh, "allow_cleanup", "true");
	fh_set_opt(fh, "openapi_path", "");
	fh_set_opt(fh, "rate_limit_path", "/429-forever");
	fh_set_opt(fh, "rate_limit_per_minute", "5");
	fh_set_opt(fh, "rate_limit_extra", "3");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "auth.login", VS_CHECK_PASS);
	assert_check_says(fh, "auth.verify", VS_CHECK_FAIL, "GET /always-429 with the token: 429");
	assert_check(fh, "auth.logout", VS_CHECK_PASS);
	assert_check_says(fh, "auth.revoked_token", VS_CHECK_FAIL, "with the logged-out token: 200 (expected 401), the token was accepted");
	assert_check_says(fh, "auth.expired_token", VS_CHECK_FAIL, "(expected 401), the token was accepted");
	assert_check_says(fh, "auth.cleanup", VS_CHECK_FAIL, "POST /always-429: 429");
	assert_check(fh, "ratelimit.engaged", VS_CHECK_PASS);
	assert_check_says(fh, "ratelimit.retry_after_honoured", VS_CHECK_FAIL, "as Retry-After said, then refused again (Retry-After 1)");
	assert_check(fh, "ratelimit.recovery", VS_CHECK_FAIL);
	fh_free(fh);

	/* a logout that is refused */
	fh = at_host(garbage.url);
	fh_set_opts(fh, "health_path", "/ok", "login_path", "/ok", "token_field", "status", "protected_path", "",
		    "verify_path", "", "logout_path", "/always-429", "cleanup_path", "", "openapi_path", "",
		    "rate_limit_path", "");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check_says(fh, "auth.logout", VS_CHECK_FAIL, "POST /always-429: 429");
	fh_free(fh);
}

/* A /health that answers 503 every other time fails the paced run's health
 * probes (the first answer, the health check's, is a 200). */
static void flaky_health_during_paced_run(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = at_host(garbage.url);
	fh_set_opts(fh, "health_path", "/flaky", "login_path", "", "protected_path", "", "openapi_path", "",
		    "rate_limit_path", "/ok", "rate_duration", "2s", "rate_rpm", "60", "rate_pace", "constant",
		    "rate_health_every", "500ms");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "health.status", VS_CHECK_PASS);
	assert_check_says(fh, "ratelimit.paced_health", VS_CHECK_FAIL, "/health probes during the paced run failed");
	fh_free(fh);
}

static void garbage_bodies_and_transport(void **st)
{
	struct fakehost *fh;
	(void)st;
	/* a 50 MB health body, a login that never answers, a closed connection */
	fh = at_host(garbage.url);
	fh_set_opt(fh, "health_path", "/huge");
	fh_set_opt(fh, "login_path", "/slow");
	fh_set_opt(fh, "request_timeout", "1s");
	fh_set_opt(fh, "protected_path", "/close");
	fh_set_opt(fh, "openapi_path", "/openapi-weird");
	fh_set_opt(fh, "rate_limit_path", "/429-no-header");
	fh_set_opt(fh, "rate_limit_per_minute", "5");
	fh_set_opt(fh, "rate_limit_extra", "3");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "health.status", VS_CHECK_FAIL);
	assert_message_has(fh, "health.status", "larger than 1048576 bytes");
	/* /huge did not answer usefully: the run stops there */
	assert_int_equal(at_failed(fh), 1);
	fh_free(fh);

	fh = at_host(garbage.url);
	fh_set_opt(fh, "health_path", "/ok");
	fh_set_opt(fh, "login_path", "/slow");
	fh_set_opt(fh, "request_timeout", "1s");
	fh_set_opt(fh, "protected_path", "/close");
	fh_set_opt(fh, "openapi_path", "/openapi-weird");
	fh_set_opt(fh, "rate_limit_path", "/429-no-header");
	fh_set_opt(fh, "rate_limit_per_minute", "5");
	fh_set_opt(fh, "rate_limit_extra", "3");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "auth.login", VS_CHECK_FAIL);
	assert_message_has(fh, "auth.login", "timed out");
	assert_check(fh, "auth.missing_token", VS_CHECK_FAIL);
	assert_message_has(fh, "auth.missing_token", "GET /close: ");
	assert_check(fh, "openapi", VS_CHECK_PASS);
	assert_check(fh, "endpoint./ok", VS_CHECK_PASS);
	assert_check(fh, "endpoint./close", VS_CHECK_FAIL);
	assert_int_equal(fh_check_status(fh, "endpoint./items/{id}"), -1);
	assert_int_equal(fh_check_status(fh, "endpoint./search"), -1);
	assert_check(fh, "ratelimit.engaged", VS_CHECK_PASS);
	assert_check(fh, "ratelimit.retry_after", VS_CHECK_FAIL);
	assert_message_has(fh, "ratelimit.retry_after", "without a Retry-After header");
	fh_free(fh);
}

static void bad_options(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = at_host("ftp://example");
	assert_int_equal(fh_run(fh), VS_ECONFIG);
	assert_non_null(strstr(fh_reason(fh), "expected http:// or https://"));
	fh_free(fh);
	fh = at_host(garbage.url);
	fh_set_opt(fh, "concurrency", "0");
	assert_int_equal(fh_run(fh), VS_ECONFIG);
	fh_free(fh);
	fh = at_host(garbage.url);
	fh_set_opt(fh, "rate_pace", "constant, burst");
	assert_int_equal(fh_run(fh), VS_ECONFIG);
	assert_non_null(strstr(fh_reason(fh), "rate_pace: \"burst\" is not constant or poisson"));
	fh_free(fh);
	fh = at_host(garbage.url);
	fh_set_opt(fh, "rate_rpm", "0");
	assert_int_equal(fh_run(fh), VS_ECONFIG);
	assert_non_null(strstr(fh_reason(fh), "rate_rpm = 0"));
	fh_free(fh);
	fh = at_host(garbage.url);
	fh_set_opt(fh, "health_body", "{not json");
	fh_set_opt(fh, "health_path", "/ok");
	fh_set_opt(fh, "login_path", "");
	fh_set_opt(fh, "openapi_path", "");
	fh_set_opt(fh, "rate_limit_path", "");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_message_has(fh, "health.body", "health_body is not JSON");
	fh_free(fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(agent_faults_fail_their_checks),
		cmocka_unit_test(target_down),
		cmocka_unit_test(no_target_url_skips),
		cmocka_unit_test(default_base_url_from_env),
		cmocka_unit_test(garbage_target),
		cmocka_unit_test(sessions_never_end),
		cmocka_unit_test(flaky_health_during_paced_run),
		cmocka_unit_test(garbage_bodies_and_transport),
		cmocka_unit_test(bad_options),
	};
	return cmocka_run_group_tests_name("api_faults", tests, group_setup, group_teardown);
}
