/* The world-driven cases shared by the tts_cartesia and tts_elevenlabs
 * probe tests (the same engine, lib/probe/ttsprobe.c): all ok without
 * faults, every fault kind in its class, both passes, a missing key skips.
 * The including file defines TT_PLUGIN ("tts_cartesia") and TT_KEY_ENV
 * ("CARTESIA_API_KEY"), then includes this after worldproc.h. */
#ifndef TTS_WORLD_CASES_H
#define TTS_WORLD_CASES_H

#include "speech_faults.h"

static int group_setup(void **st)
{
	(void)st;
	return wp_start(TT_PLUGIN, "plugins/tts_cartesia/tests/world-test.ini");
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
	struct fakehost *fh = fh_loaded(TT_PLUGIN, wp_so(TT_PLUGIN));
	fh_set_opt(fh, "url", wp_url(TT_PLUGIN, "ws"));
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

/* One faulted request of three, sequentially: the clean pass is all ok,
 * the faulted pass counts the class. */
static void one_fault(const char *spec, const char *cls)
{
	struct fakehost *fh = host(3);
	fh_set_opt(fh, "concurrency", "1");
	/* under valgrind the traced probe's ok requests take seconds too (the
	 * stall then waits that long) */
	fh_set_opt(fh, "fault_request_timeout", getenv("VSTRESS_SLOW_RUNTIME") ? "20s" : "1500ms");
	fh_set_opt(fh, "faults", spec);
	assert_int_equal(fh_run(fh), VS_OK);
	sp_assert_one_fault(fh, spec, cls);
	assert_check(fh, "ok_rate", VS_CHECK_PASS);
	assert_check(fh, "audio_valid", VS_CHECK_PASS);
	assert_check(fh, "faults.audio_valid", VS_CHECK_PASS);
	fh_free(fh);
}

/* Clean and faulted passes in one run: 4 clean requests, then 10 under
 * 40% 429 at the handshake and 40% closed mid-stream.  Both passes'
 * checks are there and pass; the clean figures hold only clean requests. */
static void two_passes(void **st)
{
	(void)st;
	struct fakehost *fh = host(4);
	fh_set_opt(fh, "faults", "error:status=429:rate=0.4, close:after_messages=2:rate=0.4");
	fh_set_opt(fh, "fault_requests", "10");
	fh_set_opt(fh, "fault_concurrency", "5");
	assert_int_equal(fh_run(fh), VS_OK);
	static const char *const both[] = {"ttfa_p95", "audio_valid", "rtf_p95"};
	sp_assert_both_passes(fh, both, sizeof both / sizeof *both);
	assert_check(fh, "ok_rate", VS_CHECK_PASS);
	assert_int_equal(fh_check_status(fh, "faults.ok_rate"), -1);
	assert_int_equal(fh_check_status(fh, "classified"), -1);
	assert_check(fh, "faults.classified", VS_CHECK_PASS);
	assert_check(fh, "faults.fault_1_rate_limit", VS_CHECK_PASS);
	assert_check(fh, "faults.fault_2_closed_early", VS_CHECK_PASS);
	/* clean figures: the 4 clean requests only */
	assert_counter(fh, "ok", 4);
	assert_counter(fh, "rate_limit", 0);
	assert_counter(fh, "closed_early", 0);
	assert_int_equal(fh_metric_count(fh, "ttfa"), 4);
	assert_int_equal(fh_metric_count(fh, "total"), 4);
	/* the faulted pass apart */
	int64_t fok = fh_counter(fh, "faults.ok"), frl = fh_counter(fh, "faults.rate_limit"),
		fce = fh_counter(fh, "faults.closed_early");
	assert_int_equal(fok + frl + fce, 10);
	assert_true(fok > 0 && frl > 0 && fce > 0);
	assert_int_equal(fh_metric_count(fh, "total_faults"), (size_t)fok);
	json_t *errs = fh_attached(fh, "errors_faults");
	assert_int_equal(json_array_size(errs), (size_t)(frl + fce));
	assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 0), "pass")), "faults");
	assert_int_equal(json_array_size(fh_attached(fh, "errors")), 0);
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
	assert_string_equal(fh_reason(fh), TT_KEY_ENV " not set");
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

/* The cases above, after the including test's own in its group. */
#define TT_WORLD_CASES                                                                                       \
	cmocka_unit_test(missing_key_skips), cmocka_unit_test(all_ok), cmocka_unit_test(mulaw_8k),             \
		cmocka_unit_test(faults_classified), cmocka_unit_test(two_passes), cmocka_unit_test(faults_removed_after), \
		cmocka_unit_test(nothing_listening_is_connect)

#endif
