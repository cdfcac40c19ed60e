/* load plugin: reading the target's database (read-only): the deadlock
 * counter of its database, and the rows one call left there. */
#include <postgresql/libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

long long ld_db_deadlocks(const char *url, char *err, size_t errlen)
{
	return vs_targetdb_value(url, "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()", 0,
				 NULL, err, errlen);
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
	v = vs_targetdb_value(url, q, uses ? 1 : 0, uses ? &ccid : NULL, err, errlen);
	free(q);
	return v;
}
