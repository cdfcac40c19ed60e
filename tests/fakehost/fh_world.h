/* The real world (`vstress world`) as a subprocess on ephemeral ports, for
 * plugin tests.  The binary is VSTRESS_TEST_BIN, else the vstress next to
 * the plugin directory (VSTRESS_TEST_PLUGIN_DIR, default build/plugins ->
 * build/vstress).  Valgrind runs never trace it (it is not under test). */
#ifndef VSTRESS_FH_WORLD_H
#define VSTRESS_FH_WORLD_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

static inline const char *fh_plugin_dir(void)
{
	const char *d = getenv("VSTRESS_TEST_PLUGIN_DIR");
	return d && *d ? d : "build/plugins";
}

/* The built shared object of a plugin (a static buffer). */
static inline const char *fh_so(const char *name)
{
	static char path[600];
	snprintf(path, sizeof path, "%s/%s.so", fh_plugin_dir(), name);
	return path;
}

static inline void fh_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* execv's argv is char *const[]; it never writes the strings. */
static inline char *fh_arg(const char *s)
{
	return (char *)(uintptr_t)s;
}

/* Does the URLs document name the control API and every stand-in of need
 * (a comma list; NULL: none)? */
static inline int fh_world_ready(const json_t *urls, const char *need)
{
	char name[64];
	const char *p = need;

	if (!json_string_value(json_object_get(urls, "control")))
		return 0;
	while (p && *p) {
		size_t n = strcspn(p, ",");
		snprintf(name, sizeof name, "%.*s", (int)n, p);
		if (!json_object_get(json_object_get(urls, "standins"), name))
			return 0;
		p += n + (p[n] == ',');
	}
	return 1;
}

/* Starts `vstress world --plugin-dir D --config conf.d --profile fakehost
 * <extra...> --urls-file urls_path -q` (output to /dev/null unless FH_VERBOSE) and
 * waits up to 60 s for its URLs file to be ready (fh_world_ready).
 * Returns its pid with *urls (a new reference), or -1. */
static inline pid_t fh_world_spawn(const char *urls_path, const char *const *extra, const char *need, json_t **urls)
{
	char *argv[32];
	const char *b = getenv("VSTRESS_TEST_BIN");
	char bin[600];
	size_t n = 0;
	pid_t pid;

	*urls = NULL;
	if (b && *b)
		snprintf(bin, sizeof bin, "%s", b);
	else
		snprintf(bin, sizeof bin, "%s/../vstress", fh_plugin_dir());
	argv[n++] = bin;
	argv[n++] = fh_arg("world");
	argv[n++] = fh_arg("--plugin-dir");
	argv[n++] = fh_arg(fh_plugin_dir());
	argv[n++] = fh_arg("--config");
	argv[n++] = fh_arg("conf.d");
	/* The plugin under test runs with the options its test sets, under no
	 * profile; its world likewise gets conf.d's base sections without the
	 * hermetic overlays (whose api_key the stand-ins would then demand). */
	argv[n++] = fh_arg("--profile");
	argv[n++] = fh_arg("fakehost");
	for (size_t i = 0; extra && extra[i] && n < 24; i++)
		argv[n++] = fh_arg(extra[i]);
	argv[n++] = fh_arg("--urls-file");
	argv[n++] = fh_arg(urls_path);
	argv[n++] = fh_arg("-q");
	argv[n] = NULL;
	unlink(urls_path);
	/* the world's control token: the world and this process's vs_httpc
	 * (plugins under test) share it, as under vstress run */
	if (!getenv("VSTRESS_WORLD_TOKEN"))
		setenv("VSTRESS_WORLD_TOKEN", "fakehost-control-token", 1);
	setenv("VALGRIND_OPTS",
	       "--trace-children-skip=*python*,*psql*,*pg-throwaway*,*pg_ctl*,*initdb*,*runuser*,*bash*,*vstress", 1);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!getenv("FH_VERBOSE"))
			(void)!freopen("/dev/null", "w", stdout), (void)!freopen("/dev/null", "w", stderr);
		execv(bin, argv);
		_exit(127);
	}
	for (int i = 0; i < 1200; i++) {
		json_t *j = json_load_file(urls_path, 0, NULL);
		if (j && fh_world_ready(j, need)) {
			*urls = j;
			return pid;
		}
		json_decref(j);
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			fprintf(stderr, "world exited at start-up (%s)\n", bin);
			return -1;
		}
		fh_sleep_ms(50);
	}
	fprintf(stderr, "world did not write %s\n", urls_path);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* Stops a world started by fh_world_spawn (SIGTERM, wait); *pid becomes 0. */
static inline void fh_world_kill(pid_t *pid, const char *urls_path)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
		*pid = 0;
	}
	unlink(urls_path);
}

#endif
