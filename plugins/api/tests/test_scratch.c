/* The db and api phases against a database that is not scratch (issue 12):
 * the reference agent's database seeded like a production copy (calls,
 * errors, 5 expired sessions); [db] scratch = false.  The db phase writes
 * nothing and the api phase does not call the cleanup route, which deletes
 * every expired session: afterwards every seeded row is as it was.  With
 * [api] allow_cleanup = true the route is called and the 5 are gone (the
 * proof that the route really deletes them). */
#include "apitest.h"
#include "prodseed.h"

static struct tgt agent;

/* The seeded rows only: the api phase's own sessions (login, logout) are
 * vstress's and may come and go. */
#define DUMP(t, where)                                                                                        \
	"SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM " t " x " \
	where
static const char *const dumps[] = {
	DUMP("tenants", ""),
	DUMP("call_logs", ""),
	DUMP("system_errors", ""),
	DUMP("call_turns", ""),
	DUMP("sessions", "WHERE username = 'ops'"),
};
#define ND (sizeof(dumps) / sizeof(dumps[0]))

/* One value from the agent's database (psql, as an operator would). */
static void sql_value(const char *sql, char *out, size_t len)
{
	char cmd[2600], rest[256];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "psql -X -At -v ON_ERROR_STOP=1 '%s' -c \"%s\"", tgt_db_url, sql);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(out, (int)len, p))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	/* read psql to its end: closing the pipe early killed it with SIGPIPE
	 * (exit 141) whenever it had more to print (command tags) */
	while (fgets(rest, sizeof(rest), p))
		;
	assert_int_equal(pclose(p), 0);
}

static void dump_all(char out[ND][200])
{
	for (size_t i = 0; i < ND; i++)
		sql_value(dumps[i], out[i], 200);
}

static int group_setup(void **st)
{
	char v[200];
	(void)st;
	if (tgt_env_init() || tgt_agent_start(&agent, NULL))
		return -1;
	/* the agent migrated its database at start-up: seed it */
	sql_value(PT_PROD_SEED_SQL " RETURNING 1", v, sizeof(v));
	return 0;
}

static int group_teardown(void **st)
{
	(void)st;
	tgt_stop(&agent);
	tgt_env_done();
	return 0;
}

/* The api phase, quick: no rate-limit burst, no expiry wait. */
static struct fakehost *api_host(void)
{
	struct fakehost *fh = at_host(agent.url);
	fh_set_opt(fh, "rate_limit_path", "");
	fh_set_opt(fh, "session_ttl", "1h");
	fh_set_opt(fh, "db_url", tgt_db_url);
	return fh;
}

static void not_scratch_leaves_seeded_rows(void **st)
{
	char before[ND][200], after[ND][200], v[200];
	struct fakehost *fh;
	(void)st;
	dump_all(before);
	sql_value("SELECT count(*) FROM sessions WHERE expires_at < now() AND username = 'ops'", v, sizeof(v));
	assert_string_equal(v, "5");

	/* db: everything asked for, nothing written */
	fh = fh_loaded("db", at_so("db"));
	fh_set_opt(fh, "url", tgt_db_url);
	fh_set_opt(fh, "scratch", "false");
	fh_set_opt(fh, "writes_call_logs", "50");
	fh_set_opt(fh, "writes_system_errors", "10");
	fh_set_opt(fh, "storm_connections", "5");
	fh_set_opt(fh, "mixed_duration", "1s");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "connect", VS_CHECK_PASS);
	assert_check(fh, "schema", VS_CHECK_PASS);
	assert_check(fh, "writes.call_logs", VS_CHECK_SKIP);
	assert_check(fh, "storm.connect", VS_CHECK_SKIP);
	assert_int_equal(fh_counter(fh, "rows_written"), 0);
	fh_free(fh);

	/* api: [db] scratch = false is the run's word about this database */
	fh = api_host();
	fh_set_conf(fh, "db", "scratch", "false");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "auth.login", VS_CHECK_PASS);
	assert_check(fh, "auth.logout", VS_CHECK_PASS);
	assert_check(fh, "auth.cleanup", VS_CHECK_SKIP);
	assert_message_has(fh, "auth.cleanup",
			   "runs only against scratch data or with [api] allow_cleanup = true; [db] scratch = false says "
			   "the target's database is not scratch");
	fh_free(fh);

	dump_all(after);
	for (size_t i = 0; i < ND; i++)
		assert_string_equal(after[i], before[i]);

	/* allowed: the route runs and takes the seeded expired sessions with it */
	fh = api_host();
	fh_set_conf(fh, "db", "scratch", "false");
	fh_set_opt(fh, "allow_cleanup", "true");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "auth.cleanup", VS_CHECK_PASS);
	fh_free(fh);
	sql_value("SELECT count(*) FROM sessions WHERE username = 'ops'", v, sizeof(v));
	assert_string_equal(v, "1"); /* the live one stays */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(not_scratch_leaves_seeded_rows),
	};
	return cmocka_run_group_tests_name("api_scratch", tests, group_setup, group_teardown);
}
