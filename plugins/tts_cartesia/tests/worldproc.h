/* Test helper shared by the TTS/STT probe tests: the real world
 * (`vstress world`) as a subprocess on ephemeral ports, and the fake host
 * pointed at it.  The binary is VSTRESS_TEST_BIN, else the vstress next to
 * VSTRESS_TEST_PLUGIN_DIR (build/plugins -> build/vstress). */
#ifndef VSTRESS_WORLDPROC_H
#define VSTRESS_WORLDPROC_H

#include <errno.h>
#include <libgen.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "fakehost.h"

static pid_t wp_pid;
static char wp_urls_path[128];
static json_t *wp_urls;

static inline const char *wp_plugin_dir(void)
{
	const char *dir = getenv("VSTRESS_TEST_PLUGIN_DIR");
	return dir && *dir ? dir : "build/plugins";
}

static inline const char *wp_so(const char *name)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s.so", wp_plugin_dir(), name);
	return path;
}

/* Starts the world serving `only` (comma list) with conf.d plus extra_ini. */
static inline int wp_start(const char *only, const char *extra_ini)
{
	char bin[512], dirbuf[512];
	const char *b = getenv("VSTRESS_TEST_BIN");
	if (b && *b) {
		snprintf(bin, sizeof bin, "%s", b);
	} else {
		snprintf(dirbuf, sizeof dirbuf, "%s", wp_plugin_dir());
		snprintf(bin, sizeof bin, "%s/vstress", dirname(dirbuf));
	}
	snprintf(wp_urls_path, sizeof wp_urls_path, "/tmp/vs-wp-%d.json", (int)getpid());
	unlink(wp_urls_path);
	wp_pid = fork();
	if (wp_pid < 0)
		return -1;
	if (wp_pid == 0) {
		if (!getenv("FH_VERBOSE") && !freopen("/dev/null", "w", stdout))
			_exit(127);
		if (extra_ini)
			execl(bin, bin, "world", "--plugin-dir", wp_plugin_dir(), "--config", "conf.d", "--config", extra_ini,
			      "--only", only, "--urls-file", wp_urls_path, "-q", (char *)NULL);
		else
			execl(bin, bin, "world", "--plugin-dir", wp_plugin_dir(), "--config", "conf.d", "--only", only,
			      "--urls-file", wp_urls_path, "-q", (char *)NULL);
		_exit(127);
	}
	/* ready once the URL file parses (valgrind makes start-up slow) */
	for (int i = 0; i < 1200; i++) {
		int st;
		if (waitpid(wp_pid, &st, WNOHANG) == wp_pid) {
			wp_pid = 0;
			fprintf(stderr, "world exited at start-up (%s)\n", bin);
			return -1;
		}
		wp_urls = json_load_file(wp_urls_path, 0, NULL);
		if (wp_urls && json_object_get(wp_urls, "control"))
			return 0;
		json_decref(wp_urls);
		wp_urls = NULL;
		struct timespec ts = {0, 50000000};
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "world did not write %s\n", wp_urls_path);
	return -1;
}

static inline void wp_stop(void)
{
	if (wp_pid > 0) {
		kill(wp_pid, SIGTERM);
		waitpid(wp_pid, NULL, 0);
		wp_pid = 0;
	}
	json_decref(wp_urls);
	wp_urls = NULL;
	unlink(wp_urls_path);
}

/* "ws" / "http" base of a stand-in, or the control URL (name "control"). */
static inline const char *wp_url(const char *name, const char *kind)
{
	if (!strcmp(name, "control"))
		return json_string_value(json_object_get(wp_urls, "control"));
	return json_string_value(json_object_get(json_object_get(json_object_get(wp_urls, "standins"), name), kind));
}

static inline void wp_dump(struct fakehost *fh)
{
	for (size_t i = 0; i < fh_check_count(fh); i++) {
		const char *n, *m;
		int st;
		fh_check_at(fh, i, &n, &st, &m);
		fprintf(stderr, "  %s %s: %s\n", st == VS_CHECK_PASS ? "pass" : st == VS_CHECK_FAIL ? "FAIL" : "skip", n, m);
	}
}

#define assert_check(fh, name, status)                                                                      \
	do {                                                                                                \
		int st_ = fh_check_status((fh), (name));                                                    \
		if (st_ != (status)) {                                                                      \
			wp_dump(fh);                                                                        \
			fail_msg("check %s: status %d, expected %d (%s)", (name), st_, (status),           \
				 fh_check_message((fh), (name)) ? fh_check_message((fh), (name)) : "absent"); \
		}                                                                                           \
	} while (0)

#define assert_counter(fh, name, n)                                                                   \
	do {                                                                                          \
		if (fh_counter((fh), (name)) != (n)) {                                                \
			wp_dump(fh);                                                                  \
			fprintf(stderr, "%s\n", fh_log_text(fh));                                     \
			fail_msg("counter %s = %lld, expected %d", (name), (long long)fh_counter((fh), (name)), (n)); \
		}                                                                                     \
	} while (0)

#endif
