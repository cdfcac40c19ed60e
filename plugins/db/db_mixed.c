/* db plugin: mixed concurrent read/write load (Phase 7.2).  Each
 * transaction inserts a marked call-log row, runs the read statement and
 * updates mixed_update_rows rows that vstress created earlier in this run,
 * in key order (deadlock-free) or, with mixed_lock_order = random, in the
 * drawn order (what an application without a lock order does). */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mrun {
	struct db *d;
	uint64_t end_ns, last_sample;
	long long seq, txns, ok, reads, errors, deadlocks, serial;
	int *failed; /* per connection: the transaction in flight failed */
	int *ridx;   /* per connection: index of the next result (2 = the read) */
	char qtable[300];
	int metric, pool_metric;
	size_t pool;
	char first_err[300];
};

/* Total order of keys: numeric keys by length first, then text. */
static int key_cmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

static char *m_next(void *u, int i)
{
	struct mrun *m = u;
	struct db *d = m->d;
	struct wtable *t = &d->wt[0];
	char *ins, *sql = NULL, *qk = NULL;
	const char *pick[16];
	int np = 0;
	size_t len;

	if (d->h->now_ns() >= m->end_ns)
		return NULL;
	ins = tmpl_insert_sql(d->ctl, t, d->runid, 1000000000LL + m->seq++, i, NULL, NULL);
	if (!ins)
		return NULL;
	if (m->pool && d->call_logs_update && *d->call_logs_update) {
		np = (int)(d->mixed_update_rows > 16 ? 16 : d->mixed_update_rows);
		if ((size_t)np > m->pool)
			np = (int)m->pool;
		for (int k = 0; k < np; k++) {
			const char *c;
			int dup;
			do { /* distinct rows */
				c = t->keys[db_rand(d) % m->pool];
				dup = 0;
				for (int j = 0; j < k; j++)
					dup |= pick[j] == c;
			} while (dup);
			pick[k] = c;
		}
		if (!d->mixed_random_order)
			for (int a = 1; a < np; a++)
				for (int b = a; b > 0 && key_cmp(pick[b - 1], pick[b]) > 0; b--) {
					const char *tmp = pick[b];
					pick[b] = pick[b - 1];
					pick[b - 1] = tmp;
				}
	}
	len = strlen(ins) + 64 + (d->mixed_read_sql ? strlen(d->mixed_read_sql) : 0) +
	      (size_t)np * (strlen(t->table) + strlen(d->call_logs_update ? d->call_logs_update : "") + 300);
	sql = malloc(len);
	qk = PQescapeIdentifier(d->ctl, t->key, strlen(t->key));
	if (!sql || !qk) {
		free(sql);
		sql = NULL;
		goto out;
	}
	snprintf(sql, len, "BEGIN; %s;", ins);
	if (d->mixed_read_sql && *d->mixed_read_sql) {
		size_t o = strlen(sql);
		snprintf(sql + o, len - o, " %s;", d->mixed_read_sql);
	}
	for (int k = 0; k < np; k++) {
		size_t o = strlen(sql);
		/* keys came back from the server as text; quote them as literals */
		char *lit = PQescapeLiteral(d->ctl, pick[k], strlen(pick[k]));
		if (!lit)
			continue;
		snprintf(sql + o, len - o, " UPDATE %s SET %s WHERE %s = %s;", m->qtable,
			 d->call_logs_update, qk, lit);
		PQfreemem(lit);
	}
	{
		size_t o = strlen(sql);
		snprintf(sql + o, len - o, " COMMIT");
	}
	m->failed[i] = 0;
	m->ridx[i] = 0;
out:
	free(ins);
	PQfreemem(qk);
	return sql;
}

static void m_result(void *u, int i, PGresult *r)
{
	struct mrun *m = u;
	ExecStatusType st = PQresultStatus(r);
	if (m->ridx[i]++ == 2 && st == PGRES_TUPLES_OK && m->d->mixed_read_sql && *m->d->mixed_read_sql)
		m->reads++;
	if (st == PGRES_FATAL_ERROR) {
		m->failed[i] = 1;
		db_count_error(m->d, "mixed", r, &m->errors, &m->deadlocks, &m->serial, m->first_err,
			       sizeof(m->first_err));
	}
}

static void m_done(void *u, int i, uint64_t ns)
{
	struct mrun *m = u;
	m->txns++;
	if (!m->failed[i])
		m->ok++;
	m->d->h->record(m->d->c, m->metric, (int64_t)(ns / 1000u));
}

static int m_finished(void *u)
{
	struct mrun *m = u;
	uint64_t now = m->d->h->now_ns();
	long long n;
	if (now - m->last_sample > 250000000u) {
		m->last_sample = now;
		if (db_pool_count(m->d, &n) == 0) {
			m->d->h->record(m->d->c, m->pool_metric, n);
			if (m->d->pool_seen_min < 0 || n < m->d->pool_seen_min)
				m->d->pool_seen_min = n;
			if (n > m->d->pool_seen_max)
				m->d->pool_seen_max = n;
		}
	}
	return now >= m->end_ns;
}

int db_mixed(struct db *d)
{
	const struct vs_host *h = d->h;
	struct apool_ops ops = {m_next, m_result, m_done, m_finished};
	struct mrun m = {.d = d};
	struct apool *p;
	char app[160], pool[160] = "";
	double secs;
	uint64_t t0;
	int alive, stable;

	if (d->mixed_ms <= 0 || d->wt[0].rows < 0 || !d->wt[0].checksummed) {
		db_check(d, "mixed.no_deadlocks", VS_CHECK_SKIP, "mixed load disabled");
		return 0;
	}
	snprintf(app, sizeof(app), "%s-m", d->app_run);
	p = apool_open(d, (int)d->mixed_k, app);
	if (!p) {
		db_check(d, "mixed.pool_stable", VS_CHECK_FAIL, "could not open %lld connections", d->mixed_k);
		return -1;
	}
	m.failed = calloc((size_t)d->mixed_k, sizeof(*m.failed));
	m.ridx = calloc((size_t)d->mixed_k, sizeof(*m.ridx));
	{
		const char *params[1] = {d->wt[0].table};
		PGresult *r = db_query(d, "SELECT to_regclass($1)::text", 1, params);
		if (r && !PQgetisnull(r, 0, 0))
			snprintf(m.qtable, sizeof(m.qtable), "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	if (!m.failed || !m.ridx || !m.qtable[0]) {
		free(m.failed);
		free(m.ridx);
		apool_close(p);
		return -1;
	}
	m.pool = d->wt[0].nkeys;
	if (d->mixed_update_pool > 0 && (size_t)d->mixed_update_pool < m.pool)
		m.pool = (size_t)d->mixed_update_pool;
	m.metric = h->metric(d->c, "mixed_txn_latency", "us");
	m.pool_metric = h->metric(d->c, "target_pool_connections", "conn");
	t0 = h->now_ns();
	m.end_ns = t0 + (uint64_t)d->mixed_ms * 1000000u;
	d->pool_seen_min = d->pool_seen_max = -1;
	apool_run(p, &ops, &m);
	secs = (double)(h->now_ns() - t0) / 1e9;
	alive = apool_alive(p);
	json_object_set_new(d->data, "mixed",
			    json_pack("{sI sI sI sI sI sf}", "transactions", (json_int_t)m.txns, "committed",
				      (json_int_t)m.ok, "reads", (json_int_t)m.reads, "errors", (json_int_t)m.errors,
				      "deadlocks", (json_int_t)m.deadlocks, "seconds", secs));
	db_check(d, "mixed.transactions", m.txns > 0 && m.ok * 100 >= m.txns * 99 ? VS_CHECK_PASS : VS_CHECK_FAIL,
		 "%lld transactions in %.1f s (%.0f/s), %lld committed, %lld failed%s%s", m.txns, secs,
		 secs > 0 ? (double)m.txns / secs : 0.0, m.ok, m.txns - m.ok, m.first_err[0] ? "; first: " : "",
		 m.first_err);
	db_check(d, "mixed.no_deadlocks", m.deadlocks == 0 ? VS_CHECK_PASS : VS_CHECK_FAIL,
		 "%lld deadlocks (40P01), %lld serialization failures (40001) in %lld transactions", m.deadlocks,
		 m.serial, m.txns);
	stable = alive == apool_size(p);
	if (d->pool_seen_min >= 0) {
		snprintf(pool, sizeof(pool), "; target pool %lld..%lld", d->pool_seen_min, d->pool_seen_max);
		if (d->pool_min >= 0 && d->pool_seen_min < d->pool_min)
			stable = 0;
		if (d->pool_max >= 0 && d->pool_seen_max > d->pool_max)
			stable = 0;
	}
	db_check(d, "mixed.pool_stable", stable ? VS_CHECK_PASS : VS_CHECK_FAIL, "%d/%d vstress connections alive%s",
		 alive, apool_size(p), pool);
	free(m.failed);
	free(m.ridx);
	apool_close(p);
	return 0;
}
