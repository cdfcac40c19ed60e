/* load plugin: the target seen from outside during the load: its GET
 * /metrics (active calls, call outcomes, DB pool: the declared signals,
 * [target] signal.*) and its process tree (CPU, RSS), sampled by
 * background threads from before the batch to after
 * it drained. */
#include "load.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vstress/net/httpc.h>

static void add_group(const char *value, double sum, void *arg)
{
	json_object_set_new(arg, value, json_real(sum));
}

int ld_prom_read(const struct ld_sigs *sig, const char *url, struct ld_prom *out, json_t **groups)
{
	char err[256], *body = NULL;
	long status = 0;

	memset(out, 0, sizeof(*out));
	if (!url || !*url || vs_httpc("GET", url, NULL, 3000, &status, &body, err, sizeof(err)) != 0 ||
	    status != 200 || !body) {
		free(body);
		return -1;
	}
	out->ok = 1;
	out->has_active = vs_signal_sum(&sig->active, body, NULL, NULL, &out->active) > 0;
	out->has_calls = vs_signal_sum(&sig->calls, body, NULL, NULL, &out->calls_total) > 0;
	out->has_failed = vs_signal_sum(&sig->failed, body, NULL, NULL, &out->calls_error) > 0;
	out->has_pool = vs_signal_sum(&sig->pool_size, body, NULL, NULL, &out->pool_size) > 0;
	vs_signal_sum(&sig->pool_idle, body, NULL, NULL, &out->pool_idle);
	if (groups && sig->outcome) {
		json_decref(*groups);
		*groups = json_object();
		vs_signal_by_label(&sig->calls, body, sig->outcome, add_group, *groups);
	}
	free(body);
	return 0;
}

struct ld_mon {
	struct ld *p;
	struct vs_procmon *proc;
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
};

static void add_ms(struct timespec *ts, long long ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L)
		ts->tv_sec++, ts->tv_nsec -= 1000000000L;
}

/* /metrics every sample_ms (a slow answer delays the next reading; the
 * readings carry their own times). */
static void *prom_thread(void *arg)
{
	struct ld_mon *m = arg;
	struct ld *p = m->p;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		struct ld_promsample s = {0};
		pthread_mutex_unlock(&m->mu);
		s.t_ns = p->h->now_ns();
		ld_prom_read(&p->sig, p->t.metrics_url, &s.m, NULL);
		pthread_mutex_lock(&m->mu);
		if (s.m.ok) {
			struct ld_promsample *g = realloc(p->promser, (p->npromser + 1) * sizeof(*g));
			if (g) {
				p->promser = g;
				p->promser[p->npromser++] = s;
			}
		}
		add_ms(&next, p->sample_ms);
		while (!m->stop && pthread_cond_timedwait(&m->cv, &m->mu, &next) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

int ld_mon_start(struct ld *p)
{
	struct ld_mon *m = calloc(1, sizeof(*m));
	pthread_condattr_t ca;

	if (!m)
		return -1;
	m->p = p;
	pthread_mutex_init(&m->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cv, &ca);
	pthread_condattr_destroy(&ca);
	p->mon = m;
	if (p->t.pid && !(m->proc = vs_procmon_start(p->t.pid, (int)p->sample_ms)))
		p->h->log(p->c, VS_LOG_WARN, "cannot sample the target's process tree (pid %d)", (int)p->t.pid);
	if (p->t.metrics_url[0]) {
		if (pthread_create(&m->th, NULL, prom_thread, m) == 0)
			m->started = 1;
		else
			p->h->log(p->c, VS_LOG_WARN, "cannot start the /metrics sampler");
	}
	return 0;
}

void ld_mon_stop(struct ld *p)
{
	struct ld_mon *m = p->mon;

	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	m->stop = 1;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	if (m->started)
		pthread_join(m->th, NULL);
	free(p->proc);
	p->proc = NULL;
	p->nproc = m->proc ? vs_procmon_stop(m->proc, &p->proc) : 0;
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m);
	p->mon = NULL;
}
