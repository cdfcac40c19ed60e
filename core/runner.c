#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "pacer.h"

#define MAX_EVENT_BYTES (64u << 20) /* per plugin: beyond this, events are dropped */

static volatile sig_atomic_t *g_flag;
static volatile sig_atomic_t child_stop;

static void on_signal(int sig)
{
	(void)sig;
	if (g_flag)
		*g_flag = 1;
}

void vs_runner_install_signals(volatile sig_atomic_t *flag)
{
	struct sigaction sa;

	g_flag = flag;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void child_on_term(int sig)
{
	(void)sig;
	child_stop = 1;
}

static void progress(struct vs_run *run, int index, int total, const char *name, const char *what, double secs)
{
	if (run->verbose < 0)
		return;
	if (run->tty)
		fprintf(stderr, "\r\033[K[%d/%d] %s: %s %.0fs", index, total, name, what, secs);
}

static const char *status_for_rc(int rc)
{
	switch (rc) {
	case VS_OK:
		return "passed";
	case VS_FAIL:
		return "failed";
	case VS_SKIP:
		return "skipped";
	case VS_ECONFIG:
		return "config_error";
	default:
		return "error";
	}
}

/* Final status from what the child reported and how it ended. */
static void classify(struct vs_result *res, int wstatus, int timed_out, int killed, int interrupted,
		     long long timeout_ms)
{
	if (timed_out) {
		vs_result_set(res, "timed_out", "exceeded its timeout of %.1fs%s", timeout_ms / 1000.0,
			      res->ended ? "; stopped cleanly on SIGTERM"
			      : killed	 ? "; killed after the grace period"
					 : "; ended on SIGTERM without finishing");
		return;
	}
	if (interrupted) {
		/* Whatever it reported is kept, but a cut-short run is no pass. */
		vs_result_set(res, "interrupted", "vstress was interrupted while it ran");
		return;
	}
	if (res->ended) {
		res->status = status_for_rc(res->rc);
		if (res->rc < VS_OK || res->rc > VS_ERROR) {
			free(res->reason);
			res->reason = vs_xasprintf("plugin returned unknown code %d", res->rc);
		}
		if (!strcmp(res->status, "passed") && res->nfail) {
			res->status = "failed";
			if (!res->reason)
				res->reason = vs_xasprintf("%d of %d checks failed", res->nfail,
							   res->nfail + res->npass + res->nskip);
		}
		if (!strcmp(res->status, "passed") && res->teardown_rc != VS_OK) {
			res->status = "error";
			free(res->reason);
			res->reason = vs_xasprintf("teardown returned %d", res->teardown_rc);
		}
		if (json_array_size(res->config_errors)) {
			res->status = "config_error";
			free(res->reason);
			res->reason = vs_xstrdup(json_string_value(json_array_get(res->config_errors, 0)));
		}
		if (!strcmp(res->status, "skipped") && !res->reason)
			res->reason = vs_xstrdup("plugin skipped without giving a reason");
		return;
	}
	if (WIFSIGNALED(wstatus)) {
		int sig = WTERMSIG(wstatus);
		const char *abbr = sigabbrev_np(sig);

		vs_result_set(res, "crashed", "killed by SIG%s (%s)", abbr ? abbr : "?", strsignal(sig));
	} else if (WIFEXITED(wstatus)) {
		vs_result_set(res, "no_result", "exited with code %d without reporting a result", WEXITSTATUS(wstatus));
	} else {
		vs_result_set(res, "no_result", "ended without reporting a result");
	}
}

/* Split complete lines out of buf and ingest them. */
static void consume(struct vs_result *res, char **buf, size_t *len)
{
	char *start = *buf, *nl;
	json_error_t jerr;
	json_t *ev;

	while ((nl = memchr(start, '\n', *len - (size_t)(start - *buf)))) {
		*nl = '\0';
		ev = json_loads(start, 0, &jerr);
		if (!ev || vs_result_ingest(res, ev))
			res->bad_events += ev ? 0 : 1;
		json_decref(ev);
		start = nl + 1;
	}
	*len -= (size_t)(start - *buf);
	memmove(*buf, start, *len);
}

static void read_events(int fd, struct vs_result *res, char **buf, size_t *len, size_t *cap, int *eof)
{
	ssize_t n;

	for (;;) {
		if (*cap - *len < 65536) {
			*cap = *cap * 2 + 65536;
			*buf = vs_xrealloc(*buf, *cap);
		}
		n = read(fd, *buf + *len, *cap - *len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				*eof = 1;
			return;
		}
		res->bytes += (size_t)n;
		if (res->bytes > MAX_EVENT_BYTES) {
			/* A runaway plugin: keep the process alive, drop the excess. */
			*len = 0;
			res->bad_events++;
			continue;
		}
		*len += (size_t)n;
		consume(res, buf, len);
	}
}

static void run_child(struct vs_run *run, struct vs_item *item, int wfd, const char *log_path, uint64_t deadline)
{
	struct sigaction sa;
	struct vs_ctx ctx;
	int fd, term_fd, rc;

	setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = child_on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGINT, SIG_IGN); /* the parent decides; it sends SIGTERM */
	signal(SIGPIPE, SIG_IGN);
	term_fd = run->verbose > 0 ? dup(STDERR_FILENO) : -1;
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	/* Whatever the plugin prints goes to its log file. */
	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	vs_ctx_init(&ctx, run, item, wfd, NULL, log_path, term_fd, deadline, &child_stop);
	rc = vs_ctx_execute(&ctx);
	vs_ctx_free(&ctx);
	fflush(NULL);
	_exit(rc & 0x7f);
}

static void run_inline(struct vs_run *run, struct vs_item *item, struct vs_result *res, const char *log_path,
		       uint64_t deadline)
{
	struct vs_ctx ctx;

	vs_ctx_init(&ctx, run, item, -1, res, log_path, run->verbose > 0 ? STDERR_FILENO : -1, deadline, NULL);
	vs_ctx_execute(&ctx);
	vs_ctx_free(&ctx);
	classify(res, 0, 0, 0, 0, item->timeout_ms);
}

/* <plugin>.log, except where that is a file of the run itself (errors.log,
 * world.log, target.log): plugin-<plugin>.log, e.g. the errors plugin's. */
static char *log_name(const char *plugin)
{
	static const char *const taken[] = {"errors", "world", "target", NULL};

	for (size_t i = 0; taken[i]; i++)
		if (!strcmp(plugin, taken[i]))
			return vs_xasprintf("plugin-%s.log", plugin);
	return vs_xasprintf("%s.log", plugin);
}

void vs_runner_run(struct vs_run *run, struct vs_item *item, struct vs_result *res, int index, int total)
{
	int p[2] = {-1, -1}, wstatus = 0, eof = 0, timed_out = 0, killed = 0, interrupted = 0, exited = 0;
	char *log_file = log_name(item->name), *log_path = vs_xasprintf("%s/%s", run->dir, log_file), *buf = NULL;
	size_t len = 0, cap = 0;
	uint64_t t0 = vs_now_ns(), deadline = t0 + (uint64_t)item->timeout_ms * 1000000ull, term_at = 0, now;
	struct pollfd pfd;
	pid_t pid;

	res->started_at = vs_iso_now();
	res->log_file = log_file;
	if (run->no_fork) {
		run_inline(run, item, res, log_path, deadline);
		goto done;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		vs_result_set(res, "error", "pipe: %s", strerror(errno));
		goto done;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		vs_result_set(res, "error", "fork: %s", strerror(errno));
		goto done;
	}
	if (pid == 0) {
		close(p[0]);
		run_child(run, item, p[1], log_path, deadline);
	}
	close(p[1]);
	p[1] = -1;
	setpgid(pid, pid); /* also done by the child; whichever runs first */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (!exited) {
		pfd.revents = 0;
		if (!eof && poll(&pfd, 1, 100) > 0)
			read_events(p[0], res, &buf, &len, &cap, &eof);
		else if (eof)
			usleep(20000);
		if (waitpid(pid, &wstatus, WNOHANG) == pid) {
			exited = 1;
			read_events(p[0], res, &buf, &len, &cap, &eof);
			break;
		}
		now = vs_now_ns();
		if (!term_at && now >= deadline) {
			timed_out = 1;
			term_at = now;
			kill(-pid, SIGTERM);
		} else if (!term_at && run->interrupted && *run->interrupted) {
			interrupted = 1;
			term_at = now;
			kill(-pid, SIGTERM);
		} else if (term_at && !killed && now >= term_at + (uint64_t)run->grace_ms * 1000000ull) {
			killed = 1;
			kill(-pid, SIGKILL);
		}
		progress(run, index, total, item->name, term_at ? "stopping" : "running", (now - t0) / 1e9);
	}
	/* Anything the plugin left behind in its process group goes too. */
	kill(-pid, SIGKILL);
	classify(res, wstatus, timed_out, killed, interrupted, item->timeout_ms);
done:
	res->duration_ms = (vs_now_ns() - t0) / 1e6;
	if (p[0] >= 0)
		close(p[0]);
	free(buf);
	free(log_path);
}
