/* db plugin: schema and migrations against a real Postgres (Phase 2.2). */
#include "dbtest.h"

static struct fakehost *run_on(const char *db, const char *extra)
{
	char url[512];
	struct fakehost *fh;
	dbt_fresh(db, extra, url, sizeof(url));
	fh = dbt_host(url);
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "connect", VS_CHECK_PASS);
	return fh;
}

static void good_schema_passes(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = run_on("vs_good", NULL);
	assert_check(fh, "schema", VS_CHECK_PASS);
	assert_int_equal(dbt_failed(fh, "schema"), 0);
	/* every FK of the reference agent proven by an orphan insert */
	assert_check(fh, "fk.enforced.call_logs.tenant_id", VS_CHECK_PASS);
	assert_check(fh, "fk.enforced.call_turns.call_log_id", VS_CHECK_PASS);
	assert_check(fh, "fk.enforced.transfers.call_log_id", VS_CHECK_PASS);
	assert_int_equal(dbt_failed(fh, ""), 0);
	fh_free(fh);
}

static void missing_table(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = run_on("vs_drift_table", FIX "drift-missing-table.sql");
	assert_check(fh, "schema", VS_CHECK_FAIL);
	assert_message(fh, "schema.table.call_turns", "missing table call_turns");
	dbt_assert_failed(fh, "schema.", 1);
	fh_free(fh);
}

static void wrong_column_type(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = run_on("vs_drift_type", FIX "drift-column-type.sql");
	assert_message(fh, "schema.type.call_logs.duration_ms", "call_logs.duration_ms: type bigint, expected integer");
	dbt_assert_failed(fh, "schema.", 1);
	fh_free(fh);
}

static void nullability(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = run_on("vs_drift_null", FIX "drift-nullability.sql");
	assert_message(fh, "schema.null.call_logs.call_control_id",
		       "call_logs.call_control_id: nullable, expected not null");
	dbt_assert_failed(fh, "schema.", 1);
	fh_free(fh);
}

static void missing_index(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = run_on("vs_drift_index", FIX "drift-missing-index.sql");
	assert_message(fh, "schema.index.call_logs_status_idx", "missing index call_logs_status_idx");
	dbt_assert_failed(fh, "schema.", 1);
	fh_free(fh);
}

static void missing_fk(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = run_on("vs_drift_fk", FIX "drift-missing-fk.sql");
	assert_message(fh, "schema.fk.call_logs.tenant_id", "missing foreign key call_logs(tenant_id) -> tenants(id)");
	dbt_assert_failed(fh, "schema.", 1);
	/* nothing to probe: skipped, not passed */
	assert_check(fh, "fk.enforced.call_logs.tenant_id", VS_CHECK_SKIP);
	fh_free(fh);
}

/* The key is declared (the schema check passes) but nothing enforces it:
 * the orphan insert is accepted, and only that key fails. */
static void fk_not_enforced(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = run_on("vs_fk_off", FIX "fk-not-enforced.sql");
	assert_check(fh, "schema", VS_CHECK_PASS);
	assert_check_says(fh, "fk.enforced.call_logs.tenant_id", VS_CHECK_FAIL,
			  "orphan row accepted (rolled back): foreign key call_logs(tenant_id) -> tenants(id) not enforced");
	assert_check(fh, "fk.enforced.call_turns.call_log_id", VS_CHECK_PASS);
	dbt_assert_failed(fh, "fk.enforced.", 1);
	fh_free(fh);
}

static void migration_count(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = run_on("vs_drift_mig", FIX "drift-migrations.sql");
	assert_message(fh, "schema.migrations", "migrations: 11 applied, expected 12");
	dbt_assert_failed(fh, "schema.", 1);
	fh_free(fh);
}

static void malformed_schema_file(void **st)
{
	char url[512];
	struct fakehost *fh;
	(void)st;
	dbt_url_for("postgres", url, sizeof(url));
	fh = dbt_host(url);
	fh_set_opt(fh, "schema_file", FIX "malformed-schema.ini");
	assert_int_equal(fh_run(fh), VS_ECONFIG);
	assert_non_null(fh_reason(fh));
	assert_non_null(strstr(fh_reason(fh), FIX "malformed-schema.ini:5: syntax error (expected [section] or key = value)"));
	fh_free(fh);
}

static void fk_probe_leaves_nothing(void **st)
{
	char url[512];
	struct fakehost *fh;
	(void)st;
	dbt_fresh("vs_probe", NULL, url, sizeof(url));
	fh = dbt_host(url);
	assert_int_equal(fh_run(fh), VS_OK);
	/* the orphan inserts were rolled back: nothing carries the probe values */
	assert_string_equal(dbt_value(url, "SELECT count(*) FROM call_logs WHERE call_control_id LIKE 'vstress-%'"), "0");
	assert_string_equal(dbt_value(url, "SELECT count(*) FROM call_turns"), "2");
	fh_free(fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_schema_passes), cmocka_unit_test(missing_table),
		cmocka_unit_test(wrong_column_type),  cmocka_unit_test(nullability),
		cmocka_unit_test(missing_index),      cmocka_unit_test(missing_fk),
		cmocka_unit_test(migration_count),    cmocka_unit_test(fk_not_enforced),
		cmocka_unit_test(malformed_schema_file),
		cmocka_unit_test(fk_probe_leaves_nothing),
	};
	if (!dbt_admin_url())
		return 77;
	return cmocka_run_group_tests_name("db_schema", tests, NULL, NULL);
}
