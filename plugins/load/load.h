/* load plugin (stress-test plan Phase 7.1 concurrent calls, and 7.2 the
 * database under load from the calls' side): N whole simulated Telnyx calls
 * at once (vs_cbatch_run), checked for completion, latency under load, our
 * own pacing, concurrency reached, races (answers, stream URLs, stuck or
 * failed calls in the agent's /metrics), the target's CPU and memory, and
 * what the calls left in the target's database (rows, turns, deadlocks,
 * pool). */
#ifndef VSTRESS_LOAD_H
#define VSTRESS_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include <vstress/plugin.h>
#include <vstress/caller/call.h>
#include <vstress/caller/callbatch.h>
#include <vstress/observe/proctree.h>
#include <vstress/caller/telnyx_call.h>
#include <vstress/callphase/calltarget.h>
#include <vstress/callphase/checkmsg.h>
#include <vstress/callphase/signals.h>

#include "ld_shape.h"

#define LD_VERSION "1.0.0"

/* The agent's signals the load reads ([target] signal.<name>). */
struct ld_sigs {
	struct vs_signal active, calls, failed, pool_size, pool_idle;
	const char *outcome; /* the label calls_failed selects by ("outcome"), or NULL */
};

/* The agent's /metrics read once. */
struct ld_prom {
	int ok;             /* GET /metrics answered 200 */
	int has_active;     /* signal.active_calls present */
	double active;
	int has_calls;      /* signal.calls present */
	double calls_total; /* all outcomes */
	int has_failed;     /* signal.calls_failed present */
	double calls_error;
	int has_pool;       /* signal.pool_size present */
	double pool_size, pool_idle;
};

/* /metrics sampled in the background during the load. */
struct ld_promsample {
	uint64_t t_ns;
	struct ld_prom m;
};

struct ld_mon; /* ld_target.c */

/* The scheduler's timeline: the closed model's target (-1: open model)
 * and the calls in progress, every 100 ms. */
struct ld_tl {
	double t_ms;
	int target, in_flight;
};

/* One concurrency level of the capacity search. */
struct ld_level {
	int conc;
	double from_ms, to_ms;   /* its calls' starts, from the batch start */
	size_t first, n;         /* its calls: p->calls[first .. first + n) */
	int holds;               /* every SLO met */
	double complete_pct, turn_p95, first_p95;
	size_t nturns, nfirst;
	char why[200];           /* the SLO it broke */
	double cpu_pct, rss_kb;  /* the target during the level: mean CPU (one core = 100), max RSS */
	long long seq0, seq1;    /* the world's billing log before the level and after its calls (-1: unread) */
};

/* A fault injected during the load ([load] faults). */
struct ld_fault {
	long long at_ms, for_ms;
	char target[48];
	char spec[200];
	int tenant; /* 0: all traffic; 2: only tenant 2's ([load] tenant_faults) */
};

struct ld {
	const struct vs_host *h;
	vs_ctx *c;
	/* where */
	struct vs_calltarget t; /* target, world, numbers, test tenant, call engine */
	struct ld_sigs sig;
	/* what */
	struct vs_call_script **scripts;
	size_t nscripts;
	struct vs_call_script **shard_scripts; /* the order a shard plays them (borrowed entries), or NULL */
	long long ncalls, warmup_calls, concurrency, ramp_ms, answer_timeout_ms, sample_ms, idle_ms, drain_ms;
	/* vstress run --shard I/N: this shard's slice (ncalls, concurrency and
	 * ramp above are the slice's); the unsharded figures; the slice starts
	 * offset_ms after the batch would have (ld_shard.c) */
	int shard_i, shard_n;
	long long total_calls, total_concurrency, total_ramp_ms, offset_ms;
	/* thresholds */
	long long first_reply_ms, turn_ms, min_concurrency, pool_min, pool_max;
	double max_late_pct, cpu_max_pct; /* cpu_max_pct < 0: not checked */
	const char *db_call_sql, *db_turns_sql;
	/* the batch */
	struct vs_cbatch_call *calls;
	long ran;
	uint64_t t0_ns, t_start_ns, t_end_ns, t_drained_ns; /* monitors start, batch start/end, drained */
	int m_first, m_turn, m_webhook, m_answer, m_lateness, m_cpu, m_rss;
	/* the target, around the batch */
	struct ld_prom prom_before, prom_after;
	json_t *calls_by_before, *calls_by_after; /* signal.calls per outcome label value */
	int drained;
	long long deadlocks_before, deadlocks_after; /* -1: unread */
	char db_err[256];
	struct vs_proc_sample *proc;
	size_t nproc;
	struct ld_promsample *promser;
	size_t npromser;
	struct ld_mon *mon;
	/* the shape (ld_shape.h); LD_BATCH: the plan's batch through vs_cbatch_run */
	struct ld_shape shape;
	int capacity;                          /* [load] mode = capacity */
	long long cap_start, cap_max, cap_hold_ms, cap_budget_ms, cap_min;
	double slo_complete_pct;
	long long slo_turn_ms, slo_first_ms;
	const char *llm_prices, *speech_prices; /* capacity.cost_per_call */
	struct ld_level *levels;
	size_t nlevels;
	struct ld_fault *faults;
	size_t nfaults;
	json_t *fault_ids;                     /* installed in the world */
	/* shaped runs: calls as they start (moved into calls afterwards) */
	struct vs_cbatch_call **recs;
	size_t nrecs, caprecs;
	struct ld_tl *tl;
	size_t ntl, captl;
	long arrivals, dropped;                /* open model */
	double rss_before_kb;
	/* soak (soak_mark set): RSS marks, slope, descriptors, threads */
	long long soak_mark_ms, fd_growth_max, thread_growth_max;
	double rss_slope_max;
	/* [load] tenants = 2 (ld_tenants.c): call i dials tenant i % 2 + 1's number */
	long long ntenants;
	struct vs_tenant_cfg tcfg2;
	struct vs_tenant tenant2;
	const char *to_numbers[2];
	long long tenant_hits; /* the world's hits of the tenant faults (-1: unread) */
	/* network impairments, whole run or per stage (ld_network.c); NULL: none */
	struct ld_net *net;
	const struct vs_call_script **net_batch; /* the batch's per-call copies (borrowed entries), or NULL */
};

/* ld_network.c: [load] network / stage_network.  conf: VS_OK, VS_ECONFIG
 * (reason naming the key and the token), VS_ERROR out of memory.  for: the
 * impairment of a call started in stage (0-based; -1: not a stage), NULL
 * for none.  script: s itself when unimpaired, else an impaired copy for
 * call k (owned by p->net, freed by ld_network_free); NULL out of memory. */
struct ld_net;
int ld_network_conf(struct ld *p);
const struct vs_impair_cfg *ld_network_for(const struct ld *p, int stage);
const struct vs_call_script *ld_network_script(struct ld *p, const struct vs_call_script *s, int stage, size_t k);
void ld_network_free(struct ld *p);

/* ld_conf.c */
extern const struct vs_option ld_options[];
/* Binds the state to its host and context, then reads the options. */
int ld_conf_load(struct ld *p, const struct vs_host *h, vs_ctx *c);
void ld_conf_free(struct ld *p);

/* ld_shard.c: narrow the configured batch to this shard's slice: calls
 * i % N == I - 1, concurrency divided, starts N ramps apart from the
 * shard's own first call, scripts as the unsharded call would play them.
 * VS_OK, or VS_SKIP when the slice is empty. */
int ld_shard_apply(struct ld *p);
/* The global index (0-based) of this shard's call i. */
long long ld_shard_global(const struct ld *p, size_t i);

/* ld_target.c: the agent's /metrics and the target's process tree, read
 * once or sampled by a background thread from before to after the batch. */
/* groups (NULL: not wanted): replaced by {outcome value: signal.calls sum}. */
int ld_prom_read(const struct ld_sigs *sig, const char *url, struct ld_prom *out, json_t **groups);
int ld_mon_start(struct ld *p);
void ld_mon_stop(struct ld *p); /* fills p->proc/nproc and p->promser/npromser */

/* ld_db.c: the target's database.  -1 with err on failure. */
long long ld_db_deadlocks(const char *url, char *err, size_t errlen);
long long ld_db_count(const char *url, const char *sql, const char *ccid, char *err, size_t errlen);

/* ld_checks.c: every check, the metrics and the attached data. */
void ld_checks(struct ld *p);
/* ld_target_checks.c */
void ld_check_agent(struct ld *p, json_t *sum);
void ld_check_cpu(struct ld *p, json_t *sum);
void ld_check_db_rows(struct ld *p, json_t *calls_json);
void ld_check_db_load(struct ld *p, json_t *sum);

/* ld_calls.c: what one call did, and the batch's concurrency. */
/* A call whose media leg ran. */
int ld_streamed(const struct vs_cbatch_call *c);
/* How many of its wait_reply steps the agent replied to. */
size_t ld_replied_turns(const struct vs_call_result *m);
/* Most calls running at the same moment ([started_ms, ended_ms)). */
int ld_max_overlap(const struct vs_cbatch_call *calls, size_t n);
/* Replied turn latencies after a caller utterance, appended to *v. */
int ld_turns_append(const struct vs_call_result *m, double **v, size_t *n);

/* ld_waterfall.c: per-turn waterfalls on calls_json's elements, their
 * percentiles (overall and by concurrency) in sum.waterfall. */
void ld_waterfall(struct ld *p, json_t *calls_json, json_t *sum);
/* ld_report.c: load_test.log and the per-call JSON. */
void ld_report(struct ld *p);
void ld_log_call(struct ld *p, size_t i);
void ld_log_rec(struct ld *p, const struct vs_cbatch_call *c, size_t i);

/* ld_sched.c: runs a stages or arrival shape from now (calls appended to
 * p->recs, times from p->t_start_ns); -1 with err when it cannot. */
int ld_sched_run(struct ld *p, const struct ld_shape *s, const struct vs_tcall_cfg *base, uint64_t seed, char *err,
		 size_t errlen);
/* Moves the records into p->calls / p->ncalls. */
int ld_sched_collect(struct ld *p);

/* ld_shape_conf.c: [load] stages, arrival_rate, mode = capacity, faults. */
int ld_shape_conf(struct ld *p);
/* The most calls the shape has in progress at once. */
int ld_shape_peak(const struct ld *p);

/* ld_stages.c: per-stage figures and checks (data.stages). */
void ld_stage_checks(struct ld *p, json_t *sum);
/* Percentiles of the calls [first, first + n): completion %, turn and
 * first-reply p95 (and p50), how many. */
struct ld_span {
	size_t calls, complete, errors, nturns, nfirst;
	double turn_p50, turn_p95, first_p50, first_p95;
};
void ld_span(const struct ld *p, size_t first, size_t n, struct ld_span *out);
void ld_span_of(const struct vs_cbatch_call *calls, size_t n, struct ld_span *out);
int ld_call_complete(const struct vs_cbatch_call *c);
void ld_call_problem(const struct vs_cbatch_call *c, char *out, size_t len);

/* ld_capacity.c: mode = capacity. */
int ld_capacity_run(struct ld *p, const struct vs_tcall_cfg *base, uint64_t seed, char *err, size_t errlen);
void ld_capacity_checks(struct ld *p, json_t *sum);

/* ld_soak.c: soak.memory, soak.fds, soak.threads (soak_mark set). */
void ld_check_soak(struct ld *p, json_t *sum);

/* ld_faults.c: [load] faults ("at 20s for 15s: openai error:status=500");
 * tenant 2: [load] tenant_faults, scoped to tenant 2's requests. */
int ld_faults_parse(const char *spec, int tenant, struct ld *p, char *err, size_t errlen);
/* The p50 of the replied caller turns outside every fault window (-1: none). */
double ld_faults_baseline(const struct ld *p, size_t *nout);
/* A call's worst turn inside a fault window: latency above base (-1: no
 * replied turn inside); turns_in: its caller turns inside. */
double ld_call_failover(const struct ld *p, const struct vs_cbatch_call *c, double base, size_t *turns_in);

/* ld_tenants.c: [load] tenants = 2, tenant_faults; tenants.isolated. */
int ld_tenants_conf(struct ld *p);
int ld_tenants_open(struct ld *p);   /* tenant 2's row, after vs_calltarget_open */
void ld_tenants_close(struct ld *p); /* removes it */
void ld_tenant_hits(struct ld *p);   /* the world's hits of the tenant faults; call before ld_faults_remove */
void ld_tenant_checks(struct ld *p, json_t *sum);
int ld_faults_install(struct ld *p, char *err, size_t errlen);
void ld_faults_remove(struct ld *p);
void ld_fault_checks(struct ld *p, json_t *sum);

#endif
