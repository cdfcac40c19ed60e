/* State of one `vstress run`, shared by the runner, the host table and the
 * report writer. */
#ifndef VS_RUN_H
#define VS_RUN_H

#include <signal.h>
#include <stdint.h>

#include "config.h"
#include "plan.h"

struct vs_run {
	struct vs_config *cfg;
	char *run_id;
	char *dir;        /* results/<run-id> */
	char *results_root;
	uint64_t seed;
	int sigfigs;
	long long timeout_ms; /* default per plugin */
	long long grace_ms;   /* SIGTERM -> SIGKILL */
	int no_fork;
	int verbose;  /* -1 quiet, 0 normal, 1 -v, 2 -vv */
	int tty;
	int color;
	int live;             /* progress refreshed in place: stderr a terminal, no NO_COLOR, not -q or -v */
	long long progress_ms; /* otherwise: a plain progress line at most this often */
	int strict;
	volatile sig_atomic_t *interrupted;
	/* --shard I/N (core/shard.h): shard_count 0 when the run is not sharded */
	int shard_index, shard_count;
	int shard_all;             /* --shard-all or [vstress] shard_all */
	struct json_t *summary_extra; /* keys added to test_summary.json (borrowed) */
	int no_latest;             /* do not point results/latest at this run */
	/* The loaded plugins and the run's plan, for host->declared_secrets
	 * (NULL outside `vstress run`). */
	struct vs_registry *reg;
	const struct vs_plan *plan;
};

#endif
