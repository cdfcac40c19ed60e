#include "reap.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

void vs_reap_init(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

/* Our live children, from /proc/<pid>/stat (ppid, state); kills each one. */
static int kill_children(char *names, size_t len, size_t *used)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t me = getpid();
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[300], buf[512], *rp, state;
		int ppid, w;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		buf[0] = '\0';
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		rp = strrchr(buf, ')');
		if (!rp || sscanf(rp + 1, " %c %d", &state, &ppid) != 2 || ppid != me || state == 'Z')
			continue;
		kill((pid_t)atoi(e->d_name), SIGKILL);
		{
			char *lp = strchr(buf, '(');
			w = snprintf(names + *used, len - *used, "%s%.*s(%s)", *used ? ", " : "",
				     lp ? (int)(rp - lp - 1) : 1, lp ? lp + 1 : "?", e->d_name);
			if (w > 0 && *used + (size_t)w < len)
				*used += (size_t)w;
		}
		n++;
	}
	closedir(d);
	return n;
}

int vs_reap_strays(char *names, size_t len)
{
	size_t used = 0;
	int total = 0, n, pass;

	if (len)
		names[0] = '\0';
	for (pass = 0; pass < 20; pass++) {
		n = kill_children(names, len, &used);
		total += n;
		usleep(n ? 50000 : 0);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (!n)
			break;
	}
	return total;
}
