/* api plugin against the real reference agent (Phases 3 and 7.3): every
 * check passes on a healthy agent; a wrong password fails the login. */
#include "apitest.h"

static struct tgt agent;

static int group_setup(void **st)
{
	(void)st;
	if (tgt_env_init() || tgt_agent_start(&agent, NULL))
		return -1;
	return 0;
}

static int group_teardown(void **st)
{
	(void)st;
	tgt_stop(&agent);
	tgt_env_done();
	return 0;
}

static void healthy_agent_passes(void **st)
{
	struct fakehost *fh;
	json_t *rl;
	(void)st;
	fh = at_host(agent.url);
	fh_set_redact(fh, 0); /* the plugin itself must never print the password */
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "health.status", VS_CHECK_PASS);
	assert_check(fh, "health.body", VS_CHECK_PASS);
	assert_check(fh, "auth.login", VS_CHECK_PASS);
	assert_message_has(fh, "auth.login", "token present");
	assert_check(fh, "auth.verify", VS_CHECK_PASS);
	assert_check(fh, "auth.missing_token", VS_CHECK_PASS);
	assert_check(fh, "auth.invalid_token", VS_CHECK_PASS);
	assert_check(fh, "auth.logout", VS_CHECK_PASS);
	assert_check(fh, "auth.revoked_token", VS_CHECK_PASS);
	assert_check(fh, "auth.expired_token", VS_CHECK_PASS);
	assert_check(fh, "auth.cleanup", VS_CHECK_PASS);
	assert_check(fh, "openapi", VS_CHECK_PASS);
	assert_check(fh, "endpoint./health", VS_CHECK_PASS);
	assert_check(fh, "endpoint./metrics", VS_CHECK_PASS);
	assert_check(fh, "endpoint./api/admin/tenants", VS_CHECK_PASS);
	assert_check(fh, "endpoint./api/admin/calls", VS_CHECK_PASS);
	assert_check(fh, "endpoint./api/admin/stats", VS_CHECK_PASS);
	assert_check(fh, "endpoint./api/auth/verify", VS_CHECK_PASS);
	assert_check(fh, "ratelimit.engaged", VS_CHECK_PASS);
	assert_check(fh, "ratelimit.retry_after", VS_CHECK_PASS);
	assert_check(fh, "ratelimit.recovery", VS_CHECK_PASS);
	assert_int_equal(at_failed(fh), 0);
	/* recorded through the host */
	assert_true(fh_metric_count(fh, "latency_health") >= 1);
	assert_true(fh_metric_count(fh, "latency_auth") >= 5);
	assert_true(fh_metric_count(fh, "latency_endpoint") >= 6);
	assert_true(fh_metric_count(fh, "latency_ratelimit") >= 30);
	assert_true(fh_counter(fh, "ratelimit_429") >= 1);
	rl = json_object_get(fh_attached(fh, "api"), "ratelimit");
	assert_non_null(rl);
	assert_true(json_integer_value(json_object_get(rl, "status_429")) >= 1);
	assert_true(json_integer_value(json_object_get(rl, "first_429")) <= 31);
	assert_false(fh_anywhere_contains(fh, TGT_PASSWORD));
	fh_free(fh);
}

static void excluded_endpoint_skips(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = at_host(agent.url);
	fh_set_opt(fh, "exclude", "/metrics, /api/admin/*");
	fh_set_opt(fh, "rate_limit_path", "");
	fh_set_opt(fh, "session_ttl", "1h");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "endpoint./metrics", VS_CHECK_SKIP);
	assert_check(fh, "endpoint./api/admin/stats", VS_CHECK_SKIP);
	assert_check(fh, "endpoint./health", VS_CHECK_PASS);
	assert_check(fh, "auth.expired_token", VS_CHECK_SKIP);
	assert_message_has(fh, "auth.expired_token", "longer than max_wait");
	assert_check(fh, "ratelimit.engaged", VS_CHECK_SKIP);
	assert_int_equal(at_failed(fh), 0);
	fh_free(fh);
}

static void wrong_password_fails_login(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = at_host(agent.url);
	fh_set_opt(fh, "password", "not-the-password");
	fh_set_opt(fh, "rate_limit_path", "");
	fh_set_redact(fh, 0);
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "auth.login", VS_CHECK_FAIL);
	assert_message_has(fh, "auth.login", "POST /api/auth/session: 401");
	assert_check(fh, "auth.verify", VS_CHECK_SKIP);
	assert_message_has(fh, "auth.verify", "auth.login failed");
	/* refusals need no token: still checked */
	assert_check(fh, "auth.missing_token", VS_CHECK_PASS);
	/* endpoints behind auth answer 401 without a token */
	assert_check(fh, "endpoint./api/admin/stats", VS_CHECK_FAIL);
	assert_message_has(fh, "endpoint./api/admin/stats", "(no token): 401 (expected 2xx)");
	assert_false(fh_anywhere_contains(fh, "not-the-password"));
	fh_free(fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(healthy_agent_passes),
		cmocka_unit_test(excluded_endpoint_skips),
		cmocka_unit_test(wrong_password_fails_login),
	};
	return cmocka_run_group_tests_name("api_agent", tests, group_setup, group_teardown);
}
