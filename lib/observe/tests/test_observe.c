/* proctree (a process tree's memory, CPU, threads, fds from /proc, once and
 * by a sampling thread) and promtext (summing Prometheus series), against
 * real child processes and real exposition text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "vstress/observe/promtext.h"
#include "vstress/observe/proctree.h"

/* A child that forks a grandchild; the grandchild touches 64 MiB then
 * burns CPU until killed.  Both are in our tree. */
static pid_t spawn_tree(int pipefd[2])
{
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0); /* so the test kills both at once */
		if (fork() == 0) {
			size_t n = 64u << 20;
			volatile char *m = malloc(n);
			for (size_t i = 0; m && i < n; i += 4096)
				m[i] = 1;
			(void)!write(pipefd[1], "r", 1);
			for (volatile unsigned long x = 0;; x++)
				;
		}
		pause();
		_exit(0);
	}
	return pid;
}

static void test_tree_memory_cpu(void **st)
{
	int fds[2];
	char ch;
	struct vs_proc_sample a, b, self;
	pid_t pid;
	(void)st;

	assert_int_equal(vs_proc_sample(getpid(), &self), 0);
	assert_true(self.rss_kb > 0 && self.threads >= 1 && self.fds >= 3 && self.nproc == 1);
	pid = spawn_tree(fds);
	assert_int_equal(read(fds[0], &ch, 1), 1);
	assert_int_equal(vs_proc_sample(pid, &a), 0);
	usleep(400000);
	assert_int_equal(vs_proc_sample(pid, &b), 0);
	assert_int_equal(a.nproc, 2);
	assert_true(a.rss_kb > 60 * 1024); /* the grandchild's 64 MiB count for the root */
	/* the grandchild spins: close to one core, whatever else runs here */
	double pct = vs_proc_cpu_pct(&a, &b);
	print_message("  tree rss %ld kB, cpu %.0f%%, threads %d, fds %d\n", b.rss_kb, pct, b.threads, b.fds);
	assert_true(pct > 30.0 && pct < 210.0);
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(vs_proc_sample(pid, &a), -1);
	assert_int_equal(vs_proc_sample(0, &a), -1);
}

static void test_monitor(void **st)
{
	struct vs_procmon *m = vs_procmon_start(getpid(), 20);
	struct vs_proc_sample *v = NULL, *snap = NULL;
	size_t n, ns;
	(void)st;

	assert_non_null(m);
	usleep(250000);
	ns = vs_procmon_snapshot(m, &snap);
	assert_true(ns >= 3);
	n = vs_procmon_stop(m, &v);
	assert_true(n >= ns && n <= 20);
	for (size_t i = 1; i < n; i++)
		assert_true(v[i].t_ns > v[i - 1].t_ns && v[i].rss_kb > 0);
	free(v);
	free(snap);
	assert_null(vs_procmon_start(getpid(), 5));
	assert_null(vs_procmon_start(0, 100));
	assert_int_equal(vs_procmon_stop(NULL, NULL), 0);
}

static void test_prom(void **st)
{
	const char *t = "# HELP agent_active_calls calls\n"
			"# TYPE agent_active_calls gauge\n"
			"agent_active_calls 3\n"
			"agent_active_calls_total 99\n"
			"agent_breaker_state{breaker=\"openai\"} 1\n"
			"agent_breaker_state{breaker=\"gemini\"} 0\n"
			"agent_provider_errors_total{error_class=\"auth\",provider=\"openai\"} 4\n"
			"agent_provider_errors_total{error_class=\"timeout\",provider=\"openai\"} 2.5\n"
			"agent_provider_errors_total{error_class=\"auth\",provider=\"ge\\\"mini\"} 7\n"
			"agent_weird{a=\"1\"} NaN\n"
			"agent_broken{a=\"1\" 5\n";
	double s;
	(void)st;

	assert_int_equal(vs_prom_sum(t, "agent_active_calls", NULL, &s), 1);
	assert_true(s == 3);
	assert_int_equal(vs_prom_sum(t, "agent_breaker_state", "breaker=\"openai\"", &s), 1);
	assert_true(s == 1);
	assert_int_equal(vs_prom_sum(t, "agent_provider_errors_total", "provider=\"openai\"", &s), 2);
	assert_true(s == 6.5);
	assert_int_equal(vs_prom_sum(t, "agent_provider_errors_total", "provider=\"openai\",error_class=\"auth\"", &s), 1);
	assert_true(s == 4);
	assert_int_equal(vs_prom_sum(t, "agent_provider_errors_total", "error_class=\"auth\"", &s), 2);
	assert_true(s == 11);
	assert_int_equal(vs_prom_sum(t, "agent_provider_errors_total", "provider=\"anthropic\"", &s), 0);
	assert_true(s == 0);
	assert_int_equal(vs_prom_sum(t, "agent_weird", NULL, &s), 0);
	assert_int_equal(vs_prom_sum(t, "agent_broken", NULL, &s), 0);
	assert_int_equal(vs_prom_sum(t, "agent_missing", NULL, &s), 0);
	assert_int_equal(vs_prom_sum("", "x", NULL, &s), 0);
	assert_int_equal(vs_prom_sum("x 1", "x", NULL, &s), 1); /* no final newline */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_memory_cpu),
		cmocka_unit_test(test_monitor),
		cmocka_unit_test(test_prom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
