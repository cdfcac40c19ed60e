/* setup plugin: the database URL parses (PQconninfoParse) and answers
 * `select 1` (Phase 1.3).  The password never appears in a message. */
#include "setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include <vstress/crypto/scrub.h>

/* The password candidates of a URL or key=value string, for scrubbing. */
static void find_secret(const char *url, char *pw, size_t len)
{
	const char *p = strstr(url, "://"), *at, *colon, *end;

	pw[0] = '\0';
	if (p) {
		p += 3;
		end = p + strcspn(p, "/?");
		at = NULL;
		for (const char *q = p; q < end; q++)
			if (*q == '@')
				at = q;
		colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
		if (colon && (size_t)(at - colon - 1) < len) {
			memcpy(pw, colon + 1, (size_t)(at - colon - 1));
			pw[at - colon - 1] = '\0';
			return;
		}
	}
	p = strstr(url, "password=");
	if (p) {
		p += 9;
		end = p + strcspn(p, " &'");
		if ((size_t)(end - p) < len) {
			memcpy(pw, p, (size_t)(end - p));
			pw[end - p] = '\0';
		}
	}
}

/* src with every occurrence of pw replaced by *** */
static void scrub(const char *src, const char *pw, char *dst, size_t len)
{
	size_t o = vs_scrub(src, pw, 3, dst, len);

	/* libpq's messages end in a newline */
	while (o && (dst[o - 1] == '\n' || dst[o - 1] == ' '))
		dst[--o] = '\0';
}

/* host:port/dbname as libpq parsed it, without credentials */
static void describe(PQconninfoOption *opts, char *out, size_t len)
{
	const char *host = "", *port = "", *db = "", *user = "";

	for (PQconninfoOption *o = opts; o && o->keyword; o++) {
		if (!o->val)
			continue;
		if (!strcmp(o->keyword, "host") || (!strcmp(o->keyword, "hostaddr") && !*host))
			host = o->val;
		else if (!strcmp(o->keyword, "port"))
			port = o->val;
		else if (!strcmp(o->keyword, "dbname"))
			db = o->val;
		else if (!strcmp(o->keyword, "user"))
			user = o->val;
	}
	snprintf(out, len, "%s%s%s%s%s/%s", user, *user ? "@" : "", *host ? host : "(default host)", *port ? ":" : "",
		 port, db);
}

void setup_db(struct setup *s)
{
	char *url = setup_opt(s, "database_url"), *timeout = NULL, pw[256], err[1024], where[512];
	char *perr = NULL;
	PQconninfoOption *opts = NULL;
	PGconn *conn = NULL;
	PGresult *r = NULL;
	long long tmo_ms = 5000;
	const char *keys[3] = {"dbname", "connect_timeout", NULL}, *vals[3];
	uint64_t t0;

	if (!url || !*url) {
		s->h->check(s->c, "db.url", VS_CHECK_SKIP, "DATABASE_URL not set ([setup] database_url): db probes will skip");
		s->h->check(s->c, "db.connect", VS_CHECK_SKIP, "no database URL");
		goto out;
	}
	find_secret(url, pw, sizeof(pw));
	opts = PQconninfoParse(url, &perr);
	if (!opts) {
		scrub(perr ? perr : "out of memory", pw, err, sizeof(err));
		s->h->check(s->c, "db.url", VS_CHECK_FAIL, "database URL does not parse: %s", err);
		s->h->check(s->c, "db.connect", VS_CHECK_SKIP, "the URL does not parse");
		goto out;
	}
	describe(opts, where, sizeof(where));
	s->h->check(s->c, "db.url", VS_CHECK_PASS, "database URL parses: %s", where);
	json_object_set_new(s->data, "database", json_pack("{s:s}", "where", where));
	if (s->h->opt_ms(s->c, "db_connect_timeout", &tmo_ms) < 0)
		tmo_ms = 5000;
	if (tmo_ms > s->h->remaining_ms(s->c) - 500)
		tmo_ms = s->h->remaining_ms(s->c) - 500;
	if (tmo_ms < 2000)
		tmo_ms = 2000; /* libpq's minimum */
	if (asprintf(&timeout, "%lld", (tmo_ms + 999) / 1000) < 0) {
		timeout = NULL;
		goto out;
	}
	vals[0] = url; /* dbname = a whole conninfo string or URL, expanded */
	vals[1] = timeout;
	vals[2] = NULL;
	t0 = s->h->now_ns();
	conn = PQconnectdbParams(keys, vals, 1);
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		scrub(conn ? PQerrorMessage(conn) : "out of memory", pw, err, sizeof(err));
		s->h->check(s->c, "db.connect", VS_CHECK_FAIL, "%s: %s", where, err);
		goto out;
	}
	r = PQexec(conn, "select 1");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "1")) {
		scrub(PQerrorMessage(conn), pw, err, sizeof(err));
		s->h->check(s->c, "db.connect", VS_CHECK_FAIL, "%s: select 1 failed: %s", where, err);
		goto out;
	}
	s->h->check(s->c, "db.connect", VS_CHECK_PASS, "%s: select 1 = 1 in %.1f ms (server %d)", where,
		    (double)(s->h->now_ns() - t0) / 1e6, PQserverVersion(conn));
	json_object_set_new(json_object_get(s->data, "database"), "server_version_num",
			    json_integer(PQserverVersion(conn)));
out:
	PQclear(r);
	if (conn)
		PQfinish(conn);
	if (opts)
		PQconninfoFree(opts);
	PQfreemem(perr);
	free(timeout);
	free(url);
}
