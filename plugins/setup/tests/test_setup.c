/* setup plugin (Phase 1): keys, database, target, Telnyx key, versions;
 * against a real Postgres and a real HTTP target on loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fakehost.h"
#include "target.h"

/* base64 of 32 bytes / of 31 bytes */
#define KEY32 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY31 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg=="

static struct tgt web;

static const char *plugin_so(const char *name)
{
	static char path[512];
	const char *dir = getenv("VSTRESS_TEST_PLUGIN_DIR");
	snprintf(path, sizeof(path), "%s/%s.so", dir && *dir ? dir : "build/plugins", name);
	return path;
}

static const char *so(void)
{
	return plugin_so("setup");
}

/* The run's plugins as the core hands them to setup: what each built
 * plugin's descriptor declares (api declares nothing). */
static void declare_suite(struct fakehost *fh)
{
	static const char *const names[] = {"api", "db", "llm_anthropic", "llm_gemini", "llm_openai",
					    "stt_deepgram", "telnyx", "tts_cartesia", "tts_elevenlabs", NULL};
	for (size_t i = 0; names[i]; i++)
		assert_int_equal(fh_declare_plugin(fh, plugin_so(names[i])), 0);
}

static void dump(struct fakehost *fh)
{
	for (size_t i = 0; i < fh_check_count(fh); i++) {
		const char *n, *m;
		int st;
		fh_check_at(fh, i, &n, &st, &m);
		fprintf(stderr, "  %s %s: %s\n", st == VS_CHECK_PASS ? "pass" : st == VS_CHECK_FAIL ? "FAIL" : "skip", n, m);
	}
}

#define assert_check(fh, name, status, text)                                                                 \
	do {                                                                                                 \
		const char *m_ = fh_check_message((fh), (name));                                             \
		if (fh_check_status((fh), (name)) != (status) || !m_ || !strstr(m_, (text))) {               \
			dump(fh);                                                                            \
			fail_msg("check %s: status %d (expected %d), message '%s' (expected '%s')", (name), \
				 fh_check_status((fh), (name)), (status), m_ ? m_ : "(absent)", (text));    \
		}                                                                                            \
		if ((status) == VS_CHECK_FAIL)                                                               \
			fh_note_failed((fh), (name));                                                        \
	} while (0)

static struct fakehost *host(void)
{
	struct fakehost *fh = fh_new("setup");
	assert_non_null(fh);
	assert_int_equal(fh_load(fh, so()), 0);
	fh_set_redact(fh, 0); /* the plugin itself must keep secrets out */
	fh_set_deadline_ms(fh, 30000);
	return fh;
}

static int group_setup(void **st)
{
	(void)st;
	if (tgt_env_init() || tgt_garbage_start(&web))
		return -1;
	return 0;
}

static int group_teardown(void **st)
{
	(void)st;
	tgt_stop(&web);
	tgt_env_done();
	return 0;
}

static void all_present(void **st)
{
	struct fakehost *fh;
	json_t *v;
	(void)st;
	setenv("OPENAI_API_KEY", "sk-dummy-openai", 1);
	setenv("GEMINI_API_KEY", "dummy-gemini", 1);
	setenv("ANTHROPIC_API_KEY", "dummy-anthropic", 1);
	setenv("CARTESIA_API_KEY", "dummy", 1);
	setenv("ELEVENLABS_API_KEY", "dummy", 1);
	setenv("TELNYX_API_KEY", "dummy", 1);
	unsetenv("DEEPGRAM_API_KEY");
	setenv("VSTRESS_TARGET_URL", web.url, 1);
	setenv("VSTRESS_TELNYX_PUBLIC_KEY", KEY32, 1);
	fh = host();
	declare_suite(fh);
	fh_set_opt(fh, "database_url", tgt_db_url);
	fh_set_opt(fh, "health_path", "/ok");
	fh_set_conf(fh, "target", "env.DEEPGRAM_API_KEY", "dummy-for-target");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "env.llm_openai.OPENAI_API_KEY", VS_CHECK_PASS, "OPENAI_API_KEY set in the environment (15 chars)");
	assert_check(fh, "env.llm_gemini.GOOGLE_API_KEY|GEMINI_API_KEY", VS_CHECK_PASS, "GEMINI_API_KEY set");
	assert_check(fh, "env.llm_anthropic.ANTHROPIC_API_KEY", VS_CHECK_PASS, "set in the environment");
	assert_check(fh, "env.stt_deepgram.DEEPGRAM_API_KEY", VS_CHECK_PASS, "for the target ([target] env.*)");
	assert_check(fh, "env.tts_cartesia.CARTESIA_API_KEY", VS_CHECK_PASS, "set in the environment");
	assert_check(fh, "env.tts_elevenlabs.ELEVENLABS_API_KEY", VS_CHECK_PASS, "set in the environment");
	assert_check(fh, "env.telnyx.TELNYX_API_KEY", VS_CHECK_PASS, "set in the environment");
	assert_check(fh, "env.db.DATABASE_URL", VS_CHECK_PASS, "set in the environment");
	assert_int_equal(fh_check_subject(fh, "env.llm_openai.OPENAI_API_KEY"), VS_SUBJECT_TARGET); /* the team's key */
	/* the eight key checks derived from the descriptors, nothing for api */
	{
		size_t keys = 0;
		for (size_t i = 0; i < fh_check_count(fh); i++) {
			const char *n, *m;
			int status;
			fh_check_at(fh, i, &n, &status, &m);
			keys += !strncmp(n, "env.", 4);
			assert_false(!strncmp(n, "env.api", 7));
		}
		assert_int_equal(keys, 8);
	}
	assert_check(fh, "db.url", VS_CHECK_PASS, "database URL parses: postgres@127.0.0.1:");
	assert_check(fh, "db.connect", VS_CHECK_PASS, "select 1 = 1");
	assert_check(fh, "target.health", VS_CHECK_PASS, ": 200 in");
	assert_check(fh, "telnyx.public_key", VS_CHECK_PASS, "32 bytes");
	assert_int_equal(fh_check_status(fh, "versions"), -1); /* data, not a check: it could not fail */
	assert_int_equal(fh_check_subject(fh, "telnyx.public_key"), VS_SUBJECT_HARNESS); /* vstress's own key and build */
	assert_int_equal(fh_checks_with_status(fh, VS_CHECK_FAIL), 0);
	assert_false(fh_anywhere_contains(fh, "sk-dummy-openai"));
	v = json_object_get(json_object_get(fh_attached(fh, "setup"), "versions"), "plugins");
	assert_string_equal(json_string_value(json_object_get(v, "setup")), "1.0.0");
	fh_free(fh);
}

static void missing_key_skips(void **st)
{
	struct fakehost *fh;
	(void)st;
	unsetenv("ANTHROPIC_API_KEY");
	fh = host();
	declare_suite(fh);
	/* overrides: the list, one plugin's variables instead of its declared ones */
	fh_set_opt(fh, "plugins", "llm_anthropic, mything, llm_openai, other");
	fh_set_opt(fh, "env_extra", "mything:MYTHING_TOKEN");
	fh_set_opt(fh, "env.llm_openai", "VSTRESS_TEST_UNSET_OPENAI_KEY");
	fh_set_opt(fh, "env.other", "OTHER_A|OTHER_B");
	unsetenv("OTHER_A");
	setenv("OTHER_B", "x", 1);
	fh_set_opt(fh, "database_url", "");
	fh_set_opt(fh, "base_url", "");
	fh_set_opt(fh, "telnyx_public_key", "");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "env.llm_anthropic.ANTHROPIC_API_KEY", VS_CHECK_SKIP,
		     "ANTHROPIC_API_KEY not set: llm_anthropic probes will skip");
	assert_check(fh, "env.mything.MYTHING_TOKEN", VS_CHECK_SKIP, "MYTHING_TOKEN not set: mything probes will skip");
	assert_check(fh, "env.llm_openai.VSTRESS_TEST_UNSET_OPENAI_KEY", VS_CHECK_SKIP, "llm_openai probes will skip");
	assert_int_equal(fh_check_status(fh, "env.llm_openai.OPENAI_API_KEY"), -1);
	assert_check(fh, "env.other.OTHER_A|OTHER_B", VS_CHECK_PASS, "OTHER_B set in the environment");
	assert_int_equal(fh_check_status(fh, "env.db.DATABASE_URL"), -1); /* not in the list */
	assert_check(fh, "db.url", VS_CHECK_SKIP, "DATABASE_URL not set");
	assert_check(fh, "target.health", VS_CHECK_SKIP, "no target URL");
	assert_check(fh, "telnyx.public_key", VS_CHECK_SKIP, "VSTRESS_TELNYX_PUBLIC_KEY not set");
	assert_int_equal(fh_checks_with_status(fh, VS_CHECK_FAIL), 0);
	fh_free(fh);
}

/* A key that is set but cannot be a key: quoted, padded or empty fails
 * (the value is never shown); an empty alternative loses to a set one. */
static void malformed_key_fails(void **st)
{
	struct fakehost *fh;
	char *db = getenv("DATABASE_URL") ? strdup(getenv("DATABASE_URL")) : NULL;
	(void)st;
	fh = host();
	declare_suite(fh);
	fh_set_opt(fh, "plugins", "db, llm_openai, llm_gemini, other, other2");
	fh_set_opt(fh, "env.other", "VSTRESS_TEST_EMPTY_KEY");
	setenv("DATABASE_URL", "\"postgres://u@127.0.0.1:1/x\"", 1);
	setenv("OPENAI_API_KEY", "sk-secret-padded \n", 1);
	setenv("GOOGLE_API_KEY", "", 1);
	setenv("GEMINI_API_KEY", "gm-ok", 1); /* restored below */
	setenv("VSTRESS_TEST_EMPTY_KEY", "", 1);
	/* empty in [target] env.* (a `${VAR:-}` with nothing to give) is not set: a skip */
	fh_set_opt(fh, "env.other2", "VSTRESS_TEST_UNSET_KEY");
	unsetenv("VSTRESS_TEST_UNSET_KEY");
	fh_set_conf(fh, "target", "env.VSTRESS_TEST_UNSET_KEY", "");
	fh_set_opt(fh, "database_url", "");
	fh_set_opt(fh, "base_url", "");
	fh_set_opt(fh, "telnyx_public_key", "");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "env.db.DATABASE_URL", VS_CHECK_FAIL, "is wrapped in quotes");
	assert_check(fh, "env.llm_openai.OPENAI_API_KEY", VS_CHECK_FAIL, "leading or trailing white space");
	assert_check(fh, "env.other.VSTRESS_TEST_EMPTY_KEY", VS_CHECK_FAIL, "set in the environment (0 chars) set but empty");
	assert_check(fh, "env.llm_gemini.GOOGLE_API_KEY|GEMINI_API_KEY", VS_CHECK_PASS, "GEMINI_API_KEY set");
	assert_int_equal(fh_check_status(fh, "env.other2.VSTRESS_TEST_UNSET_KEY"), VS_CHECK_SKIP);
	assert_false(fh_anywhere_contains(fh, "sk-secret-padded"));
	assert_false(fh_anywhere_contains(fh, "postgres://u@"));
	fh_free(fh);
	unsetenv("VSTRESS_TEST_EMPTY_KEY");
	unsetenv("GOOGLE_API_KEY");
	setenv("GEMINI_API_KEY", "dummy-gemini", 1);
	setenv("OPENAI_API_KEY", "sk-dummy-openai", 1);
	if (db)
		setenv("DATABASE_URL", db, 1);
	else
		unsetenv("DATABASE_URL");
	free(db);
}

static void failures_are_clean(void **st)
{
	struct fakehost *fh;
	char url[128], down[64];
	(void)st;
	snprintf(url, sizeof(url), "postgresql://postgres:s3cret-pw@127.0.0.1:%d/nodb", tgt_free_port());
	snprintf(down, sizeof(down), "http://127.0.0.1:%d", tgt_free_port());
	fh = host();
	fh_set_opt(fh, "plugins", "");
	fh_set_opt(fh, "database_url", url);
	fh_set_opt(fh, "base_url", down);
	fh_set_opt(fh, "telnyx_public_key", KEY31);
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "db.url", VS_CHECK_PASS, "postgres@127.0.0.1:");
	assert_check(fh, "db.connect", VS_CHECK_FAIL, "/nodb: ");
	assert_check(fh, "target.health", VS_CHECK_FAIL, "GET http://127.0.0.1:");
	assert_check(fh, "telnyx.public_key", VS_CHECK_FAIL, "decodes to 31 bytes, expected 32");
	assert_false(fh_anywhere_contains(fh, "s3cret-pw"));
	fh_free(fh);

	/* a URL libpq refuses, a target answering 404 and garbage, a key that is not base64 */
	fh = host();
	fh_set_opt(fh, "plugins", "");
	fh_set_opt(fh, "database_url", "postgresql://postgres:s3cret-pw@127.0.0.1:5432/db?nonsense_option=1");
	fh_set_opt(fh, "base_url", web.url);
	fh_set_opt(fh, "health_path", "/always-429");
	fh_set_opt(fh, "telnyx_public_key", "not base64 at all!");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "db.url", VS_CHECK_FAIL, "database URL does not parse: ");
	assert_check(fh, "db.connect", VS_CHECK_SKIP, "does not parse");
	assert_check(fh, "target.health", VS_CHECK_FAIL, ": 429 in");
	assert_check(fh, "telnyx.public_key", VS_CHECK_FAIL, "not base64");
	assert_false(fh_anywhere_contains(fh, "s3cret-pw"));
	fh_free(fh);

	/* a target too slow to answer */
	fh = host();
	fh_set_opt(fh, "plugins", "");
	fh_set_opt(fh, "database_url", "");
	fh_set_opt(fh, "base_url", web.url);
	fh_set_opt(fh, "health_path", "/slow");
	fh_set_opt(fh, "request_timeout", "500ms");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "target.health", VS_CHECK_FAIL, "/slow: ");
	fh_free(fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(all_present),
		cmocka_unit_test(missing_key_skips),
		cmocka_unit_test(malformed_key_fails),
		cmocka_unit_test(failures_are_clean),
	};
	return cmocka_run_group_tests_name("setup", tests, group_setup, group_teardown);
}
