/* pipeline plugin: the target's memory, VmRSS of its process and of every
 * descendant (a launched target may be `sh -c` around the real server, or
 * fork workers), from /proc. */
#include "pipeline.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ppid from /proc/<pid>/stat (the comm field may hold spaces and ')'). */
static pid_t ppid_of(pid_t pid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	size_t n;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	if (!rp || sscanf(rp + 1, " %*c %d", &ppid) != 1)
		return -1;
	return (pid_t)ppid;
}

static long vmrss_kb(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6)) {
			kb = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return kb < 0 ? 0 : kb; /* kernel threads / zombies have none */
}

long pl_rss_tree_kb(pid_t root, int *nproc)
{
	pid_t *pids = NULL, *par = NULL;
	size_t n = 0, cap = 0;
	char *in = NULL;
	long total = -1, kb;
	DIR *d = NULL;
	struct dirent *e;
	int changed;

	*nproc = 0;
	if (root <= 0 || (kb = vmrss_kb(root)) < 0)
		goto out;
	d = opendir("/proc");
	if (!d)
		goto out;
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 512;
			pid_t *np = realloc(pids, nc * sizeof(*np)), *pp;
			if (!np)
				goto out;
			pids = np;
			pp = realloc(par, nc * sizeof(*pp));
			if (!pp)
				goto out;
			par = pp;
			cap = nc;
		}
		pids[n] = (pid_t)atoi(e->d_name);
		par[n] = ppid_of(pids[n]);
		n++;
	}
	in = calloc(n ? n : 1, 1);
	if (!in)
		goto out;
	/* mark descendants until nothing changes (the process table is small) */
	do {
		changed = 0;
		for (size_t i = 0; i < n; i++) {
			if (in[i] || pids[i] == root)
				continue;
			if (par[i] == root) {
				in[i] = 1, changed = 1;
				continue;
			}
			for (size_t j = 0; j < n; j++)
				if (in[j] && pids[j] == par[i]) {
					in[i] = 1, changed = 1;
					break;
				}
		}
	} while (changed);
	total = kb;
	*nproc = 1;
	for (size_t i = 0; i < n; i++)
		if (in[i] && (kb = vmrss_kb(pids[i])) >= 0) {
			total += kb;
			(*nproc)++;
		}
out:
	if (d)
		closedir(d);
	free(pids);
	free(par);
	free(in);
	return total;
}
