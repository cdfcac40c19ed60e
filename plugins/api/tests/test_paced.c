/* api plugin, plan 7.3 at the stated rate, against the real reference
 * agent: 200 requests/minute paced (constant, then seeded Poisson) for 8 s
 * each against an agent limited to 15 per 6 s window (so the stated rate
 * crosses the limit at #16): every answer within the limit, Retry-After
 * honoured and then served, /health answering throughout.  Faults: an
 * agent that counts refused requests (a client that waits as told is
 * refused again) and one with no limiter at all.  Real time (~75 s): the
 * plain build only, skipped under valgrind and the sanitizers. */
#include "apitest.h"

static struct tgt agent;

static int group_setup(void **st)
{
	(void)st;
	tgt_rate_limit = "15";
	tgt_rate_window = "6";
	tgt_session_ttl = "120"; /* the paced requests keep one valid session: 2xx, not 401 */
	return tgt_env_init();
}

static int group_teardown(void **st)
{
	(void)st;
	tgt_stop(&agent);
	tgt_env_done();
	return 0;
}

static struct fakehost *paced_host(const char *faults, const char *paces)
{
	struct fakehost *fh;

	tgt_stop(&agent);
	if (tgt_agent_start(&agent, faults) != 0)
		return NULL;
	fh = at_host(agent.url);
	fh_set_opt(fh, "rate_limit_per_minute", tgt_rate_limit);
	fh_set_opt(fh, "rate_window", "6s");
	fh_set_opt(fh, "session_ttl", "120s"); /* the expiry check skips (longer than max_wait) */
	fh_set_opt(fh, "rate_rpm", "200");
	fh_set_opt(fh, "rate_duration", "8s");
	fh_set_opt(fh, "rate_pace", paces);
	fh_set_deadline_ms(fh, 120000);
	return fh;
}

static int slow(void)
{
	return getenv("VSTRESS_SLOW_RUNTIME") || getenv("VSTRESS_VALGRIND");
}

static void healthy_paced(void **st)
{
	struct fakehost *fh;
	json_t *pr;
	(void)st;
	if (slow())
		skip();
	assert_non_null(fh = paced_host(NULL, "constant,poisson"));
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	assert_check(fh, "ratelimit.paced_constant", VS_CHECK_PASS);
	assert_message_has(fh, "ratelimit.paced_constant", "first 429 at #16");
	assert_check(fh, "ratelimit.paced_poisson", VS_CHECK_PASS);
	assert_check(fh, "ratelimit.paced_retry_after", VS_CHECK_PASS);
	assert_check(fh, "ratelimit.paced_health", VS_CHECK_PASS);
	assert_check(fh, "ratelimit.engaged", VS_CHECK_PASS);
	pr = json_object_get(fh_attached(fh, "api"), "ratelimit_paced");
	assert_non_null(pr);
	assert_int_equal(json_integer_value(json_object_get(pr, "due_onset")), 16);
	fh_free(fh);
}

static void retry_after_ignored(void **st)
{
	struct fakehost *fh;
	(void)st;
	if (slow())
		skip();
	assert_non_null(fh = paced_host("retry_after_ignored", "constant"));
	fh_run(fh);
	fh_dump(fh);
	assert_check(fh, "ratelimit.paced_retry_after", VS_CHECK_FAIL);
	assert_message_has(fh, "ratelimit.paced_retry_after", "refused again");
	fh_free(fh);
}

static void never_429(void **st)
{
	struct fakehost *fh;
	(void)st;
	if (slow())
		skip();
	assert_non_null(fh = paced_host("no_rate_limit", "constant, poisson"));
	fh_run(fh);
	fh_dump(fh);
	assert_check(fh, "ratelimit.paced_constant", VS_CHECK_FAIL);
	assert_message_has(fh, "ratelimit.paced_constant", "not enforced");
	assert_check_says(fh, "ratelimit.paced_poisson", VS_CHECK_FAIL, "not enforced");
	fh_free(fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(healthy_paced),
		cmocka_unit_test(retry_after_ignored),
		cmocka_unit_test(never_429),
	};
	if (getenv("PT_FILTER"))
		cmocka_set_test_filter(getenv("PT_FILTER"));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
