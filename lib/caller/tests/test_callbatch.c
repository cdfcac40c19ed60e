/* vs_cbatch_run (include/vstress/caller/callbatch.h) against the C echo
 * target, which answers the webhooks through the REAL world's Telnyx Call
 * Control stand-in (`vstress world --only telnyx`): calls start at their
 * intended times (never before; lateness reported), at most `concurrency`
 * run at once, every call is accounted for, should_stop stops new starts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libgen.h>
#include <pthread.h>
#include <time.h>

#include "call_echo_helpers.h"
#include "tests/fakehost/fakehost.h"
#include "vstress/crypto/b64.h"
#include "vstress/caller/callbatch.h"

/* Our side is many times slower under valgrind and the sanitizers: the
 * bounds on lateness widen there; the logic is the same. */
#define LATE_MS (getenv("VSTRESS_SLOW_RUNTIME") ? 1500.0 : 60.0)

static struct vs_call_engine *eng;
static struct vs_call_script *script;
static struct echo_proc echo;
static pid_t world_pid;
static char urls_path[128], control[256], webhook[128], seed_b64[64];

static const char *plugin_dir(void)
{
	const char *d = getenv("VSTRESS_TEST_PLUGIN_DIR");
	return d && *d ? d : "build/plugins";
}

/* The world serving only the Telnyx stand-in; its Call Control base URL
 * (for the echo target) in cc.  0 or -1. */
static int world_start(char *cc, size_t cclen)
{
	char bin[600], dir[512];

	snprintf(dir, sizeof(dir), "%s", plugin_dir());
	snprintf(bin, sizeof(bin), "%s/vstress", dirname(dir));
	snprintf(urls_path, sizeof(urls_path), "/tmp/vs-cbatch-%d.json", (int)getpid());
	/* the world's control token, shared with this process's vs_httpc */
	setenv("VSTRESS_WORLD_TOKEN", "test-control-token", 0);
	unlink(urls_path);
	fflush(NULL);
	world_pid = fork();
	if (world_pid < 0)
		return -1;
	if (world_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (!getenv("VS_TEST_VERBOSE") && !freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(bin, bin, "world", "--plugin-dir", plugin_dir(), "--config", "conf.d", "--only", "telnyx",
		      "--urls-file", urls_path, "-q", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 1200; i++) {
		json_t *j = json_load_file(urls_path, 0, NULL);
		const char *ctl = json_string_value(json_object_get(j, "control"));
		const char *tx = json_string_value(
			json_object_get(json_object_get(json_object_get(j, "standins"), "telnyx"), "http"));
		if (ctl && tx) {
			snprintf(control, sizeof(control), "%s", ctl);
			snprintf(cc, cclen, "%s/v2", tx);
			json_decref(j);
			return 0;
		}
		json_decref(j);
		if (waitpid(world_pid, NULL, WNOHANG) == world_pid) {
			fprintf(stderr, "world exited at start-up (%s)\n", bin);
			world_pid = 0;
			return -1;
		}
		usleep(50000);
	}
	fprintf(stderr, "world did not write %s\n", urls_path);
	return -1;
}

static int setup(void **st)
{
	char err[512], cc[300];
	uint8_t seed[32];
	const char *args[] = {"--call-control", cc, "--delay", "300", "--reply-ms", "400", NULL};
	(void)st;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (world_start(cc, sizeof(cc)) != 0 || echo_start(&echo, args) != 0)
		return -1;
	snprintf(webhook, sizeof(webhook), "http://127.0.0.1:%d/webhook", echo.port);
	for (size_t i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(i * 7 + 1);
	if (vs_b64_encode(seed, sizeof(seed), seed_b64, sizeof(seed_b64)) < 0)
		return -1;
	/* about 1.5 s: a tone, the echo's reply, the caller hangs up */
	if (vs_call_script_parse("[call]\nname = batch\n[step.1]\ntone = 300ms\nlevel = -12dB\n[step.2]\n"
				 "wait_reply = 8s\n[step.3]\nhangup = yes\n",
				 "batch.ini", NULL, &script, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (vs_call_engine_new(&eng, &(struct vs_call_engine_opts){.max_calls = 64}, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	vs_call_engine_free(eng);
	vs_call_script_free(script);
	echo_stop(&echo);
	if (world_pid > 0) {
		kill(world_pid, SIGTERM);
		waitpid(world_pid, NULL, 0);
	}
	unlink(urls_path);
	curl_global_cleanup();
	return 0;
}

static uint64_t clock_seed(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec;
}

static struct vs_cbatch_cfg batch_cfg(const struct vs_tcall_cfg *base, size_t n, int conc, int ramp)
{
	static const struct vs_call_script *scripts[1];
	scripts[0] = script;
	return (struct vs_cbatch_cfg){
		.base = base, .scripts = scripts, .nscripts = 1, .ncalls = n, .concurrency = conc, .ramp_ms = ramp,
		.seed = clock_seed()};
}

static struct vs_tcall_cfg tcall_base(void)
{
	return (struct vs_tcall_cfg){.webhook_url = webhook,
				     .control_url = control,
				     .signing_seed_b64 = seed_b64,
				     .from = "+15550109900",
				     .to = "+15550100900",
				     .signature = VS_SIG_GOOD};
}

/* Most calls running at one moment, from [started, ended). */
static int max_overlap(const struct vs_cbatch_call *c, size_t n)
{
	int best = 0;
	for (size_t i = 0; i < n; i++) {
		int k = 0;
		for (size_t j = 0; c[i].ran && j < n; j++)
			k += c[j].ran && c[j].started_ms <= c[i].started_ms && c[i].started_ms < c[j].ended_ms;
		best = k > best ? k : best;
	}
	return best;
}

static void assert_call_ok(const struct vs_cbatch_call *c, size_t i)
{
	if (!c->ran || c->failed || !c->r.answered || !c->r.media_started || c->r.media.nturns != 1 ||
	    !c->r.media.turns[0].replied)
		fail_msg("call %zu: ran %d failed %d answered %d media %d turns %zu error '%s' media error '%s'", i, c->ran,
			 c->failed, c->r.answered, c->r.media_started, c->r.media.nturns, c->r.error, c->r.media.error);
	assert_int_equal(vs_tcall_count_action(&c->r, "answer", NULL), 1);
}

/* 8 calls 150 ms apart, all at once allowed: each starts at its intended
 * time, not before, and not much after; each is a whole call with its own
 * ids. */
static void starts_on_schedule(void **st)
{
	struct vs_tcall_cfg base = tcall_base();
	struct vs_cbatch_cfg cfg = batch_cfg(&base, 8, 8, 150);
	struct vs_cbatch_call calls[8] = {0};
	char err[256];
	double worst = 0;
	(void)st;

	assert_int_equal(vs_cbatch_run(eng, &cfg, calls, err, sizeof(err)), 8);
	for (size_t i = 0; i < 8; i++) {
		double late = calls[i].started_ms - calls[i].intended_ms;
		assert_call_ok(&calls[i], i);
		assert_true(calls[i].intended_ms == 150.0 * (double)i);
		if (late < 0)
			fail_msg("call %zu started %.3f ms before its intended time", i, -late);
		if (late > LATE_MS)
			fail_msg("call %zu started %.1f ms late", i, late);
		worst = late > worst ? late : worst;
		assert_true(calls[i].ended_ms > calls[i].started_ms);
		for (size_t j = 0; j < i; j++) {
			assert_string_not_equal(calls[j].r.call_control_id, calls[i].r.call_control_id);
			assert_string_not_equal(calls[j].r.media.stream_id, calls[i].r.media.stream_id);
		}
	}
	/* 8 calls of ~1.5 s started within 1.05 s: all overlapped */
	assert_int_equal(max_overlap(calls, 8), 8);
	/* the echo target counted, per stream, exactly the frames each call sent */
	{
		json_t *stats = echo_wait_stopped(&echo, 8);
		for (size_t i = 0; i < 8; i++)
			assert_int_equal(echo_stream_int(stats, calls[i].r.media.stream_id, "frames"),
					 (long long)calls[i].r.media.frames_sent);
		json_decref(stats);
	}
	fprintf(stderr, "# worst start lateness %.2f ms\n", worst);
	vs_cbatch_clear(calls, 8);
}

/* 9 calls, 3 workers, no ramp: never more than 3 at once, 3 reached; a
 * call waits for a worker, so it starts after its intended time and that
 * lateness is recorded (not hidden). */
static void concurrency_is_bounded(void **st)
{
	struct vs_tcall_cfg base = tcall_base();
	struct vs_cbatch_cfg cfg = batch_cfg(&base, 9, 3, 0);
	struct vs_cbatch_call calls[9] = {0};
	char err[256];
	(void)st;

	assert_int_equal(vs_cbatch_run(eng, &cfg, calls, err, sizeof(err)), 9);
	for (size_t i = 0; i < 9; i++)
		assert_call_ok(&calls[i], i);
	assert_int_equal(max_overlap(calls, 9), 3);
	/* the 4th call could only start once one of the first three ended */
	{
		double first_end = calls[0].ended_ms;
		for (size_t i = 1; i < 3; i++)
			first_end = calls[i].ended_ms < first_end ? calls[i].ended_ms : first_end;
		for (size_t i = 3; i < 9; i++)
			assert_true(calls[i].started_ms >= first_end);
		assert_true(calls[8].started_ms - calls[8].intended_ms > 1000.0);
	}
	vs_cbatch_clear(calls, 9);
}

static int thread_count(void)
{
	char line[128];
	int n = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Threads:", 8))
			n = atoi(line + 8);
	if (f)
		fclose(f);
	return n;
}

static void count_threads(void *arg, size_t i, const struct vs_tcall_result *r)
{
	int *most = arg, n = thread_count();
	(void)i, (void)r;
	if (n > *most)
		*most = n;
}

/* Twelve calls at once run on the calling thread and the engine's: the
 * process has no more threads while they run than before (a thread per
 * call would add twelve). */
static void no_thread_per_call(void **st)
{
	struct vs_tcall_cfg base = tcall_base();
	struct vs_cbatch_cfg cfg = batch_cfg(&base, 12, 12, 0);
	struct vs_cbatch_call calls[12] = {0};
	int before = thread_count(), most = 0;
	char err[256];
	(void)st;

	cfg.on_done = count_threads;
	cfg.arg = &most;
	assert_true(before > 0);
	assert_int_equal(vs_cbatch_run(eng, &cfg, calls, err, sizeof(err)), 12);
	for (size_t i = 0; i < 12; i++)
		assert_call_ok(&calls[i], i);
	assert_int_equal(max_overlap(calls, 12), 12);
	print_message("# threads: %d before the batch, at most %d while it ran\n", before, most);
	assert_true(most <= before);
	vs_cbatch_clear(calls, 12);
}

struct stopper {
	pthread_mutex_t mu;
	int done, stop_after, polls;
	size_t order[16];
};

static int stop_cb(void *arg)
{
	struct stopper *s = arg;
	int r;
	pthread_mutex_lock(&s->mu);
	s->polls++;
	r = s->done >= s->stop_after;
	pthread_mutex_unlock(&s->mu);
	return r;
}

static void done_cb(void *arg, size_t i, const struct vs_tcall_result *r)
{
	struct stopper *s = arg;
	(void)r;
	pthread_mutex_lock(&s->mu);
	s->order[s->done++] = i;
	pthread_mutex_unlock(&s->mu);
}

/* should_stop turns true after 3 calls: no new call starts, the rest are
 * accounted for as not run; on_done saw exactly the calls that ran. */
static void should_stop_stops_new_starts(void **st)
{
	struct vs_tcall_cfg base = tcall_base();
	struct vs_cbatch_cfg cfg = batch_cfg(&base, 8, 1, 0);
	struct vs_cbatch_call calls[8] = {0};
	struct stopper s = {.stop_after = 3};
	char err[256];
	long ran;
	int nran = 0;
	(void)st;

	pthread_mutex_init(&s.mu, NULL);
	cfg.should_stop = stop_cb;
	cfg.on_done = done_cb;
	cfg.arg = &s;
	ran = vs_cbatch_run(eng, &cfg, calls, err, sizeof(err));
	assert_int_equal(ran, 3);
	assert_int_equal(s.done, 3);
	for (size_t i = 0; i < 8; i++) {
		nran += calls[i].ran;
		if (i < 3)
			assert_call_ok(&calls[i], i);
		else
			assert_false(calls[i].ran);
		/* unstarted calls are still described */
		assert_ptr_equal(calls[i].script, script);
	}
	assert_int_equal(nran, 3);
	for (size_t k = 0; k < 3; k++)
		assert_int_equal(s.order[k], k);
	assert_true(s.polls >= 4);
	pthread_mutex_destroy(&s.mu);
	vs_cbatch_clear(calls, 8);
}

/* A stop requested before the batch: nothing starts, 0 returned. */
static int always(void *arg)
{
	(void)arg;
	return 1;
}

static void stop_before_start_runs_nothing(void **st)
{
	struct vs_tcall_cfg base = tcall_base();
	struct vs_cbatch_cfg cfg = batch_cfg(&base, 4, 2, 10);
	struct vs_cbatch_call calls[4] = {0};
	char err[256];
	(void)st;

	cfg.should_stop = always;
	assert_int_equal(vs_cbatch_run(eng, &cfg, calls, err, sizeof(err)), 0);
	for (size_t i = 0; i < 4; i++)
		assert_false(calls[i].ran);
	vs_cbatch_clear(calls, 4);
}

static void bad_config_is_refused(void **st)
{
	struct vs_tcall_cfg base = tcall_base();
	struct vs_cbatch_cfg cfg = batch_cfg(&base, 2, 0, 0);
	struct vs_cbatch_call calls[2] = {0};
	char err[256] = "";
	(void)st;

	assert_int_equal(vs_cbatch_run(eng, &cfg, calls, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "concurrency"));
	cfg.concurrency = 1;
	cfg.ramp_ms = -5;
	assert_int_equal(vs_cbatch_run(eng, &cfg, calls, err, sizeof(err)), -1);
	cfg.ramp_ms = 0;
	cfg.nscripts = 0;
	assert_int_equal(vs_cbatch_run(eng, &cfg, calls, err, sizeof(err)), -1);
	/* a harness-side failure of one call (world unreachable) is recorded, not fatal */
	cfg.nscripts = 1;
	base.control_url = "http://127.0.0.1:9";
	assert_int_equal(vs_cbatch_run(eng, &cfg, calls, err, sizeof(err)), 2);
	assert_true(calls[0].ran && calls[0].failed && calls[1].ran && calls[1].failed);
	assert_non_null(strstr(calls[0].r.error, "did not answer"));
	vs_cbatch_clear(calls, 2);
}

/* With host/ctx set, the batch reports live progress (host->progress):
 * counts that add up on every report, the last one final (all completed,
 * none in flight), p95 the first replies' (of 4: the largest), failures
 * counted from harness failures. */
static void progress_is_reported(void **st)
{
	struct fakehost *fh = fh_new("cbatch");
	struct vs_tcall_cfg base = tcall_base();
	struct vs_cbatch_cfg cfg = batch_cfg(&base, 4, 2, 0);
	struct vs_cbatch_call calls[4] = {0};
	struct vs_progress last;
	double worst = 0;
	char err[256];
	int bad = -1;
	(void)st;

	assert_non_null(fh);
	cfg.host = fh_host(fh);
	cfg.ctx = fh_ctx(fh);
	assert_int_equal(vs_cbatch_run(eng, &cfg, calls, err, sizeof(err)), 4);
	for (size_t i = 0; i < 4; i++) {
		assert_call_ok(&calls[i], i);
		worst = calls[i].r.media.first_reply_ms > worst ? calls[i].r.media.first_reply_ms : worst;
	}
	/* 4 starts + 4 ends within ~3 s, at most 4 a second, plus the final one */
	assert_true(fh_progress(fh, &last, &bad) >= 2);
	assert_int_equal(bad, 0);
	assert_int_equal(last.started, 4);
	assert_int_equal(last.completed, 4);
	assert_int_equal(last.in_flight, 0);
	assert_int_equal(last.failed, 0);
	assert_true(last.p95_ms == worst && worst >= 300.0);
	vs_cbatch_clear(calls, 4);
	memset(calls, 0, sizeof(calls));

	base.control_url = "http://127.0.0.1:9"; /* every call fails on our side */
	cfg.ncalls = 2;
	assert_int_equal(vs_cbatch_run(eng, &cfg, calls, err, sizeof(err)), 2);
	fh_progress(fh, &last, &bad);
	assert_int_equal(bad, 0);
	assert_int_equal(last.completed, 2);
	assert_int_equal(last.failed, 2);
	assert_true(last.p95_ms < 0); /* no first reply at all */
	vs_cbatch_clear(calls, 2);
	fh_free(fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(starts_on_schedule),
		cmocka_unit_test(concurrency_is_bounded),
		cmocka_unit_test(no_thread_per_call),
		cmocka_unit_test(should_stop_stops_new_starts),
		cmocka_unit_test(stop_before_start_runs_nothing),
		cmocka_unit_test(bad_config_is_refused),
		cmocka_unit_test(progress_is_reported),
	};
	return cmocka_run_group_tests_name("callbatch", tests, setup, teardown);
}
