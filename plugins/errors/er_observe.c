/* errors plugin: observing the target (/health, /metrics, its database, its
 * process) and the world (stats, faults). */
#include "errors.h"

#include <vstress/callphase/plugopt.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include <vstress/net/httpc.h>

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void er_sleep_ms(struct er *e, long long ms)
{
	vs_popt_sleep(e->h, e->c, ms);
}

long er_get(const char *url, int timeout_ms, char **body, double *ms)
{
	char err[256], *resp = NULL;
	long status = 0;
	double t0 = mono_ms();

	if (vs_httpc("GET", url, NULL, timeout_ms, &status, &resp, err, sizeof(err)) != 0)
		status = 0;
	if (ms)
		*ms = mono_ms() - t0;
	if (body)
		*body = resp;
	else
		free(resp);
	return status;
}

char *er_metrics(struct er *e)
{
	char *body = NULL;
	long st = er_get(e->t.metrics_url, (int)er_ms(e, "http_timeout"), &body, NULL);
	if (st != 200) {
		free(body);
		return NULL;
	}
	return body;
}

double er_prom(struct er *e, const char *text, const char *signal, const char *labels, int *present)
{
	struct vs_signal extra;
	double sum = 0;
	int n = 0;

	if (text && vs_signal_parse_labels(labels, &extra, NULL, 0) == 0)
		n = vs_signal_sum(er_signal(e, signal), text, NULL, &extra, &sum);
	if (present)
		*present = n > 0;
	return n > 0 ? sum : 0;
}

const char *er_sig(struct er *e, const char *signal)
{
	const struct vs_signal *s = er_signal(e, signal);
	return vs_signal_declared(s) ? s->name : s->key;
}

const char *er_sig_why(struct er *e, const char *signal, char *buf, size_t len)
{
	return vs_signal_why(er_signal(e, signal), buf, len);
}

double er_world_stat(struct er *e, const char *standin, const char *counter)
{
	char url[1200], *body = NULL;
	double v = -1;
	json_t *j, *x;

	snprintf(url, sizeof(url), "%s/_vstress/stats", e->t.control_url);
	if (er_get(url, 3000, &body, NULL) != 200 || !body) {
		free(body);
		return -1;
	}
	j = json_loads(body, 0, NULL);
	free(body);
	x = json_object_get(json_object_get(j, standin), counter);
	if (json_is_number(x))
		v = json_number_value(x);
	else if (json_is_object(json_object_get(j, standin)))
		v = 0; /* the stand-in is there, no such request yet */
	json_decref(j);
	return v;
}

int er_fault_on(struct er *e, const char *target, const char *specs, char *err, size_t errlen)
{
	json_t *ids = NULL;

	if (vs_wfaults_install(e->t.control_url, target, specs, &ids, err, errlen) != 0)
		return -1;
	if (!e->fault_ids)
		e->fault_ids = json_array();
	json_array_extend(e->fault_ids, ids);
	json_decref(ids);
	e->h->log(e->c, VS_LOG_INFO, "fault on %s: %s", target, specs);
	return 0;
}

void er_faults_off(struct er *e)
{
	if (!e->fault_ids)
		return;
	if (json_array_size(e->fault_ids))
		e->h->log(e->c, VS_LOG_INFO, "faults removed (%zu)", json_array_size(e->fault_ids));
	vs_wfaults_remove(e->t.control_url, e->fault_ids); /* frees ids */
	e->fault_ids = NULL;
}

char *er_db_now(struct er *e, char *err, size_t errlen)
{
	PGconn *pg = PQconnectdb(e->t.db_url);
	PGresult *r = NULL;
	char *out = NULL;

	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to db_url: %s", PQerrorMessage(pg));
		goto out;
	}
	r = PQexec(pg, "SELECT quote_literal(now()::text)");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		snprintf(err, errlen, "SELECT now(): %s", PQerrorMessage(pg));
	else
		out = strdup(PQgetvalue(r, 0, 0));
out:
	PQclear(r);
	PQfinish(pg);
	return out;
}

long er_db_count(struct er *e, const char *tmpl, const char *since, char *err, size_t errlen)
{
	size_t cap = strlen(tmpl) + strlen(since) * 4 + 64, len = 0;
	char *sql = malloc(cap);
	const char *p = tmpl;
	PGconn *pg = NULL;
	PGresult *r = NULL;
	long n = -1;

	if (!sql)
		return -1;
	while (*p) { /* {since} -> the literal */
		if (!strncmp(p, "{since}", 7)) {
			len += (size_t)snprintf(sql + len, cap - len, "%s::timestamptz", since);
			p += 7;
		} else {
			sql[len++] = *p++;
		}
	}
	sql[len] = '\0';
	pg = PQconnectdb(e->t.db_url);
	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to db_url: %s", PQerrorMessage(pg));
		goto out;
	}
	r = PQexec(pg, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQnfields(r) < 1) {
		snprintf(err, errlen, "%.120s: %s", sql, PQerrorMessage(pg));
		goto out;
	}
	n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
out:
	PQclear(r);
	PQfinish(pg);
	free(sql);
	return n;
}

int er_alive(struct er *e)
{
	if (!e->t.pid)
		return -1;
	return kill(e->t.pid, 0) == 0 || errno == EPERM;
}

char *er_target_env(struct er *e, const char *name)
{
	char path[64], buf[65536];
	size_t n, nl = strlen(name);
	FILE *f;

	if (!e->t.pid || !*name)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)e->t.pid);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
		if (!strncmp(buf + i, name, nl) && buf[i + nl] == '=')
			return strdup(buf + i + nl + 1);
	return NULL;
}

int er_breaker_settle(struct er *e, const char *labels, long long wait_ms)
{
	double open = 1, t0 = mono_ms();
	e->h->opt_double(e->c, "breaker_open_value", &open);
	for (;;) {
		char *m = er_metrics(e);
		int present;
		double v = er_prom(e, m, "breaker_state", labels, &present);
		free(m);
		if (!present || v != open)
			return 0;
		if (mono_ms() - t0 >= (double)wait_ms || e->h->should_stop(e->c))
			return -1;
		er_sleep_ms(e, 1000);
	}
}
