/* The host table handed to plugins, and the child-side context behind it.
 * Events go out as JSON lines on a pipe (forked mode) or straight into the
 * result (--no-fork). */
#ifndef VS_HOST_H
#define VS_HOST_H

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <vstress/plugin.h>

#include "plan.h"
#include "results.h"
#include "run.h"

struct vs_hist;

struct vs_metric_slot {
	char *name;
	char *unit;
	struct vs_hist *h;
};

struct vs_counter_slot {
	char *name;
	int64_t v;
};

struct vs_ctx {
	struct vs_run *run;
	struct vs_item *item;
	const struct vs_plugin *desc;
	int event_fd;              /* -1: deliver to `direct` */
	struct vs_result *direct;
	pthread_mutex_t mu;
	struct vs_metric_slot *m;
	size_t nm;
	struct vs_counter_slot *k;
	size_t nk;
	uint64_t deadline_ns;
	uint64_t last_flush_ns;
	volatile sig_atomic_t *stop;
	FILE *log;
	int term_fd;               /* the terminal's stderr, for -v */
	char **secrets;
	size_t nsecrets;
	char **defaults;           /* interpolated option defaults handed out */
	size_t ndefaults;
	int write_failed;
	uint64_t last_progress_ns; /* rate limit of progress events */
};

extern const struct vs_host vs_host_table;

/* Prepare a context for `item`; log_path is opened for append. */
int vs_ctx_init(struct vs_ctx *c, struct vs_run *run, struct vs_item *item, int event_fd, struct vs_result *direct,
		const char *log_path, int term_fd, uint64_t deadline_ns, volatile sig_atomic_t *stop);
void vs_ctx_free(struct vs_ctx *c);
/* setup -> run -> teardown with events; returns the exit code for the child. */
int vs_ctx_execute(struct vs_ctx *c);
/* Send an event (steals ev). */
void vs_ctx_emit(struct vs_ctx *c, json_t *ev);

#endif
