/* db plugin: connection strings, connecting, and text that never shows the
 * password. */
#include "db.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vstress/crypto/scrub.h>

/* Passwords shorter than this are not scrubbed from free text (masking every
 * "a" would garble the log); the URL itself is always shown redacted. */
#define SCRUB_MIN 3

void db_scrub(const struct db *d, const char *src, char *dst, size_t len)
{
	vs_scrub(src, d->password, SCRUB_MIN, dst, len);
}

static void vscrub(const struct db *d, char *out, size_t len, const char *fmt, va_list ap)
{
	char raw[4096];
	vsnprintf(raw, sizeof(raw), fmt, ap);
	db_scrub(d, raw, out, len);
}

void db_log(struct db *d, int level, const char *fmt, ...)
{
	char s[4096];
	va_list ap;
	va_start(ap, fmt);
	vscrub(d, s, sizeof(s), fmt, ap);
	va_end(ap);
	d->h->log(d->c, level, "%s", s);
}

void db_check(struct db *d, const char *name, int status, const char *fmt, ...)
{
	char s[4096];
	va_list ap;
	va_start(ap, fmt);
	vscrub(d, s, sizeof(s), fmt, ap);
	va_end(ap);
	d->h->check(d->c, name, status, "%s", s);
}

void db_reason(struct db *d, const char *fmt, ...)
{
	char s[4096];
	va_list ap;
	va_start(ap, fmt);
	vscrub(d, s, sizeof(s), fmt, ap);
	va_end(ap);
	d->h->reason(d->c, "%s", s);
}

uint64_t db_rand(struct db *d)
{
	/* xorshift64*: replayable from host->seed */
	d->rng ^= d->rng >> 12;
	d->rng ^= d->rng << 25;
	d->rng ^= d->rng >> 27;
	return d->rng * 2685821657736338717ULL;
}

/* "postgresql://user:secret@host/db?password=x" -> secrets as ***. */
static char *redact_url(const char *url)
{
	size_t n = strlen(url);
	char *out = malloc(n + 16), *o = out;
	const char *p = url, *auth_end, *at = NULL, *colon = NULL;

	if (!out)
		return NULL;
	if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
		p = strstr(url, "://") + 3;
		auth_end = p + strcspn(p, "/?");
		for (const char *q = p; q < auth_end; q++)
			if (*q == '@')
				at = q;
		if (at)
			colon = memchr(p, ':', (size_t)(at - p));
		if (colon) {
			memcpy(o, url, (size_t)(colon + 1 - url));
			o += colon + 1 - url;
			memcpy(o, "***", 3);
			o += 3;
			p = at;
		} else {
			p = url;
		}
	} else {
		p = url;
	}
	/* password=... as a query parameter or a keyword/value pair */
	while (*p) {
		if (strncmp(p, "password=", 9) == 0 && (p == url || p[-1] == '&' || p[-1] == '?' || p[-1] == ' ')) {
			const char *e = p + 9;
			memcpy(o, "password=***", 12);
			o += 12;
			if (*e == '\'') {
				for (e++; *e && *e != '\''; e++)
					if (*e == '\\' && e[1])
						e++;
				if (*e)
					e++;
			} else {
				e += strcspn(e, "& ");
			}
			p = e;
			continue;
		}
		*o++ = *p++;
	}
	*o = '\0';
	return out;
}

int db_url_prepare(struct db *d)
{
	PQconninfoOption *opts = NULL;
	char *err = NULL;
	int rc = -1;

	d->url_shown = redact_url(d->url);
	if (!d->url_shown)
		goto out;
	opts = PQconninfoParse(d->url, &err);
	if (!opts) {
		/* libpq's message may quote the url: never pass it on */
		db_reason(d, "db url does not parse (%s)", d->url_shown);
		goto out;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
			d->password = strdup(o->val);
	rc = 0;
out:
	PQconninfoFree(opts);
	PQfreemem(err);
	return rc;
}

void db_conn_params(const struct db *d, const char *app, const char **kw, const char **val, char *tmo,
		    size_t tmolen)
{
	long long s = (d->connect_timeout_ms + 999) / 1000;
	snprintf(tmo, tmolen, "%lld", s < 2 ? 2 : s); /* libpq: values below 2 mean 2 */
	kw[0] = "dbname";
	val[0] = d->url;
	kw[1] = "application_name";
	val[1] = app;
	kw[2] = "connect_timeout";
	val[2] = tmo;
	kw[3] = NULL;
	val[3] = NULL;
}

PGconn *db_connect(struct db *d, const char *app, char *err, size_t errlen)
{
	const char *kw[4], *val[4];
	char tmo[24];
	PGconn *conn;

	db_conn_params(d, app, kw, val, tmo, sizeof(tmo));
	conn = PQconnectdbParams(kw, val, 1);
	if (!conn) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		db_conn_error(d, conn, err, errlen);
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

void db_conn_error(const struct db *d, PGconn *conn, char *buf, size_t len)
{
	const char *m = conn ? PQerrorMessage(conn) : "out of memory";
	char line[1024];
	size_t n = strcspn(m, "\n");

	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, m, n);
	line[n] = '\0';
	if (strstr(m, "Connection refused")) {
		const char *host = PQhost(conn), *port = PQport(conn);
		snprintf(line, sizeof(line), "connection refused at %s:%s", host && *host ? host : "localhost",
			 port && *port ? port : "5432");
	}
	db_scrub(d, line, buf, len);
}

const char *db_conn_sqlstate(PGconn *conn)
{
	static const struct {
		const char *text, *state;
	} map[] = {
		{"too many clients", "53300"},
		{"remaining connection slots are reserved", "53300"},
		{"too many connections for role", "53300"},
		{"too many connections for database", "53300"},
		{"password authentication failed", "28P01"},
		{"no pg_hba.conf entry", "28000"},
		{"does not exist", "3D000"},
		{"the database system is starting up", "57P03"},
		{"the database system is shutting down", "57P03"},
		{"timeout expired", "08001"},
		{"Connection refused", "08001"},
	};
	const char *m = conn ? PQerrorMessage(conn) : "";
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strstr(m, map[i].text))
			return map[i].state;
	return "08006";
}

const char *db_sqlstate(const PGresult *r)
{
	const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	return s ? s : "";
}

PGresult *db_query(struct db *d, const char *sql, int nparams, const char *const *params)
{
	PGresult *r = PQexecParams(d->ctl, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return r;
	db_log(d, VS_LOG_WARN, "query failed (%s): %s", db_sqlstate(r),
	       r ? PQresultErrorMessage(r) : PQerrorMessage(d->ctl));
	PQclear(r);
	return NULL;
}
