/* Test helpers of the api and setup plugins: real HTTP targets on loopback.
 *
 *   tgt_env_init()          Postgres (DATABASE_URL, or a throwaway one it
 *                           starts), a fresh database for this binary
 *   tgt_agent_start(&t, faults, extra_env)   the reference agent from its venv
 *   tgt_garbage_start(&t)   tests/fixtures/api_target/garbage_target.py
 *   tgt_stop(&t), tgt_env_done()
 *
 * Children are started through /bin/sh with VALGRIND_OPTS skipping python,
 * psql and the Postgres scripts: under `valgrind --trace-children=yes` (make
 * valgrind) only our own code runs under valgrind.  A missing venv is a
 * clear failure, not a skip. */
#ifndef VSTRESS_API_TARGET_H
#define VSTRESS_API_TARGET_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define TGT_VENV_PY "examples/reference-agent/.venv/bin/python"
#define TGT_GARBAGE "tests/fixtures/api_target/garbage_target.py"
#define TGT_PASSWORD "vstress-test-pw-7f3a"

struct tgt {
	pid_t pid;
	int port;
	char url[64];
	char log[128];
};

static char tgt_db_url[1200], tgt_admin_url[1024], tgt_pg_dir[512], tgt_db_name[64];

static inline void tgt_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static inline void tgt_valgrind_opts(void)
{
	setenv("VALGRIND_OPTS", "--trace-children-skip=*python*,*psql*,*pg-throwaway*,*pg_ctl*,*initdb*,*runuser*,*bash*,*vstress",
	       1);
}

static inline int tgt_free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), p = -1;
	if (s < 0)
		return -1;
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && getsockname(s, (struct sockaddr *)&a, &l) == 0)
		p = ntohs(a.sin_port);
	close(s);
	return p;
}

/* sh -c cmd, waited for; its exit code (-1 on a signal). */
static inline int tgt_sh(const char *cmd)
{
	int st;
	pid_t pid;
	tgt_valgrind_opts();
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static inline long tgt_http_status(const char *url)
{
	CURL *e = curl_easy_init();
	long code = 0;
	FILE *null = fopen("/dev/null", "w");
	if (!e || !null)
		goto out;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 1000L);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, null);
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
out:
	if (e)
		curl_easy_cleanup(e);
	if (null)
		fclose(null);
	return code;
}

static inline void tgt_print_log(const struct tgt *t)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "tail -n 30 %s >&2", t->log);
	tgt_sh(cmd);
}

/* run `cmd` through sh (start it with `exec` to keep the pid) with extra env, wait until
 * url+path answers 2xx.  0, or -1 with a message on stderr. */
static inline int tgt_spawn(struct tgt *t, const char *cmd, char *const *env, const char *path, long timeout_ms)
{
	char url[256];
	long waited = 0, code = 0;
	int st;

	snprintf(t->url, sizeof(t->url), "http://127.0.0.1:%d", t->port);
	snprintf(t->log, sizeof(t->log), "/tmp/vstress-tgt-%d-%d.log", (int)getpid(), t->port);
	tgt_valgrind_opts();
	fflush(NULL);
	t->pid = fork();
	if (t->pid == 0) {
		char full[1024];
		int fd = open(t->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		for (size_t i = 0; env && env[i]; i++)
			putenv(env[i]);
		snprintf(full, sizeof(full), "%s", cmd);
		execl("/bin/sh", "sh", "-c", full, (char *)NULL);
		_exit(127);
	}
	if (t->pid < 0)
		return -1;
	snprintf(url, sizeof(url), "%s%s", t->url, path);
	while (waited < timeout_ms) {
		code = tgt_http_status(url);
		if (code >= 200 && code < 300)
			return 0;
		if (waitpid(t->pid, &st, WNOHANG) == t->pid) {
			fprintf(stderr, "target '%s' exited before %s answered; its log:\n", cmd, url);
			tgt_print_log(t);
			t->pid = 0;
			return -1;
		}
		tgt_sleep_ms(100);
		waited += 100;
	}
	fprintf(stderr, "target '%s': %s did not answer 2xx within %ld ms (last %ld); its log:\n", cmd, url,
		timeout_ms, code);
	tgt_print_log(t);
	return -1;
}

static inline void tgt_stop(struct tgt *t)
{
	int st;
	if (t->pid <= 0)
		return;
	kill(t->pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(t->pid, &st, WNOHANG) == t->pid) {
			t->pid = 0;
			unlink(t->log);
			return;
		}
		tgt_sleep_ms(50);
	}
	kill(t->pid, SIGKILL);
	waitpid(t->pid, &st, 0);
	t->pid = 0;
	unlink(t->log);
}

/* Postgres and a fresh database.  0, or -1 with the reason on stderr. */
static inline int tgt_env_init(void)
{
	const char *u = getenv("DATABASE_URL");
	char cmd[2400], line[512];
	const char *slash, *q;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!u || !*u) {
		FILE *p;
		tgt_valgrind_opts();
		p = popen("scripts/pg-throwaway.sh start", "r");
		if (!p)
			return -1;
		while (fgets(line, sizeof(line), p)) {
			line[strcspn(line, "\n")] = '\0';
			if (!strncmp(line, "export DATABASE_URL=", 20))
				setenv("DATABASE_URL", line + 20, 1);
			else if (!strncmp(line, "export VSTRESS_PG_DIR=", 22))
				snprintf(tgt_pg_dir, sizeof(tgt_pg_dir), "%s", line + 22);
		}
		if (pclose(p) != 0 || !getenv("DATABASE_URL")) {
			fprintf(stderr, "could not start a throwaway PostgreSQL (scripts/pg-throwaway.sh)\n");
			return -1;
		}
		u = getenv("DATABASE_URL");
	}
	snprintf(tgt_admin_url, sizeof(tgt_admin_url), "%s", u);
	snprintf(tgt_db_name, sizeof(tgt_db_name), "vs_api_%d", (int)getpid());
	slash = strrchr(u, '/');
	q = slash ? strchr(slash, '?') : NULL;
	if (!slash || slash < u + 10) {
		fprintf(stderr, "DATABASE_URL is not a postgresql:// URL\n");
		return -1;
	}
	snprintf(tgt_db_url, sizeof(tgt_db_url), "%.*s/%s%s", (int)(slash - u), u, tgt_db_name, q ? q : "");
	snprintf(cmd, sizeof(cmd), "exec psql -q '%s' -c 'SET client_min_messages = warning' -c 'DROP DATABASE IF EXISTS %s' -c 'CREATE DATABASE %s' >/dev/null",
		 tgt_admin_url, tgt_db_name, tgt_db_name);
	if (tgt_sh(cmd) != 0) {
		fprintf(stderr, "could not create database %s\n", tgt_db_name);
		return -1;
	}
	return 0;
}

static inline void tgt_env_done(void)
{
	char cmd[2400];
	if (tgt_db_name[0]) {
		snprintf(cmd, sizeof(cmd), "exec psql -q '%s' -c 'DROP DATABASE IF EXISTS %s WITH (FORCE)' >/dev/null 2>&1",
			 tgt_admin_url, tgt_db_name);
		tgt_sh(cmd);
	}
	if (tgt_pg_dir[0]) {
		snprintf(cmd, sizeof(cmd), "exec scripts/pg-throwaway.sh stop '%s' >/dev/null 2>&1", tgt_pg_dir);
		tgt_sh(cmd);
	}
	curl_global_cleanup();
}

/* The agent's RATE_LIMIT_PER_MINUTE / RATE_LIMIT_WINDOW_SECONDS / SESSION_TTL_SECONDS (a test may change them first). */
static const char *tgt_rate_limit = "30", *tgt_rate_window = "2", *tgt_session_ttl = "2";

/* The reference agent with a short TTL and rate window.  faults: AGENT_FAULTS. */
static inline int tgt_agent_start(struct tgt *t, const char *faults)
{
	static char env[12][1300];
	char *envp[13];
	size_t n = 0;
	struct stat st;

	if (stat(TGT_VENV_PY, &st) != 0) {
		fprintf(stderr,
			"FAIL: the reference agent's venv is missing (%s): run examples/reference-agent/scripts/setup-venv.sh\n",
			TGT_VENV_PY);
		return -1;
	}
	t->port = tgt_free_port();
	snprintf(env[n++], sizeof(env[0]), "AGENT_HOST=127.0.0.1");
	snprintf(env[n++], sizeof(env[0]), "AGENT_PORT=%d", t->port);
	snprintf(env[n++], sizeof(env[0]), "DATABASE_URL=%s", tgt_db_url);
	snprintf(env[n++], sizeof(env[0]), "AUTH_PASSWORD=%s", TGT_PASSWORD);
	snprintf(env[n++], sizeof(env[0]), "SESSION_TTL_SECONDS=%s", tgt_session_ttl);
	snprintf(env[n++], sizeof(env[0]), "RATE_LIMIT_PER_MINUTE=%s", tgt_rate_limit);
	snprintf(env[n++], sizeof(env[0]), "RATE_LIMIT_WINDOW_SECONDS=%s", tgt_rate_window);
	/* the agent's own sweep of expired sessions stays out of the tests' way */
	snprintf(env[n++], sizeof(env[0]), "SESSION_CLEANUP_INTERVAL_SECONDS=3600");
	snprintf(env[n++], sizeof(env[0]), "PRELOAD_PIPELINE=false");
	snprintf(env[n++], sizeof(env[0]), "LOG_LEVEL=WARNING");
	snprintf(env[n++], sizeof(env[0]), "AGENT_FAULTS=%s", faults ? faults : "");
	for (size_t i = 0; i < n; i++)
		envp[i] = env[i];
	envp[n] = NULL;
	return tgt_spawn(t, "cd examples/reference-agent && exec .venv/bin/python -m agent", envp, "/health", 30000);
}

static inline int tgt_garbage_start(struct tgt *t)
{
	char cmd[256];
	t->port = tgt_free_port();
	snprintf(cmd, sizeof(cmd), "exec python3 %s %d", TGT_GARBAGE, t->port);
	return tgt_spawn(t, cmd, NULL, "/ok", 10000);
}

#endif
