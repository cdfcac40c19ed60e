/* Scratch databases: see vstress/callphase/scratch.h. */
#include "vstress/callphase/scratch.h"

#include <postgresql/libpq-fe.h> /* -I/usr/include/postgresql is not in the util flags */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vstress/crypto/scrub.h"

/* libpq's messages may echo the connection string: never its password. */
static void scrub_password(const char *db_url, char *err, size_t errlen)
{
	PQconninfoOption *o = PQconninfoParse(db_url, NULL);
	char buf[600];

	for (PQconninfoOption *i = o; i && i->keyword; i++)
		if (!strcmp(i->keyword, "password") && i->val && *i->val) {
			vs_scrub(err, i->val, 1, buf, sizeof(buf));
			snprintf(err, errlen, "%s", buf);
		}
	PQconninfoFree(o);
}

int vs_scratch_marked(const char *db_url, int connect_timeout_s, char *err, size_t errlen)
{
	const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
	char tmo[16];
	const char *vals[] = {db_url, tmo, "vstress-scratch-check", NULL};
	PGconn *pg;
	PGresult *r = NULL;
	int out = -1;

	if (!db_url || !*db_url) {
		snprintf(err, errlen, "no database URL");
		return -1;
	}
	snprintf(tmo, sizeof(tmo), "%d", connect_timeout_s > 0 ? connect_timeout_s : 5);
	pg = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect: %s", PQerrorMessage(pg));
		goto out;
	}
	r = PQexec(pg, VS_SCRATCH_SQL);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		snprintf(err, errlen, "%s", PQerrorMessage(pg));
		goto out;
	}
	out = !strcmp(PQgetvalue(r, 0, 0), "t");
out:
	if (out < 0)
		scrub_password(db_url, err, errlen);
	PQclear(r);
	PQfinish(pg);
	return out;
}

int vs_scratch_setting(const char *v)
{
	static const char *const yes[] = {"true", "yes", "1", "on"}, *const no[] = {"false", "no", "0", "off"};

	if (!v || !*v || !strcasecmp(v, "auto"))
		return VS_SCRATCH_AUTO;
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]))
			return VS_SCRATCH_YES;
		if (!strcasecmp(v, no[i]))
			return VS_SCRATCH_NO;
	}
	return -1;
}
