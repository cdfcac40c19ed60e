/* db plugin: connection storm (Phase 2.1) and pool monitoring (10.3).
 * N non-blocking PQconnectStartParams at once, one poll() loop, each
 * connection held for a seeded random time, then released; afterwards no
 * vstress connection may remain in pg_stat_activity. */
#include "db.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum slot_state { S_CONNECTING, S_HELD, S_DONE };

struct slot {
	PGconn *conn;
	enum slot_state st;
	PostgresPollingStatusType want;
	uint64_t t0, hold_until;
};

struct fail_tally {
	char state[8];
	long long n;
	char first[256];
};

int db_pool_count(struct db *d, long long *n)
{
	const char *params[2] = {d->target_app ? d->target_app : "", d->target_user ? d->target_user : ""};
	PGresult *r;

	if (!d->target_app && !d->target_user)
		return -1;
	r = db_query(d,
		     "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
		     " AND ($1 = '' OR application_name = $1) AND ($2 = '' OR usename = $2)"
		     " AND pid <> pg_backend_pid()",
		     2, params);
	if (!r)
		return -1;
	*n = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

static void pool_sample(struct db *d, int metric, json_t *series, const char *when)
{
	long long n;
	if (db_pool_count(d, &n))
		return;
	d->h->record(d->c, metric, n);
	if (d->pool_seen_min < 0 || n < d->pool_seen_min)
		d->pool_seen_min = n;
	if (n > d->pool_seen_max)
		d->pool_seen_max = n;
	if (when)
		json_object_set_new(series, when, json_integer(n));
}

/* vstress connections other than the control connection (by name prefix). */
static long long vstress_remaining(struct db *d, char *names, size_t len)
{
	char pat[160];
	const char *params[2] = {pat, d->app};
	PGresult *r;
	long long n;

	snprintf(pat, sizeof(pat), "%s-%%", d->app);
	r = db_query(d,
		     "SELECT count(*), coalesce(string_agg(DISTINCT application_name, ', '), '')"
		     " FROM pg_stat_activity WHERE (application_name LIKE $1 OR application_name = $2)"
		     " AND pid <> pg_backend_pid()",
		     2, params);
	if (!r)
		return -1;
	n = atoll(PQgetvalue(r, 0, 0));
	snprintf(names, len, "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	return n;
}

static void headroom(struct db *d, long long *room)
{
	PGresult *r = db_query(d,
			       "SELECT current_setting('max_connections')::int,"
			       " current_setting('superuser_reserved_connections')::int,"
			       " (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')",
			       0, NULL);
	long long max, res, used;
	*room = -1;
	if (!r)
		return;
	max = atoll(PQgetvalue(r, 0, 0));
	res = atoll(PQgetvalue(r, 0, 1));
	used = atoll(PQgetvalue(r, 0, 2));
	PQclear(r);
	*room = max - res - used;
	json_object_set_new(d->data, "max_connections", json_integer(max));
	json_object_set_new(d->data, "superuser_reserved_connections", json_integer(res));
	json_object_set_new(d->data, "connections_in_use_before", json_integer(used));
	json_object_set_new(d->data, "connection_headroom", json_integer(*room));
}

static void tally(struct fail_tally *t, size_t *nt, const char *state, const char *msg)
{
	size_t i;
	for (i = 0; i < *nt; i++)
		if (strcmp(t[i].state, state) == 0)
			break;
	if (i == *nt) {
		if (*nt == 16)
			i = 15; /* keep the last slot for the rest */
		else
			(*nt)++;
		snprintf(t[i].state, sizeof(t[i].state), "%s", state);
		t[i].n = 0;
		snprintf(t[i].first, sizeof(t[i].first), "%s", msg);
	}
	t[i].n++;
}

static void slot_fail(struct db *d, struct slot *s, struct fail_tally *t, size_t *nt)
{
	char err[256], name[64];
	const char *state = db_conn_sqlstate(s->conn);
	db_conn_error(d, s->conn, err, sizeof(err));
	tally(t, nt, state, err);
	snprintf(name, sizeof(name), "storm_connect_failures_%s", state);
	d->h->count(d->c, "storm_connect_failures", 1);
	d->h->count(d->c, name, 1);
	PQfinish(s->conn);
	s->conn = NULL;
	s->st = S_DONE;
}

static int storm_loop(struct db *d, struct slot *s, int n, int lat_metric, int pool_metric, json_t *series,
		      struct fail_tally *t, size_t *nt, long long *peak)
{
	const struct vs_host *h = d->h;
	const char *kw[4], *val[4];
	char tmo[24], app[160], pat[200];
	struct pollfd *pfd = calloc((size_t)n, sizeof(*pfd));
	int *idx = calloc((size_t)n, sizeof(*idx));
	uint64_t last_sample = 0, span = (uint64_t)(d->hold_max_ms - d->hold_min_ms + 1);
	int ok = 0, rc = -1;

	if (!pfd || !idx)
		goto out;
	snprintf(app, sizeof(app), "%s-storm", d->app_run);
	snprintf(pat, sizeof(pat), "%s", app);
	db_conn_params(d, app, kw, val, tmo, sizeof(tmo));
	for (int i = 0; i < n; i++) {
		s[i].t0 = h->now_ns();
		s[i].conn = PQconnectStartParams(kw, val, 1);
		s[i].want = PGRES_POLLING_WRITING;
		s[i].st = S_CONNECTING;
		if (!s[i].conn || PQstatus(s[i].conn) == CONNECTION_BAD)
			slot_fail(d, &s[i], t, nt);
	}
	for (;;) {
		uint64_t now = h->now_ns();
		int nfd = 0, live = 0, timeout = 50;
		for (int i = 0; i < n; i++) {
			if (s[i].st == S_HELD && now >= s[i].hold_until) {
				PQfinish(s[i].conn);
				s[i].conn = NULL;
				s[i].st = S_DONE;
			}
			if (s[i].st == S_CONNECTING && now - s[i].t0 > (uint64_t)d->connect_timeout_ms * 1000000u) {
				tally(t, nt, "08001", "timeout expired");
				h->count(d->c, "storm_connect_failures", 1);
				h->count(d->c, "storm_connect_failures_08001", 1);
				PQfinish(s[i].conn);
				s[i].conn = NULL;
				s[i].st = S_DONE;
			}
			if (s[i].st == S_DONE)
				continue;
			live++;
			if (s[i].st == S_HELD) {
				int64_t left = (int64_t)((s[i].hold_until - now) / 1000000u) + 1;
				if (left < timeout)
					timeout = (int)left;
				continue;
			}
			pfd[nfd].fd = PQsocket(s[i].conn);
			pfd[nfd].events = s[i].want == PGRES_POLLING_READING ? POLLIN : POLLOUT;
			pfd[nfd].revents = 0;
			idx[nfd++] = i;
		}
		if (!live)
			break;
		/* sample the pools while the storm is on (control connection) */
		if (now - last_sample > 50000000u) {
			char cnt_sql[] = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1";
			const char *params[1] = {pat};
			PGresult *r = db_query(d, cnt_sql, 1, params);
			if (r) {
				long long c = atoll(PQgetvalue(r, 0, 0));
				if (c > *peak)
					*peak = c;
				PQclear(r);
			}
			pool_sample(d, pool_metric, series, NULL);
			last_sample = h->now_ns();
		}
		if (nfd == 0) {
			poll(NULL, 0, timeout);
			continue;
		}
		if (poll(pfd, (nfds_t)nfd, timeout) <= 0)
			continue;
		for (int k = 0; k < nfd; k++) {
			struct slot *sl = &s[idx[k]];
			if (!pfd[k].revents)
				continue;
			sl->want = PQconnectPoll(sl->conn);
			if (sl->want == PGRES_POLLING_OK) {
				uint64_t end = h->now_ns();
				h->record(d->c, lat_metric, (int64_t)((end - sl->t0) / 1000u));
				sl->st = S_HELD;
				sl->hold_until = end + (uint64_t)(d->hold_min_ms + (long long)(db_rand(d) % span)) * 1000000u;
				ok++;
			} else if (sl->want == PGRES_POLLING_FAILED) {
				slot_fail(d, sl, t, nt);
			}
		}
	}
	rc = ok;
out:
	free(pfd);
	free(idx);
	return rc;
}

/* The target's pool is judged against bounds only (target_pool_min/max):
 * that it was seen proves nothing, so it is not a check of its own (issue
 * 13); the sizes seen are the target_pool_connections metric. */
static void pool_check(struct db *d, const char *name, long long bound)
{
	if (bound < 0)
		return;
	if (!d->target_app && !d->target_user)
		db_check(d, name, VS_CHECK_SKIP, "target pool not identified (set target_application_name or target_user)");
	else if (d->pool_seen_min < 0)
		db_check(d, name, VS_CHECK_SKIP, "target pool could not be sampled");
	else if (!strcmp(name, "pool.min"))
		db_check(d, name, d->pool_seen_min >= bound ? VS_CHECK_PASS : VS_CHECK_FAIL,
			 "target pool min %lld connections, expected >= %lld", d->pool_seen_min, bound);
	else
		db_check(d, name, d->pool_seen_max <= bound ? VS_CHECK_PASS : VS_CHECK_FAIL,
			 "target pool max %lld connections, expected <= %lld", d->pool_seen_max, bound);
}

static void pool_checks(struct db *d)
{
	if (d->pool_seen_min >= 0)
		d->h->log(d->c, VS_LOG_INFO, "target pool seen with %lld..%lld connections", d->pool_seen_min,
			  d->pool_seen_max);
	pool_check(d, "pool.min", d->pool_min);
	pool_check(d, "pool.max", d->pool_max);
}

int db_storm(struct db *d)
{
	const struct vs_host *h = d->h;
	struct fail_tally t[16];
	size_t nt = 0;
	long long n = d->storm_n, room, peak = 0, left = -1;
	struct slot *s = NULL;
	json_t *series = json_object();
	int lat, pool_metric, ok;
	char names[512] = "", fails[1024] = "";
	uint64_t until;

	d->pool_seen_min = -1;
	d->pool_seen_max = -1;
	lat = h->metric(d->c, "storm_connect_latency", "us");
	pool_metric = h->metric(d->c, "target_pool_connections", "conn");
	headroom(d, &room);
	pool_sample(d, pool_metric, series, "before");
	if (room >= 0) {
		h->check_value(d->c, "storm.headroom", (double)room, VS_GE, (double)n, "connections");
		if (d->scratch && !d->scratch_marked && n > room / 2) {
			/* a server vstress did not start: never take its last free slots */
			db_log(d, VS_LOG_WARN, "not vstress's own server: storm capped at %lld connections (half the headroom)",
			       room / 2);
			n = room / 2;
		}
	}
	if (!d->scratch) {
		/* the storm would crowd out the database's own clients: the pool is
		 * only looked at */
		db_check(d, "storm.connect", VS_CHECK_SKIP, "%s", d->scratch_why);
		db_check(d, "storm.recovery", VS_CHECK_SKIP, "%s", d->scratch_why);
		pool_sample(d, pool_metric, series, "after");
		pool_checks(d);
		goto out;
	}
	if (n <= 0) {
		db_check(d, "storm.connect", VS_CHECK_SKIP, "storm_connections = 0 or no headroom");
		goto out;
	}
	s = calloc((size_t)n, sizeof(*s));
	if (!s)
		goto out;
	ok = storm_loop(d, s, (int)n, lat, pool_metric, series, t, &nt, &peak);
	json_object_set_new(series, "during_max", json_integer(d->pool_seen_max));
	for (size_t i = 0; i < nt; i++) {
		size_t l = strlen(fails);
		snprintf(fails + l, sizeof(fails) - l, "%s%.8s x%lld (%.160s)", i ? ", " : "", t[i].state, t[i].n,
			 t[i].first);
	}
	if (ok == n && VS_HOST_HAS(h, percentile) && h->percentile)
		db_check(d, "storm.connect", VS_CHECK_PASS,
			 "%lld/%lld connections opened (connect p50 %lld us, p99 %lld us), peak %lld seen at once", n, n,
			 (long long)h->percentile(d->c, lat, 50, NULL), (long long)h->percentile(d->c, lat, 99, NULL),
			 peak);
	else if (ok == n)
		db_check(d, "storm.connect", VS_CHECK_PASS, "%lld/%lld connections opened, peak %lld seen at once", n, n,
			 peak);
	else
		db_check(d, "storm.connect", VS_CHECK_FAIL, "%d/%lld connections opened; failures: %s", ok < 0 ? 0 : ok,
			 n, fails);
	json_object_set_new(d->data, "storm_connected", json_integer(ok < 0 ? 0 : ok));
	json_object_set_new(d->data, "storm_peak_seen", json_integer(peak));

	/* recovery: released backends leave pg_stat_activity shortly after */
	until = h->now_ns() + (uint64_t)d->recovery_ms * 1000000u;
	do {
		left = vstress_remaining(d, names, sizeof(names));
		if (left <= 0)
			break;
		poll(NULL, 0, 50);
	} while (h->now_ns() < until);
	if (left == 0)
		db_check(d, "storm.recovery", VS_CHECK_PASS, "no vstress connection left after release");
	else if (left > 0)
		db_check(d, "storm.recovery", VS_CHECK_FAIL, "%lld vstress connections remain after release (%s)", left,
			 names);
	else
		db_check(d, "storm.recovery", VS_CHECK_SKIP, "pg_stat_activity not readable");
	pool_sample(d, pool_metric, series, "after");
	pool_checks(d);
out:
	json_object_set_new(d->data, "target_pool", series);
	free(s);
	return 0;
}
