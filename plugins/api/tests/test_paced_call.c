/* api plugin, plan 7.3 "still answering calls" during the paced run, against
 * the REAL reference agent on the REAL world (tests/plugin-support/ptest.h):
 * a whole call (conf.d/scripts/telnyx-basic.ini, 2 turns) is placed a
 * quarter into the paced run, or at its first 429; it must connect, reply
 * within first_reply_within and answer its turns.  Fault: an agent whose
 * /api rate limiter also counts the Telnyx webhook (AGENT_FAULTS=
 * rate_limit_webhooks, limit 15 per minute) refuses the call once the paced
 * run has filled the window.  Without the world the check skips, saying so.
 * Real-time calls: skipped under valgrind. */
#define PT_AGENT_FIXTURE
#define PT_FIXTURE_OFF pt_realtime_elsewhere()
#include "ptest.h"

static struct fakehost *call_host(const char *limit, const char *rpm)
{
	struct fakehost *fh = pt_plugin_host("api", &agent, &world, &key, NULL);

	fh_set_opts(fh, "password", TGT_PASSWORD, "session_ttl", "120s", "max_wait", "5s", "rate_limit_per_minute", limit,
		    "rate_window", "60s", "rate_limit_extra", "5", "concurrency", "4", "rate_rpm", rpm, "rate_duration",
		    "12s", "rate_pace", "constant", "call_script", "conf.d/scripts/telnyx-basic.ini");
	fh_set_deadline_ms(fh, 150000);
	return fh;
}

static void call_answered_during_paced_run(void **st)
{
	struct fakehost *fh;
	(void)st;
	if (pt_realtime_elsewhere())
		skip();
	fh = call_host("200", "200");
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	assert_check(fh, "ratelimit.paced_constant", VS_CHECK_PASS);
	assert_check(fh, "ratelimit.paced_health", VS_CHECK_PASS);
	/* a quarter into the 12 s pace: no 429 is due at 200/min against 200 per minute */
	assert_check_says(fh, "ratelimit.call_during", VS_CHECK_PASS, "placed 3.");
	assert_check_says(fh, "ratelimit.call_during", VS_CHECK_PASS, "2 of 2 turns answered");
	assert_non_null(json_object_get(fh_attached(fh, "api"), "call_during"));
	assert_false(fh_anywhere_contains(fh, key.seed_b64));
	fh_free(fh);
}

static void webhook_rate_limited_fails(void **st)
{
	struct fakehost *fh;
	(void)st;
	if (pt_realtime_elsewhere())
		skip();
	pt_agent_restart(&agent, &world, &key, "rate_limit_webhooks", "RATE_LIMIT_PER_MINUTE=15");
	fh = call_host("15", "200");
	fh_run(fh);
	fh_dump(fh);
	assert_check_says(fh, "ratelimit.call_during", VS_CHECK_FAIL, "call.initiated answered 429");
	fh_free(fh);
	pt_agent_restart(&agent, &world, &key, NULL, NULL);
}

static void no_world_skips(void **st)
{
	struct fakehost *fh;
	(void)st;
	if (pt_realtime_elsewhere())
		skip();
	fh = call_host("200", "200");
	fh_set_opts(fh, "control_url", "", "rate_duration", "2s");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check_says(fh, "ratelimit.call_during", VS_CHECK_SKIP, "no world control URL");
	fh_free(fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: the phase's burst (ratelimit.engaged) fills the agent's
		 * 60 s window; the fault case restarts the agent */
		cmocka_unit_test(call_answered_during_paced_run),
		cmocka_unit_test(webhook_rate_limited_fails),
		cmocka_unit_test(no_world_skips),
	};
	if (getenv("PT_FILTER"))
		cmocka_set_test_filter(getenv("PT_FILTER"));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
