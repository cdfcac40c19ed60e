/* Many whole simulated Telnyx calls at once, at most `concurrency` of them,
 * started in order, each at its intended time (start i at i * ramp_ms
 * after the batch began, never earlier; a late start is recorded, not
 * hidden), each taking vs_tcall_run's steps with its own ids.  They run
 * on one call flow (vstress/caller/callflow.h) on the calling thread: no
 * thread per call.  For load (Phase 7) and resource (Phase 10) phases. */
#ifndef VSTRESS_UTIL_CALLBATCH_H
#define VSTRESS_UTIL_CALLBATCH_H

#include <stddef.h>
#include <stdint.h>

#include "vstress/caller/telnyx_call.h"

struct vs_host;
struct vs_ctx;

struct vs_cbatch_cfg {
	const struct vs_tcall_cfg *base;             /* urls, numbers, signature...; seed is replaced per call */
	const struct vs_call_script *const *scripts; /* call i plays scripts[i % nscripts] */
	size_t nscripts;
	size_t ncalls;
	int concurrency; /* calls at once, >= 1; the engine's max_calls must allow it */
	int ramp_ms;     /* intended gap between starts; 0 = all at once (bounded by concurrency) */
	uint64_t seed;   /* call i gets ids from seed + i (mix a clock in for unique ids across runs) */
	/* optional: call i dials to_numbers[i % nto] instead of base->to (several tenants) */
	const char *const *to_numbers;
	size_t nto;
	/* polled before each start: non-zero stops starting new calls */
	int (*should_stop)(void *arg);
	void *arg;
	/* after each call, on the calling thread */
	void (*on_done)(void *arg, size_t i, const struct vs_tcall_result *r);
	/* optional: live progress on the terminal (host->progress): calls
	 * started, completed, in flight, failed (harness failure or r.error
	 * set) and the p95 of the first reply so far.  label NULL: "calls". */
	const struct vs_host *host;
	struct vs_ctx *ctx;
	const char *progress_label;
};

struct vs_cbatch_call {
	const struct vs_call_script *script; /* set for every call, also one never started */
	struct vs_tcall_result r; /* valid when ran */
	int ran;                  /* vs_tcall_run returned */
	int failed;               /* it returned -1 (harness side; r.error says why) */
	double intended_ms;       /* intended start, from the batch start (set for every call) */
	double started_ms;        /* actual start, from the batch start */
	double ended_ms;          /* when vs_tcall_run returned */
};

/* Runs the batch; out has cfg->ncalls entries (zeroed by the caller, freed
 * with vs_cbatch_clear).  Returns how many calls ran, or -1 with err when
 * the batch could not start (bad cfg, no thread). */
long vs_cbatch_run(struct vs_call_engine *eng, const struct vs_cbatch_cfg *cfg, struct vs_cbatch_call *out,
		   char *err, size_t errlen);
void vs_cbatch_clear(struct vs_cbatch_call *calls, size_t n);

#endif
