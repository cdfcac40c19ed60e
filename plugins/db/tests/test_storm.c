/* db plugin: connection storm, recovery/leak detection and pool bounds
 * (Phases 2.1 and 10.3) against a real Postgres. */
#include "dbtest.h"

/* n connections named app, left open: a leak (or a target's pool). */
static PGconn **open_conns(const char *url, const char *app, int n)
{
	PGconn **c = calloc((size_t)n, sizeof(*c));
	const char *kw[] = {"dbname", "application_name", NULL};
	const char *val[] = {url, app, NULL};
	assert_non_null(c);
	for (int i = 0; i < n; i++) {
		c[i] = PQconnectdbParams(kw, val, 1);
		assert_int_equal(PQstatus(c[i]), CONNECTION_OK);
	}
	return c;
}

static void close_conns(PGconn **c, int n)
{
	for (int i = 0; i < n; i++)
		PQfinish(c[i]);
	free(c);
}

static void storm_recovers(void **st)
{
	char url[512];
	struct fakehost *fh;
	(void)st;
	dbt_fresh("vs_storm", NULL, url, sizeof(url));
	fh = dbt_host(url);
	fh_set_opt(fh, "storm_connections", "40");
	fh_set_opt(fh, "storm_hold_min", "5ms");
	fh_set_opt(fh, "storm_hold_max", "80ms");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "storm.connect", VS_CHECK_PASS);
	assert_check(fh, "storm.recovery", VS_CHECK_PASS);
	assert_check(fh, "storm.headroom", VS_CHECK_PASS);
	assert_int_equal(fh_metric_count(fh, "storm_connect_latency"), 40);
	assert_string_equal(fh_metric_unit(fh, "storm_connect_latency"), "us");
	assert_int_equal(fh_counter(fh, "storm_connect_failures"), 0);
	assert_int_equal(fh_check_status(fh, "pool.min"), -1); /* no bounds: nothing to judge */
	assert_int_equal(fh_check_status(fh, "pool"), -1);
	assert_int_equal(dbt_failed(fh, ""), 0);
	fh_free(fh);
}

static void leaked_connections_caught(void **st)
{
	char url[512];
	struct fakehost *fh;
	PGconn **leak;
	(void)st;
	dbt_fresh("vs_leak", NULL, url, sizeof(url));
	/* a helper that opened vstress connections and never closed them */
	leak = open_conns(url, "vstress-helper", 3);
	fh = dbt_host(url);
	fh_set_opt(fh, "storm_connections", "10");
	fh_set_opt(fh, "recovery_timeout", "300ms");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "storm.connect", VS_CHECK_PASS);
	assert_check(fh, "storm.recovery", VS_CHECK_FAIL);
	assert_message(fh, "storm.recovery", "3 vstress connections remain after release (vstress-helper)");
	fh_free(fh);
	close_conns(leak, 3);
}

static void pool_bounds(void **st)
{
	char url[512];
	struct fakehost *fh;
	PGconn **pool;
	(void)st;
	dbt_fresh("vs_pool", NULL, url, sizeof(url));
	pool = open_conns(url, "fake-agent", 2); /* the target's pool: 2 connections */
	fh = dbt_host(url);
	fh_set_opt(fh, "storm_connections", "10");
	fh_set_opt(fh, "target_application_name", "fake-agent");
	fh_set_opt(fh, "target_pool_min", "1");
	fh_set_opt(fh, "target_pool_max", "1");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_int_equal(fh_check_status(fh, "pool"), -1); /* seeing the pool is no verdict */
	assert_check(fh, "pool.min", VS_CHECK_PASS);
	assert_message(fh, "pool.max", "target pool max 2 connections, expected <= 1");
	assert_true(fh_metric_count(fh, "target_pool_connections") >= 2);
	fh_free(fh);
	close_conns(pool, 2);
}

static void storm_over_max_connections_counted(void **st)
{
	char url[512];
	struct fakehost *fh;
	(void)st;
	dbt_fresh("vs_over", NULL, url, sizeof(url));
	fh = dbt_host(url);
	/* the throwaway server allows 200: the excess is refused with 53300 */
	fh_set_opt(fh, "storm_connections", "230");
	fh_set_opt(fh, "storm_hold_min", "3s"); /* all held while the rest connect */
	fh_set_opt(fh, "storm_hold_max", "3500ms");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "storm.headroom", VS_CHECK_FAIL);
	assert_check(fh, "storm.connect", VS_CHECK_FAIL);
	assert_true(fh_counter(fh, "storm_connect_failures_53300") > 0);
	assert_int_equal(fh_counter(fh, "storm_connect_failures"), fh_counter(fh, "storm_connect_failures_53300"));
	assert_non_null(strstr(fh_check_message(fh, "storm.connect"), "53300 x"));
	assert_check(fh, "storm.recovery", VS_CHECK_PASS);
	fh_free(fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(storm_recovers),
		cmocka_unit_test(leaked_connections_caught),
		cmocka_unit_test(pool_bounds),
		cmocka_unit_test(storm_over_max_connections_counted),
	};
	if (!dbt_admin_url())
		return 77;
	return cmocka_run_group_tests_name("db_storm", tests, NULL, NULL);
}
