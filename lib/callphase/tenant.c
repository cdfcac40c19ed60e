/* Test tenants in the target's database through SQL templates: see
 * vs_tenant_create / vs_tenant_remove in vstress/caller/telnyx_call.h.
 * Placeholders become quoted SQL literals (PQescapeLiteral). */
#include <postgresql/libpq-fe.h> /* -I/usr/include/postgresql is not in the util flags */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vstress/caller/telnyx_call.h"
#include "vstress/callphase/calltarget.h"

struct subst {
	const char *name, *value;
};

static int grow(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t nc = (*cap ? *cap * 2 : 256) + n;
		char *nb = realloc(*buf, nc);
		if (!nb)
			return -1;
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* The template with {name} replaced by quoted literals; NULL on error. */
static char *expand(PGconn *pg, const char *tpl, const struct subst *subs, size_t nsubs, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	const char *p = tpl;

	while (*p) {
		const char *q = strchr(p, '{'), *e;
		size_t i;
		if (!q) {
			if (grow(&buf, &len, &cap, p, strlen(p)))
				goto fail;
			break;
		}
		if (grow(&buf, &len, &cap, p, (size_t)(q - p)))
			goto fail;
		e = strchr(q, '}');
		for (i = 0; e && i < nsubs; i++)
			if (strlen(subs[i].name) == (size_t)(e - q - 1) && !strncmp(q + 1, subs[i].name, (size_t)(e - q - 1)))
				break;
		if (!e || i == nsubs) { /* not ours: keep the brace */
			if (grow(&buf, &len, &cap, q, 1))
				goto fail;
			p = q + 1;
			continue;
		}
		if (!subs[i].value) {
			snprintf(err, errlen, "template uses {%s}, which is not set", subs[i].name);
			goto fail2;
		}
		char *lit = PQescapeLiteral(pg, subs[i].value, strlen(subs[i].value));
		if (!lit)
			goto fail;
		int r = grow(&buf, &len, &cap, lit, strlen(lit));
		PQfreemem(lit);
		if (r)
			goto fail;
		p = e + 1;
	}
	return buf ? buf : strdup("");
fail:
	snprintf(err, errlen, "out of memory expanding a SQL template");
fail2:
	free(buf);
	return NULL;
}

/* The server's message, first line only (never the connection string). */
static void pg_err(PGconn *pg, const char *what, char *err, size_t errlen)
{
	const char *m = pg ? PQerrorMessage(pg) : "out of memory";
	int n = (int)strcspn(m, "\n");
	snprintf(err, errlen, "%s: %.*s", what, n, m);
}

PGconn *vs_targetdb_open(const char *url, char *err, size_t errlen)
{
	PGconn *pg;
	const char *keys[] = {"dbname", "connect_timeout", NULL};
	const char *vals[] = {url, "5", NULL};

	if (!url || !*url) {
		snprintf(err, errlen, "no database URL (db_url)");
		return NULL;
	}
	pg = PQconnectdbParams(keys, vals, 1);
	if (!pg || PQstatus(pg) != CONNECTION_OK) {
		pg_err(pg, "cannot connect to the target's database", err, errlen);
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

long long vs_targetdb_value(const char *url, const char *sql, int nparams, const char *const *params, char *err,
			    size_t errlen)
{
	PGconn *pg = vs_targetdb_open(url, err, errlen);
	PGresult *res = NULL;
	long long v = -1;

	if (!pg)
		return -1;
	res = PQexecParams(pg, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1 || PQnfields(res) < 1) {
		const char *m = PQresultErrorMessage(res);
		if (!m || !*m)
			m = "no row returned";
		snprintf(err, errlen, "%.*s", (int)strcspn(m, "\n"), m);
		goto out;
	}
	v = PQgetisnull(res, 0, 0) ? 0 : strtoll(PQgetvalue(res, 0, 0), NULL, 10);
out:
	PQclear(res);
	PQfinish(pg);
	return v;
}

int vs_tenant_create(const struct vs_tenant_cfg *cfg, struct vs_tenant *t, char *err, size_t errlen)
{
	static atomic_uint counter;
	PGconn *pg = NULL;
	PGresult *res = NULL;
	char *sql = NULL, name[256];
	int rc = -1;

	memset(t, 0, sizeof(*t));
	snprintf(t->marker, sizeof(t->marker), "vstress-%ld-%d-%u", (long)time(NULL), (int)getpid(),
		 atomic_fetch_add(&counter, 1) + 1);
	if (!cfg->create_sql || !*cfg->create_sql || !cfg->number) {
		snprintf(err, errlen, "tenant: create_sql and number are required");
		goto out;
	}
	if (!cfg->name || !*cfg->name)
		snprintf(name, sizeof(name), "%s", t->marker);
	else if (strstr(cfg->name, t->marker))
		snprintf(name, sizeof(name), "%s", cfg->name);
	else
		snprintf(name, sizeof(name), "%s %s", cfg->name, t->marker);
	pg = vs_targetdb_open(cfg->db_url, err, errlen);
	if (!pg)
		goto out;
	{
		struct subst s[] = {{"number", cfg->number}, {"fallback", cfg->fallback}, {"name", name}, {"marker", t->marker}};
		sql = expand(pg, cfg->create_sql, s, 4, err, errlen);
	}
	if (!sql)
		goto out;
	res = PQexec(pg, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_err(pg, "tenant create_sql failed", err, errlen);
		goto out;
	}
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		snprintf(t->key, sizeof(t->key), "%s", PQgetvalue(res, 0, 0));
	if (!t->key[0]) {
		snprintf(err, errlen, "tenant create_sql returned no row (it must return the new tenant's key)");
		goto out;
	}
	t->created = 1;
	rc = 0;
out:
	PQclear(res);
	free(sql);
	PQfinish(pg);
	return rc;
}

int vs_tenant_remove(const struct vs_tenant_cfg *cfg, struct vs_tenant *t, char *err, size_t errlen)
{
	PGconn *pg = NULL;
	PGresult *res = NULL;
	char *sql = NULL;
	int rc = -1;

	if (!t || !t->created)
		return 0;
	if (!cfg->remove_sql || !*cfg->remove_sql) {
		snprintf(err, errlen, "tenant: remove_sql is required");
		goto out;
	}
	pg = vs_targetdb_open(cfg->db_url, err, errlen);
	if (!pg)
		goto out;
	{
		struct subst s[] = {{"key", t->key}, {"number", cfg->number}, {"marker", t->marker}};
		sql = expand(pg, cfg->remove_sql, s, 3, err, errlen);
	}
	if (!sql)
		goto out;
	res = PQexec(pg, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_err(pg, "tenant remove_sql failed", err, errlen);
		goto out;
	}
	t->created = 0;
	rc = 0;
out:
	PQclear(res);
	free(sql);
	PQfinish(pg);
	return rc;
}
