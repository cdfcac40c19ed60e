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
#include "fh_assert.h"
#include "fh_world.h"

static pid_t wp_pid;
static char wp_urls_path[128];
static json_t *wp_urls;

#define wp_so fh_so

/* Starts the world serving `only` (comma list) with conf.d plus extra_ini. */
static inline int wp_start(const char *only, const char *extra_ini)
{
	const char *extra[] = {"--only", only, "--config", extra_ini, NULL};

	if (!extra_ini)
		extra[2] = NULL;
	snprintf(wp_urls_path, sizeof wp_urls_path, "/tmp/vs-wp-%d.json", (int)getpid());
	wp_pid = fh_world_spawn(wp_urls_path, extra, NULL, &wp_urls);
	if (wp_pid < 0) {
		wp_pid = 0;
		return -1;
	}
	return 0;
}

static inline void wp_stop(void)
{
	fh_world_kill(&wp_pid, wp_urls_path);
	json_decref(wp_urls);
	wp_urls = NULL;
}

/* "ws" / "http" base of a stand-in, or the control URL (name "control"). */
static inline const char *wp_url(const char *name, const char *kind)
{
	if (!strcmp(name, "control"))
		return json_string_value(json_object_get(wp_urls, "control"));
	return json_string_value(json_object_get(json_object_get(json_object_get(wp_urls, "standins"), name), kind));
}

#endif
