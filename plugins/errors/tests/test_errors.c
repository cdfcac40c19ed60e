/* errors plugin against the REAL reference agent on the REAL world, its
 * database behind the world's Postgres fault proxy (as the hermetic profile
 * wires it: [world] database_url):
 *   - a healthy agent passes every check of the five scenarios (db, tts,
 *     key, timeout, sentry);
 *   - an agent broken the ways the scenarios look for (AGENT_FAULTS
 *     no_degraded_health, no_db_outage_log, no_failover, no_tts_failover,
 *     no_sentry) fails them, each with a message that says what happened.
 * Real-time calls: skipped under valgrind and the sanitizers
 * (VSTRESS_SLOW_RUNTIME), where the call engine cannot pace media. */
#include "ptest.h"

#include <unistd.h>

#include "pgurl.h"

static struct tgt agent;
static struct pt_world world;
static struct pt_key key;
static int slow;

static int group_setup(void **st)
{
	char host[256];
	int port;
	long long pport;
	char *u;
	(void)st;
	slow = getenv("VSTRESS_SLOW_RUNTIME") || getenv("VSTRESS_VALGRIND");
	if (slow)
		return 0;
	if (pt_key_make(&key) || tgt_env_init())
		return -1;
	if (vs_pgurl_addr(tgt_db_url, host, sizeof(host), &port) != 0) {
		fprintf(stderr, "DATABASE_URL is not a TCP URL: the Postgres proxy cannot sit in front of it\n");
		return -1;
	}
	snprintf(pt_pg_upstream, sizeof(pt_pg_upstream), "%s:%d", host, port);
	if (pt_world_start(&world))
		return -1;
	pport = json_integer_value(json_object_get(json_object_get(world.standins, "postgres"), "port"));
	u = pport ? vs_pgurl_with_addr(tgt_db_url, "127.0.0.1", (int)pport) : NULL;
	if (!u) {
		fprintf(stderr, "the world has no Postgres proxy\n");
		return -1;
	}
	snprintf(pt_agent_db_url, sizeof(pt_agent_db_url), "%s", u);
	free(u);
	return pt_agent_start(&agent, &world, &key, NULL, NULL);
}

static int group_teardown(void **st)
{
	(void)st;
	if (slow)
		return 0;
	tgt_stop(&agent);
	pt_world_stop(&world);
	tgt_env_done();
	return 0;
}

static struct fakehost *host(void)
{
	/* as [errors:hermetic]; db_url directly, not through the proxy */
	struct fakehost *fh = pt_plugin_host("errors", &agent, &world, &key, NULL);

	fh_set_opt(fh, "outage", "4s");
	/* the 2-core box: a normal turn takes 1.7-2.1 s as the caller hears it
	 * (plugins/pipeline/tests/test_calls.c), a 401 failover adds ~0.1 s */
	fh_set_opt(fh, "key_reply_within", "4s");
	fh_set_deadline_ms(fh, 240000);
	return fh;
}

static void healthy_agent_passes(void **st)
{
	struct fakehost *fh;
	json_t *sc;
	(void)st;
	if (slow)
		skip();
	fh = host();
	fh_set_redact(fh, 0);
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh); /* the figures, for the record */
	assert_checks(fh, VS_CHECK_PASS, "db.alive", "db.health_degraded", "db.outage_call", "db.recovered",
	              "db.call_after", "db.logged");
	assert_message_has(fh, "db.logged", "outage row");
	assert_checks(fh, VS_CHECK_PASS, "key.replies", "key.first_reply", "key.reply_latency", "key.fallback_used",
	              "key.error_logged");
	assert_message_has(fh, "key.error_logged", "error_class=\"auth\"");
	assert_checks(fh, VS_CHECK_PASS, "key.failover", "timeout.replies", "timeout.reply_latency",
	              "timeout.breaker_open", "timeout.fallback_used", "tts.replies", "tts.fallback_used",
	              "tts.failover_counted");
	assert_message_has(fh, "tts.failover_counted", "service=\"tts\",from=\"cartesia\"");
	assert_checks(fh, VS_CHECK_PASS, "tts.no_gaps", "tts.breaker_opened", "tts.recovered");
	assert_check_says(fh, "sentry.db_outage", VS_CHECK_PASS, "component=database");
	assert_check_says(fh, "sentry.all_providers_failed", VS_CHECK_PASS, "error_class=all_providers_failed");
	assert_int_equal(fh_checks_with_status(fh, VS_CHECK_FAIL), 0);
	assert_int_equal(fh_checks_with_status(fh, VS_CHECK_SKIP), 0);
	sc = fh_attached(fh, "scenarios");
	assert_true(json_is_object(json_object_get(sc, "db")));
	assert_true(json_real_value(json_object_get(json_object_get(sc, "timeout"), "extra_turn_ms")) > 1000);
	assert_false(fh_anywhere_contains(fh, key.seed_b64));
	/* no fault left behind */
	assert_int_equal(pt_control(&world, "DELETE", "/_vstress/faults", NULL), 200);
	fh_free(fh);
}

/* A caller who waits 4 s for the greeting and hangs up (a file: tts_script is a path). */
static char greeting_path[64];

static const char *greeting_only_script(void)
{
	char *path = greeting_path;
	FILE *f;

	snprintf(path, sizeof(greeting_path), "/tmp/vstress-errors-greeting-%d.ini", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[call]\nname = errors-greeting\nseed = 83\nvoice = slt\nmax_duration = 10s\n\n"
	      "[step.1]\nwait_reply = 4s\n\n[step.2]\nhangup = yes\n",
	      f);
	fclose(f);
	return path;
}

static void broken_agent_fails(void **st)
{
	struct fakehost *fh;
	(void)st;
	if (slow)
		skip();
	pt_agent_restart(&agent, &world, &key, "no_degraded_health,no_db_outage_log,no_failover,no_tts_failover", NULL);
	fh = host();
	fh_set_opt(fh, "scenarios", "db,key,timeout");
	fh_set_opt(fh, "timeout_calls_max", "1");
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	/* 8.1: /health errors out instead of answering degraded; nothing logged */
	assert_check_says(fh, "db.health_degraded", VS_CHECK_FAIL, "database_unavailable");
	assert_check_says(fh, "db.logged", VS_CHECK_FAIL, "the outage left no trace");
	assert_check(fh, "db.alive", VS_CHECK_PASS);
	assert_check(fh, "db.recovered", VS_CHECK_PASS);
	/* 8.2: no failover: the caller is handed off, Gemini never asked */
	assert_check_says(fh, "key.replies", VS_CHECK_FAIL, "handed off");
	assert_check_says(fh, "key.fallback_used", VS_CHECK_FAIL, "llm_gemini,llm_anthropic: 0 requests");
	assert_check(fh, "key.error_logged", VS_CHECK_PASS); /* the 401 itself is still counted */
	assert_check(fh, "key.failover", VS_CHECK_SKIP);    /* the failover counter never appears */
	/* 8.3: the same, under a stall */
	assert_check(fh, "timeout.replies", VS_CHECK_FAIL);
	assert_check(fh, "timeout.fallback_used", VS_CHECK_FAIL);
	assert_int_equal(pt_control(&world, "DELETE", "/_vstress/faults", NULL), 200);
	fh_free(fh);
	/* 5.2: no TTS failover: Cartesia refused, ElevenLabs never asked, the
	 * caller hears nothing; once the fault is gone Cartesia voices again */
	fh = host();
	fh_set_opt(fh, "scenarios", "tts");
	fh_set_opt(fh, "tts_calls_max", "1");
	fh_set_opt(fh, "tts_script", greeting_only_script()); /* the silent agent costs 4 s, not a whole script */
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	assert_check_says(fh, "tts.replies", VS_CHECK_FAIL, "the agent never spoke");
	assert_check_says(fh, "tts.fallback_used", VS_CHECK_FAIL, "tts_elevenlabs: 0 requests");
	assert_check(fh, "tts.failover_counted", VS_CHECK_SKIP); /* never counted */
	assert_check(fh, "tts.no_gaps", VS_CHECK_SKIP);          /* no speech to measure */
	assert_check(fh, "tts.recovered", VS_CHECK_PASS);
	assert_int_equal(pt_control(&world, "DELETE", "/_vstress/faults", NULL), 200);
	fh_free(fh);
	unlink(greeting_path);
}

/* A malformed fault spec is a config error naming its key, before any call. */
static void bad_fault_spec_is_config_error(void **st)
{
	struct fakehost *fh;
	(void)st;
	if (slow)
		skip();
	fh = host();
	fh_set_opt(fh, "tts_fault", "error:500");
	assert_int_equal(fh_run(fh), VS_ECONFIG);
	if (!strstr(fh_reason(fh), "[errors] tts_fault: fault 'error:500': '500' is not param=value"))
		fail_msg("reason: %s", fh_reason(fh));
	fh_free(fh);
}

/* Sentry (8.1): the healthy agent's outage call and every-LLM-down call
 * reach the world's Sentry stand-in tagged with their call ids
 * (healthy_agent_passes); the same agent with its reporting off (no_sentry, SENTRY_DSN still set) fails both;
 * a target without the DSN variable skips, saying so. */
static void sentry_reporting(void **st)
{
	struct fakehost *fh;
	(void)st;
	if (slow)
		skip();
	/* the healthy agent's pass is healthy_agent_passes' */
	fh = host();
	fh_set_opt(fh, "scenarios", "sentry");
	fh_set_opt(fh, "sentry_dsn_env", "VSTRESS_TEST_NO_SUCH_DSN");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check_says(fh, "sentry.db_outage", VS_CHECK_SKIP, "the target has no VSTRESS_TEST_NO_SUCH_DSN");
	assert_check_says(fh, "sentry.all_providers_failed", VS_CHECK_SKIP, "it reports to no Sentry");
	fh_free(fh);
	pt_agent_restart(&agent, &world, &key, "no_sentry", NULL);
	fh = host();
	fh_set_opt(fh, "scenarios", "db,sentry");
	fh_set_opt(fh, "sentry_wait", "4s");
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	assert_check_says(fh, "sentry.db_outage", VS_CHECK_FAIL, "no Sentry event tagged call_id=");
	assert_check_says(fh, "sentry.all_providers_failed", VS_CHECK_FAIL, "no Sentry event tagged call_id=");
	assert_int_equal(pt_control(&world, "DELETE", "/_vstress/faults", NULL), 200);
	fh_free(fh);
	pt_agent_restart(&agent, &world, &key, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(healthy_agent_passes),
		cmocka_unit_test(bad_fault_spec_is_config_error),
		cmocka_unit_test(broken_agent_fails),
		cmocka_unit_test(sentry_reporting),
	};
	if (getenv("PT_FILTER"))
		cmocka_set_test_filter(getenv("PT_FILTER"));
	return cmocka_run_group_tests_name("errors", tests, group_setup, group_teardown);
}
