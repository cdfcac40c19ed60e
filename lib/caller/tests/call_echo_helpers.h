/* Shared by the test_call_* suites: run tests/echo_target as a child. */
#ifndef VSTRESS_TEST_CALL_ECHO_HELPERS_H
#define VSTRESS_TEST_CALL_ECHO_HELPERS_H

#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

struct echo_proc {
	pid_t pid;
	int port;
	char url[64];
};

/* The echo target binary: $VS_ECHO_TARGET, else $BUILD/tests/echo_target,
 * else build/tests/echo_target. */
static const char *echo_bin(void)
{
	static char buf[512];
	const char *e = getenv("VS_ECHO_TARGET");

	if (e)
		return e;
	snprintf(buf, sizeof(buf), "%s/tests/echo_target", getenv("BUILD") ? getenv("BUILD") : "build");
	return buf;
}

/* argv: extra options, NULL-terminated.  0 or -1. */
static int echo_start(struct echo_proc *ep, const char *const *extra)
{
	int fds[2];
	char line[64];
	FILE *f;
	const char *argv[32];
	int n = 0;

	memset(ep, 0, sizeof(*ep));
	if (pipe(fds) != 0)
		return -1;
	argv[n++] = echo_bin();
	argv[n++] = "--port";
	argv[n++] = "0";
	for (int i = 0; extra && extra[i] && n < 30; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	ep->pid = fork();
	if (ep->pid < 0)
		return -1;
	if (ep->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* no orphans if the test dies */
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], (char *const *)(void *)argv);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	if (!f || !fgets(line, sizeof(line), f) || sscanf(line, "LISTENING %d", &ep->port) != 1) {
		fprintf(stderr, "echo target %s did not start\n", argv[0]);
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	snprintf(ep->url, sizeof(ep->url), "ws://127.0.0.1:%d/media", ep->port);
	return 0;
}

static void echo_stop(struct echo_proc *ep)
{
	if (ep->pid > 0) {
		kill(ep->pid, SIGTERM);
		waitpid(ep->pid, NULL, 0);
		ep->pid = 0;
	}
}

struct membuf {
	char *p;
	size_t n;
};

static size_t membuf_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct membuf *b = ud;
	size_t len = size * nmemb;
	char *n = realloc(b->p, b->n + len + 1);

	if (!n)
		return 0;
	b->p = n;
	memcpy(b->p + b->n, ptr, len);
	b->n += len;
	b->p[b->n] = '\0';
	return len;
}

/* GET /stats -> JSON (new reference) or NULL. */
static json_t *echo_stats(const struct echo_proc *ep)
{
	CURL *cu = curl_easy_init();
	struct membuf b = {NULL, 0};
	char url[96];
	json_t *j = NULL;

	if (!cu)
		return NULL;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/stats", ep->port);
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, membuf_write);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT_MS, 5000L);
	if (curl_easy_perform(cu) == CURLE_OK && b.p)
		j = json_loads(b.p, 0, NULL);
	curl_easy_cleanup(cu);
	free(b.p);
	return j;
}

static long long echo_stream_int(json_t *stats, const char *stream_id, const char *key)
{
	json_t *s = json_object_get(json_object_get(stats, "streams"), stream_id);

	return s ? json_integer_value(json_object_get(s, key)) : -1;
}

/* /stats once n streams have received `stop` (or after 5 s). */
static json_t *echo_wait_stopped(const struct echo_proc *ep, int n)
{
	for (int tries = 0; tries < 100; tries++) {
		json_t *st = echo_stats(ep);
		json_t *streams = json_object_get(st, "streams");
		const char *k;
		json_t *v;
		int stopped = 0;

		json_object_foreach(streams, k, v)
			stopped += json_is_true(json_object_get(v, "stopped"));
		if (stopped >= n || tries == 99)
			return st;
		json_decref(st);
		usleep(50000);
	}
	return NULL;
}

#endif
