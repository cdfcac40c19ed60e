/* db plugin: write performance (Phase 2.3), the integrity checksum and the
 * cleanup of the rows vstress created.
 *
 * Safety: rows are committed (so commit latency is measured), each carries
 * the marker "vstress-<run id>-<n>" in a text column, and afterwards exactly
 * the rows carrying this run's marker are deleted.  A count + sum(hashtext)
 * of every touched table before and after proves nothing else changed. */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int quote_table(struct db *d, const char *name, char *out, size_t len)
{
	const char *params[1] = {name};
	PGresult *r = db_query(d, "SELECT to_regclass($1)::text", 1, params);
	int rc = -1;
	if (r && !PQgetisnull(r, 0, 0)) {
		snprintf(out, len, "%s", PQgetvalue(r, 0, 0));
		rc = 0;
	}
	PQclear(r);
	return rc;
}

int db_checksum(struct db *d, int after)
{
	char q[300], sql[512], name[128];
	int failed = 0;

	for (int i = 0; i < 2; i++) {
		struct wtable *t = &d->wt[i];
		PGresult *r;
		if (t->rows <= 0 && i == 1)
			continue;
		if (after && !t->checksummed)
			continue;
		snprintf(name, sizeof(name), "integrity.%s", t->table);
		if (quote_table(d, t->table, q, sizeof(q))) {
			if (!after)
				db_check(d, name, VS_CHECK_FAIL, "table %s missing: write tests skipped", t->table);
			failed++;
			continue;
		}
		/* hashtext of the whole row: any changed column changes the sum */
		snprintf(sql, sizeof(sql),
			 "SELECT count(*), coalesce(sum(hashtext(t::text)::bigint), 0)::text FROM %s t", q);
		r = db_query(d, sql, 0, NULL);
		if (!r) {
			db_check(d, name, VS_CHECK_FAIL, "%s not readable", t->table);
			failed++;
			continue;
		}
		if (!after) {
			t->before_count = atoll(PQgetvalue(r, 0, 0));
			t->before_sum = strdup(PQgetvalue(r, 0, 1));
			t->checksummed = 1;
		} else {
			t->after_count = atoll(PQgetvalue(r, 0, 0));
			t->after_sum = strdup(PQgetvalue(r, 0, 1));
			if (t->after_count == t->before_count && t->before_sum && t->after_sum &&
			    strcmp(t->before_sum, t->after_sum) == 0)
				db_check(d, name, VS_CHECK_PASS, "pre-existing rows of %s unchanged (%lld rows, checksum %s)",
					 t->table, t->after_count, t->after_sum);
			else
				db_check(d, name, VS_CHECK_FAIL,
					 "%s changed: %lld rows (checksum %s) before, %lld rows (checksum %s) after"
					 " (a target writing concurrently also changes it)",
					 t->table, t->before_count, t->before_sum ? t->before_sum : "?", t->after_count,
					 t->after_sum ? t->after_sum : "?");
		}
		PQclear(r);
	}
	return failed ? -1 : 0;
}

/* --- the write test ----------------------------------------------------------- */

struct wrun {
	struct db *d;
	struct wtable *t;
	PGconn *conn; /* for escaping */
	long long issued, ok, errors, deadlocks, serial;
	char first_err[300];
};

static void push_key(struct wtable *t, const char *k)
{
	if (t->nkeys == t->capkeys) {
		size_t cap = t->capkeys ? t->capkeys * 2 : 256;
		char **n = realloc(t->keys, cap * sizeof(*n));
		if (!n)
			return;
		t->keys = n;
		t->capkeys = cap;
	}
	t->keys[t->nkeys] = strdup(k);
	if (t->keys[t->nkeys])
		t->nkeys++;
}

static char *w_next(void *u, int i)
{
	struct wrun *w = u;
	if (w->issued >= w->t->rows)
		return NULL;
	return tmpl_insert_sql(w->conn, w->t, w->d->runid, w->issued++, i, NULL, NULL);
}

/* Shared by the write and mixed tests: 40P01 and 40001 are counted apart. */
void db_count_error(struct db *d, const char *phase, const PGresult *r, long long *errors, long long *deadlocks,
			long long *serial, char *first, size_t flen)
{
	const char *st = db_sqlstate(r);
	char name[64];
	if (strcmp(st, "40P01") == 0) {
		(*deadlocks)++;
		snprintf(name, sizeof(name), "%s_deadlocks", phase);
		d->h->count(d->c, name, 1);
		d->h->count(d->c, "deadlocks", 1);
	} else if (strcmp(st, "40001") == 0) {
		(*serial)++;
		snprintf(name, sizeof(name), "%s_serialization_failures", phase);
		d->h->count(d->c, name, 1);
		d->h->count(d->c, "serialization_failures", 1);
	}
	(*errors)++;
	snprintf(name, sizeof(name), "%s_errors", phase);
	d->h->count(d->c, name, 1);
	if (!first[0]) {
		snprintf(first, flen, "%s %s", st, PQresultErrorMessage(r));
		first[strcspn(first, "\n")] = '\0';
	}
}

static void w_result(void *u, int i, PGresult *r)
{
	struct wrun *w = u;
	(void)i;
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		w->ok++;
		if (PQntuples(r) > 0)
			push_key(w->t, PQgetvalue(r, 0, 0));
	} else {
		db_count_error(w->d, "writes", r, &w->errors, &w->deadlocks, &w->serial, w->first_err,
			    sizeof(w->first_err));
	}
}

static void w_done(void *u, int i, uint64_t ns)
{
	struct wrun *w = u;
	(void)i;
	w->d->h->record(w->d->c, w->t->metric, (int64_t)(ns / 1000u));
}

static int w_finished(void *u)
{
	struct wrun *w = u;
	return w->issued >= w->t->rows;
}

static void write_table(struct db *d, struct apool *p, struct wtable *t, long long *dl, long long *ser)
{
	const struct vs_host *h = d->h;
	struct apool_ops ops = {w_next, w_result, w_done, w_finished};
	struct wrun w = {.d = d, .t = t, .conn = d->ctl};
	char name[128];
	uint64_t t0;
	double secs, rate;
	json_t *j;

	snprintf(name, sizeof(name), "insert_latency_%s", t->label);
	t->metric = h->metric(d->c, name, "us");
	t0 = h->now_ns();
	apool_run(p, &ops, &w);
	secs = (double)(h->now_ns() - t0) / 1e9;
	rate = secs > 0 ? (double)w.ok / secs : 0;
	snprintf(name, sizeof(name), "write_throughput_%s", t->label);
	h->record(d->c, h->metric(d->c, name, "rows_per_s"), (int64_t)rate);
	h->count(d->c, "rows_written", w.ok);
	j = json_pack("{sI sI sf sf}", "rows", (json_int_t)w.ok, "errors", (json_int_t)w.errors, "seconds", secs,
		      "rows_per_s", rate);
	snprintf(name, sizeof(name), "writes_%s", t->label);
	json_object_set_new(d->data, name, j);
	snprintf(name, sizeof(name), "writes.%s", t->label);
	if (w.ok == t->rows)
		db_check(d, name, VS_CHECK_PASS, "%lld rows into %s in %.2f s (%.0f rows/s) from %d connections", w.ok,
			 t->table, secs, rate, apool_size(p));
	else
		db_check(d, name, VS_CHECK_FAIL, "%lld/%lld rows into %s; %lld errors (first: %s)", w.ok, t->rows,
			 t->table, w.errors, w.first_err[0] ? w.first_err : "connection lost");
	*dl += w.deadlocks;
	*ser += w.serial;
}

int db_writes(struct db *d)
{
	char app[160];
	struct apool *p;
	long long dl = 0, ser = 0;

	if (d->wt[0].rows <= 0 && d->wt[1].rows <= 0)
		return 0;
	snprintf(app, sizeof(app), "%s-w", d->app_run);
	p = apool_open(d, (int)d->write_k, app);
	if (!p) {
		db_check(d, "writes.call_logs", VS_CHECK_FAIL, "could not open %lld worker connections", d->write_k);
		return -1;
	}
	for (int i = 0; i < 2; i++)
		if (d->wt[i].rows > 0 && d->wt[i].checksummed && !d->h->should_stop(d->c))
			write_table(d, p, &d->wt[i], &dl, &ser);
	apool_close(p);
	d->writes_done = 1;
	db_check(d, "writes.no_deadlocks", dl == 0 ? VS_CHECK_PASS : VS_CHECK_FAIL,
		 "%lld deadlocks (40P01), %lld serialization failures (40001)", dl, ser);
	return 0;
}

/* --- cleanup -------------------------------------------------------------------- */

int db_cleanup(struct db *d)
{
	char q[300], qm[300], sql[1024], pat[64], name[128];
	const char *params[1] = {pat};
	int rc = 0;

	snprintf(pat, sizeof(pat), "%%vstress-%s-%%", d->runid);
	for (int i = 0; i < 2; i++) {
		struct wtable *t = &d->wt[i];
		char *mc;
		PGresult *r;
		if (!t->checksummed || quote_table(d, t->table, q, sizeof(q)))
			continue;
		mc = PQescapeIdentifier(d->ctl, t->marker, strlen(t->marker));
		if (!mc)
			continue;
		snprintf(qm, sizeof(qm), "%s", mc);
		PQfreemem(mc);
		/* exactly the rows carrying this run's marker */
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE %s LIKE $1", q, qm);
		r = db_query(d, sql, 1, params);
		snprintf(name, sizeof(name), "cleanup.%s", t->table);
		if (!r) {
			db_check(d, name, VS_CHECK_FAIL, "could not delete the rows vstress created in %s (marker %s)",
				 t->table, pat);
			rc = -1;
			continue;
		}
		db_check(d, name, VS_CHECK_PASS, "deleted the %s rows vstress created (write test and mixed load; %zu by the write test)",
			 PQcmdTuples(r), t->nkeys);
		PQclear(r);
	}
	return rc;
}
