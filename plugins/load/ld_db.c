/* load plugin: reading the target's database (read-only): the deadlock
 * counter of its database, and the rows one call left there. */
#include <postgresql/libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

/* One bigint from a query with at most one parameter. */
static long long one_value(const char *url, const char *sql, const char *param, char *err, size_t errlen)
{
	PGconn *pg = vs_targetdb_open(url, err, errlen);
	PGresult *res = NULL;
	long long v = -1;

	if (!pg)
		return -1;
	res = PQexecParams(pg, sql, param ? 1 : 0, NULL, param ? &param : NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1 || PQnfields(res) < 1) {
		const char *m = PQresultErrorMessage(res);
		snprintf(err, errlen, "%.*s", (int)strcspn(m && *m ? m : "no row returned", "\n"),
			 m && *m ? m : "no row returned");
		goto out;
	}
	v = PQgetisnull(res, 0, 0) ? 0 : strtoll(PQgetvalue(res, 0, 0), NULL, 10);
out:
	PQclear(res);
	PQfinish(pg);
	return v;
}

long long ld_db_deadlocks(const char *url, char *err, size_t errlen)
{
	return one_value(url, "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()", NULL, err,
			 errlen);
}

/* {call_control_id} -> $1 (a parameter, never spliced into the text). */
long long ld_db_count(const char *url, const char *sql, const char *ccid, char *err, size_t errlen)
{
	static const char tok[] = "{call_control_id}";
	size_t n = strlen(sql), tl = sizeof(tok) - 1;
	char *q = malloc(n + 1), *o = q;
	int uses = 0;
	long long v;

	if (!q) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (*sql) {
		if (!strncmp(sql, tok, tl)) {
			memcpy(o, "$1", 2), o += 2, sql += tl, uses = 1;
		} else {
			*o++ = *sql++;
		}
	}
	*o = '\0';
	v = one_value(url, q, uses ? ccid : NULL, err, errlen);
	free(q);
	return v;
}
