/* resources plugin: its verdicts (rs_checks) fed crafted readings, no agent
 * and no call (< 1 s).  test_resources.c shows the readings come from a
 * real agent's process, /metrics and database, and that a healthy agent
 * passes; here each reading is set the way a misbehaving agent leaves it
 * (a call that did not stream, threads not returned, calls still active,
 * a CPU hog, slow VAD and Smart Turn, a pool over its maximum, database
 * timeouts, memory growing during a long call) and its check must fail;
 * the same readings within bounds must pass.  The plugin hides its
 * symbols, so rs_checks.c is built in here; the thresholds are the
 * plugin's defaults (from the built plugin's descriptor), except
 * max_cpu_pct, which has none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../rs_checks.c"

#include "fh_assert.h"

#define NL 40 /* long-call readings, one a second */

static struct fakehost *fh;
static struct rs p;
static struct vs_cbatch_call calls[2];
static struct vs_proc_sample lseries[NL];

static void opt_dbl(const char *key, double *v)
{
	assert_int_equal(p.h->opt_double(p.c, key, v), 0);
}

static void opt_int(const char *key, long long *v)
{
	assert_int_equal(p.h->opt_int(p.c, key, v), 0);
}

/* The readings of a run of two calls and a 40 s long call; bad: each one
 * the way a misbehaving agent leaves it. */
static void readings(int bad)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char so[1024];

	snprintf(so, sizeof(so), "%s/resources.so",
		 getenv("VSTRESS_TEST_PLUGIN_DIR") ? getenv("VSTRESS_TEST_PLUGIN_DIR") : "build/plugins");
	fh_free(fh);
	fh = fh_loaded("resources", so);
	free(p.verdicts);
	memset(&p, 0, sizeof(p));
	p.h = fh_host(fh);
	p.c = fh_ctx(fh);
	opt_int("threads_slack", &p.threads_slack);
	opt_dbl("vad_max_rt_pct", &p.vad_max_rt_pct);
	opt_dbl("turn_max_ms", &p.turn_max_ms);
	opt_dbl("long_max_mb_per_min", &p.long_max_mb_per_min);
	opt_int("db_slack", &p.db_slack);
	opt_int("background_tasks_slack", &p.bg_slack);
	p.max_cpu_pct = 80;
	p.max_slope_kb = 1e9, p.max_growth_mb = 1e9, p.long_release_mb = 1e9, p.fds_slack = 1000; /* not judged here */
	p.m_cpu = p.h->metric(p.c, "cpu_pct", "%");
	snprintf(p.sig.active.name, sizeof(p.sig.active.name), "vstress_active_calls");
	snprintf(p.sig.bg.name, sizeof(p.sig.bg.name), "vstress_background_tasks");
	snprintf(p.sig.turn.name, sizeof(p.sig.turn.name), "vstress_turn_seconds");
	snprintf(p.sig.timeouts.name, sizeof(p.sig.timeouts.name), "vstress_db_timeouts_total");

	/* calls: both streamed 20 s; bad: the second never answered */
	memset(calls, 0, sizeof(calls));
	for (int i = 0; i < 2; i++) {
		calls[i].ran = 1;
		calls[i].r.answered = calls[i].r.media_started = !(bad && i == 1);
		calls[i].r.media.duration_ms = 20000;
	}
	p.calls = calls;
	p.ran = p.ncalls = 2;
	p.concurrency = 2;

	/* the process: threads, CPU over a 10 s batch */
	p.t.pid = 4242;
	p.have_proc = 1;
	p.base = (struct vs_proc_sample){.t_ns = 1000000000ull, .rss_kb = 200000, .threads = 12, .fds = 30, .nproc = 1, .cpu_s = 5};
	p.final = p.base;
	p.final.threads = bad ? 12 + (int)p.threads_slack + 3 : 12 + (int)p.threads_slack;
	p.batch_s = 10;
	p.batch_end = p.base;
	p.batch_end.t_ns += 10000000000ull;
	/* mean % of the machine: 95 (bad) or 20 */
	p.batch_end.cpu_s = p.base.cpu_s + (bad ? 0.95 : 0.20) * 10.0 * (double)(ncpu < 1 ? 1 : ncpu);

	/* /metrics before and after; VAD over 20 s of streamed audio (one call when bad) */
	p.pm0 = (struct rs_prom){.ok = 1, .has_active = 1, .has_bg = 1, .bg = 3, .has_vad = 1, .has_turn = 1,
				 .has_timeouts = 1, .timeouts = 2, .vad_sum = 10, .vad_cnt = 1000, .turn_sum = 4, .turn_cnt = 20};
	p.pm1 = p.pm0;
	p.pm1.active = bad ? 1 : 0;
	p.pm1.bg = bad ? 3 + (double)p.bg_slack + 5 : 3;
	p.pm1.vad_cnt += 800;
	p.pm1.vad_sum += bad ? 5.0 : 0.4; /* 25 % or 1 % of 20 s */
	p.pm1.turn_cnt += 4;
	p.pm1.turn_sum += bad ? 4 * 0.9 : 4 * 0.05; /* 900 or 50 ms per analysis */
	p.pm1.timeouts += bad ? 3 : 0;

	/* the database: within the pool's bounds, or 4 over its maximum at peak */
	opt_int("db_pool_min", &p.pool_min);
	opt_int("db_pool_max", &p.pool_max);
	p.db_before = p.db_after = p.pool_min + 1;
	p.db_peak = bad ? p.pool_max + 4 : p.pool_max, p.pool_peak = -1;

	/* the long call: RSS +20 MB a minute (bad) or flat, after long_skip */
	p.long_ms = 40000, p.long_skip_ms = 5000, p.long_ran = 1;
	p.long_r.answered = p.long_r.media_started = 1;
	p.long_r.media.duration_ms = 40000;
	for (int i = 0; i < NL; i++)
		lseries[i] = (struct vs_proc_sample){.t_ns = 2000000000ull + (uint64_t)i * 1000000000ull,
						     .rss_kb = 250000 + (bad ? i * 20 * 1024 / 60 : 0)};
	p.lseries = lseries, p.nlseries = NL;
	p.long_pre = lseries[0], p.long_post = lseries[0];
}

static const char *const JUDGED[] = {"calls.completed", "memory.threads", "cleanup.active_calls",
				     "cleanup.background_tasks", "cpu.load", "cpu.vad_time", "cpu.turn_time",
				     "db.pool_bounds", "db.timeouts", "long_call.growth"};

static void healthy_readings_pass(void **st)
{
	(void)st;
	readings(0);
	rs_checks(&p);
	for (size_t i = 0; i < sizeof(JUDGED) / sizeof(JUDGED[0]); i++)
		assert_check(fh, JUDGED[i], VS_CHECK_PASS);
}

static void bad_readings_fail(void **st)
{
	char threads[100], pool[100];
	(void)st;
	readings(1);
	rs_checks(&p);
	snprintf(threads, sizeof(threads), "threads 12 at baseline, %d after the calls", p.final.threads);
	snprintf(pool, sizeof(pool), "pool maximum %lld exceeded: %ld connections at peak", p.pool_max, p.db_peak);
	assert_check_says(fh, "calls.completed", VS_CHECK_FAIL, "1 of 2 calls answered and streamed");
	assert_check_says(fh, "memory.threads", VS_CHECK_FAIL, threads);
	assert_check_says(fh, "cleanup.active_calls", VS_CHECK_FAIL, "vstress_active_calls 1 after the calls ended");
	assert_check_says(fh, "cleanup.background_tasks", VS_CHECK_FAIL, "3 at baseline, 8 after the calls");
	assert_check_says(fh, "cpu.load", VS_CHECK_FAIL, "mean 95.0% of the machine");
	assert_check_says(fh, "cpu.vad_time", VS_CHECK_FAIL, "25.00% of real time > 10.0%"); /* one call streamed: 20 s */
	assert_check_says(fh, "cpu.turn_time", VS_CHECK_FAIL, "900.0 ms per analysis > 500 ms");
	assert_check_says(fh, "db.pool_bounds", VS_CHECK_FAIL, pool);
	assert_check_says(fh, "db.timeouts", VS_CHECK_FAIL, "grew by 3 during the calls");
	assert_check_says(fh, "long_call.growth", VS_CHECK_FAIL, "+20.00 MB per minute > 10.0");
	/* the report carries the same verdicts */
	assert_non_null(strstr(p.verdicts, "FAIL db.pool_bounds"));
}

/* Below the pool's minimum after the load fails too; without a threshold
 * CPU is reported, not judged. */
static void pool_minimum_and_no_cpu_threshold(void **st)
{
	(void)st;
	readings(0);
	p.db_after = p.pool_min - 1;
	p.max_cpu_pct = -1;
	rs_checks(&p);
	assert_check_says(fh, "db.pool_bounds", VS_CHECK_FAIL, "connections after the load < pool minimum");
	assert_check_says(fh, "cpu.load", VS_CHECK_SKIP, "no threshold");
}

static int teardown(void **st)
{
	(void)st;
	fh_free(fh);
	free(p.verdicts);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(healthy_readings_pass),
		cmocka_unit_test(bad_readings_fail),
		cmocka_unit_test(pool_minimum_and_no_cpu_threshold),
	};
	return cmocka_run_group_tests_name("resources verdicts", tests, NULL, teardown);
}
