/* llm_anthropic: the agent's own system prompt for the Phase 4.4
 * conversations, so that live runs judge Claude under the instructions the
 * agent ships, never a prompt of ours.  One source at most: the text
 * (adversarial_system), a file (agent_prompt_file) or one row of the
 * agent's database (agent_prompt_sql on agent_prompt_db_url, e.g. its
 * tenant row's system_prompt). */
#include "agent_prompt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#define MAX_PROMPT (1L << 20)

static int blank(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

static char *from_file(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!fp) {
		snprintf(err, errlen, "[llm_anthropic] agent_prompt_file: %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 || n > MAX_PROMPT || fseek(fp, 0, SEEK_SET) != 0) {
		snprintf(err, errlen, "[llm_anthropic] agent_prompt_file: %s: not a readable file of at most 1 MiB", path);
		fclose(fp);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		snprintf(err, errlen, "[llm_anthropic] agent_prompt_file: %s: read error", path);
		free(buf);
		buf = NULL;
	} else if (buf) {
		buf[n] = '\0';
		if (strlen(buf) != (size_t)n || blank(buf)) {
			snprintf(err, errlen, "[llm_anthropic] agent_prompt_file: %s: %s", path,
				 blank(buf) ? "empty (no system prompt in it)" : "holds a NUL byte (not text)");
			free(buf);
			buf = NULL;
		}
	} else {
		snprintf(err, errlen, "[llm_anthropic] agent_prompt_file: out of memory");
	}
	fclose(fp);
	return buf;
}

/* The server's message, first line only (never the connection string). */
static void pg_msg(const char *what, const char *m, char *err, size_t errlen)
{
	if (!m || !*m)
		m = "unknown error";
	snprintf(err, errlen, "[llm_anthropic] agent_prompt_sql: %s%.*s", what, (int)strcspn(m, "\n"), m);
}

static char *from_sql(const char *url, const char *sql, char *err, size_t errlen)
{
	const char *keys[] = {"dbname", "connect_timeout", NULL};
	const char *vals[] = {url, "5", NULL};
	PGconn *pg;
	PGresult *res;
	char *out = NULL;

	if (!url || !*url) {
		snprintf(err, errlen, "[llm_anthropic] agent_prompt_sql: no database to ask (agent_prompt_db_url is empty)");
		return NULL;
	}
	pg = PQconnectdbParams(keys, vals, 1);
	if (!pg || PQstatus(pg) != CONNECTION_OK) {
		pg_msg("cannot connect to the agent's database (agent_prompt_db_url): ", pg ? PQerrorMessage(pg) : NULL,
		       err, errlen);
		PQfinish(pg);
		return NULL;
	}
	res = PQexec(pg, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		pg_msg("", PQresultErrorMessage(res), err, errlen);
	else if (PQntuples(res) != 1 || PQnfields(res) < 1)
		snprintf(err, errlen,
			 "[llm_anthropic] agent_prompt_sql: returned %d row(s); it must return exactly one, the agent's "
			 "system prompt in its first column",
			 PQntuples(res));
	else if (PQgetisnull(res, 0, 0) || blank(PQgetvalue(res, 0, 0)))
		snprintf(err, errlen, "[llm_anthropic] agent_prompt_sql: the row's system prompt is %s",
			 PQgetisnull(res, 0, 0) ? "NULL" : "empty");
	else if (!(out = strdup(PQgetvalue(res, 0, 0))))
		snprintf(err, errlen, "[llm_anthropic] agent_prompt_sql: out of memory");
	PQclear(res);
	PQfinish(pg);
	return out;
}

int agent_prompt_load(const char *text, const char *file, const char *sql, const char *db_url, char **out,
		      const char **from, char *err, size_t errlen)
{
	const char *names[3] = {"adversarial_system", "agent_prompt_file", "agent_prompt_sql"};
	const char *set[3] = {text, file, sql};
	int which = -1;

	*out = NULL;
	*from = NULL;
	for (int i = 0; i < 3; i++) {
		if (!set[i] || !*set[i])
			continue;
		if (which >= 0) {
			snprintf(err, errlen, "[llm_anthropic] %s and %s are both set: give the agent's system prompt once",
				 names[which], names[i]);
			return -1;
		}
		which = i;
	}
	if (which < 0)
		return 0;
	*from = names[which];
	if (which == 0)
		*out = strdup(text);
	else if (which == 1)
		*out = from_file(file, err, errlen);
	else
		*out = from_sql(db_url, sql, err, errlen);
	if (!*out && which == 0)
		snprintf(err, errlen, "[llm_anthropic] adversarial_system: out of memory");
	return *out ? 0 : -1;
}
