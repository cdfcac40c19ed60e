/* db plugin: options, setup/run/teardown and the order of the phases
 * (stress-test plan Phases 2, 7.2 and 10.3). */
#include "db.h"

#include <vstress/callphase/optbind.h>
#include <vstress/callphase/scratch.h>

#include <stddef.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEF_CALL_LOGS_COLUMNS                                                                      \
	"tenant_id=sql:(SELECT min(id) FROM tenants),call_control_id={marker},from_number=+15550100000," \
	"to_number=+15550100001,direction=incoming,status=completed,duration_ms={n}"
#define DEF_SYSTEM_ERRORS_COLUMNS "severity=info,component=vstress,error_class=StressTest,message={marker}"

static const struct vs_option db_options[] = {
	{"url", VS_OPT_STRING, "${DATABASE_URL}", "libpq connection URL or key=value string of the target database",
	 VS_OPT_SECRET},
	{"application_name", VS_OPT_STRING, "vstress",
	 "prefix of every vstress connection's application_name (a run id is appended)", 0},
	{"connect_timeout", VS_OPT_DURATION, "5s", "give up on one connection attempt after this long", 0},
	{"scratch", VS_OPT_STRING, "auto",
	 "may rows be written here: auto (only into a database vstress started: scripts/pg-throwaway.sh marks it), "
	 "true, false.  Not scratch: the write, storm and mixed checks skip, the read-only ones run",
	 0},
	{"production", VS_OPT_BOOL, NULL, "deprecated: production = true is scratch = false", 0},
	{"allow_production_writes", VS_OPT_BOOL, NULL, "deprecated: with production = true, scratch = true", 0},
	{"storm_connections", VS_OPT_INT, "50", "connections opened at once by the connection storm", 0},
	{"storm_hold_min", VS_OPT_DURATION, "10ms", "shortest time a storm connection is held", 0},
	{"storm_hold_max", VS_OPT_DURATION, "200ms", "longest time a storm connection is held (seeded random)", 0},
	{"recovery_timeout", VS_OPT_DURATION, "5s", "how long released connections may take to leave pg_stat_activity",
	 0},
	{"target_application_name", VS_OPT_STRING, NULL, "application_name of the target's pool in pg_stat_activity",
	 0},
	{"target_user", VS_OPT_STRING, NULL, "role of the target's pool in pg_stat_activity", 0},
	{"target_pool_min", VS_OPT_INT, NULL, "the target pool must keep at least this many connections", 0},
	{"target_pool_max", VS_OPT_INT, NULL, "the target pool must never exceed this many connections", 0},
	{"schema_file", VS_OPT_STRING, "conf.d/schema/reference-agent.ini", "expected-schema INI file", 0},
	{"writes_call_logs", VS_OPT_INT, "1000", "call-log rows inserted by the write test", 0},
	{"writes_system_errors", VS_OPT_INT, "500", "system-error rows inserted by the write test", 0},
	{"write_concurrency", VS_OPT_INT, "8", "concurrent connections of the write test", 0},
	{"call_logs_table", VS_OPT_STRING, "call_logs", "table the call-log rows go to", 0},
	{"call_logs_key", VS_OPT_STRING, "id", "key column of call_logs (returned by INSERT, used by updates)", 0},
	{"call_logs_marker", VS_OPT_STRING, "call_control_id",
	 "text column whose value holds {marker}: rows vstress created, deleted afterwards", 0},
	{"call_logs_columns", VS_OPT_STRING, DEF_CALL_LOGS_COLUMNS,
	 "col=value,... for a call-log row; {marker} {run} {n} {conn} expand, sql:EXPR is raw SQL, \\, a comma", 0},
	{"call_logs_update", VS_OPT_STRING, "status = 'completed', ended_at = now()",
	 "SET clause the mixed load applies to rows vstress created (empty: no updates)", 0},
	{"system_errors_table", VS_OPT_STRING, "system_errors", "table the system-error rows go to", 0},
	{"system_errors_key", VS_OPT_STRING, "id", "key column of system_errors", 0},
	{"system_errors_marker", VS_OPT_STRING, "message", "text column of system_errors holding {marker}", 0},
	{"system_errors_columns", VS_OPT_STRING, DEF_SYSTEM_ERRORS_COLUMNS, "col=value,... for a system-error row",
	 0},
	{"mixed_duration", VS_OPT_DURATION, "5s", "length of the mixed read/write load (0: skip)", 0},
	{"mixed_concurrency", VS_OPT_INT, "8", "connections of the mixed read/write load", 0},
	{"mixed_read_sql", VS_OPT_STRING,
	 "SELECT count(*) FROM call_logs WHERE started_at > now() - interval '5 minutes'",
	 "read statement of each mixed transaction (empty: none)", 0},
	{"mixed_update_rows", VS_OPT_INT, "2", "rows vstress created that each mixed transaction updates", 0},
	{"mixed_update_pool", VS_OPT_INT, "0", "updates pick among the first N rows vstress created (0: all)", 0},
	{"mixed_lock_order", VS_OPT_STRING, "ordered",
	 "ordered: update rows in key order (deadlock-free); random: any order (provokes deadlocks)", 0},
	{0},
};

#define I(k, f, min) {k, VS_POPT_INT, offsetof(struct db, f), min}
#define MS(k, f) {k, VS_POPT_MS, offsetof(struct db, f), 0}
/* the numbers: every option here has its default in db_options */
static const struct vs_popt_bind db_binds[] = {
	MS("connect_timeout", connect_timeout_ms), I("storm_connections", storm_n, 0), MS("storm_hold_min", hold_min_ms),
	MS("storm_hold_max", hold_max_ms), MS("recovery_timeout", recovery_ms), I("write_concurrency", write_k, 1),
	I("mixed_concurrency", mixed_k, 1), MS("mixed_duration", mixed_ms), I("mixed_update_rows", mixed_update_rows, 0),
	I("mixed_update_pool", mixed_update_pool, 0),
	/* no default: -1 (unset) stays */
	I("target_pool_min", pool_min, VS_POPT_ANY), I("target_pool_max", pool_max, VS_POPT_ANY),
	{0},
};

static char *dup_opt(struct db *d, const char *key)
{
	const char *v = d->h->opt(d->c, key);
	return strdup(v ? v : "");
}

/* The core interpolates ${VAR}; a host that did not (or an unset
 * variable left verbatim) gets the same treatment here. */
static char *effective_url(struct db *d)
{
	const char *v = d->h->opt(d->c, "url");
	size_t n = v ? strlen(v) : 0;
	if (n > 3 && v[0] == '$' && v[1] == '{' && v[n - 1] == '}' && !memchr(v + 2, '}', n - 3)) {
		char name[128];
		const char *e;
		if (n - 3 >= sizeof(name))
			return strdup("");
		memcpy(name, v + 2, n - 3);
		name[n - 3] = '\0';
		e = getenv(name);
		return strdup(e ? e : "");
	}
	return strdup(v ? v : "");
}

static int setup_table(struct db *d, struct wtable *t, const char *label, const char *rows_key)
{
	char key[64], err[256];
	const char *spec;

	t->label = label;
	snprintf(key, sizeof(key), "%s_table", label);
	t->table = dup_opt(d, key);
	snprintf(key, sizeof(key), "%s_key", label);
	t->key = dup_opt(d, key);
	snprintf(key, sizeof(key), "%s_marker", label);
	t->marker = dup_opt(d, key);
	if (!t->table || !t->key || !t->marker)
		return -1;
	if (vs_popt_int(d->h, d->c, "db", rows_key, &t->rows, 0))
		return -1;
	snprintf(key, sizeof(key), "%s_columns", label);
	spec = d->h->opt(d->c, key);
	if (tmpl_parse(spec ? spec : "", &t->cols, &t->ncols, err, sizeof(err))) {
		db_reason(d, "[db] %s: %s", key, err);
		return -1;
	}
	/* Cleanup finds rows by their marker: the marker column must carry it. */
	for (size_t i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].col, t->marker) == 0 && strstr(t->cols[i].val, "{marker}"))
			return 0;
	if (t->rows > 0) {
		db_reason(d, "[db] %s: column %s (%s_marker) must have a value containing {marker}", key, t->marker,
			  label);
		return -1;
	}
	return 0;
}

/* [db] scratch, and the deprecated production switch it replaces. */
static int read_scratch(struct db *d)
{
	const char *v = d->h->opt(d->c, "scratch");
	int prod = 0, allow = 0;

	d->scratch_setting = vs_scratch_setting(v);
	if (d->scratch_setting < 0) {
		db_reason(d, "[db] scratch = %s: expected auto, true or false", v);
		return -1;
	}
	if (d->h->opt_bool(d->c, "production", &prod) < 0 || d->h->opt_bool(d->c, "allow_production_writes", &allow) < 0)
		return -1;
	if (d->h->opt(d->c, "production") || d->h->opt(d->c, "allow_production_writes"))
		db_log(d, VS_LOG_WARN, "[db] production and allow_production_writes are deprecated: use scratch = %s",
		       prod && !allow ? "false" : "auto|true|false");
	if (prod)
		d->scratch_setting = allow ? VS_SCRATCH_YES : VS_SCRATCH_NO;
	return 0;
}

static int db_setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	struct db *d = calloc(1, sizeof(*d));
	const char *v;
	char err[512];
	int rc = VS_ECONFIG;

	*state = d;
	if (!d)
		return VS_ERROR;
	d->h = h;
	d->c = c;
	d->pool_min = d->pool_max = -1;
	d->rng = h->seed(c) | 1;
	d->url = effective_url(d);
	v = h->opt(c, "application_name");
	snprintf(d->app, sizeof(d->app), "%s", v && *v ? v : "vstress");
	/* run-unique: storm and worker connections are found by this name */
	snprintf(d->runid, sizeof(d->runid), "%016llx", (unsigned long long)db_rand(d));
	snprintf(d->app_run, sizeof(d->app_run), "%s-%.8s", d->app, d->runid);
	if (!d->url)
		return VS_ERROR;
	if (read_scratch(d) != 0)
		goto out;
	if (vs_popt_read(h, c, "db", db_binds, d) != VS_OK)
		goto out;
	if (d->hold_max_ms < d->hold_min_ms) {
		db_reason(d, "[db] storm_hold_max (%lld ms) < storm_hold_min (%lld ms)", d->hold_max_ms, d->hold_min_ms);
		goto out;
	}
	v = h->opt(c, "mixed_lock_order");
	if (v && strcmp(v, "random") == 0)
		d->mixed_random_order = 1;
	else if (v && *v && strcmp(v, "ordered") != 0) {
		db_reason(d, "[db] mixed_lock_order = %s: expected ordered or random", v);
		goto out;
	}
	d->target_app = h->opt(c, "target_application_name");
	d->target_user = h->opt(c, "target_user");
	if (d->target_app && !*d->target_app)
		d->target_app = NULL;
	if (d->target_user && !*d->target_user)
		d->target_user = NULL;
	d->mixed_read_sql = h->opt(c, "mixed_read_sql");
	d->call_logs_update = h->opt(c, "call_logs_update");
	if (setup_table(d, &d->wt[0], "call_logs", "writes_call_logs") ||
	    setup_table(d, &d->wt[1], "system_errors", "writes_system_errors"))
		goto out;
	d->schema_path = dup_opt(d, "schema_file");
	if (d->schema_path && *d->schema_path) {
		FILE *f = fopen(d->schema_path, "r");
		if (!f) {
			/* a missing file skips the schema checks; a malformed one is a config error */
			d->schema_missing = 1;
		} else {
			fclose(f);
			if (schema_file_load(d->schema_path, &d->spec, err, sizeof(err))) {
				db_reason(d, "config error: schema file %s", err);
				goto out;
			}
		}
	}
	d->data = json_object();
	rc = VS_OK;
out:
	return rc;
}

/* After connecting: is this database scratch?  An explicit setting wins;
 * auto trusts only vstress's own mark on the cluster. */
static void decide_scratch(struct db *d)
{
	PGresult *r = db_query(d, VS_SCRATCH_SQL, 0, NULL);

	d->scratch_marked = r && !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	if (d->scratch_setting == VS_SCRATCH_YES) {
		d->scratch = 1;
		snprintf(d->scratch_why, sizeof(d->scratch_why), "[db] scratch = true");
	} else if (d->scratch_setting == VS_SCRATCH_NO) {
		snprintf(d->scratch_why, sizeof(d->scratch_why),
			 "not a scratch database ([db] scratch = false): no rows are written");
	} else if (d->scratch_marked) {
		d->scratch = 1;
		snprintf(d->scratch_why, sizeof(d->scratch_why),
			 "a throwaway database vstress started (role vstress_scratch)");
	} else {
		snprintf(d->scratch_why, sizeof(d->scratch_why),
			 "not a database vstress started (no role vstress_scratch): no rows are written; set [db] "
			 "scratch = true if its data may be written");
	}
	json_object_set_new(d->data, "scratch", json_boolean(d->scratch));
	db_log(d, VS_LOG_INFO, "scratch: %s", d->scratch_why);
}

static void skip_writes(struct db *d, const char *why)
{
	static const char *const names[] = {"writes.call_logs", "writes.system_errors", "writes.no_deadlocks",
					    "mixed.no_deadlocks", "integrity"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		db_check(d, names[i], VS_CHECK_SKIP, "%s", why);
}

static int db_run(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct db *d = state;
	char err[1024], app[160];
	PGresult *r;

	(void)h;
	(void)c;
	if (!d->url[0]) {
		db_reason(d, "no database url (set DATABASE_URL or [db] url)");
		return VS_SKIP;
	}
	if (db_url_prepare(d))
		return VS_ECONFIG;
	db_log(d, VS_LOG_INFO, "target %s, run id %s, application_name %s-*", d->url_shown, d->runid, d->app_run);
	snprintf(app, sizeof(app), "%s-ctl", d->app_run);
	d->ctl = db_connect(d, app, err, sizeof(err));
	if (!d->ctl) {
		db_check(d, "connect", VS_CHECK_FAIL, "%s (%s)", err, d->url_shown);
		db_reason(d, "connect: %s", err);
		return VS_OK;
	}
	r = db_query(d, "SELECT current_setting('server_version'), current_setting('server_version_num')", 0, NULL);
	db_check(d, "connect", VS_CHECK_PASS, "connected to %s, server %s", d->url_shown,
		 r ? PQgetvalue(r, 0, 0) : "?");
	if (r) {
		json_object_set_new(d->data, "server_version", json_string(PQgetvalue(r, 0, 0)));
		json_object_set_new(d->data, "server_version_num", json_integer(atoll(PQgetvalue(r, 0, 1))));
	}
	PQclear(r);
	json_object_set_new(d->data, "url", json_string(d->url_shown));
	json_object_set_new(d->data, "run_id", json_string(d->runid));

	decide_scratch(d);
	if (d->spec)
		db_schema_check(d);
	else
		db_check(d, "schema", VS_CHECK_SKIP, "schema file %s not found", d->schema_path);
	if (!h->should_stop(c))
		db_storm(d);
	if (!d->scratch) {
		/* read-only: the foreign keys, each probe rolled back (no
		 * checksum: a live agent writing meanwhile would fail it) */
		skip_writes(d, d->scratch_why);
		if (!h->should_stop(c) && d->spec)
			db_fk_probe(d);
	} else if (!h->should_stop(c)) {
		if (db_checksum(d, 0) == 0) {
			if (d->spec)
				db_fk_probe(d);
			db_writes(d);
			if (!h->should_stop(c))
				db_mixed(d);
			/* always, also after should_stop(): rows vstress created must go */
			db_cleanup(d);
			db_checksum(d, 1);
		}
	}
	return VS_OK;
}

static void free_table(struct wtable *t)
{
	free(t->table);
	free(t->key);
	free(t->marker);
	tmpl_free(t->cols, t->ncols);
	for (size_t i = 0; i < t->nkeys; i++)
		free(t->keys[i]);
	free(t->keys);
	free(t->before_sum);
	free(t->after_sum);
}

static int db_teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct db *d = state;
	if (!d)
		return VS_OK;
	if (d->data) {
		if (json_object_size(d->data))
			h->attach(c, "db", d->data);
		else
			json_decref(d->data);
	}
	if (d->ctl)
		PQfinish(d->ctl);
	for (int i = 0; i < 2; i++)
		free_table(&d->wt[i]);
	schema_spec_free(d->spec);
	free(d->schema_path);
	free(d->url);
	free(d->url_shown);
	free(d->password);
	free(d);
	return VS_OK;
}

VS_PLUGIN(.name = "db", .version = DB_VERSION,
	  .description = "PostgreSQL: connection storm, schema and migrations, write and mixed load, leaks",
	  .options = db_options, .setup = db_setup, .run = db_run, .teardown = db_teardown,
	  .secrets = (const char *const[]){"DATABASE_URL", NULL});
