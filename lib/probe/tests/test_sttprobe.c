/* The STT probe engine (lib/probe/sttprobe*.c) with a stand-in stream
 * function in place of a provider: the manifest reader (errors name
 * file:line), the audio in the wire format, and the clean pass's WER,
 * latency, answered checks and metrics on the fake host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/fakehost/fakehost.h"
#include "tests/fakehost/fh_assert.h"
#include "vstress/audio/wav.h"
#include "vstress/probe/sttprobe.h"

static char dir[64];

/* A folder with a 1 s 16 kHz tone (a.wav) and a manifest file. */
static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/vs-sttprobe-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	int16_t pcm[16000];
	for (size_t i = 0; i < 16000; i++)
		pcm[i] = (int16_t)((i / 20) % 2 ? 8000 : -8000);
	char p[128];
	snprintf(p, sizeof p, "%s/a.wav", dir);
	return vs_wav_write(p, pcm, 16000, 16000);
}

static int rm_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *manifest(const char *name, const char *text)
{
	static char p[128];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static void manifest_errors(void **state)
{
	(void)state;
	struct vs_stt_sample *s = NULL;
	size_t n = 0;
	char err[300], want[200];
	assert_int_equal(vs_stt_manifest_load("/nonexistent/m.txt", 16000, 0, &s, &n, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot open"));
	const char *p = manifest("bad.txt", "# comment\na.wav|hello\nno bar here\n");
	assert_int_equal(vs_stt_manifest_load(p, 16000, 0, &s, &n, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s:3: expected <wav>|<transcript>", p);
	assert_string_equal(err, want);
	p = manifest("missing.txt", "gone.wav|hello\n");
	assert_int_equal(vs_stt_manifest_load(p, 16000, 0, &s, &n, err, sizeof err), -1);
	assert_non_null(strstr(err, "gone.wav"));
	p = manifest("empty.txt", "# nothing\n\n");
	assert_int_equal(vs_stt_manifest_load(p, 16000, 0, &s, &n, err, sizeof err), -1);
	assert_non_null(strstr(err, "no samples"));
	assert_null(s);
}

static void manifest_wire_format(void **state)
{
	(void)state;
	struct vs_stt_sample *s = NULL;
	size_t n = 0;
	char err[300];
	const char *p = manifest("m.txt", "a.wav|hello there\na.wav|good morning\n");
	assert_int_equal(vs_stt_manifest_load(p, 16000, 0, &s, &n, err, sizeof err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(s[1].ref, "good morning");
	assert_int_equal(s[1].index, 1);
	assert_int_equal(s[0].len, 32000); /* 1 s of s16le at 16 kHz */
	assert_true(s[0].seconds > 0.99 && s[0].seconds < 1.01);
	vs_stt_samples_free(s, n);
	assert_int_equal(vs_stt_manifest_load(p, 8000, 1, &s, &n, err, sizeof err), 0);
	assert_int_equal(s[0].len, 8000); /* 1 s of mu-law at 8 kHz: resampled, one byte a sample */
	vs_stt_samples_free(s, n);
}

/* The "provider": sample 0 heard right, sample 1 with one word wrong,
 * sample 2 times out. */
static void fake_stream(const struct vs_stt_cfg *cfg, struct vs_stt_sample *s)
{
	assert_string_equal(cfg->model, "m-default");
	s->connect_ms = 5;
	if (s->index == 2) {
		s->cls = VS_SPEECH_TIMEOUT;
		snprintf(s->msg, sizeof s->msg, "no final");
		return;
	}
	s->hyp = strdup(s->index == 0 ? s->ref : "hello where");
	s->latency_ms = s->index == 0 ? 100 : 300;
}

static const struct vs_stt_proto proto = {
	.key_env = "FAKE_KEY", .fault_target = "fake", .default_model = "m-default", .stream = fake_stream};

static int run_probe(struct fakehost *fh)
{
	void *st = NULL;
	int rc = vs_stt_setup(fh_host(fh), fh_ctx(fh), &proto, &st);
	if (rc == VS_OK)
		rc = vs_stt_run(fh_host(fh), fh_ctx(fh), st);
	vs_stt_teardown(fh_host(fh), fh_ctx(fh), st);
	return rc;
}

static struct fakehost *host(const char *samples)
{
	struct fakehost *fh = fh_new("stt_fake");
	fh_set_opt(fh, "api_key", "k");
	fh_set_opt(fh, "url", "ws://127.0.0.1:1");
	fh_set_opt(fh, "samples", samples);
	fh_set_opt(fh, "repeat", "1");
	return fh;
}

static void clean_pass(void **state)
{
	(void)state;
	/* two samples of two words: one edit in four reference words */
	struct fakehost *fh = host(manifest("two.txt", "a.wav|hello there\na.wav|hello there\n"));
	fh_set_opt(fh, "max_wer", "0.3");
	fh_set_opt(fh, "final_within", "250ms");
	assert_int_equal(run_probe(fh), VS_OK);
	assert_int_equal(fh_check_status(fh, "answered"), VS_CHECK_PASS);
	assert_int_equal(fh_check_status(fh, "wer"), VS_CHECK_PASS);
	assert_non_null(strstr(fh_check_message(fh, "wer"), "0.25"));
	/* p95 of {100, 300} is 300 ms: above final_within */
	assert_check(fh, "final_latency_p95", VS_CHECK_FAIL);
	assert_int_equal(fh_check_status(fh, "australian_accent"), VS_CHECK_SKIP);
	assert_int_equal(fh_counter(fh, "ok"), 2);
	assert_int_equal(fh_metric_count(fh, "final_latency"), 2);
	assert_string_equal(fh_metric_unit(fh, "wer"), "permille");
	fh_free(fh);
}

static void failed_sample(void **state)
{
	(void)state;
	struct fakehost *fh = host(manifest("three.txt", "a.wav|hello there\na.wav|hello there\na.wav|x y\n"));
	assert_int_equal(run_probe(fh), VS_OK);
	assert_check(fh, "answered", VS_CHECK_FAIL);
	assert_non_null(strstr(fh_check_message(fh, "answered"), "2 of 3 samples answered (timeout 1)"));
	assert_int_equal(fh_counter(fh, "timeout"), 1);
	fh_free(fh);
}

static void skips_and_config(void **state)
{
	(void)state;
	struct fakehost *fh = host(manifest("one.txt", "a.wav|hello there\n"));
	fh_set_opt(fh, "api_key", NULL);
	assert_int_equal(run_probe(fh), VS_SKIP);
	assert_string_equal(fh_reason(fh), "FAKE_KEY not set");
	fh_free(fh);
	fh = host(manifest("one.txt", "a.wav|hello there\n"));
	fh_set_opt(fh, "encoding", "opus");
	assert_int_equal(run_probe(fh), VS_ECONFIG);
	assert_non_null(strstr(fh_reason(fh), "encoding 'opus'"));
	fh_free(fh);
	fh = host(manifest("one.txt", "a.wav|hello there\n"));
	fh_set_opt(fh, "faults", "close");
	assert_int_equal(run_probe(fh), VS_ECONFIG); /* no control API */
	assert_non_null(strstr(fh_reason(fh), "control"));
	fh_free(fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(manifest_errors),  cmocka_unit_test(manifest_wire_format),
		cmocka_unit_test(clean_pass),       cmocka_unit_test(failed_sample),
		cmocka_unit_test(skips_and_config),
	};
	return cmocka_run_group_tests(tests, make_dir, rm_dir);
}
