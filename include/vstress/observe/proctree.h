/* The target's process tree as /proc shows it: resident memory, CPU time,
 * threads, open descriptors and process count of a process and every
 * descendant (a launched target may be `sh -c` around the real server, or
 * fork workers), read once or sampled by a background thread.
 *
 * Linux only.  CPU time of a descendant that has already exited is not
 * counted (the kernel folds it into the parent only once reaped). */
#ifndef VSTRESS_UTIL_PROCTREE_H
#define VSTRESS_UTIL_PROCTREE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct vs_proc_sample {
	uint64_t t_ns;   /* CLOCK_MONOTONIC when read */
	long rss_kb;     /* VmRSS summed over the tree */
	double cpu_s;    /* utime + stime summed over the tree, seconds */
	int nproc;       /* processes in the tree */
	int threads;     /* threads summed over the tree */
	int fds;         /* open descriptors summed; -1 when any was unreadable */
};

/* One reading of root's tree: 0, or -1 when root is gone (out zeroed). */
int vs_proc_sample(pid_t root, struct vs_proc_sample *out);

/* CPU use between two readings, in percent of one core (200 = two cores
 * busy); 0 when the interval is empty. */
double vs_proc_cpu_pct(const struct vs_proc_sample *a, const struct vs_proc_sample *b);

/* A thread reading root's tree every interval_ms (>= 10) into a series
 * that grows as needed.  NULL on bad arguments or when no thread can be
 * made. */
struct vs_procmon;
struct vs_procmon *vs_procmon_start(pid_t root, int interval_ms);
/* A copy of the series so far (malloc'd, caller frees); its length. */
size_t vs_procmon_snapshot(struct vs_procmon *m, struct vs_proc_sample **out);
/* Stops the thread, hands over the whole series (caller frees *out; out
 * may be NULL to drop it) and frees m.  Safe with m NULL (returns 0). */
size_t vs_procmon_stop(struct vs_procmon *m, struct vs_proc_sample **out);

#endif
