/* resources plugin against the REAL reference agent wired to the REAL world
 * (tests/plugin-support/ptest.h): a healthy agent passes a short run (4
 * calls, a 15 s long call) and memory_profile.txt is written; without a
 * PID the process checks skip and say why; an agent started with
 * AGENT_FAULTS=leak_memory_per_call,leak_db_connection (4 MB and one pool
 * connection kept per finished call) fails the memory slope, the memory
 * growth, the descriptors, the connection-leak and the long call's release
 * checks.
 *
 * Real-time calls: they run once, in the plain build (pt_realtime_elsewhere
 * in ptest.h); elsewhere reported skipped, not passed. */
#define PT_AGENT_FIXTURE
#define PT_FIXTURE_OFF pt_realtime_elsewhere()
#include "ptest.h"

#include <sys/stat.h>

/* The plugin aimed at agent + world: `calls` calls, 2 at once, no long call
 * unless set. */
static struct fakehost *rs_host(const char *pid, const char *calls)
{
	struct fakehost *fh = pt_plugin_host("resources", &agent, &world, &key, pid);

	fh_set_opts(fh, "script", "conf.d/scripts/resources-call.ini", "calls", calls, "concurrency", "2",
	            "warmup_calls", "0", "idle_time", "1s", "settle_time", "4s", "long_call", "0");
	/* as pt_agent_start launches it; names the reason of the Smart Turn skip */
	fh_set_conf(fh, "target", "env.SMART_TURN_ENABLED", "false");
	fh_set_deadline_ms(fh, 150000);
	return fh;
}

static void healthy_short_run_passes(void **st)
{
	struct fakehost *fh;
	char path[700];
	struct stat sb;
	json_t *sum;
	(void)st;
	if (pt_realtime_elsewhere())
		skip();
	fh = rs_host(NULL, "4");
	fh_set_opts(fh, "warmup_calls", "1", "long_call", "15s", "long_skip", "5s");
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh); /* the figures, for the record */
	assert_checks(fh, VS_CHECK_PASS, "calls.completed", "memory.rss_slope", "memory.rss_growth", "memory.threads",
	              "memory.fds", "cleanup.active_calls", "cleanup.background_tasks", "cpu.vad_time", "db.leaked",
	              "db.pool_bounds", "long_call.growth", "long_call.released");
	/* not measurable here: skipped with the reason, never passed */
	assert_check_says(fh, "cpu.load", VS_CHECK_SKIP, "no threshold");
	assert_check_says(fh, "cpu.turn_time", VS_CHECK_SKIP, "SMART_TURN_ENABLED = false");
	assert_check_says(fh, "db.timeouts", VS_CHECK_PASS, "agent_db_timeouts_total");
	assert_int_equal(fh_checks_with_status(fh, VS_CHECK_FAIL), 0);
	assert_int_equal(fh_metric_count(fh, "rss_after_call"), 4);
	assert_true(fh_metric_count(fh, "cpu_load") >= 10);
	sum = fh_attached(fh, "summary");
	assert_true(json_is_number(json_object_get(sum, "rss_slope_kb_per_call")));
	/* the slope's points, for the report's memory chart */
	assert_int_equal(json_array_size(json_object_get(sum, "rss_after_calls")), 4);
	assert_true(json_integer_value(json_object_get(json_array_get(json_object_get(sum, "rss_after_calls"), 3),
						       "rss_kb")) > 0);
	assert_non_null(json_object_get(sum, "db_connections"));
	snprintf(path, sizeof(path), "%s/memory_profile.txt", fh_artifact_dir(fh));
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size > 500);
	assert_false(fh_anywhere_contains(fh, key.seed_b64));
	fh_free(fh);
}

static void no_pid_skips_process_checks(void **st)
{
	struct fakehost *fh;
	(void)st;
	if (pt_realtime_elsewhere())
		skip();
	fh = rs_host("0", "2");
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	assert_check(fh, "calls.completed", VS_CHECK_PASS);
	assert_check_says(fh, "memory.rss_slope", VS_CHECK_SKIP, "no target PID");
	assert_checks(fh, VS_CHECK_SKIP, "memory.rss_growth", "memory.fds", "cpu.load");
	assert_message_has(fh, "cpu.load", "no target PID");
	assert_check(fh, "long_call.growth", VS_CHECK_SKIP);
	/* what needs no PID still runs */
	assert_check(fh, "cleanup.active_calls", VS_CHECK_PASS);
	assert_check(fh, "db.leaked", VS_CHECK_PASS);
	fh_free(fh);
}

static void leaking_agent_is_caught(void **st)
{
	struct fakehost *fh;
	(void)st;
	if (pt_realtime_elsewhere())
		skip();
	pt_agent_restart(&agent, &world, &key, "leak_memory_per_call,leak_db_connection", NULL);
	fh = rs_host(NULL, "4");
	fh_set_opt(fh, "warmup_calls", "1");
	/* 4 calls: a healthy agent grew 1-4 MB here; the fault keeps 16 MB */
	fh_set_opt(fh, "max_rss_growth_mb", "12");
	/* the long call keeps its 4 MB too (released: healthy +0.0-0.1 MB <= 3 MB) */
	fh_set_opt(fh, "long_call", "8s");
	fh_set_opt(fh, "long_skip", "2s");
	/* each of the 4 calls keeps a connection (a socket): +4 descriptors,
	 * which the default slack of 4 would just let through */
	fh_set_opt(fh, "fds_slack", "1");
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	assert_check(fh, "calls.completed", VS_CHECK_PASS);
	assert_check_says(fh, "memory.rss_slope", VS_CHECK_FAIL, "kB per call >");
	assert_check_says(fh, "memory.rss_growth", VS_CHECK_FAIL, "> 12 MB");
	assert_check_says(fh, "db.leaked", VS_CHECK_FAIL, "connections leaked");
	/* each held connection is a socket of the target */
	assert_check(fh, "memory.fds", VS_CHECK_FAIL);
	assert_check_says(fh, "long_call.released", VS_CHECK_FAIL, "> 3 MB");
	/* the calls themselves ended cleanly: the leak is not there */
	assert_check(fh, "cleanup.active_calls", VS_CHECK_PASS);
	fh_free(fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(healthy_short_run_passes),
		cmocka_unit_test(no_pid_skips_process_checks),
		cmocka_unit_test(leaking_agent_is_caught),
	};
	if (getenv("PT_FILTER"))
		cmocka_set_test_filter(getenv("PT_FILTER"));
	return cmocka_run_group_tests_name("resources", tests, group_setup, group_teardown);
}
