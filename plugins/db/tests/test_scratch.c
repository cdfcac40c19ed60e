/* db plugin: rows are written only into a scratch database.  A database
 * that is not scratch ([db] scratch = false, or auto on a cluster without
 * vstress's mark, the role vstress_scratch) gets the read-only checks
 * (connect, schema, migrations, foreign keys probed in rolled-back
 * transactions, the pool) and not one row: its pre-existing rows, expired
 * sessions among them, are byte for byte as before. */
#include "dbtest.h"
#include "prodseed.h"

#define DUMP(t) "SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM " t " x"

static const char *const tables[] = {"tenants", "sessions", "call_logs", "call_turns", "system_errors",
				     "schema_migrations"};
#define NT (sizeof(tables) / sizeof(tables[0]))

/* A copy of a production-like database: a tenant, calls, errors, 5 expired
 * sessions and one live one. */
static void seeded(const char *name, char *url, size_t len)
{
	dbt_fresh(name, NULL, url, len);
	dbt_exec(url, PT_PROD_SEED_SQL);
}

static void dump_all(const char *url, char out[NT][600])
{
	for (size_t i = 0; i < NT; i++) {
		char sql[300];
		snprintf(sql, sizeof(sql), DUMP("%s"), tables[i]);
		snprintf(out[i], 600, "%s", dbt_value(url, sql));
	}
}

/* The whole workload asked for; none of it may run. */
static struct fakehost *busy_host(const char *url)
{
	struct fakehost *fh = dbt_host(url);
	fh_set_opt(fh, "writes_call_logs", "50");
	fh_set_opt(fh, "writes_system_errors", "20");
	fh_set_opt(fh, "storm_connections", "10");
	fh_set_opt(fh, "mixed_duration", "1s");
	fh_set_opt(fh, "target_application_name", "prod-agent");
	return fh;
}

static void assert_read_only(struct fakehost *fh, const char *why)
{
	static const char *const skipped[] = {"writes.call_logs", "writes.system_errors", "writes.no_deadlocks",
					      "mixed.no_deadlocks", "storm.connect", "storm.recovery"};
	for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++) {
		assert_check(fh, skipped[i], VS_CHECK_SKIP);
		assert_message_has(fh, skipped[i], why);
	}
	assert_check(fh, "connect", VS_CHECK_PASS);
	assert_check(fh, "schema", VS_CHECK_PASS); /* tables, columns, indexes, keys, migrations */
	assert_message_has(fh, "schema", "migrations as in");
	assert_check(fh, "fk.enforced.call_logs.tenant_id", VS_CHECK_PASS); /* probed, rolled back */
	assert_int_equal(fh_check_status(fh, "pool"), -1);                  /* looked at, no bounds, no verdict */
	assert_int_equal(fh_metric_count(fh, "insert_latency_call_logs"), 0);
	assert_int_equal(fh_metric_count(fh, "storm_connect_latency"), 0);
	assert_int_equal(fh_counter(fh, "rows_written"), 0);
	assert_int_equal(dbt_failed(fh, ""), 0);
}

static void not_scratch_writes_nothing(void **st)
{
	char url[512], before[NT][600], after[NT][600];
	struct fakehost *fh;
	PGconn *agent;
	(void)st;
	seeded("vs_live_copy", url, sizeof(url));
	/* the "agent's" pool, for the pool check */
	{
		char conn[700];
		snprintf(conn, sizeof(conn), "%s%sapplication_name=prod-agent", url, strchr(url, '?') ? "&" : "?");
		agent = PQconnectdb(conn);
		assert_int_equal(PQstatus(agent), CONNECTION_OK);
	}
	dump_all(url, before);
	fh = busy_host(url);
	fh_set_opt(fh, "scratch", "false");
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	assert_read_only(fh, "not a scratch database ([db] scratch = false): no rows are written");
	dump_all(url, after);
	for (size_t i = 0; i < NT; i++)
		assert_string_equal(after[i], before[i]);
	assert_string_equal(dbt_value(url, "SELECT count(*) FROM sessions WHERE expires_at < now()"), "5");
	fh_free(fh);

	/* the old switch means the same, with a deprecation note */
	fh = busy_host(url);
	fh_set_opt(fh, "production", "true");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_read_only(fh, "[db] scratch = false");
	assert_true(fh_log_contains(fh, "production and allow_production_writes are deprecated: use scratch = false"));
	dump_all(url, after);
	for (size_t i = 0; i < NT; i++)
		assert_string_equal(after[i], before[i]);
	fh_free(fh);
	PQfinish(agent);
}

/* The mark is the cluster's: without it, auto writes nothing; scratch =
 * true (or the old production + allow_production_writes) writes. */
static void unmarked_cluster(void **st)
{
	char url[512], before[NT][600], after[NT][600];
	struct fakehost *fh;
	(void)st;
	seeded("vs_unmarked", url, sizeof(url));
	dump_all(url, before);
	dbt_exec(dbt_admin_url(), "DROP ROLE vstress_scratch");
	fh = busy_host(url);
	fh_set_opt(fh, "target_application_name", "");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "writes.call_logs", VS_CHECK_SKIP);
	assert_message_has(fh, "writes.call_logs",
			   "not a database vstress started (no role vstress_scratch): no rows are written; set [db] "
			   "scratch = true");
	assert_check(fh, "storm.connect", VS_CHECK_SKIP);
	dump_all(url, after);
	for (size_t i = 0; i < NT; i++)
		assert_string_equal(after[i], before[i]);
	fh_free(fh);

	fh = busy_host(url);
	fh_set_opt(fh, "target_application_name", "");
	fh_set_opt(fh, "scratch", "true");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "writes.call_logs", VS_CHECK_PASS);
	assert_check(fh, "storm.connect", VS_CHECK_PASS);
	assert_check(fh, "integrity.call_logs", VS_CHECK_PASS); /* and its own rows deleted again */
	assert_int_equal(fh_counter(fh, "rows_written"), 70);
	fh_free(fh);

	fh = busy_host(url);
	fh_set_opt(fh, "target_application_name", "");
	fh_set_opt(fh, "production", "true");
	fh_set_opt(fh, "allow_production_writes", "true");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "writes.call_logs", VS_CHECK_PASS);
	fh_free(fh);
	dump_all(url, after);
	for (size_t i = 0; i < NT; i++)
		assert_string_equal(after[i], before[i]);
}

static void bad_setting(void **st)
{
	struct fakehost *fh;
	char url[512];
	(void)st;
	dbt_url_for("postgres", url, sizeof(url));
	fh = dbt_host(url);
	fh_set_opt(fh, "scratch", "maybe");
	assert_int_equal(fh_run(fh), VS_ECONFIG);
	assert_non_null(strstr(fh_reason(fh), "[db] scratch = maybe: expected auto, true or false"));
	fh_free(fh);
}

/* The mark back, whatever happened (other suites share the cluster). */
static int remark(void **st)
{
	(void)st;
	dbt_exec(dbt_admin_url(), "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vstress_scratch') "
				  "THEN CREATE ROLE vstress_scratch NOLOGIN; END IF; END$$");
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(not_scratch_writes_nothing),
		cmocka_unit_test_teardown(unmarked_cluster, remark),
		cmocka_unit_test(bad_setting),
	};
	if (!dbt_admin_url())
		return 77;
	return cmocka_run_group_tests_name("db_scratch", tests, NULL, remark);
}
