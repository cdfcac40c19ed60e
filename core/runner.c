#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "pacer.h"

#define MAX_EVENT_BYTES (64u << 20) /* per plugin: beyond this, events are dropped */

static volatile sig_atomic_t *g_flag;
static volatile sig_atomic_t child_stop;
static volatile sig_atomic_t n_signals;
/* Process groups of the children alive now (plugin child, world, target):
 * a second SIGINT/SIGTERM kills them at once from the handler. */
static volatile pid_t groups[8];

static void on_signal(int sig)
{
	size_t i;

	(void)sig;
	if (g_flag)
		*g_flag = 1;
	if (n_signals < 2)
		n_signals++;
	if (n_signals >= 2)
		for (i = 0; i < VS_ARRAY_LEN(groups); i++)
			if (groups[i] > 0)
				kill(-groups[i], SIGKILL);
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

void vs_runner_track(pid_t pgid)
{
	size_t i;

	for (i = 0; pgid > 0 && i < VS_ARRAY_LEN(groups); i++)
		if (groups[i] <= 0) {
			groups[i] = pgid;
			if (n_signals >= 2) /* a second signal came before it was tracked */
				kill(-pgid, SIGKILL);
			return;
		}
}

void vs_runner_untrack(pid_t pgid)
{
	size_t i;

	for (i = 0; pgid > 0 && i < VS_ARRAY_LEN(groups); i++)
		if (groups[i] == pgid)
			groups[i] = 0;
}

int vs_runner_signals(void)
{
	return n_signals;
}

static void child_on_term(int sig)
{
	(void)sig;
	child_stop = 1;
}

/* ---- live progress on stderr ---------------------------------------------- */

struct live {
	int have;               /* a progress event arrived */
	char label[32];
	long long started, completed, in_flight, failed;
	double p95_ms;
	uint64_t last_draw, last_plain;
};

static void take_progress(struct live *lv, json_t *ev)
{
	const char *l = json_string_value(json_object_get(ev, "label"));

	lv->have = 1;
	snprintf(lv->label, sizeof(lv->label), "%s", l && *l ? l : "calls");
	for (char *q = lv->label; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			*q = ' '; /* never a control character on the terminal */
	lv->started = (long long)json_integer_value(json_object_get(ev, "started"));
	lv->completed = (long long)json_integer_value(json_object_get(ev, "completed"));
	lv->in_flight = (long long)json_integer_value(json_object_get(ev, "in_flight"));
	lv->failed = (long long)json_integer_value(json_object_get(ev, "failed"));
	lv->p95_ms = json_is_number(json_object_get(ev, "p95_ms")) ? json_number_value(json_object_get(ev, "p95_ms")) : -1;
}

static int term_cols(void)
{
	struct winsize ws;

	return ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10 ? ws.ws_col : 80;
}

/* One line per running phase: refreshed in place (\r, erase line) when
 * run->live, else a plain line at most every progress_ms, and only for a
 * phase that reports progress. */
static void progress(struct vs_run *run, int index, int total, const char *name, const char *what, uint64_t now,
		     uint64_t t0, long long budget_ms, struct live *lv)
{
	char line[512], p95[32];
	int n, cols;

	if (run->verbose < 0)
		return;
	if (run->live ? now - lv->last_draw < 250000000ull
		      : !lv->have || now - lv->last_plain < (uint64_t)run->progress_ms * 1000000ull)
		return;
	n = snprintf(line, sizeof(line), "[%d/%d] %s %s%.0fs/%.0fs", index, total, name, what, (now - t0) / 1e9,
		     budget_ms / 1000.0);
	if (lv->have && n > 0 && (size_t)n < sizeof(line)) {
		if (lv->p95_ms >= 0)
			snprintf(p95, sizeof(p95), "%.0f ms", lv->p95_ms);
		else
			snprintf(p95, sizeof(p95), "-");
		snprintf(line + n, sizeof(line) - (size_t)n, " | %s: %lld started, %lld done, %lld in flight, %lld failed, p95 %s",
			 lv->label, lv->started, lv->completed, lv->in_flight, lv->failed, p95);
	}
	if (run->live) {
		cols = term_cols();
		if ((int)strlen(line) >= cols)
			line[cols - 1] = '\0'; /* a wrapped line would not be overwritten */
		fprintf(stderr, "\r\033[K%s", line);
		lv->last_draw = now;
	} else {
		fprintf(stderr, "%s\n", line);
		lv->last_plain = now;
	}
	fflush(stderr);
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
		vs_result_judge_subjects(res);
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
static void consume(struct vs_result *res, char **buf, size_t *len, struct live *lv)
{
	char *start = *buf, *nl;
	json_error_t jerr;
	json_t *ev;

	while ((nl = memchr(start, '\n', *len - (size_t)(start - *buf)))) {
		*nl = '\0';
		ev = json_loads(start, 0, &jerr);
		if (ev && !strcmp(json_string_value(json_object_get(ev, "ev")) ? json_string_value(json_object_get(ev, "ev")) : "", "progress"))
			take_progress(lv, ev); /* for the terminal only, never the results */
		else if (!ev || vs_result_ingest(res, ev))
			res->bad_events += ev ? 0 : 1;
		json_decref(ev);
		start = nl + 1;
	}
	*len -= (size_t)(start - *buf);
	memmove(*buf, start, *len);
}

static void read_events(int fd, struct vs_result *res, char **buf, size_t *len, size_t *cap, int *eof,
			struct live *lv)
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
		consume(res, buf, len, lv);
	}
}

/* Never returns; frees log_path (the caller's copy in this process). */
static void run_child(struct vs_run *run, struct vs_item *item, int wfd, char *log_path, uint64_t deadline)
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
	free(log_path);
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
	struct live lv;
	pid_t pid;

	memset(&lv, 0, sizeof(lv));
	lv.last_plain = t0;

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
	vs_runner_track(pid);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (!exited) {
		pfd.revents = 0;
		if (!eof && poll(&pfd, 1, 100) > 0)
			read_events(p[0], res, &buf, &len, &cap, &eof, &lv);
		else if (eof)
			usleep(20000);
		if (waitpid(pid, &wstatus, WNOHANG) == pid) {
			exited = 1;
			read_events(p[0], res, &buf, &len, &cap, &eof, &lv);
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
		progress(run, index, total, item->name, term_at ? "stopping " : "", now, t0, item->timeout_ms, &lv);
	}
	/* Anything the plugin left behind in its process group goes too. */
	kill(-pid, SIGKILL);
	vs_runner_untrack(pid);
	classify(res, wstatus, timed_out, killed, interrupted, item->timeout_ms);
done:
	res->duration_ms = (vs_now_ns() - t0) / 1e6;
	if (p[0] >= 0)
		close(p[0]);
	free(buf);
	free(log_path);
}
