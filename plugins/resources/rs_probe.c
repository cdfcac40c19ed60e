/* resources plugin: the target's GET /metrics and its connections in
 * pg_stat_activity, read once or by a background watcher (peaks during the
 * load). */
#include "resources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vstress/net/httpc.h>

int rs_prom_read(const struct rs_sigs *sig, const char *metrics_url, struct rs_prom *out)
{
	char *body = NULL, err[256];
	long status = 0;

	memset(out, 0, sizeof(*out));
	if (vs_httpc("GET", metrics_url, NULL, 3000, &status, &body, err, sizeof(err)) != 0 || status != 200) {
		free(body);
		return -1;
	}
	out->ok = 1;
	out->has_active = vs_signal_sum(&sig->active, body, NULL, NULL, &out->active) > 0;
	out->has_bg = vs_signal_sum(&sig->bg, body, NULL, NULL, &out->bg) > 0;
	out->has_pool = vs_signal_sum(&sig->pool_size, body, NULL, NULL, &out->pool_size) > 0;
	out->has_idle = vs_signal_sum(&sig->pool_idle, body, NULL, NULL, &out->pool_idle) > 0;
	/* histograms: the declared name's _count and _sum */
	out->has_vad = vs_signal_sum(&sig->vad, body, "_count", NULL, &out->vad_cnt) > 0;
	vs_signal_sum(&sig->vad, body, "_sum", NULL, &out->vad_sum);
	out->has_turn = vs_signal_sum(&sig->turn, body, "_count", NULL, &out->turn_cnt) > 0;
	vs_signal_sum(&sig->turn, body, "_sum", NULL, &out->turn_sum);
	out->has_timeouts = vs_signal_sum(&sig->timeouts, body, NULL, NULL, &out->timeouts) > 0;
	free(body);
	return 0;
}

long rs_db_count(PGconn *db, const char *sql, char *err, size_t errlen)
{
	PGresult *r;
	long n = -1;

	if (!db)
		return -1;
	r = PQexec(db, sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	else if (err)
		snprintf(err, errlen, "%s", PQerrorMessage(db));
	PQclear(r);
	return n;
}

static void nap_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void *watch_main(void *arg)
{
	struct rs_watch *w = arg;

	for (;;) {
		struct rs_prom pm;
		long n = rs_db_count(w->db, w->count_sql, NULL, 0);
		int ok = rs_prom_read(w->sig, w->metrics_url, &pm) == 0;

		pthread_mutex_lock(&w->mu);
		if (n > w->db_peak)
			w->db_peak = n;
		if (ok && pm.has_pool && pm.pool_size > w->pool_peak)
			w->pool_peak = pm.pool_size;
		if (ok && pm.has_active && pm.active > w->active_peak)
			w->active_peak = pm.active;
		if (w->stop) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		pthread_mutex_unlock(&w->mu);
		for (int slept = 0; slept < w->interval_ms; slept += 50) {
			int stop;
			nap_ms(50);
			pthread_mutex_lock(&w->mu);
			stop = w->stop;
			pthread_mutex_unlock(&w->mu);
			if (stop)
				break;
		}
	}
	return NULL;
}

int rs_watch_start(struct rs_watch *w)
{
	w->db_peak = -1;
	w->pool_peak = -1;
	w->active_peak = -1;
	w->stop = 0;
	if (pthread_mutex_init(&w->mu, NULL) != 0)
		return -1;
	if (pthread_create(&w->th, NULL, watch_main, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		return -1;
	}
	w->running = 1;
	return 0;
}

/* Stops the thread after one last reading. */
void rs_watch_stop(struct rs_watch *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	pthread_mutex_destroy(&w->mu);
	w->running = 0;
}
