/* vs_ttspath_judge: one TTS reply (synthesised speech) against what a
 * caller heard, built the ways an agent's outbound path can change it:
 * delayed, mu-law, a stall inside it, every fifth 40 ms chunk lost, cut
 * short with and without the caller barging in, the same words said again
 * later. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vstress/audio/synth.h"
#include "vstress/audio/ulaw.h"
#include "vstress/callphase/ttspath.h"

#define RATE 8000
#define MS(x) ((size_t)(x) * RATE / 1000)

static int16_t *ref;
static size_t nref;

static int setup(void **state)
{
	(void)state;
	char err[128];
	if (vs_synth("Thanks for calling. How can I help you today?", "slt", RATE, &ref, &nref, err,
		     sizeof err))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ref);
	return 0;
}

/* A heard buffer of total_ms of silence; the caller's result around it. */
static void heard_init(struct vs_call_result *r, size_t total_ms)
{
	memset(r, 0, sizeof *r);
	r->nheard = MS(total_ms);
	r->heard = calloc(r->nheard, sizeof *r->heard);
}

/* x[0..n) played from at (samples), through mu-law as Telnyx carries it */
static void play(struct vs_call_result *r, size_t at, const int16_t *x, size_t n)
{
	for (size_t i = 0; i < n && at + i < r->nheard; i++)
		r->heard[at + i] = vs_ulaw_decode(vs_ulaw_encode(x[i]));
}

static json_t *judge(const struct vs_call_result *r, double sent_ms)
{
	json_t *o = NULL;
	char err[200];
	if (vs_ttspath_judge(ref, nref, sent_ms, NULL, r, &o, err, sizeof err))
		fail_msg("%s", err);
	char *d = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(4));
	print_message("# %s\n", d);
	free(d);
	return o;
}

static double num(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void test_delivered_with_delay(void **state)
{
	(void)state;
	struct vs_call_result r;
	heard_init(&r, 8000);
	play(&r, MS(1300), ref, nref);
	json_t *o = judge(&r, 1000);
	assert_true(num(o, "judged_fraction") >= 0.99);
	assert_true(num(o, "delay_ms") > 295 && num(o, "delay_ms") < 305);
	assert_int_equal(num(o, "removed_ms"), 0);
	assert_false(json_is_true(json_object_get(o, "truncated_at_barge_in")));
	json_decref(o);
	free(r.heard);
}

/* the agent's playback stalls 400 ms mid-reply (inside a 20 ms frame, as a
 * starved output does): all delivered, the silence inserted shows */
static void test_stall_is_inserted(void **state)
{
	(void)state;
	struct vs_call_result r;
	size_t half = nref / 2 / 160 * 160 + 77;
	heard_init(&r, 8000);
	play(&r, MS(1100), ref, half);
	play(&r, MS(1100) + half + MS(400), ref + half, nref - half);
	json_t *o = judge(&r, 1000);
	assert_true(num(o, "judged_fraction") >= 0.999);
	assert_true(num(o, "inserted_ms") >= 350 && num(o, "inserted_ms") <= 450);
	json_decref(o);
	free(r.heard);
}

/* every fifth 40 ms chunk never sent to the caller (drop_tts_audio) */
static void test_chunks_lost(void **state)
{
	(void)state;
	struct vs_call_result r;
	heard_init(&r, 8000);
	int16_t *got = malloc(nref * sizeof *got);
	size_t n = 0, chunk = MS(40);
	for (size_t at = 0, k = 1; at < nref; at += chunk, k++)
		if (k % 5) {
			size_t m = nref - at < chunk ? nref - at : chunk;
			memcpy(got + n, ref + at, m * sizeof *got);
			n += m;
		}
	play(&r, MS(1100), got, n);
	json_t *o = judge(&r, 1000);
	double speech = num(o, "judged_speech_ms"), removed = num(o, "judged_removed_ms");
	assert_true(num(o, "judged_fraction") < 0.95 || 100 * removed / speech > 5);
	assert_true(removed > 0);
	json_decref(o);
	free(got);
	free(r.heard);
}

/* the reply stops 40% in: a fault without a barge-in, fine with one */
static void test_cut_short(void **state)
{
	(void)state;
	struct vs_call_result r;
	size_t part = nref * 2 / 5;
	heard_init(&r, 8000);
	play(&r, MS(1100), ref, part);
	json_t *o = judge(&r, 1000);
	assert_true(num(o, "judged_fraction") < 0.7);
	assert_false(json_is_true(json_object_get(o, "truncated_at_barge_in")));
	json_decref(o);

	struct vs_call_barge b = {.step = 0, .at_ms = 1100 + (double)part * 1000 / RATE - 200, .agent_stop_ms = 200};
	r.barges = &b;
	r.nbarges = 1;
	o = judge(&r, 1000);
	assert_true(json_is_true(json_object_get(o, "truncated_at_barge_in")));
	assert_true(num(o, "judged_fraction") >= 0.95);
	assert_true(num(o, "judged_speech_ms") < (double)part * 1000 / RATE);
	json_decref(o);
	free(r.heard);
}

/* cut short by a barge-in, the same words whole 6 s later: the reply is
 * the near one (the later one is another reply) */
static void test_repeated_words(void **state)
{
	(void)state;
	struct vs_call_result r;
	size_t part = nref / 3;
	heard_init(&r, 16000);
	play(&r, MS(1100), ref, part);
	play(&r, MS(7100), ref, nref);
	struct vs_call_barge b = {.step = 0, .at_ms = 1100 + (double)part * 1000 / RATE - 100, .agent_stop_ms = 100};
	r.barges = &b;
	r.nbarges = 1;
	json_t *o = judge(&r, 1000);
	assert_true(num(o, "first_heard_ms") > 1090 && num(o, "first_heard_ms") < 1110);
	assert_true(json_is_true(json_object_get(o, "truncated_at_barge_in")));
	json_decref(o);
	free(r.heard);
}

/* never heard at all, nobody barged in */
static void test_not_heard(void **state)
{
	(void)state;
	struct vs_call_result r;
	heard_init(&r, 8000);
	json_t *o = judge(&r, 1000);
	assert_true(num(o, "judged_fraction") == 0);
	assert_true(json_is_null(json_object_get(o, "delay_ms")));
	json_decref(o);
	free(r.heard);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivered_with_delay), cmocka_unit_test(test_stall_is_inserted),
		cmocka_unit_test(test_chunks_lost),          cmocka_unit_test(test_cut_short),
		cmocka_unit_test(test_repeated_words),       cmocka_unit_test(test_not_heard),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
