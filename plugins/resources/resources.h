/* resources plugin (stress-test plan Phase 10 and 8.4): the target's process
 * tree and database while whole simulated calls run.
 *   10.1 memory: baseline after a warm-up call, RSS after each of M calls
 *        (least-squares slope per call), after a settle time (growth),
 *        threads and descriptors back to baseline, the agent's active calls
 *        and background tasks back to baseline (/metrics);
 *   8.4  one long call with RSS every second: growth rate, memory released;
 *   10.2 CPU at idle and under the call load; VAD and Smart Turn time from
 *        the target's /metrics;
 *   10.3 the target's connections in pg_stat_activity before, at peak and
 *        after the load: leaks, pool bounds, connection timeouts.
 * Artifact: memory_profile.txt. */
#ifndef VSTRESS_RESOURCES_H
#define VSTRESS_RESOURCES_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <libpq-fe.h>

#include <vstress/plugin.h>
#include <vstress/caller/call.h>
#include <vstress/caller/callbatch.h>
#include <vstress/observe/proctree.h>
#include <vstress/caller/telnyx_call.h>
#include <vstress/callphase/calltarget.h>
#include <vstress/callphase/signals.h>

#define RS_VERSION "1.0.0"

/* The agent's signals the plugin reads ([target] signal.<name>). */
struct rs_sigs {
	struct vs_signal active, bg, pool_size, pool_idle, vad, turn, timeouts;
};

/* What the plugin reads from GET /metrics. */
struct rs_prom {
	int ok; /* /metrics answered 200 */
	double active, bg, pool_size, pool_idle;
	int has_active, has_bg, has_pool, has_idle;
	double vad_sum, vad_cnt, turn_sum, turn_cnt, timeouts;
	int has_vad, has_turn, has_timeouts;
};

/* One reading after a call ended (in completion order). */
struct rs_row {
	size_t call; /* 0-based index in the batch */
	double t_s;  /* since the batch started */
	struct vs_proc_sample s;
	int ok; /* the process was there */
};

/* Background sampler of the database (pg_stat_activity) and of /metrics
 * during the load: peaks. */
struct rs_watch {
	pthread_t th;
	int running, stop;
	pthread_mutex_t mu;
	PGconn *db;
	const char *count_sql, *metrics_url;
	const struct rs_sigs *sig;
	int interval_ms;
	long db_peak;      /* -1: never read */
	double pool_peak;  /* -1: never read */
	double active_peak;
};

struct rs {
	const struct vs_host *h;
	vs_ctx *c;
	/* where */
	struct vs_calltarget t; /* target, world, numbers, test tenant, call engine */
	/* what */
	struct vs_call_script *script, *long_script;
	long long ncalls, concurrency, ramp_ms, warmup_calls, idle_ms, settle_ms, long_ms, long_skip_ms,
		answer_timeout_ms;
	/* thresholds */
	double max_slope_kb, max_growth_mb, long_max_mb_per_min, long_release_mb, max_cpu_pct, vad_max_rt_pct,
		turn_max_ms;
	long long threads_slack, fds_slack, bg_slack, db_slack, pool_min, pool_max;
	struct rs_sigs sig;
	const char *smart_turn_hint;
	/* database */
	const char *db_app, *db_user;
	char count_sql[512];
	PGconn *db;
	char db_err[256];
	long db_before, db_peak, db_after; /* -1: not read */
	double pool_peak;
	/* measurements */
	int have_proc;
	struct vs_proc_sample idle0, base, batch_end, final;
	double cpu_idle_pct, cpu_load_mean, cpu_load_max, batch_s, slope_kb, long_rate;
	struct vs_proc_sample *series; /* batch + settle, 1 s */
	size_t nseries;
	uint64_t batch_t0;
	struct vs_cbatch_call *calls;
	long ran;
	struct rs_row *rows;
	size_t nrows;
	struct rs_prom pm0, pm1;
	int settled_active; /* active calls reached 0 during the settle time */
	/* 8.4 */
	int long_ran, long_failed;
	struct vs_tcall_result long_r;
	struct vs_proc_sample long_pre, long_post, *lseries;
	size_t nlseries;
	int m_rss, m_cpu;
	char *verdicts; /* "status name: message" lines for the report */
	size_t vlen;
};

/* rs_conf.c */
extern const struct vs_option rs_options[];
/* Binds the state to its host and context, then reads the options. */
int rs_conf_load(struct rs *p, const struct vs_host *h, vs_ctx *c);
void rs_conf_free(struct rs *p);

/* rs_probe.c: /metrics and the database */
int rs_prom_read(const struct rs_sigs *sig, const char *metrics_url, struct rs_prom *out);
long rs_db_count(PGconn *db, const char *sql, char *err, size_t errlen);
int rs_watch_start(struct rs_watch *w);
void rs_watch_stop(struct rs_watch *w);

/* rs_checks.c */
double rs_slope(const double *x, const double *y, size_t n);
void rs_checks(struct rs *p);
/* rs_report.c: memory_profile.txt */
void rs_report(struct rs *p);

#endif
