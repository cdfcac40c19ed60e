/* vs_align on synthesised speech passed through the paths an agent puts it
 * through: a delay, mu-law, resampling there and back, frames removed,
 * a block zeroed, and an unrelated sentence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/audio/align.h"
#include "vstress/audio/resample.h"
#include "vstress/audio/synth.h"
#include "vstress/audio/ulaw.h"

#define RATE 8000

static int16_t *speech(const char *text, size_t *n)
{
	int16_t *x = NULL;
	char err[128];
	if (vs_synth(text, "slt", RATE, &x, n, err, sizeof err))
		fail_msg("synth: %s", err);
	return x;
}

/* lead samples of quiet noise, then x */
static int16_t *delayed(const int16_t *x, size_t n, size_t lead, size_t *out_n)
{
	int16_t *y = calloc(n + lead, sizeof *y);
	unsigned s = 7;
	for (size_t i = 0; i < lead; i++) {
		s = s * 1103515245u + 12345u;
		y[i] = (int16_t)((int)(s >> 16 & 0x3f) - 32);
	}
	memcpy(y + lead, x, n * sizeof *x);
	*out_n = n + lead;
	return y;
}

static void align(const int16_t *ref, size_t nref, const int16_t *got, size_t ngot, struct vs_align_result *r)
{
	char err[160];
	if (vs_align(ref, nref, got, ngot, RATE, NULL, r, err, sizeof err))
		fail_msg("%s", err);
	print_message("# frames %d fwd %d frac %.3f drop %d longest %ld corr %.3f off %ld..%ld rm %ld ins %ld\n", r->speech_frames,
		      r->forwarded, r->fraction, r->dropouts, r->longest_dropout_ms, r->mean_corr, r->offset, r->offset_end, r->removed_ms, r->inserted_ms);
}

static void test_delay_found(void **state)
{
	(void)state;
	size_t n, ng;
	int16_t *x = speech("Could you book a table for four people tomorrow evening?", &n);
	int16_t *g = delayed(x, n, 3456, &ng);
	struct vs_align_result r;
	align(x, n, g, ng, &r);
	assert_int_equal(r.offset, 3456);
	assert_int_equal(r.offset_end, 3456);
	assert_true(r.speech_frames > 50);
	assert_int_equal(r.removed_ms + r.inserted_ms, 0);
	assert_true(r.fraction > 0.99);
	assert_int_equal(r.dropouts, 0);
	assert_true(fabs(r.gain_db) < 0.1);
	free(x), free(g);
}

/* The agent's path: mu-law from the caller, up to 16 kHz for its STT, and
 * back to 8 kHz here; 6 dB quieter. */
static void test_resampled_path(void **state)
{
	(void)state;
	size_t n, n16, n8;
	int16_t *x = speech("What are your opening hours on the weekend?", &n), *x16, *x8;
	for (size_t i = 0; i < n; i++)
		x[i] = vs_ulaw_decode(vs_ulaw_encode(x[i]));
	assert_int_equal(vs_resample_alloc(x, n, RATE, 16000, &x16, &n16), 0);
	for (size_t i = 0; i < n16; i++)
		x16[i] /= 2;
	assert_int_equal(vs_resample_alloc(x16, n16, 16000, RATE, &x8, &n8), 0);
	struct vs_align_result r;
	align(x, n, x8, n8, &r);
	assert_true(r.fraction > 0.95);
	assert_true(fabs(r.gain_db + 6.02) < 1.0);
	assert_true(labs(r.offset) <= 2);
	free(x), free(x16), free(x8);
}

/* Every fifth 20 ms frame never forwarded: the rest closes up behind it. */
static void test_frames_removed(void **state)
{
	(void)state;
	size_t n, k = 0;
	int16_t *x = speech("I would like to speak to someone about my reservation for Saturday night.", &n);
	int16_t *g = malloc(n * sizeof *g);
	for (size_t at = 0, f = 0; at + 160 <= n; at += 160, f++)
		if (f % 5 != 2) {
			memcpy(g + k, x + at, 160 * sizeof *x);
			k += 160;
		}
	struct vs_align_result r;
	align(x, n, g, k, &r);
	/* a fifth of the sentence, less what went before the first frame found */
	long ms = (long)n / 8;
	assert_true(r.removed_ms > ms * 15 / 100 && r.removed_ms <= ms / 5 + 20);
	assert_true(r.fraction > 0.7 && r.fraction < 0.85);
	/* the same inside a longer stream, the frames cut at another phase */
	int16_t *h = calloc(n + 16000, sizeof *h);
	k = 12345;
	memcpy(h + k, x, 77 * sizeof *x);
	k += 77;
	for (size_t at = 77, f = 0; at + 160 <= n; at += 160, f++)
		if (f % 5 != 2) {
			memcpy(h + k, x + at, 160 * sizeof *x);
			k += 160;
		}
	align(x, n, h, k + 4000, &r);
	/* each cut now spans two of our 20 ms frames: 3 of 5 stay whole */
	assert_true(r.fraction > 0.5 && r.fraction < 0.7);
	assert_true(r.removed_ms > ms * 15 / 100);
	free(h);
	assert_int_equal(r.inserted_ms, 0);
	assert_int_equal(r.offset_end - r.offset, -r.removed_ms * 8);
	free(x), free(g);
}

/* 300 ms silenced in the middle of the speech: one dropout. */
static void test_block_zeroed(void **state)
{
	(void)state;
	size_t n, ng;
	int16_t *x = speech("Please transfer me to a human being, this is taking far too long.", &n);
	int16_t *g = delayed(x, n, 800, &ng);
	size_t mid = 800 + n / 2;
	memset(g + mid, 0, 2400 * sizeof *g);
	struct vs_align_result r;
	align(x, n, g, ng, &r);
	assert_int_equal(r.dropouts, 1);
	assert_true(r.longest_dropout_ms >= 160 && r.longest_dropout_ms <= 320);
	assert_true(r.fraction > 0.75 && r.fraction < 0.97);
	assert_int_equal(r.removed_ms, 0);
	free(x), free(g);
}

static void test_other_sentence(void **state)
{
	(void)state;
	size_t n, m;
	int16_t *x = speech("Could you book a table for four people tomorrow evening?", &n);
	int16_t *y = speech("The weather in the mountains was cold and windy all week.", &m);
	struct vs_align_result r;
	align(x, n, y, m, &r);
	assert_true(r.fraction < 0.2);
	free(x), free(y);
}

/* A short utterance inside a long stream holding other speech and
 * silence (a call's STT stream): found where it is, whole. */
static void test_inside_long_stream(void **state)
{
	(void)state;
	size_t na, nb, nc;
	int16_t *a = speech("Ten of clubs.", &na);
	int16_t *b = speech("Eight of spades, four of clubs, seven of hearts.", &nb);
	int16_t *c = speech("Seven of clubs.", &nc);
	size_t n = 8000 * 2 + nb + 8000 + na + 8000 + nc + 8000, at = 8000 * 2 + nb + 8000;
	int16_t *g = calloc(n, sizeof *g);
	memcpy(g + 16000, b, nb * sizeof *b);
	memcpy(g + at, a, na * sizeof *a);
	memcpy(g + at + na + 8000, c, nc * sizeof *c);
	struct vs_align_result r;
	align(a, na, g, n, &r);
	assert_int_equal(r.offset, (long)at);
	assert_true(r.fraction > 0.99);
	align(c, nc, g, n, &r);
	assert_int_equal(r.offset, (long)(at + na + 8000));
	assert_true(r.fraction > 0.99);
	free(a), free(b), free(c), free(g);
}

static void test_bad_input(void **state)
{
	(void)state;
	int16_t z[400] = {0}, s[400];
	for (int i = 0; i < 400; i++)
		s[i] = (int16_t)(8000 * sin(i * 0.3));
	struct vs_align_result r;
	struct vs_align_opts o;
	char err[160];
	assert_int_equal(vs_align(s, 400, s, 400, 0, NULL, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "rate"));
	assert_int_equal(vs_align(s, 400, s, 10, RATE, NULL, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "received audio shorter"));
	assert_int_equal(vs_align(z, 400, s, 400, RATE, NULL, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "louder"));
	vs_align_defaults(&o);
	o.match = 1.5;
	assert_int_equal(vs_align(s, 400, s, 400, RATE, &o, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "options"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delay_found),	cmocka_unit_test(test_resampled_path),
		cmocka_unit_test(test_frames_removed), cmocka_unit_test(test_block_zeroed),
		cmocka_unit_test(test_other_sentence), cmocka_unit_test(test_inside_long_stream),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
