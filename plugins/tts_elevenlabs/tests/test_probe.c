/* tts_elevenlabs probe against the real world: all ok without faults; every
 * fault kind lands in its class; a missing key skips; error words. */
#include "../../tts_cartesia/tests/worldproc.h"


#include "vstress/util/speechq.h"
#include "../probe.c" /* el_class_of_text: the plugin hides its symbols */

static int group_setup(void **st)
{
	(void)st;
	return wp_start("tts_elevenlabs", "plugins/tts_cartesia/tests/world-test.ini");
}

static int group_teardown(void **st)
{
	(void)st;
	wp_stop();
	return 0;
}

static struct fakehost *host(int requests)
{
	char n[16];
	struct fakehost *fh = fh_new("tts_elevenlabs");
	assert_non_null(fh);
	assert_int_equal(fh_load(fh, wp_so("tts_elevenlabs")), 0);
	fh_set_opt(fh, "url", wp_url("tts_elevenlabs", "ws"));
	fh_set_opt(fh, "control", wp_url("control", NULL));
	fh_set_opt(fh, "api_key", "vstress-test-key");
	snprintf(n, sizeof n, "%d", requests);
	fh_set_opt(fh, "requests", n);
	fh_set_opt(fh, "concurrency", "2");
	fh_set_opt(fh, "texts", "Hello there.,Thank you for calling.,See you on Tuesday.");
	fh_set_opt(fh, "request_timeout", "4s");
	fh_set_opt(fh, "price_per_1k_chars", "0.05");
	if (getenv("VSTRESS_SLOW_RUNTIME")) { /* the traced world runs ~30x slower: timing checks can't hold */
		fh_set_opt(fh, "first_audio_within", "60s");
		fh_set_opt(fh, "max_rtf", "100");
		fh_set_opt(fh, "request_timeout", "30s");
	}
	fh_set_deadline_ms(fh, 60000);
	return fh;
}

static void all_ok(void **st)
{
	(void)st;
	struct fakehost *fh = host(6);
	assert_int_equal(fh_run(fh), VS_OK);
	assert_counter(fh, "ok", 6);
	assert_check(fh, "ok_rate", VS_CHECK_PASS);
	assert_check(fh, "ttfa_p95", VS_CHECK_PASS);
	assert_check(fh, "audio_valid", VS_CHECK_PASS);
	assert_check(fh, "rtf_p95", VS_CHECK_PASS);
	assert_int_equal(fh_metric_count(fh, "ttfa"), 6);
	assert_true(fh_counter(fh, "characters") > 0);
	assert_true(fh_counter(fh, "cost_microusd") > 0);
	assert_false(fh_anywhere_contains(fh, "vstress-test-key"));
	fh_free(fh);
}

static void mulaw_8k(void **st)
{
	(void)st;
	struct fakehost *fh = host(2);
	fh_set_opt(fh, "encoding", "pcm_mulaw");
	fh_set_opt(fh, "sample_rate", "8000");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_counter(fh, "ok", 2);
	assert_check(fh, "audio_valid", VS_CHECK_PASS);
	fh_free(fh);
}

/* One faulted request of three, sequentially: the class is counted. */
static void one_fault(const char *spec, const char *cls)
{
	struct fakehost *fh = host(3);
	fh_set_opt(fh, "concurrency", "1");
	fh_set_opt(fh, "request_timeout", "1500ms");
	fh_set_opt(fh, "faults", spec);
	assert_int_equal(fh_run(fh), VS_OK);
	if (fh_counter(fh, cls) != 1 || fh_counter(fh, "ok") != 2) {
		wp_dump(fh);
		fprintf(stderr, "%s\n", fh_log_text(fh));
		fail_msg("fault %s: %s=%lld ok=%lld", spec, cls, (long long)fh_counter(fh, cls),
			 (long long)fh_counter(fh, "ok"));
	}
	assert_check(fh, "ok_rate", VS_CHECK_FAIL);
	assert_check(fh, "audio_valid", VS_CHECK_PASS);
	fh_free(fh);
}

static void faults_classified(void **st)
{
	(void)st;
	one_fault("error:status=429:max_hits=1", "rate_limit");
	one_fault("error:status=401:max_hits=1", "auth");
	one_fault("error:status=402:max_hits=1", "quota");
	one_fault("error:status=503:max_hits=1", "server_error");
	one_fault("close:after_messages=2:max_hits=1", "closed_early");
	one_fault("malformed:after_messages=1:max_hits=1", "malformed");
	one_fault("stall:max_hits=1", "timeout");
}

static void faults_removed_after(void **st)
{
	(void)st;
	struct fakehost *fh = host(2);
	assert_int_equal(fh_run(fh), VS_OK); /* nothing left over from the fault runs */
	assert_counter(fh, "ok", 2);
	fh_free(fh);
}

static void missing_key_skips(void **st)
{
	(void)st;
	struct fakehost *fh = host(1);
	fh_set_opt(fh, "api_key", "");
	assert_int_equal(fh_run(fh), VS_SKIP);
	assert_string_equal(fh_reason(fh), "ELEVENLABS_API_KEY not set");
	fh_free(fh);
}

static void nothing_listening_is_connect(void **st)
{
	(void)st;
	struct fakehost *fh = host(1);
	fh_set_opt(fh, "url", "ws://127.0.0.1:1"); /* nothing listens: connect class */
	assert_int_equal(fh_run(fh), VS_OK);
	assert_counter(fh, "connect", 1);
	assert_check(fh, "ok_rate", VS_CHECK_FAIL);
	assert_check(fh, "audio_valid", VS_CHECK_SKIP);
	fh_free(fh);
}

/* ElevenLabs reports errors in words (detail.status, "error", close reasons). */
static void error_words(void **st)
{
	(void)st;
	assert_int_equal(el_class_of_text("quota_exceeded"), VS_TTS_QUOTA);
	assert_int_equal(el_class_of_text("invalid_api_key"), VS_TTS_AUTH);
	assert_int_equal(el_class_of_text("too_many_concurrent_requests"), VS_TTS_RATE_LIMIT);
	assert_int_equal(el_class_of_text("invalid_input_message"), VS_TTS_BAD_REQUEST);
	assert_int_equal(el_class_of_text("closed by peer (1008): Have not received a new text input within the "
					  "timeout of 20 seconds."),
			 VS_TTS_CLOSED_EARLY);
	assert_int_equal(el_class_of_text(NULL), VS_TTS_CLOSED_EARLY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(error_words),    cmocka_unit_test(missing_key_skips),
		cmocka_unit_test(all_ok),            cmocka_unit_test(mulaw_8k),
		cmocka_unit_test(faults_classified), cmocka_unit_test(faults_removed_after),
		cmocka_unit_test(nothing_listening_is_connect),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
