/* setup plugin: the target's environment (plan 1.1/1.2) through the target's
 * real interpreter: the reference agent's venv imports its modules and
 * matches its lock; a missing module fails naming it and the interpreter; a
 * pin mismatch fails naming FILE:LINE; attached with no interpreter known
 * skips with the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakehost.h"

#define AGENT "examples/reference-agent"
#define AGENT_PY AGENT "/.venv/bin/python"

static struct fakehost *host(void)
{
	const char *dir = getenv("VSTRESS_TEST_PLUGIN_DIR");
	char path[512];
	struct fakehost *fh = fh_new("setup");

	snprintf(path, sizeof path, "%s/setup.so", dir && *dir ? dir : "build/plugins");
	assert_non_null(fh);
	assert_int_equal(fh_load(fh, path), 0);
	fh_set_deadline_ms(fh, 120000);
	/* only the checks of this file: the others skip without their inputs */
	fh_set_opt(fh, "database_url", "");
	fh_set_opt(fh, "base_url", "");
	fh_set_opt(fh, "telnyx_public_key", "");
	return fh;
}

static void launched_agent(struct fakehost *fh)
{
	fh_set_conf(fh, "target", "mode", "launch");
	fh_set_conf(fh, "target", "cwd", AGENT);
	fh_set_conf(fh, "target", "command", "exec .venv/bin/python -m agent");
}

static void expect(struct fakehost *fh, const char *name, int status, const char *text)
{
	const char *m = fh_check_message(fh, name);

	if (fh_check_status(fh, name) != status || !m || !strstr(m, text))
		fail_msg("check %s: status %d (expected %d), message '%s' (expected '%s')", name,
			 fh_check_status(fh, name), status, m ? m : "(absent)", text);
	if (status == VS_CHECK_FAIL)
		fh_note_failed(fh, name);
}

static int need_agent_venv(void **st)
{
	(void)st;
	if (access(AGENT_PY, X_OK) != 0) {
		fprintf(stderr, "# %s missing: run %s/scripts/setup-venv.sh\n", AGENT_PY, AGENT);
		return -1;
	}
	return 0;
}

static void reference_agent_passes(void **st)
{
	struct fakehost *fh = host();

	(void)st;
	launched_agent(fh); /* the interpreter derived from the launch command */
	fh_set_opt(fh, "target_imports", "pipecat.serializers.telnyx, openai, anthropic, google.genai, deepgram, "
					  "pipecat.services.cartesia.tts, pipecat.services.elevenlabs.tts, asyncpg, "
					  "fastapi, sentry_sdk");
	fh_set_opt(fh, "requirements", AGENT "/requirements.lock");
	assert_int_equal(fh_run(fh), VS_OK);
	expect(fh, "target.imports", VS_CHECK_PASS, AGENT "/.venv/bin/python (Python 3.");
	expect(fh, "target.imports", VS_CHECK_PASS, "10 of 10 modules import under /");
	expect(fh, "target.import.pipecat.serializers.telnyx", VS_CHECK_PASS, "pipecat-ai 1.");
	expect(fh, "target.import.sentry_sdk", VS_CHECK_PASS, "sentry-sdk 2.76.0");
	expect(fh, "target.import.fastapi", VS_CHECK_PASS, "fastapi 0.");
	/* google is a namespace of many distributions: the one holding genai */
	expect(fh, "target.import.google.genai", VS_CHECK_PASS, "google-genai 2.");
	expect(fh, "target.requirements", VS_CHECK_PASS, "pins of " AGENT "/requirements.lock installed as pinned");
	fh_free(fh);
}

static void missing_module_fails_naming_it(void **st)
{
	struct fakehost *fh = host();

	(void)st;
	launched_agent(fh);
	fh_set_opt(fh, "target_imports", "fastapi, vstress_no_such_module");
	assert_int_equal(fh_run(fh), VS_OK);
	expect(fh, "target.import.vstress_no_such_module", VS_CHECK_FAIL,
	       "/" AGENT "/.venv/bin/python: ModuleNotFoundError: No module named 'vstress_no_such_module'");
	expect(fh, "target.import.vstress_no_such_module", VS_CHECK_FAIL, "vstress_no_such_module does not import under /");
	expect(fh, "target.import.fastapi", VS_CHECK_PASS, "fastapi");
	expect(fh, "target.imports", VS_CHECK_FAIL, "1 of 2 modules import");
	fh_free(fh);
}

static void pin_mismatch_fails_naming_file_line(void **st)
{
	char file[] = "/tmp/vs-req-XXXXXX";
	int fd = mkstemp(file);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	struct fakehost *fh = host();
	char want[300];

	(void)st;
	assert_non_null(f);
	fprintf(f, "# pins\nasyncpg==0.32.0\n\nFastAPI==0.0.1  # wrong on purpose\nno-such-dist-vstress==1.0\nhttpx>=0.1\n");
	fclose(f);
	fh_set_conf(fh, "target", "mode", "attach");
	fh_set_conf(fh, "target", "python", AGENT_PY); /* attached, interpreter given */
	fh_set_opt(fh, "requirements", file);
	assert_int_equal(fh_run(fh), VS_OK);
	snprintf(want, sizeof want, "2 of 3 pins differ: %s:4: fastapi==0.0.1 pinned, 0.", file);
	expect(fh, "target.requirements", VS_CHECK_FAIL, want);
	snprintf(want, sizeof want, "%s:5: no-such-dist-vstress==1.0 pinned, not installed", file);
	expect(fh, "target.requirements", VS_CHECK_FAIL, want);
	unlink(file);
	fh_free(fh);
}

static void attached_without_interpreter_skips(void **st)
{
	struct fakehost *fh = host();

	(void)st;
	fh_set_conf(fh, "target", "mode", "attach");
	fh_set_opt(fh, "target_imports", "fastapi");
	fh_set_opt(fh, "requirements", AGENT "/requirements.lock");
	assert_int_equal(fh_run(fh), VS_OK);
	expect(fh, "target.imports", VS_CHECK_SKIP, "[target] python is unset");
	expect(fh, "target.requirements", VS_CHECK_SKIP, "interpreter is unknown");
	fh_free(fh);
}

static void unreadable_requirements_and_bad_interpreter(void **st)
{
	struct fakehost *fh = host();

	(void)st;
	fh_set_conf(fh, "target", "python", "/nonexistent/bin/python3");
	fh_set_opt(fh, "target_imports", "json");
	fh_set_opt(fh, "requirements", "/nonexistent/requirements.txt");
	assert_int_equal(fh_run(fh), VS_OK);
	expect(fh, "target.requirements", VS_CHECK_FAIL, "[setup] requirements = /nonexistent/requirements.txt: No such file");
	expect(fh, "target.imports", VS_CHECK_FAIL, "/nonexistent/bin/python3 could not be executed");
	fh_free(fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reference_agent_passes),
		cmocka_unit_test(missing_module_fails_naming_it),
		cmocka_unit_test(pin_mismatch_fails_naming_file_line),
		cmocka_unit_test(attached_without_interpreter_skips),
		cmocka_unit_test(unreadable_requirements_and_bad_interpreter),
	};
	return cmocka_run_group_tests(tests, need_agent_venv, NULL);
}
