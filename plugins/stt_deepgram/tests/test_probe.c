/* stt_deepgram probe against the real world (its scripted stand-in answers
 * the fixture transcripts): WER math, all samples ok with WER 0, mu-law,
 * faults classified, missing key skips, the Australian-accent skip. */
#include "worldproc.h"
#include "speech_faults.h"

#include <limits.h>

#include "vstress/audio/speechq.h"

static char small_manifest[PATH_MAX], slow_ini[PATH_MAX];

static int group_setup(void **st)
{
	char cwd[PATH_MAX];
	(void)st;
	if (!getcwd(cwd, sizeof cwd))
		return -1;
	snprintf(small_manifest, sizeof small_manifest, "/tmp/vs-stt-small-%d.txt", (int)getpid());
	FILE *f = fopen(small_manifest, "w");
	if (!f)
		return -1;
	fprintf(f, "%s/tests/fixtures/stt/cards-001.wav|ten of clubs\n", cwd);
	fprintf(f, "%s/tests/fixtures/stt/cards-003.wav|seven of clubs\n", cwd);
	fprintf(f, "%s/tests/fixtures/stt/cards-004.wav|five five\n", cwd);
	fclose(f);
	if (!getenv("VSTRESS_SLOW_RUNTIME"))
		return wp_start("stt_deepgram", NULL);
	/* valgrind/sanitizers: the traced probe can take longer than Deepgram's
	 * 10 s between opening a stream and its first audio (the stand-in then
	 * closes it 1011, as Deepgram does) */
	snprintf(slow_ini, sizeof slow_ini, "/tmp/vs-stt-slow-%d.ini", (int)getpid());
	if (!(f = fopen(slow_ini, "w")))
		return -1;
	fprintf(f, "[stt_deepgram]\nidle_timeout_ms = 120000\n");
	fclose(f);
	return wp_start("stt_deepgram", slow_ini);
}

static int group_teardown(void **st)
{
	(void)st;
	unlink(small_manifest);
	if (*slow_ini)
		unlink(slow_ini);
	wp_stop();
	return 0;
}

static int under_valgrind(void)
{
	return getenv("VSTRESS_VALGRIND") && strcmp(getenv("VSTRESS_VALGRIND"), "0");
}

static struct fakehost *host(void)
{
	struct fakehost *fh = fh_loaded("stt_deepgram", wp_so("stt_deepgram"));
	fh_set_opt(fh, "url", wp_url("stt_deepgram", "ws"));
	fh_set_opt(fh, "control", wp_url("control", NULL));
	fh_set_opt(fh, "api_key", "vstress-test-key");
	fh_set_opt(fh, "phrase_hint", "true");
	fh_set_opt(fh, "repeat", "1");
	fh_set_opt(fh, "realtime", "0");
	fh_set_opt(fh, "concurrency", "4");
	fh_set_opt(fh, "price_per_minute", "0.0048");
	fh_set_opt(fh, "request_timeout", "10s");
	if (getenv("VSTRESS_SLOW_RUNTIME")) { /* valgrind/sanitizers: the world runs many times slower */
		fh_set_opt(fh, "final_within", "60s");
		fh_set_opt(fh, "request_timeout", "60s");
		fh_set_opt(fh, "final_timeout", "30s"); /* the stand-in decodes beside the traced probe */
	}
	if (under_valgrind()) /* the traced probe: 3 samples prove its memory use as well as 16 */
		fh_set_opt(fh, "samples", small_manifest);
	fh_set_deadline_ms(fh, 60000);
	return fh;
}

/* how many samples host() streams */
static int nsamples(void)
{
	return under_valgrind() ? 3 : 16;
}

static void wer_math(void **st)
{
	(void)st;
	struct vs_wer w;
	assert_int_equal(vs_wer_count("the cat sat", "the cat sat", &w), 0);
	assert_int_equal(vs_wer_edits(&w), 0);
	/* "sat" -> "sit" (substitution), "the" before mat deleted */
	assert_int_equal(vs_wer_count("the cat sat on the mat", "the cat sit on mat", &w), 0);
	assert_int_equal(w.sub, 1);
	assert_int_equal(w.del, 1);
	assert_int_equal(w.ins, 0);
	assert_int_equal(w.ref_words, 6);
	assert_true(vs_wer_rate(&w) > 0.333 && vs_wer_rate(&w) < 0.334);
	assert_int_equal(vs_wer_count("hello world", "oh hello big world", &w), 0);
	assert_int_equal(w.ins, 2);
	assert_int_equal(vs_wer_edits(&w), 2);
	/* case, punctuation and apostrophes are normalised away */
	assert_int_equal(vs_wer_count("Hello, World! Don't go.", "hello world dont go", &w), 0);
	assert_int_equal(vs_wer_edits(&w), 0);
	char buf[64];
	vs_wer_normalise("  Mr. Smith's  CAT-dog!", buf, sizeof buf);
	assert_string_equal(buf, "mr smiths cat dog");
	assert_int_equal(vs_wer_count("", "", &w), 0);
	assert_true(vs_wer_rate(&w) == 0.0);
	assert_int_equal(vs_wer_count("", "noise", &w), 0);
	assert_true(vs_wer_rate(&w) == 1.0);
	assert_int_equal(vs_wer_count("one two three", "", &w), 0);
	assert_int_equal(w.del, 3);
	/* overall = sum of edits / sum of reference words, not a mean of rates */
	struct vs_wer a, b;
	vs_wer_count("yes", "no", &a);                                         /* 1 / 1 */
	vs_wer_count("one two three four five six seven eight nine", "one two three four five six seven eight nine", &b);
	double overall = (double)(vs_wer_edits(&a) + vs_wer_edits(&b)) / (double)(a.ref_words + b.ref_words);
	assert_true(overall > 0.099 && overall < 0.101);
}

static void all_samples_wer_zero(void **st)
{
	(void)st;
	struct fakehost *fh = host();
	assert_int_equal(fh_run(fh), VS_OK);
	assert_counter(fh, "ok", nsamples());
	assert_check(fh, "answered", VS_CHECK_PASS);
	assert_check(fh, "wer", VS_CHECK_PASS);
	assert_true(strstr(fh_check_message(fh, "wer"), "0 ratio <=") != NULL);
	assert_check(fh, "final_latency_p95", VS_CHECK_PASS);
	assert_check(fh, "australian_accent", VS_CHECK_SKIP);
	assert_string_equal(fh_check_message(fh, "australian_accent"), "no Australian-accent recordings available offline");
	assert_non_null(fh_attached(fh, "australian_accent"));
	assert_int_equal(fh_metric_count(fh, "final_latency"), (size_t)nsamples());
	assert_true(fh_counter(fh, "cost_microusd") > 0);
	assert_false(fh_anywhere_contains(fh, "vstress-test-key"));
	fh_free(fh);
}

static void mulaw_phone_audio(void **st)
{
	(void)st;
	struct fakehost *fh = host();
	fh_set_opt(fh, "encoding", "mulaw");
	fh_set_opt(fh, "chunk_ms", "20");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_counter(fh, "ok", nsamples());
	assert_check(fh, "wer", VS_CHECK_PASS);
	fh_free(fh);
}

static void realtime_pacing(void **st)
{
	(void)st;
	struct fakehost *fh = host();
	fh_set_opt(fh, "samples", small_manifest);
	fh_set_opt(fh, "realtime", "4");
	fh_set_opt(fh, "phrase_hint", "false");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_counter(fh, "ok", 3);
	/* no hint: the stand-in is not told which sample it hears, and in
	 * conf.d's grammar mode it recognises each one all the same */
	assert_check(fh, "wer", VS_CHECK_PASS);
	fh_free(fh);
}

/* One faulted stream of three, sequentially: the clean pass is all ok,
 * the faulted pass counts the class. */
static void one_fault(const char *spec, const char *cls)
{
	struct fakehost *fh = host();
	fh_set_opt(fh, "samples", small_manifest);
	fh_set_opt(fh, "concurrency", "1");
	if (!getenv("VSTRESS_SLOW_RUNTIME")) { /* else host()'s: a stall then waits that long */
		fh_set_opt(fh, "request_timeout", "2s");
		fh_set_opt(fh, "final_timeout", "1s");
	}
	fh_set_opt(fh, "faults", spec);
	assert_int_equal(fh_run(fh), VS_OK);
	sp_assert_one_fault(fh, spec, cls);
	assert_check(fh, "answered", VS_CHECK_PASS);
	fh_free(fh);
}

/* Clean and faulted passes in one run: the 16 fixtures clean, then 12
 * streams under 30% 429 at the handshake and 30% close 1011 after the
 * first message.  Both passes' checks are there and pass; the clean
 * figures hold only the clean streams; every sample row says its pass. */
static void two_passes(void **st)
{
	(void)st;
	/* Under valgrind the traced probe sends far slower than the world
	 * answers, so "close after the stand-in's first message" lands after
	 * the final result or beside it, not mid-stream: the pass's classes
	 * are then not the ones this test counts.  The sanitizer build runs it. */
	if (under_valgrind())
		skip();
	struct fakehost *fh = host();
	fh_set_opt(fh, "faults", "error:status=429:rate=0.3, close:after_messages=1:rate=0.3");
	fh_set_opt(fh, "fault_requests", "12");
	assert_int_equal(fh_run(fh), VS_OK);
	static const char *const both[] = {"wer", "final_latency_p95"};
	sp_assert_both_passes(fh, both, sizeof both / sizeof *both);
	assert_check(fh, "answered", VS_CHECK_PASS);
	assert_check(fh, "australian_accent", VS_CHECK_SKIP);
	assert_int_equal(fh_check_status(fh, "faults.answered"), -1);
	assert_check(fh, "faults.classified", VS_CHECK_PASS);
	assert_check(fh, "faults.fault_1_rate_limit", VS_CHECK_PASS);
	assert_check(fh, "faults.fault_2_server_error", VS_CHECK_PASS);
	/* clean figures: the 16 clean streams only */
	assert_counter(fh, "ok", 16);
	assert_counter(fh, "rate_limit", 0);
	assert_counter(fh, "server_error", 0);
	assert_int_equal(fh_metric_count(fh, "final_latency"), 16);
	assert_int_equal(fh_metric_count(fh, "wer"), 16);
	/* the faulted pass apart */
	int64_t fok = fh_counter(fh, "faults.ok"), frl = fh_counter(fh, "faults.rate_limit"),
		fse = fh_counter(fh, "faults.server_error");
	assert_int_equal(fok + frl + fse, 12);
	assert_true(fok > 0 && frl > 0 && fse > 0);
	assert_int_equal(fh_metric_count(fh, "wer_faults"), (size_t)fok);
	json_t *rows = fh_attached(fh, "samples"), *frows = fh_attached(fh, "samples_faults"), *r;
	size_t i;
	assert_int_equal(json_array_size(rows), 16);
	assert_int_equal(json_array_size(frows), 12);
	json_array_foreach(rows, i, r)
		assert_string_equal(json_string_value(json_object_get(r, "pass")), "clean");
	json_array_foreach(frows, i, r)
		assert_string_equal(json_string_value(json_object_get(r, "pass")), "faults");
	fh_free(fh);
}

static void faults_classified(void **st)
{
	(void)st;
	one_fault("error:status=429:max_hits=1", "rate_limit");
	one_fault("error:status=401:max_hits=1", "auth");
	if (!under_valgrind()) { /* a close after the stand-in's first message: see two_passes */
		one_fault("close:after_messages=1:close_code=1011:max_hits=1", "server_error");
		one_fault("close:after_messages=1:close_code=1000:max_hits=1", "closed_early");
	}
	one_fault("malformed:after_messages=1:max_hits=1", "malformed");
	one_fault("stall:max_hits=1", "timeout");
}

static void missing_key_skips(void **st)
{
	(void)st;
	struct fakehost *fh = host();
	fh_set_opt(fh, "api_key", "");
	assert_int_equal(fh_run(fh), VS_SKIP);
	assert_string_equal(fh_reason(fh), "DEEPGRAM_API_KEY not set");
	fh_free(fh);
}

static void bad_manifest_is_config_error(void **st)
{
	(void)st;
	struct fakehost *fh = host();
	fh_set_opt(fh, "samples", "/nonexistent/manifest.txt");
	assert_int_equal(fh_run(fh), VS_ECONFIG);
	assert_non_null(strstr(fh_reason(fh), "cannot open"));
	fh_free(fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wer_math),          cmocka_unit_test(missing_key_skips),
		cmocka_unit_test(bad_manifest_is_config_error),
		cmocka_unit_test(all_samples_wer_zero), cmocka_unit_test(mulaw_phone_audio),
		cmocka_unit_test(realtime_pacing),   cmocka_unit_test(faults_classified), cmocka_unit_test(two_passes),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
