/* Caller-script parsing: the format, rendering and errors naming file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vstress/caller/call.h"
#include "vstress/audio/noisebed.h"
#include "vstress/audio/wav.h"

static void expect_error(const char *text, const char *want)
{
	struct vs_call_script *s = NULL;
	char err[512] = "";

	if (vs_call_script_parse(text, "t.ini", NULL, &s, err, sizeof(err)) == 0) {
		vs_call_script_free(s);
		fail_msg("accepted: %s", text);
	}
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
	assert_null(s);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("[call]\nseed = x\n[step.1]\nsilence = 1s\n", "t.ini:2: [call] seed");
	expect_error("[call]\nvoice = hal9000\n", "t.ini:2: [call] voice: unknown flite voice");
	expect_error("[call]\nbogus = 1\n", "t.ini:2: [call]: unknown key \"bogus\"");
	expect_error("[step.1]\nsilence = 2 parsecs\n", "t.ini:2: [step.1] silence");
	expect_error("[step.1]\nsay = hi\nsilence = 1s\n", "t.ini:3: [step.1]: second action \"silence\"");
	expect_error("\n\n[step.x]\nsay = hi\n", "t.ini:4: [step.x]");
	expect_error("[step.1]\nsay = hi\n[stepz]\nk = v\n", "t.ini:4: [stepz]: unknown section");
	expect_error("[step.1]\ndtmf = 12x\n", "t.ini:2: [step.1] dtmf");
	expect_error("[step.1]\nhangup = yes\n[step.2]\nsay = hi\n", "t.ini:2: [step.1]: hangup must be the last");
	expect_error("[step.1]\nsay = hi\nafter = 1s\n", "[step.1]: `after` only applies to barge_in");
	expect_error("[step.1]\nnoise = 1s\nlevel = loud\n", "t.ini:3: [step.1] level");
	expect_error("[step.1]\ntone = 1s\nfreq = 9000\n", "t.ini:3: [step.1] freq");
	expect_error("[call]\nseed = 1\n\n[step.4]\nfreq = 300\n", "t.ini:4: [step.4]: no action");
	expect_error("[call]\nseed = 1\n", "no [step.N] sections");
	expect_error("[step.1]\nthis line has no equals sign\n", "t.ini:2: syntax error");
	expect_error("[call]\ngap = 50ms\nvad_hangover = 60ms\n[step.1]\nsilence=1s\n", "gap (50 ms) must exceed");
	expect_error("[step.1]\nsay = hi\ntext = hi\n", "t.ini:2: [step.1]: `text` only applies to wav");
	expect_error("[step.1]\nwav = x.wav\ntext =\n", "t.ini:3: [step.1] text: empty");
	expect_error("[step.1]\nwav = /nonexistent/x.wav\n", "t.ini:2: [step.1] wav: /nonexistent/x.wav: No such file");
	{
		struct vs_call_script *s = NULL;
		char err[256];

		assert_int_equal(vs_call_script_load("/nonexistent.ini", &s, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "/nonexistent.ini"));
	}
}

/* The messy caller's keys: noise, backchannel, [network]; bad values name file:line. */
static void test_messy(void **state)
{
	struct vs_call_script *s = NULL;
	char err[512] = "";

	(void)state;
	expect_error("[call]\nnoise = jungle\n[step.1]\nsilence = 1s\n", "t.ini:2: [call] noise: \"jungle\" is not cafe");
	expect_error("[call]\nnoise = cafe level=+3dB\n[step.1]\nsilence = 1s\n", "t.ini:2: [call] noise: level");
	expect_error("[call]\nnoise = cafe lvl=-30dB\n[step.1]\nsilence = 1s\n",
		     "t.ini:2: [call] noise: unknown option \"lvl\"");
	expect_error("[call]\n\nbackchannel = after=1s\n[step.1]\nsilence = 1s\n", "t.ini:3: [call] backchannel: no words");
	expect_error("[call]\nbackchannel = yeah after=soon\n[step.1]\nsilence = 1s\n",
		     "t.ini:2: [call] backchannel: after \"soon\"");
	expect_error("[step.1]\nsilence = 1s\n[network]\njitter = 10ms\nloss = 150%\n", "t.ini:5: [network] loss:");
	expect_error("[network]\noutage = 2s\n[step.1]\nsilence = 1s\n", "t.ini:2: [network] outage:");
	expect_error("[network]\nwobble = 1\n[step.1]\nsilence = 1s\n", "t.ini:2: [network] unknown impairment");

	/* a clean script: no noise, no backchannel, a perfect network */
	assert_int_equal(vs_call_script_parse("[step.1]\nsilence = 1s\n", "t.ini", NULL, &s, err, sizeof(err)), 0);
	assert_null(s->noise_bed);
	assert_null(s->bc_pcm);
	assert_false(vs_impair_active(&s->impair));
	vs_call_script_free(s);

	assert_int_equal(vs_call_script_parse("[call]\nseed = 5\nnoise = street level=-42dB\n"
					      "backchannel = mm-hmm after=1.5s\n[network]\njitter = 10ms\n"
					      "loss = gilbert p=1% r=25%\noutage = 2s at 5s\n[step.1]\nsilence = 1s\n",
					      "t.ini", NULL, &s, err, sizeof(err)),
			 0);
	assert_non_null(s->noise_bed);
	assert_true(fabs(vs_rms_dbfs(s->noise_bed, s->noise_n) - -42) < 0.1);
	assert_non_null(s->bc_pcm);
	assert_int_equal(s->bc_n % 160, 0);
	assert_true(s->bc_speech_start > 0 && (size_t)s->bc_speech_start < s->bc_n);
	assert_int_equal(s->bc_after_ms, 1500);
	assert_int_equal(s->bc_hold_ms, 1000);
	assert_true(vs_impair_active(&s->impair));
	assert_int_equal(s->impair.seed, 5); /* the script's seed unless [network] seed is set */
	assert_int_equal(s->impair.jitter_ms, 10);
	assert_true(fabs(s->impair.ge_p - 0.01) < 1e-12 && fabs(s->impair.ge_r - 0.25) < 1e-12);
	assert_int_equal(s->impair.outage_ms, 2000);
	assert_int_equal(s->impair.outage_at_ms, 5000);
	/* a copy with another network (per call or per load stage) */
	{
		struct vs_call_script *d = vs_call_script_dup(s);

		assert_non_null(d);
		assert_int_equal(vs_impair_parse_spec(&d->impair, "jitter=0ms loss=5% seed=9", err, sizeof(err)), 0);
		assert_int_equal(d->impair.seed, 9);
		assert_int_equal(s->impair.seed, 5);
		assert_int_equal(d->nsteps, s->nsteps);
		assert_memory_equal(d->steps[0].ulaw, s->steps[0].ulaw, s->steps[0].n);
		assert_true(d->steps[0].ulaw != s->steps[0].ulaw && d->noise_bed != s->noise_bed);
		assert_memory_equal(d->bc_pcm, s->bc_pcm, s->bc_n * sizeof(*s->bc_pcm));
		vs_call_script_free(d);
	}
	vs_call_script_free(s);
}

/* The backchannel judgement on a made-up result: kept talking, clear,
 * stopped, paused. */
static void test_backchannel_judgement(void **state)
{
	struct vs_call_backchannel b[4] = {
		{.at_ms = 1000, .end_ms = 1600, .turn_on_ms = 200, .agent_stop_ms = 3000, .clear_ms = -1, .max_gap_ms = 220},
		{.at_ms = 9000, .end_ms = 9600, .turn_on_ms = 8000, .agent_stop_ms = 310, .clear_ms = 300, .max_gap_ms = 0},
		{.at_ms = 20000, .end_ms = 20600, .turn_on_ms = 19000, .agent_stop_ms = 900, .clear_ms = -1, .max_gap_ms = 0},
		{.at_ms = 30000, .end_ms = 30600, .turn_on_ms = 29000, .agent_stop_ms = -1, .clear_ms = -1, .max_gap_ms = 700},
	};
	struct vs_call_result r;
	char why[1024];
	int judged;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.backchannels = b;
	r.nbackchannels = 1;
	assert_int_equal(vs_call_backchannel_problems(&r, 1000, 500, &judged, why, sizeof(why)), 0);
	assert_int_equal(judged, 1);
	assert_string_equal(why, "");
	r.nbackchannels = 4;
	assert_int_equal(vs_call_backchannel_problems(&r, 1000, 500, &judged, why, sizeof(why)), 3);
	assert_int_equal(judged, 4);
	assert_non_null(strstr(why, "backchannel at 9000 ms (agent turn from 8000 ms) taken as a barge-in: clear after 300 ms, "
				    "agent stopped 310 ms after it"));
	assert_non_null(strstr(why, "backchannel at 20000 ms (agent turn from 19000 ms) taken as a barge-in: agent stopped 900 ms"));
	assert_non_null(strstr(why, "backchannel at 30000 ms (agent turn from 29000 ms) taken as a barge-in: agent paused 700 ms (> 500 ms)"));
	/* a shorter hold forgives the stop 900 ms after a 600 ms backchannel */
	r.nbackchannels = 3;
	assert_int_equal(vs_call_backchannel_problems(&r, 200, 500, &judged, why, sizeof(why)), 1);
}

static void test_durations(void **state)
{
	int ms;
	double db;
	(void)state;
	assert_int_equal(vs_call_parse_ms("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(vs_call_parse_ms("2s", &ms), 0);
	assert_int_equal(ms, 2000);
	assert_int_equal(vs_call_parse_ms("1.5s", &ms), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(vs_call_parse_ms("1m", &ms), 0);
	assert_int_equal(ms, 60000);
	assert_int_equal(vs_call_parse_ms("40", &ms), 0);
	assert_int_equal(ms, 40);
	assert_int_equal(vs_call_parse_ms("-1s", &ms), -1);
	assert_int_equal(vs_call_parse_ms("5 days", &ms), -1);
	assert_int_equal(vs_call_parse_db("-30dB", &db), 0);
	assert_true(db == -30);
	assert_int_equal(vs_call_parse_db("-12.5 dBFS", &db), 0);
	assert_int_equal(vs_call_parse_db("+3dB", &db), -1);
}

static void test_render(void **state)
{
	char dir[] = "/tmp/vs_script_XXXXXX";
	char wavpath[256], inipath[256];
	int16_t pcm[1600];
	struct vs_call_script *s = NULL;
	char err[512];
	FILE *f;
	(void)state;

	assert_non_null(mkdtemp(dir));
	/* 100 ms of a 16 kHz tone: resampled to 8 kHz and framed */
	for (int i = 0; i < 1600; i++)
		pcm[i] = (int16_t)(i % 32 < 16 ? 6000 : -6000);
	snprintf(wavpath, sizeof(wavpath), "%s/a.wav", dir);
	assert_int_equal(vs_wav_write(wavpath, pcm, 1600, 16000), 0);
	snprintf(inipath, sizeof(inipath), "%s/s.ini", dir);
	f = fopen(inipath, "w");
	assert_non_null(f);
	fputs("; a comment\n[call]\nname = demo\nseed = 7\nvoice = kal16\nturn_end = 900ms\n"
	      "[step.10]\nhangup = yes\n[step.2]\nsay = Hello there.\n[step.1]\nsilence = 1s\n"
	      "[step.3]\nwait_reply = 5s\n[step.4]\nwav = a.wav\n[step.5]\nnoise = 510ms\nlevel = -45dB\n"
	      "[step.6]\ndtmf = 42\n[step.7]\nbarge_in = Wait a second.\ntimeout = 3s\n[step.8]\ntone = 250ms\n",
	      f);
	fclose(f);
	if (vs_call_script_load(inipath, &s, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(s->name, "demo");
	assert_int_equal(s->seed, 7);
	assert_string_equal(s->voice, "kal16");
	assert_int_equal(s->m.turn_end_ms, 900);
	assert_int_equal(s->nsteps, 9);
	/* sorted by step number */
	assert_int_equal(s->steps[0].kind, VS_STEP_SILENCE);
	assert_int_equal(s->steps[0].n, 8000);
	assert_int_equal(s->steps[0].speech_end, -1);
	assert_int_equal(s->steps[1].kind, VS_STEP_SAY);
	assert_true(s->steps[1].n > 4000 && s->steps[1].n % 160 == 0);
	assert_true(s->steps[1].speech_start >= 0 && s->steps[1].speech_end > s->steps[1].speech_start);
	assert_true(s->steps[1].speech_end <= (int64_t)s->steps[1].n);
	assert_int_equal(s->steps[2].kind, VS_STEP_WAIT_REPLY);
	assert_int_equal(s->steps[2].duration_ms, 5000);
	assert_int_equal(s->steps[3].kind, VS_STEP_WAV);
	assert_int_equal(s->steps[3].n, 800);
	assert_int_equal(s->steps[4].n, 4160); /* 510 ms padded to a whole frame */
	assert_int_equal(s->steps[5].kind, VS_STEP_DTMF);
	assert_string_equal(s->steps[5].arg, "42");
	assert_int_equal(s->steps[6].kind, VS_STEP_BARGE_IN);
	assert_int_equal(s->steps[6].duration_ms, 3000);
	assert_int_equal(s->steps[6].after_ms, 500);
	assert_int_equal(s->steps[7].kind, VS_STEP_TONE);
	assert_int_equal(s->steps[7].speech_start, 1); /* sin(0) = 0: first audible sample is 1 */
	assert_true(s->steps[7].speech_end > 1995 && s->steps[7].speech_end <= 2000);
	assert_int_equal(s->steps[8].kind, VS_STEP_HANGUP);
	vs_call_script_free(s);
	unlink(wavpath);
	unlink(inipath);
	rmdir(dir);
}

/* Every shipped script parses. */
static void test_shipped_scripts(void **state)
{
	static const char *paths[] = {"conf.d/scripts/booking.ini", "conf.d/scripts/barge-in.ini",
				      "conf.d/scripts/silence-noise.ini", "conf.d/scripts/pipeline-human.ini",
				      "conf.d/scripts/pipeline-human-noisy.ini", "conf.d/scripts/load-human.ini",
				      "tests/call/latency-tone.ini",
				      "tests/call/short.ini"};
	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct vs_call_script *s = NULL;
		char err[512];

		if (access(paths[i], R_OK) != 0)
			continue; /* run from the repository root */
		if (vs_call_script_load(paths[i], &s, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		vs_call_script_free(s);
	}
}

static void test_result_json(void **state)
{
	struct vs_call_result r;
	struct vs_call_turn t = {.step = 2, .replied = 1, .ref_ms = 700, .latency_ms = 400.25};
	struct vs_call_gap g = {.at_ms = 1300, .duration_ms = 300};
	json_t *j;
	(void)state;

	memset(&r, 0, sizeof(r));
	snprintf(r.stream_id, sizeof(r.stream_id), "sid");
	r.ok = 1;
	r.hangup_by = VS_HANGUP_CALLER;
	r.first_reply_ms = -1;
	r.turns = &t;
	r.nturns = 1;
	r.gaps = &g;
	r.ngaps = 1;
	r.frames_sent = 99;
	j = vs_call_result_json(&r);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "hangup_by")), "caller");
	assert_true(json_is_null(json_object_get(j, "first_reply_ms")));
	assert_int_equal(json_integer_value(json_object_get(j, "frames_sent")), 99);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(j, "turns"), 0), "step")), 3);
	assert_true(json_real_value(json_object_get(json_array_get(json_object_get(j, "gaps"), 0), "duration_ms")) == 300);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),          cmocka_unit_test(test_durations),
		cmocka_unit_test(test_render),          cmocka_unit_test(test_shipped_scripts),
		cmocka_unit_test(test_result_json),     cmocka_unit_test(test_messy),
		cmocka_unit_test(test_backchannel_judgement),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
