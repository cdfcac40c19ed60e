#include "services.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pacer.h"
#include "pgurl.h"
#include "runner.h"
#include "runsecrets.h"
#include "worldcfg.h"

extern char **environ;

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void upper_name(char *dst, size_t n, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < n; i++)
		dst[i] = (src[i] >= 'a' && src[i] <= 'z') ? (char)(src[i] - 32) : (src[i] == '-' || src[i] == '.') ? '_' : src[i];
	dst[i] = '\0';
}

/* Last lines of a log, for an error message. */
static char *tail(const char *path, size_t max)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long size;
	size_t n;

	if (!f)
		return vs_xstrdup("");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size > (long)max ? size - (long)max : 0, SEEK_SET);
	buf = vs_xcalloc(max + 1, 1);
	n = fread(buf, 1, max, f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* stdin_fd: the child's stdin, or -1 for /dev/null. */
static pid_t spawn(struct vs_run *run, char *const argv[], char *const envp[], const char *cwd, const char *log_name,
		   int stdin_fd)
{
	char *log = vs_xasprintf("%s/%s", run->dir, log_name);
	pid_t pid;
	int fd;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		fd = stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY);
		if (fd >= 0 && fd != 0) {
			dup2(fd, 0);
			close(fd);
		}
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		if (cwd && *cwd && chdir(cwd) < 0) {
			fprintf(stderr, "vstress: chdir %s: %s\n", cwd, strerror(errno));
			_exit(127);
		}
		if (envp)
			execve(argv[0], argv, envp);
		else
			execv(argv[0], argv);
		fprintf(stderr, "vstress: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid > 0) {
		setpgid(pid, pid);
		vs_runner_track(pid);
	}
	free(log);
	return pid;
}

/* SIGTERM to each group, then SIGKILL to those whose leader has not exited
 * after its grace; anything left in a group goes with SIGKILL too. */
static void stop_groups(pid_t *pids, const long long *grace_ms, size_t n)
{
	uint64_t t0 = vs_now_ns();
	size_t i, left;
	int st;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(-pids[i], SIGTERM);
	do {
		left = 0;
		for (i = 0; i < n; i++) {
			if (pids[i] <= 0)
				continue;
			if (waitpid(pids[i], &st, WNOHANG) == pids[i]) {
				kill(-pids[i], SIGKILL); /* stragglers in its group */
				vs_runner_untrack(pids[i]);
				pids[i] = 0;
			} else if (vs_now_ns() >= t0 + (uint64_t)grace_ms[i] * 1000000ull) {
				kill(-pids[i], SIGKILL);
				waitpid(pids[i], &st, 0);
				vs_runner_untrack(pids[i]);
				pids[i] = 0;
			} else {
				left++;
			}
		}
		if (left)
			usleep(20000);
	} while (left);
}

static void stop_group(pid_t pid, long long grace_ms)
{
	stop_groups(&pid, &grace_ms, 1);
}

static int exited(pid_t pid, int *status)
{
	return waitpid(pid, status, WNOHANG) == pid;
}

/* ---- world -------------------------------------------------------------- */

static void export_world(struct vs_services *s, const char *urls_path)
{
	json_t *st = json_object_get(s->world_urls, "standins"), *v;
	const char *name;
	char up[64], *key;

	setenv("VSTRESS_WORLD_URLS", urls_path, 1);
	if (json_is_string(json_object_get(s->world_urls, "control")))
		setenv("VSTRESS_WORLD_CONTROL", json_string_value(json_object_get(s->world_urls, "control")), 1);
	json_object_foreach(st, name, v) {
		upper_name(up, sizeof(up), name);
		if (json_is_string(json_object_get(v, "http"))) {
			key = vs_xasprintf("VSTRESS_WORLD_%s_HTTP", up);
			setenv(key, json_string_value(json_object_get(v, "http")), 1);
			free(key);
		}
		if (json_is_string(json_object_get(v, "ws"))) {
			key = vs_xasprintf("VSTRESS_WORLD_%s_WS", up);
			setenv(key, json_string_value(json_object_get(v, "ws")), 1);
			free(key);
		}
	}
}

/* [world] database_url: the world runs its Postgres fault proxy in front of
 * that URL's host:port; VSTRESS_WORLD_DATABASE_URL is the URL a target should
 * use, through the proxy when it runs (else the URL itself), and
 * VSTRESS_WORLD_POSTGRES_ADDR the proxy's host:port. */
static void export_pg_proxy(struct vs_services *s, const char *dburl)
{
	json_t *pg = json_object_get(json_object_get(s->world_urls, "standins"), "postgres");
	const char *addr = json_string_value(json_object_get(pg, "addr"));
	char *u = NULL;

	if (!dburl || !*dburl)
		return;
	if (addr) {
		setenv("VSTRESS_WORLD_POSTGRES_ADDR", addr, 1);
		/* the proxy's own address ([world] pg_proxy_listen; 0.0.0.0: loopback) */
		char host[64];
		snprintf(host, sizeof(host), "%.*s", (int)strcspn(addr, ":"), addr);
		if (!strcmp(host, "0.0.0.0") || !*host)
			snprintf(host, sizeof(host), "127.0.0.1");
		u = vs_pgurl_with_addr(dburl, host, (int)json_integer_value(json_object_get(pg, "port")));
	}
	setenv("VSTRESS_WORLD_DATABASE_URL", u ? u : dburl, 1);
	free(u);
}

static void start_world(struct vs_services *s, struct vs_run *run, struct vs_registry *reg)
{
	char *urls = vs_xasprintf("%s/world.json", run->dir), *seed = vs_xasprintf("%llu", (unsigned long long)run->seed);
	char exe[4096], **argv = NULL, *logp, *dburl = NULL, pghost[256], pgup[300];
	size_t n = 0, i;
	int pgport;
	struct vs_err cerr = {0};
	const char *v;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	uint64_t t0 = vs_now_ns(), until = t0 + 20000000000ull;
	json_error_t jerr;
	json_t *given = NULL;
	FILE *given_f = NULL;
	int st;

	s->world.log = vs_xstrdup("world.log");
	if (len <= 0) {
		s->world.error = vs_xstrdup("cannot find the vstress binary (/proc/self/exe)");
		goto out;
	}
	exe[len] = '\0';
#define ARG(x) do { argv = vs_xrealloc(argv, (n + 2) * sizeof(*argv)); argv[n++] = vs_xstrdup(x); argv[n] = NULL; } while (0)
	ARG(exe);
	ARG("world");
	ARG("--urls-file");
	ARG(urls);
	ARG("--seed");
	ARG(seed);
	/* The world gets the resolved configuration and the checked plugin
	 * paths (core/worldcfg.h) on its stdin, from a file that is already
	 * unlinked: it holds the keys the stand-ins check. */
	ARG("--resolved");
	ARG("-");
	given = vs_worldcfg_resolve(run->cfg, reg, NULL, &cerr);
	given_f = given ? vs_worldcfg_tmpfile(given) : NULL;
	if (!given_f) {
		s->world.error = given ? vs_xasprintf("cannot write the world's configuration: %s", strerror(errno))
				       : vs_xasprintf("the world's configuration: %s", cerr.msg);
		goto out;
	}
	v = vs_config_get(run->cfg, "world", "database_url", &cerr);
	if (v && *v) {
		dburl = vs_xstrdup(v);
		if (vs_pgurl_addr(dburl, pghost, sizeof(pghost), &pgport) == 0) {
			snprintf(pgup, sizeof(pgup), "%s:%d", pghost, pgport);
			ARG("--pg-upstream");
			ARG(pgup);
		} else if (run->verbose >= 0) {
			fprintf(stderr, "world: [world] database_url is not one TCP address (a unix socket?): "
					"no Postgres fault proxy\n");
		}
	}
#undef ARG
	s->world.pid = spawn(run, argv, NULL, NULL, "world.log", fileno(given_f));
	if (s->world.pid < 0) {
		s->world.error = vs_xasprintf("fork: %s", strerror(errno));
		s->world.pid = 0;
		goto out;
	}
	while (vs_now_ns() < until && !(run->interrupted && *run->interrupted)) {
		if (exited(s->world.pid, &st)) {
			logp = vs_xasprintf("%s/world.log", run->dir);
			char *t = tail(logp, 600);
			s->world.error = vs_xasprintf("the world exited during start-up: %s", t);
			free(t);
			free(logp);
			kill(-s->world.pid, SIGKILL); /* what it left in its group */
			vs_runner_untrack(s->world.pid);
			s->world.pid = 0;
			goto out;
		}
		if (access(urls, R_OK) == 0) {
			s->world_urls = json_load_file(urls, 0, &jerr);
			if (s->world_urls)
				break;
		}
		usleep(50000);
	}
	if (!s->world_urls && run->interrupted && *run->interrupted) {
		s->world.error = vs_xstrdup("vstress was interrupted while the world was starting");
		goto out;
	}
	if (!s->world_urls) {
		s->world.error = vs_xasprintf("the world did not write %s within 20 s (see world.log)", urls);
		goto out;
	}
	export_world(s, urls);
	export_pg_proxy(s, dburl);
	s->world.started = 1;
	s->world.ready_ms = (vs_now_ns() - t0) / 1e6;
out:
	for (i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
	free(urls);
	free(seed);
	free(dburl);
	if (given_f)
		fclose(given_f);
	json_decref(given);
}

/* ---- target ---------------------------------------------------------------- */

static size_t discard(char *p, size_t sz, size_t n, void *u)
{
	(void)p;
	(void)u;
	return sz * n;
}

/* 0 when url answers 2xx; else -1 with a short description in why. */
static int probe(const char *url, char *why, size_t len)
{
	CURL *h = curl_easy_init();
	long code = 0;
	CURLcode rc;

	if (!h)
		return -1;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		snprintf(why, len, "%s", curl_easy_strerror(rc));
		return -1;
	}
	if (code < 200 || code > 299) {
		snprintf(why, len, "HTTP %ld", code);
		return -1;
	}
	return 0;
}

static const char *tget(struct vs_run *run, const char *key)
{
	struct vs_err err = {0};

	return vs_config_get(run->cfg, "target", key, &err);
}

/* The target's environment: ours minus the signing seed and the world's
 * control token, then the world's
 * suggested variables, then [target] env.* (which win). */
static char **target_env(struct vs_services *s, struct vs_run *run)
{
	char **env = NULL;
	size_t n = 0, i, j;
	json_t *wenv = json_object_get(s->world_urls, "env"), *v;
	const char *k;
	struct vs_err err = {0};

#define PUT(kv) do { env = vs_xrealloc(env, (n + 2) * sizeof(*env)); env[n++] = (kv); env[n] = NULL; } while (0)
	for (i = 0; environ[i]; i++)
		if (!vs_runsecrets_withheld(environ[i]))
			PUT(vs_xstrdup(environ[i]));
	json_object_foreach(wenv, k, v)
		if (json_is_string(v))
			PUT(vs_xasprintf("%s=%s", k, json_string_value(v)));
	for (i = 0; i < run->cfg->n; i++) {
		const struct vs_entry *e = &run->cfg->e[i];
		const char *val;

		if (strcmp(e->section, "target") || strncmp(e->key, "env.", 4) ||
		    vs_config_entry(run->cfg, "target", e->key) != e)
			continue;
		val = vs_config_get(run->cfg, "target", e->key, &err);
		PUT(vs_xasprintf("%s=%s", e->key + 4, val ? val : ""));
	}
#undef PUT
	/* Later entries win: drop earlier duplicates. */
	for (i = 0; i < n; i++) {
		size_t klen = strcspn(env[i], "=");

		for (j = i + 1; j < n; j++)
			if (!strncmp(env[i], env[j], klen + 1)) {
				env[i][0] = '\0';
				break;
			}
	}
	for (i = j = 0; i < n; i++) {
		if (env[i][0])
			env[j++] = env[i];
		else
			free(env[i]);
	}
	env[j] = NULL;
	return env;
}

/* [target] telephony, texml_url, texml_method, public_url for the
 * call-placing plugins (VSTRESS_TARGET_*, read through calltarget). */
static int export_telephony(struct vs_services *s, struct vs_run *run)
{
	static const char *const keys[][2] = {{"telephony", "VSTRESS_TARGET_TELEPHONY"},
					      {"texml_url", "VSTRESS_TARGET_TEXML_URL"},
					      {"texml_method", "VSTRESS_TARGET_TEXML_METHOD"},
					      {"public_url", "VSTRESS_TARGET_PUBLIC_URL"}};
	const char *v = tget(run, "telephony");

	if (v && *v && strcmp(v, "auto") && strcmp(v, "call_control") && strcmp(v, "texml")) {
		s->target.error = vs_xasprintf("[target] telephony = '%s': expected call_control, texml or auto", v);
		return -1;
	}
	v = tget(run, "texml_method");
	if (v && *v && strcasecmp(v, "POST") && strcasecmp(v, "GET")) {
		s->target.error = vs_xasprintf("[target] texml_method = '%s': expected POST or GET", v);
		return -1;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		v = tget(run, keys[i][0]);
		if (v && *v)
			setenv(keys[i][1], v, 1);
		else
			unsetenv(keys[i][1]);
	}
	return 0;
}

static void start_target(struct vs_services *s, struct vs_run *run)
{
	const char *mode = tget(run, "mode"), *cmd, *cwd, *health, *base, *v;
	char *url = NULL, why[256] = "not tried", *logp = NULL, **env = NULL, port[16];
	char sh[] = "/bin/sh", dash_c[] = "-c", *cmd_copy = NULL;
	char *argv[4] = {sh, dash_c, NULL, NULL};
	long long ready_ms = 60000;
	uint64_t t0 = vs_now_ns(), until;
	int st, p;

	s->target.log = vs_xstrdup("target.log");
	if (!mode || !*mode || !strcmp(mode, "none")) {
		s->target.error = vs_xstrdup("no target configured ([target] mode = launch or attach)");
		return;
	}
	if (strcmp(mode, "launch") && strcmp(mode, "attach")) {
		s->target.error = vs_xasprintf("[target] mode = '%s': expected launch, attach or none", mode);
		return;
	}
	setenv("VSTRESS_TARGET_MODE", mode, 1); /* plugins word attach-mode skips by it */
	if (!strcmp(mode, "launch")) {
		p = free_port();
		snprintf(port, sizeof(port), "%d", p);
		setenv("VSTRESS_TARGET_PORT", port, 1);
	}
	v = tget(run, "ready_timeout");
	if (v && vs_parse_ms(v, &ready_ms)) {
		s->target.error = vs_xasprintf("[target] ready_timeout = '%s' is not a duration", v);
		return;
	}
	base = tget(run, "base_url");
	if (!base || !*base) {
		s->target.error = vs_xstrdup("[target] base_url is not set");
		return;
	}
	health = tget(run, "health_path");
	url = vs_xasprintf("%s%s", base, health && *health ? health : "/health");
	setenv("VSTRESS_TARGET_URL", base, 1);
	if (export_telephony(s, run) != 0)
		goto out;
	if (!strcmp(mode, "launch")) {
		cmd = tget(run, "command");
		cwd = tget(run, "cwd");
		if (!cmd || !*cmd) {
			s->target.error = vs_xstrdup("[target] mode = launch needs a command");
			goto out;
		}
		env = target_env(s, run);
		cmd_copy = vs_xstrdup(cmd);
		argv[2] = cmd_copy;
		s->target.pid = spawn(run, argv, env, cwd, "target.log", -1);
		if (s->target.pid < 0) {
			s->target.error = vs_xasprintf("fork: %s", strerror(errno));
			s->target.pid = 0;
			goto out;
		}
		snprintf(port, sizeof(port), "%d", (int)s->target.pid);
		setenv("VSTRESS_TARGET_PID", port, 1);
	} else if ((v = tget(run, "pid")) && *v) {
		setenv("VSTRESS_TARGET_PID", v, 1);
	}
	until = t0 + (uint64_t)ready_ms * 1000000ull;
	for (;;) {
		if (probe(url, why, sizeof(why)) == 0)
			break;
		if (s->target.pid && exited(s->target.pid, &st)) {
			char *t;

			logp = vs_xasprintf("%s/target.log", run->dir);
			t = tail(logp, 800);
			s->target.error = vs_xasprintf("the target exited before %s answered (%s %d); end of target.log:\n%s",
						       url, WIFEXITED(st) ? "exit code" : "signal",
						       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), t);
			free(t);
			kill(-s->target.pid, SIGKILL); /* what it left in its group */
			vs_runner_untrack(s->target.pid);
			s->target.pid = 0;
			goto out;
		}
		if (run->interrupted && *run->interrupted) {
			s->target.error = vs_xasprintf("vstress was interrupted while the target was starting (%s had not "
						       "answered 2xx yet)", url);
			goto out;
		}
		if (vs_now_ns() >= until) {
			s->target.error = vs_xasprintf("%s did not answer 2xx within %.1fs (last: %s; see target.log)", url,
						       ready_ms / 1000.0, why);
			goto out;
		}
		usleep(200000);
	}
	s->target.started = 1;
	s->target.ready_ms = (vs_now_ns() - t0) / 1e6;
out:
	if (env) {
		for (p = 0; env[p]; p++)
			free(env[p]);
		free(env);
	}
	free(url);
	free(logp);
	free(cmd_copy);
}

void vs_services_start(struct vs_services *s, struct vs_run *run, struct vs_plan *plan, struct vs_registry *reg)
{
	struct vs_err err = {0};
	const char *we = vs_config_get(run->cfg, "world", "enabled", &err);
	int world_on = 1;

	memset(s, 0, sizeof(*s));
	s->world.name = "world";
	s->target.name = "target";
	if (we && vs_parse_bool(we, &world_on))
		world_on = 1;
	if (plan->needs_world || (plan->needs_target && world_on)) {
		if (run->interrupted && *run->interrupted)
			s->world.error = vs_xstrdup("not started: vstress was interrupted");
		else if (!world_on)
			s->world.error = vs_xstrdup("disabled in the manifest ([world] enabled = false)");
		else
			start_world(s, run, reg);
		if (run->verbose >= 0)
			fprintf(stderr, "world: %s\n", s->world.started ? "ready" : s->world.error);
	}
	if (plan->needs_target) {
		if (run->interrupted && *run->interrupted)
			s->target.error = s->world.error && strstr(s->world.error, "interrupted")
						  ? vs_xasprintf("not started: %s", s->world.error)
						  : vs_xstrdup("not started: vstress was interrupted");
		else if (s->world.error && world_on)
			s->target.error = vs_xasprintf("not started: the world is not available (%s)", s->world.error);
		else
			start_target(s, run);
		if (run->verbose >= 0)
			fprintf(stderr, "target: %s\n", s->target.started ? "ready" : s->target.error);
	}
}

void vs_services_stop(struct vs_services *s, struct vs_run *run)
{
	struct vs_err err = {0};
	const char *v = vs_config_get(run->cfg, "target", "stop_timeout", &err);
	long long grace = 10000;

	if (v && vs_parse_ms(v, &grace))
		grace = 10000;
	if (run->interrupted && *run->interrupted) {
		/* Interrupted: both at once, each within kill_grace (or the
		 * target's own stop_timeout when that is shorter). */
		pid_t pids[2] = {s->target.pid, s->world.pid};
		long long g[2] = {grace < run->grace_ms ? grace : run->grace_ms, run->grace_ms};

		stop_groups(pids, g, 2);
	} else {
		/* The target first: it may still talk to the world while it stops. */
		stop_group(s->target.pid, grace);
		stop_group(s->world.pid, run->grace_ms);
	}
	s->target.pid = s->world.pid = 0;
}

const char *vs_service_unavailable(struct vs_services *s, const char *name)
{
	struct vs_service *sv = !strcmp(name, "world") ? &s->world : !strcmp(name, "target") ? &s->target : NULL;

	if (!sv)
		return NULL;
	return sv->started ? NULL : sv->error ? sv->error : "not started";
}

static json_t *service_json(struct vs_service *sv)
{
	return json_pack("{s:s,s:s?,s:s?,s:f}", "status", sv->started ? "ready" : sv->error ? "unavailable" : "not needed",
			 "error", sv->error, "log", sv->log, "ready_ms", sv->ready_ms);
}

json_t *vs_services_json(struct vs_services *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "world", service_json(&s->world));
	if (s->world_urls)
		json_object_set(json_object_get(o, "world"), "urls", s->world_urls);
	json_object_set_new(o, "target", service_json(&s->target));
	return o;
}

void vs_services_free(struct vs_services *s)
{
	free(s->world.error);
	free(s->world.log);
	free(s->target.error);
	free(s->target.log);
	json_decref(s->world_urls);
}
