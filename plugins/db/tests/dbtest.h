/* Helpers shared by the db plugin's tests: a fresh database per case on the
 * real throwaway Postgres that run.sh starts (DATABASE_URL), and a fake host
 * with the plugin loaded and a small workload. */
#ifndef VSTRESS_DBTEST_H
#define VSTRESS_DBTEST_H

/* the plugin-test rule of the Makefile does not add CFLAGS_db (pkg-config
 * --cflags libpq = -I/usr/include/postgresql), so name the header by path */
#include <postgresql/libpq-fe.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fakehost.h"
#include "fh_assert.h"

#define FIX "tests/fixtures/db/"

static inline const char *dbt_admin_url(void)
{
	const char *u = getenv("DATABASE_URL");
	if (!u || !*u) {
		fprintf(stderr, "DATABASE_URL not set: run plugins/db/tests/run.sh\n");
		return NULL;
	}
	return u;
}

/* url of database `name` on the same server (url path replaced). */
static inline void dbt_url_for(const char *name, char *out, size_t len)
{
	const char *u = dbt_admin_url();
	const char *slash = u ? strrchr(u, '/') : NULL;
	const char *q = slash ? strchr(slash, '?') : NULL;
	if (!u || !slash) {
		snprintf(out, len, "%s", "");
		return;
	}
	snprintf(out, len, "%.*s/%s%s", (int)(slash - u), u, name, q ? q : "");
}

static inline void dbt_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg; /* "database ... does not exist, skipping" and the like */
}

static inline void dbt_exec(const char *url, const char *sql)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r;
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect %s: %s", url, PQerrorMessage(c));
	PQsetNoticeProcessor(c, dbt_quiet, NULL);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
}

/* First column of the first row, as text (static buffer). */
static inline const char *dbt_value(const char *url, const char *sql)
{
	static char buf[512];
	PGconn *c = PQconnectdb(url);
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	snprintf(buf, sizeof(buf), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return buf;
}

static inline void dbt_exec_file(const char *url, const char *path)
{
	FILE *f = fopen(path, "r");
	char *sql;
	long n;
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	sql = malloc((size_t)n + 1);
	assert_non_null(sql);
	assert_int_equal(fread(sql, 1, (size_t)n, f), (size_t)n);
	sql[n] = '\0';
	fclose(f);
	dbt_exec(url, sql);
	free(sql);
}

/* A new database `name` loaded with good.sql and then each extra fixture. */
static inline void dbt_fresh(const char *name, const char *extra, char *url, size_t len)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	dbt_exec(dbt_admin_url(), sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	dbt_exec(dbt_admin_url(), sql);
	dbt_url_for(name, url, len);
	dbt_exec_file(url, FIX "good.sql");
	if (extra)
		dbt_exec_file(url, extra);
}

static inline const char *dbt_so(void)
{
	static char path[512];
	const char *dir = getenv("VSTRESS_TEST_PLUGIN_DIR");
	snprintf(path, sizeof(path), "%s/db.so", dir && *dir ? dir : "build/plugins");
	return path;
}

/* The plugin loaded into a fake host, pointed at url, with a small and quick
 * workload; a test overrides what it exercises. */
static inline struct fakehost *dbt_host(const char *url)
{
	struct fakehost *fh = fh_loaded("db", dbt_so());
	fh_set_opt(fh, "url", url);
	fh_set_opt(fh, "schema_file", "conf.d/schema/reference-agent.ini");
	fh_set_opt(fh, "storm_connections", "0");
	fh_set_opt(fh, "writes_call_logs", "0");
	fh_set_opt(fh, "writes_system_errors", "0");
	fh_set_opt(fh, "mixed_duration", "0");
	return fh;
}

/* Number of failed checks whose name starts with prefix. */
static inline size_t dbt_failed(struct fakehost *fh, const char *prefix)
{
	size_t n = 0;
	for (size_t i = 0; i < fh_check_count(fh); i++) {
		const char *name;
		int st;
		fh_check_at(fh, i, &name, &st, NULL);
		n += st == VS_CHECK_FAIL && strncmp(name, prefix, strlen(prefix)) == 0;
	}
	return n;
}

/* Exactly n failed checks start with prefix; each is noted for the audit of
 * failing tests (fh_note_failed). */
static inline void dbt_assert_failed(struct fakehost *fh, const char *prefix, size_t n)
{
	assert_int_equal(dbt_failed(fh, prefix), n);
	for (size_t i = 0; i < fh_check_count(fh); i++) {
		const char *name;
		int st;
		fh_check_at(fh, i, &name, &st, NULL);
		if (st == VS_CHECK_FAIL && strncmp(name, prefix, strlen(prefix)) == 0)
			fh_note_failed(fh, name);
	}
}

#define assert_message(fh, name, text)                                                            \
	do {                                                                                      \
		const char *m_ = fh_check_message((fh), (name));                                  \
		if (!m_ || strcmp(m_, (text)) != 0) {                                             \
			fh_dump(fh);                                                      \
			fail_msg("check %s: message '%s', expected '%s'", (name), m_ ? m_ : "(absent)", (text)); \
		}                                                                                 \
	} while (0)

#endif
