/* telnyx probe against the REAL reference agent and the REAL world:
 * healthy agent -> every check passes; AGENT_FAULTS=no_signature_check,
 * no_dedupe, no_fallback_transfer (+ no_fallback_message, no_fallback_error_row),
 * transfer_no_to (+ no_goodbye_hangup, unknown_hangup_early) -> the matching
 * checks fail with a clear message.  Postgres: DATABASE_URL or a throwaway one (plugins/api/tests/target.h).
 * The world (<BUILD>/vstress world) and python stay out of valgrind. */
#include <libgen.h>

#include "apitest.h"
#include "vstress/crypto/b64.h"
#include "vstress/crypto/ed25519.h"

static struct tgt world, agent;
static char world_env[64][512];
static size_t n_world_env;
static char seed_b64[64], pub_b64[64], urls_file[256];

static const char *wenv(const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i < n_world_env; i++)
		if (!strncmp(world_env[i], key, kl) && world_env[i][kl] == '=')
			return world_env[i] + kl + 1;
	return "";
}

/* extra: a further --config file (NULL: conf.d alone) */
static int world_start(const char *extra)
{
	char dir[512], bdir[512], cmd[1400], line[512];
	const char *pd = getenv("VSTRESS_TEST_PLUGIN_DIR");
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", pd && *pd ? pd : "build/plugins");
	snprintf(bdir, sizeof(bdir), "%s", dir);
	snprintf(urls_file, sizeof(urls_file), "/tmp/vstress-tc-urls-%d.env", (int)getpid());
	unlink(urls_file);
	snprintf(cmd, sizeof(cmd), "exec %s/vstress world --plugin-dir %s --config conf.d%s%s --urls-file %s -q",
		 dirname(bdir), dir, extra ? " --config " : "", extra ? extra : "", urls_file);
	/* the world's control token, shared with this process's vs_httpc */
	setenv("VSTRESS_WORLD_TOKEN", "test-control-token", 0);
	world.port = 0;
	snprintf(world.log, sizeof(world.log), "/tmp/vstress-tc-world-%d.log", (int)getpid());
	fflush(NULL);
	world.pid = fork();
	if (world.pid == 0) {
		int fd = open(world.log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		/* our own C, but real-time audio pacing: keep it out of valgrind too */
		setenv("VALGRIND_OPTS", "--trace-children-skip=*python*,*psql*,*pg-throwaway*,*pg_ctl*,*initdb*,*vstress", 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		tgt_sleep_ms(50);
		f = fopen(urls_file, "r");
		if (!f)
			continue;
		n_world_env = 0;
		while (n_world_env < 64 && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(world_env[n_world_env++], sizeof(world_env[0]), "%s", line);
		}
		fclose(f);
		if (*wenv("VSTRESS_WORLD_CONTROL_URL"))
			return 0;
	}
	fprintf(stderr, "the world did not start; its log:\n");
	tgt_print_log(&world);
	return -1;
}

/* The reference agent wired to the world, with AGENT_FAULTS. */
static int agent_start(const char *faults)
{
	static char env[64][1300];
	char *envp[65];
	size_t n = 0;

	tgt_stop(&agent);
	agent.port = tgt_free_port();
#define E(...) snprintf(env[n++], sizeof(env[0]), __VA_ARGS__)
	E("AGENT_HOST=127.0.0.1");
	E("AGENT_PORT=%d", agent.port);
	E("AGENT_PUBLIC_WS_URL=ws://127.0.0.1:%d", agent.port);
	E("DATABASE_URL=%s", tgt_db_url);
	E("AUTH_PASSWORD=%s", TGT_PASSWORD);
	E("PRELOAD_PIPELINE=true");
	E("LOG_LEVEL=WARNING");
	E("AGENT_FAULTS=%s", faults ? faults : "");
	E("TELNYX_PUBLIC_KEY=%s", pub_b64);
	/* every provider's URL and dummy key, as its stand-in exports them
	 * for a target (the VSTRESS_WORLD_* lines are the world's own) */
	for (size_t i = 0; i < n_world_env && n < 60; i++)
		if (strncmp(world_env[i], "VSTRESS_", 8))
			E("%s", world_env[i]);
#undef E
	for (size_t i = 0; i < n; i++)
		envp[i] = env[i];
	envp[n] = NULL;
	return tgt_spawn(&agent, "cd examples/reference-agent && exec .venv/bin/python -m agent", envp, "/health", 60000);
}

static int group_setup(void **state)
{
	struct vs_ed25519_key k;
	(void)state;
	if (vs_ed25519_generate(&k) != 0 || vs_b64_encode(k.seed, sizeof(k.seed), seed_b64, sizeof(seed_b64)) < 0 ||
	    vs_ed25519_pub_b64(&k, pub_b64) != 0)
		return -1;
	if (tgt_env_init() != 0 || world_start(NULL) != 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tgt_stop(&agent);
	tgt_stop(&world);
	unlink(urls_file);
	tgt_env_done();
	return 0;
}

static struct fakehost *host(const char *checks)
{
	struct fakehost *fh = fh_loaded("telnyx", at_so("telnyx"));
	fh_set_opt(fh, "base_url", agent.url);
	fh_set_opt(fh, "control_url", wenv("VSTRESS_WORLD_CONTROL_URL"));
	fh_set_opt(fh, "signing_seed", seed_b64);
	fh_set_opt(fh, "db_url", tgt_db_url);
	fh_set_opt(fh, "provision", "true");
	fh_set_opt(fh, "checks", checks);
	fh_set_deadline_ms(fh, 120000);
	return fh;
}

static void healthy(void **state)
{
	(void)state;
	if (getenv("VSTRESS_SLOW_RUNTIME") || getenv("VSTRESS_VALGRIND"))
		skip(); /* real-time calls (greeting, fallback) run once, in the plain build */
	assert_int_equal(agent_start(NULL), 0);
	struct fakehost *fh = host("webhook,unknown,signature,replay,fallback");
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	const char *all[] = {"webhook.initiated", "answer.stream_url", "media.greeting", "media.frames", "unknown.speak",
			     "unknown.hangup", "unknown.no_media", "signature.forged", "signature.stale",
			     "signature.missing", "replay", "fallback.heard", "fallback.transfer",
			     "fallback.system_errors"};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		assert_check(fh, all[i], VS_CHECK_PASS);
	assert_true(fh_metric_count(fh, "webhook_latency") >= 3);
	assert_true(fh_metric_count(fh, "first_reply") >= 2);
	assert_false(fh_anywhere_contains(fh, seed_b64));
	/* the test tenant is gone */
	char cmd[1600];
	snprintf(cmd, sizeof(cmd), "[ -z \"$(psql -Atq '%s' -c \"SELECT 1 FROM tenants WHERE name LIKE 'vstress%%'\")\" ]",
		 tgt_db_url);
	assert_int_equal(tgt_sh(cmd), 0);
	fh_free(fh);
}

static void no_signature_check(void **state)
{
	(void)state;
	assert_int_equal(agent_start("no_signature_check"), 0);
	struct fakehost *fh = host("signature");
	fh_run(fh);
	fh_dump(fh);
	assert_check(fh, "signature.forged", VS_CHECK_FAIL);
	assert_check(fh, "signature.stale", VS_CHECK_FAIL);
	assert_check(fh, "signature.missing", VS_CHECK_FAIL);
	assert_message_has(fh, "signature.forged", "not signed by Telnyx");
	assert_message_has(fh, "signature.missing", "without signature headers");
	fh_free(fh);
}

static void no_dedupe(void **state)
{
	(void)state;
	assert_int_equal(agent_start("no_dedupe"), 0);
	struct fakehost *fh = host("replay");
	fh_run(fh);
	fh_dump(fh);
	assert_check(fh, "replay", VS_CHECK_FAIL);
	assert_message_has(fh, "replay", "acted on again");
	fh_free(fh);
}

static void no_fallback_transfer(void **state)
{
	(void)state;
	if (getenv("VSTRESS_SLOW_RUNTIME") || getenv("VSTRESS_VALGRIND"))
		skip(); /* a real-time call: the plain build */
	/* the same call also leaves out the fallback message and its error row */
	assert_int_equal(agent_start("no_fallback_transfer,no_fallback_message,no_fallback_error_row"), 0);
	struct fakehost *fh = host("fallback");
	fh_run(fh);
	fh_dump(fh);
	assert_check(fh, "fallback.transfer", VS_CHECK_FAIL);
	assert_message_has(fh, "fallback.transfer", "no transfer command");
	assert_check_says(fh, "fallback.heard", VS_CHECK_FAIL, "said nothing after the caller's question");
	assert_check_says(fh, "fallback.system_errors", VS_CHECK_FAIL, "0 matching system_errors rows");
	fh_free(fh);
}

/* An agent that answers a number it should not know: the "unknown" call
 * goes to the provisioned tenant's number, so the agent streams and greets
 * instead of saying the number is not configured (one real-time call, 12 s). */
static void unknown_number_answered(void **state)
{
	(void)state;
	if (getenv("VSTRESS_SLOW_RUNTIME") || getenv("VSTRESS_VALGRIND"))
		skip();
	assert_int_equal(agent_start(NULL), 0);
	struct fakehost *fh = host("unknown");
	fh_set_opt(fh, "unknown_number", "+15550100001"); /* = routed_number */
	fh_run(fh);
	fh_dump(fh);
	assert_check_says(fh, "unknown.no_media", VS_CHECK_FAIL, "the target asked for a media stream");
	assert_check(fh, "unknown.speak", VS_CHECK_FAIL);
	assert_check_says(fh, "unknown.hangup", VS_CHECK_FAIL, "no hangup within 12000 ms");
	fh_free(fh);
}

/* Plan 9.2: transfer by the caller's words, hangup after goodbye, speak on
 * an unknown number; three real-time calls per case (~35 s), so they run in
 * the plain build only. */
static void callcontrol_healthy(void **state)
{
	(void)state;
	if (getenv("VSTRESS_SLOW_RUNTIME") || getenv("VSTRESS_VALGRIND"))
		skip();
	/* a world that hears the caller's words (grammar mode) */
	tgt_stop(&agent);
	tgt_stop(&world);
	assert_int_equal(world_start("plugins/telnyx/tests/world-cc.ini"), 0);
	assert_int_equal(agent_start(NULL), 0);
	struct fakehost *fh = host("callcontrol");
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	assert_check(fh, "callcontrol.transfer", VS_CHECK_PASS);
	assert_message_has(fh, "callcontrol.transfer", "to +15550100099");
	assert_check(fh, "callcontrol.hangup", VS_CHECK_PASS);
	assert_check(fh, "callcontrol.speak", VS_CHECK_PASS);
	assert_message_has(fh, "callcontrol.speak", "call.speak.ended sent");
	fh_free(fh);
}

static void callcontrol_faults(void **state)
{
	(void)state;
	if (getenv("VSTRESS_SLOW_RUNTIME") || getenv("VSTRESS_VALGRIND"))
		skip();
	assert_int_equal(agent_start("transfer_no_to,no_goodbye_hangup,unknown_hangup_early"), 0);
	struct fakehost *fh = host("callcontrol");
	fh_run(fh);
	fh_dump(fh);
	assert_check(fh, "callcontrol.transfer", VS_CHECK_FAIL);
	assert_message_has(fh, "callcontrol.transfer", "field `to` is missing");
	assert_check(fh, "callcontrol.hangup", VS_CHECK_FAIL);
	assert_message_has(fh, "callcontrol.hangup", "never hung up");
	assert_check_says(fh, "callcontrol.speak", VS_CHECK_FAIL, "the message was cut off");
	fh_free(fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(healthy),
		cmocka_unit_test(no_signature_check),
		cmocka_unit_test(no_dedupe),
		cmocka_unit_test(no_fallback_transfer),
		cmocka_unit_test(unknown_number_answered),
		cmocka_unit_test(callcontrol_healthy),
		cmocka_unit_test(callcontrol_faults),
	};
	if (getenv("PT_FILTER")) /* e.g. PT_FILTER='callcontrol*' */
		cmocka_set_test_filter(getenv("PT_FILTER"));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
