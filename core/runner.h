/* Runs one plugin in its own forked child and process group, under its
 * deadline (SIGTERM, then SIGKILL after the grace period), reading its
 * events from a pipe so a child that dies still leaves what it reported. */
#ifndef VS_RUNNER_H
#define VS_RUNNER_H

#include <sys/types.h>

#include "plan.h"
#include "results.h"
#include "run.h"

/* Fills res (initialised by the caller) with the plugin's outcome. */
void vs_runner_run(struct vs_run *run, struct vs_item *item, struct vs_result *res, int index, int total);

/* Signal handlers for vstress itself: SIGINT/SIGTERM set *run->interrupted. */
void vs_runner_install_signals(volatile sig_atomic_t *flag);
/* The process groups of the children alive now: a second SIGINT/SIGTERM
 * SIGKILLs every tracked group at once, from the handler. */
void vs_runner_track(pid_t pgid);
void vs_runner_untrack(pid_t pgid);
/* How many SIGINT/SIGTERM arrived (capped at 2). */
int vs_runner_signals(void);

#endif
