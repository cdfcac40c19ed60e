/* telnyx probe: the target's database (system_errors, its clock). */
#include <postgresql/libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "vstress/callphase/calltarget.h"

int tprobe_db_now(const char *url, char *out, size_t len, char *err, size_t errlen)
{
	PGconn *pg = vs_targetdb_open(url, err, errlen);
	PGresult *res = NULL;
	int rc = -1;

	if (!pg)
		goto out;
	res = PQexec(pg, "SELECT now()::text");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		snprintf(err, errlen, "SELECT now(): %.*s", (int)strcspn(PQerrorMessage(pg), "\n"), PQerrorMessage(pg));
		goto out;
	}
	snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
	rc = 0;
out:
	PQclear(res);
	PQfinish(pg);
	return rc;
}

/* {since} -> $1, {call_control_id} -> $2. */
static char *to_params(const char *sql)
{
	size_t n = strlen(sql);
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	while (*sql) {
		if (!strncmp(sql, "{since}", 7)) {
			memcpy(o, "$1", 2), o += 2, sql += 7;
		} else if (!strncmp(sql, "{call_control_id}", 17)) {
			memcpy(o, "$2", 2), o += 2, sql += 17;
		} else {
			*o++ = *sql++;
		}
	}
	*o = '\0';
	return out;
}

long tprobe_db_count(const char *url, const char *sql, const char *since, const char *ccid, char *err, size_t errlen)
{
	char *q = to_params(sql);
	const char *params[2] = {since, ccid};
	int np = strstr(sql, "{call_control_id}") ? 2 : strstr(sql, "{since}") ? 1 : 0;
	long n = -1;

	if (!q) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (np == 1 && strstr(q, "$2")) /* never happens: {call_control_id} alone still passes both */
		np = 2;
	n = (long)vs_targetdb_value(url, q, np, params, err, errlen);
out:
	free(q);
	return n;
}
