/* db plugin: write performance, mixed load, deadlock counting and the
 * promise that pre-existing rows are left alone (Phases 2.3, 7.2). */
#include "dbtest.h"

/* Independent of the plugin's checksum: every row, ordered, as text. */
#define DUMP(t) "SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM " t " x"

static void writes_and_leaves_existing_rows(void **st)
{
	char url[512], logs[600], errs[600], turns[600], tenants[600];
	struct fakehost *fh;
	(void)st;
	dbt_fresh("vs_writes", NULL, url, sizeof(url));
	snprintf(logs, sizeof(logs), "%s", dbt_value(url, DUMP("call_logs")));
	snprintf(errs, sizeof(errs), "%s", dbt_value(url, DUMP("system_errors")));
	snprintf(turns, sizeof(turns), "%s", dbt_value(url, DUMP("call_turns")));
	snprintf(tenants, sizeof(tenants), "%s", dbt_value(url, DUMP("tenants")));
	fh = dbt_host(url);
	fh_set_opt(fh, "writes_call_logs", "300");
	fh_set_opt(fh, "writes_system_errors", "150");
	fh_set_opt(fh, "write_concurrency", "4");
	fh_set_opt(fh, "mixed_duration", "1s");
	fh_set_opt(fh, "mixed_concurrency", "4");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "writes.call_logs", VS_CHECK_PASS);
	assert_check(fh, "writes.system_errors", VS_CHECK_PASS);
	assert_check(fh, "writes.no_deadlocks", VS_CHECK_PASS);
	assert_check(fh, "mixed.transactions", VS_CHECK_PASS);
	assert_check(fh, "mixed.no_deadlocks", VS_CHECK_PASS); /* key-ordered updates cannot deadlock */
	assert_check(fh, "mixed.pool_stable", VS_CHECK_PASS);
	assert_check(fh, "integrity.call_logs", VS_CHECK_PASS);
	assert_check(fh, "integrity.system_errors", VS_CHECK_PASS);
	assert_check(fh, "cleanup.call_logs", VS_CHECK_PASS);
	assert_int_equal(fh_metric_count(fh, "insert_latency_call_logs"), 300);
	assert_int_equal(fh_metric_count(fh, "insert_latency_system_errors"), 150);
	assert_true(fh_metric_count(fh, "mixed_txn_latency") > 0);
	assert_int_equal(fh_metric_count(fh, "write_throughput_call_logs"), 1);
	assert_int_equal(fh_counter(fh, "rows_written"), 450);
	assert_int_equal(fh_counter(fh, "deadlocks"), 0);
	assert_int_equal(dbt_failed(fh, ""), 0);
	/* verified apart from the plugin: the tables are exactly as before */
	assert_string_equal(dbt_value(url, DUMP("call_logs")), logs);
	assert_string_equal(dbt_value(url, DUMP("system_errors")), errs);
	assert_string_equal(dbt_value(url, DUMP("call_turns")), turns);
	assert_string_equal(dbt_value(url, DUMP("tenants")), tenants);
	fh_free(fh);
}

static void deadlocks_counted(void **st)
{
	char url[512];
	struct fakehost *fh;
	(void)st;
	dbt_fresh("vs_deadlock", FIX "deadlock-fast.sql", url, sizeof(url));
	fh = dbt_host(url);
	fh_set_opt(fh, "writes_call_logs", "20");
	fh_set_opt(fh, "writes_system_errors", "0");
	/* 8 connections updating the same 2 rows in opposite orders */
	fh_set_opt(fh, "mixed_duration", "3s");
	fh_set_opt(fh, "mixed_concurrency", "8");
	fh_set_opt(fh, "mixed_update_pool", "2");
	fh_set_opt(fh, "mixed_update_rows", "2");
	fh_set_opt(fh, "mixed_lock_order", "random");
	fh_set_opt(fh, "mixed_read_sql", "SELECT pg_sleep(0.002)");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_true(fh_counter(fh, "mixed_deadlocks") > 0);
	assert_int_equal(fh_counter(fh, "deadlocks"), fh_counter(fh, "mixed_deadlocks"));
	assert_check(fh, "mixed.no_deadlocks", VS_CHECK_FAIL);
	/* cleanup still exact after aborted transactions */
	assert_check(fh, "integrity.call_logs", VS_CHECK_PASS);
	assert_string_equal(dbt_value(url, "SELECT count(*) FROM call_logs"), "3");
	fh_free(fh);
}

/* The target's own triggers refuse inserts into system_errors and deletes
 * from call_logs, and rewrite an existing call_logs row on insert: each
 * promise the phase checks is broken once, and named. */
static void unwritable_tables_fail(void **st)
{
	char url[512];
	struct fakehost *fh;
	(void)st;
	dbt_fresh("vs_unwritable", FIX "unwritable-tables.sql", url, sizeof(url));
	fh = dbt_host(url);
	fh_set_opt(fh, "writes_call_logs", "20");
	fh_set_opt(fh, "writes_system_errors", "10");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "writes.call_logs", VS_CHECK_PASS);
	assert_check_says(fh, "writes.system_errors", VS_CHECK_FAIL, "0/10 rows into system_errors; 10 errors");
	assert_message_has(fh, "writes.system_errors", "table system_errors is read-only here");
	assert_check_says(fh, "cleanup.call_logs", VS_CHECK_FAIL, "could not delete the rows vstress created in call_logs");
	assert_check(fh, "integrity.call_logs", VS_CHECK_FAIL);
	assert_check(fh, "integrity.system_errors", VS_CHECK_PASS);
	fh_free(fh);
}

/* Every fourth call_logs insert and every update refused by the target;
 * system_errors keeps its rows and marks an old one on insert. */
static void refused_writes_and_updates_fail(void **st)
{
	char url[512];
	struct fakehost *fh;
	(void)st;
	dbt_fresh("vs_refusing", FIX "refusing-updates.sql", url, sizeof(url));
	fh = dbt_host(url);
	fh_set_opt(fh, "writes_call_logs", "20");
	fh_set_opt(fh, "writes_system_errors", "10");
	fh_set_opt(fh, "mixed_duration", "1s");
	fh_set_opt(fh, "mixed_concurrency", "2");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check_says(fh, "writes.call_logs", VS_CHECK_FAIL, "call_logs refuses this insert");
	assert_check_says(fh, "mixed.transactions", VS_CHECK_FAIL, "call_logs refuses this");
	assert_check(fh, "integrity.call_logs", VS_CHECK_PASS);
	assert_check(fh, "writes.system_errors", VS_CHECK_PASS);
	assert_check_says(fh, "cleanup.system_errors", VS_CHECK_FAIL, "could not delete the rows vstress created in system_errors");
	assert_check(fh, "integrity.system_errors", VS_CHECK_FAIL);
	fh_free(fh);
}

/* The target's own insert trigger locks two rows in a varying order:
 * concurrent writes deadlock, counted and failed. */
static void trigger_deadlocks_fail_writes(void **st)
{
	char url[512];
	struct fakehost *fh;
	(void)st;
	dbt_fresh("vs_trigger_dl", FIX "deadlocking-trigger.sql", url, sizeof(url));
	fh = dbt_host(url);
	fh_set_opt(fh, "writes_call_logs", "40");
	fh_set_opt(fh, "write_concurrency", "8");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_true(fh_counter(fh, "deadlocks") > 0);
	assert_check(fh, "writes.no_deadlocks", VS_CHECK_FAIL);
	fh_free(fh);
}

/* The database ends some mixed-load sessions: fewer connections alive. */
static void dropped_sessions_fail_pool(void **st)
{
	char url[512];
	struct fakehost *fh;
	(void)st;
	dbt_fresh("vs_dropping", FIX "dropping-connections.sql", url, sizeof(url));
	fh = dbt_host(url);
	fh_set_opt(fh, "writes_call_logs", "10");
	fh_set_opt(fh, "mixed_duration", "1s");
	fh_set_opt(fh, "mixed_concurrency", "4");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "writes.call_logs", VS_CHECK_PASS);
	assert_check_says(fh, "mixed.pool_stable", VS_CHECK_FAIL, "vstress connections alive");
	fh_free(fh);
}

static void bad_template_is_config_error(void **st)
{
	char url[512];
	struct fakehost *fh;
	(void)st;
	dbt_url_for("postgres", url, sizeof(url));
	fh = dbt_host(url);
	fh_set_opt(fh, "writes_call_logs", "10");
	fh_set_opt(fh, "call_logs_columns", "status=x"); /* no {marker}: rows could not be found again */
	assert_int_equal(fh_run(fh), VS_ECONFIG);
	assert_non_null(strstr(fh_reason(fh), "must have a value containing {marker}"));
	fh_free(fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_and_leaves_existing_rows),
		cmocka_unit_test(deadlocks_counted),
		cmocka_unit_test(unwritable_tables_fail),
		cmocka_unit_test(refused_writes_and_updates_fail),
		cmocka_unit_test(trigger_deadlocks_fail_writes),
		cmocka_unit_test(dropped_sessions_fail_pool),
		cmocka_unit_test(bad_template_is_config_error),
	};
	if (!dbt_admin_url())
		return 77;
	return cmocka_run_group_tests_name("db_writes", tests, NULL, NULL);
}
