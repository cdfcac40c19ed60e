/* A process tree's memory, CPU, threads and descriptors from /proc, once or
 * sampled by a thread (include/vstress/observe/proctree.h). */
#include "vstress/observe/proctree.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct pinfo {
	pid_t pid, ppid;
	double cpu_s;
	int threads;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ppid, utime+stime and threads from /proc/<pid>/stat (the comm field may
 * hold spaces and ')', so parsing starts after the last ')'). */
static int read_stat(pid_t pid, struct pinfo *pi)
{
	char path[64], buf[1024], *rp;
	unsigned long ut = 0, st = 0;
	long nthr = 0;
	int ppid = -1;
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	/* fields 3.. : state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime cutime cstime priority nice num_threads */
	if (!rp || sscanf(rp + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %ld", &ppid,
			  &ut, &st, &nthr) != 4)
		return -1;
	pi->pid = pid;
	pi->ppid = (pid_t)ppid;
	pi->cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	pi->threads = (int)nthr;
	return 0;
}

static long vmrss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "VmRSS:", 6)) {
			kb = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return kb < 0 ? 0 : kb; /* zombies have none */
}

static int count_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int vs_proc_sample(pid_t root, struct vs_proc_sample *out)
{
	struct pinfo *all = NULL, rootinfo;
	size_t n = 0, cap = 0;
	char *in = NULL;
	DIR *d = NULL;
	struct dirent *e;
	int changed, rc = -1;

	memset(out, 0, sizeof *out);
	out->t_ns = mono_ns();
	if (root <= 0 || read_stat(root, &rootinfo) != 0)
		goto out;
	d = opendir("/proc");
	if (!d)
		goto out;
	while ((e = readdir(d))) {
		struct pinfo pi;
		if (!isdigit((unsigned char)e->d_name[0]) || read_stat((pid_t)atoi(e->d_name), &pi) != 0)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 512;
			struct pinfo *np = realloc(all, nc * sizeof *np);
			if (!np)
				goto out;
			all = np;
			cap = nc;
		}
		all[n++] = pi;
	}
	in = calloc(n ? n : 1, 1);
	if (!in)
		goto out;
	/* mark descendants until nothing changes (the process table is small) */
	do {
		changed = 0;
		for (size_t i = 0; i < n; i++) {
			if (in[i] || all[i].pid == root)
				continue;
			if (all[i].ppid == root) {
				in[i] = 1, changed = 1;
				continue;
			}
			for (size_t j = 0; j < n; j++)
				if (in[j] && all[j].pid == all[i].ppid) {
					in[i] = 1, changed = 1;
					break;
				}
		}
	} while (changed);
	out->nproc = 1;
	out->cpu_s = rootinfo.cpu_s;
	out->threads = rootinfo.threads;
	out->rss_kb = vmrss_kb(root);
	out->fds = count_fds(root);
	for (size_t i = 0; i < n; i++) {
		long kb;
		int fds;
		if (!in[i] || (kb = vmrss_kb(all[i].pid)) < 0)
			continue; /* exited meanwhile */
		out->nproc++;
		out->rss_kb += kb;
		out->cpu_s += all[i].cpu_s;
		out->threads += all[i].threads;
		fds = count_fds(all[i].pid);
		out->fds = out->fds < 0 || fds < 0 ? -1 : out->fds + fds;
	}
	rc = out->rss_kb >= 0 ? 0 : -1;
out:
	if (d)
		closedir(d);
	free(all);
	free(in);
	return rc;
}

double vs_proc_cpu_pct(const struct vs_proc_sample *a, const struct vs_proc_sample *b)
{
	double dt = b->t_ns > a->t_ns ? (double)(b->t_ns - a->t_ns) / 1e9 : 0;
	double dc = b->cpu_s - a->cpu_s;
	return dt > 0 && dc > 0 ? 100.0 * dc / dt : 0;
}

struct vs_procmon {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pid_t root;
	int interval_ms, stop;
	struct vs_proc_sample *v;
	size_t n, cap;
};

static void *mon_main(void *arg)
{
	struct vs_procmon *m = arg;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		struct vs_proc_sample s;
		pthread_mutex_unlock(&m->mu);
		int ok = vs_proc_sample(m->root, &s) == 0;
		pthread_mutex_lock(&m->mu);
		if (ok && m->n == m->cap) {
			size_t nc = m->cap ? m->cap * 2 : 256;
			struct vs_proc_sample *nv = realloc(m->v, nc * sizeof *nv);
			if (nv)
				m->v = nv, m->cap = nc;
		}
		if (ok && m->n < m->cap)
			m->v[m->n++] = s;
		/* on the intended schedule, not interval after the read */
		next.tv_nsec += (long)m->interval_ms * 1000000L;
		while (next.tv_nsec >= 1000000000L)
			next.tv_nsec -= 1000000000L, next.tv_sec++;
		while (!m->stop && pthread_cond_timedwait(&m->cv, &m->mu, &next) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

struct vs_procmon *vs_procmon_start(pid_t root, int interval_ms)
{
	struct vs_procmon *m;
	pthread_condattr_t ca;

	if (root <= 0 || interval_ms < 10)
		return NULL;
	m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->root = root;
	m->interval_ms = interval_ms;
	pthread_mutex_init(&m->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&m->th, NULL, mon_main, m) != 0) {
		pthread_cond_destroy(&m->cv);
		pthread_mutex_destroy(&m->mu);
		free(m);
		return NULL;
	}
	return m;
}

size_t vs_procmon_snapshot(struct vs_procmon *m, struct vs_proc_sample **out)
{
	size_t n;

	*out = NULL;
	if (!m)
		return 0;
	pthread_mutex_lock(&m->mu);
	n = m->n;
	*out = malloc((n ? n : 1) * sizeof **out);
	if (*out && n)
		memcpy(*out, m->v, n * sizeof **out);
	pthread_mutex_unlock(&m->mu);
	return *out ? n : 0;
}

size_t vs_procmon_stop(struct vs_procmon *m, struct vs_proc_sample **out)
{
	size_t n;

	if (out)
		*out = NULL;
	if (!m)
		return 0;
	pthread_mutex_lock(&m->mu);
	m->stop = 1;
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
	pthread_join(m->th, NULL);
	n = m->n;
	if (out)
		*out = m->v;
	else
		free(m->v);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m);
	return n;
}
