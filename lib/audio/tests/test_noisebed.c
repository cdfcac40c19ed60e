/* Noise beds (noisebed.c): each kind at the level asked (dBFS RMS), the
 * same bytes for the same seed, and the character of each kind (street is
 * low-frequency rumble, white is flat, cafe babble swells and fades). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/audio/noisebed.h"

#define N 80000

static int16_t *bed(enum vs_noise_kind k, double db, uint64_t seed)
{
	int16_t *p = NULL;
	char err[256] = "";

	if (vs_noisebed_render(k, db, seed, N, &p, err, sizeof(err)) != 0)
		fail_msg("%s: %s", vs_noise_kind_name(k), err);
	return p;
}

/* Share of the energy in the first difference: ~2 for white noise (flat
 * spectrum), near 0 for a low-frequency signal. */
static double hf_ratio(const int16_t *p, size_t n)
{
	double e = 0, d = 0;

	for (size_t i = 1; i < n; i++) {
		e += (double)p[i] * p[i];
		d += ((double)p[i] - p[i - 1]) * ((double)p[i] - p[i - 1]);
	}
	return d / e;
}

/* Spread of the 100 ms RMS in dB (max - min): babble swells, white does not. */
static double swing_db(const int16_t *p, size_t n)
{
	double lo = 1e9, hi = -1e9;

	for (size_t i = 0; i + 800 <= n; i += 800) {
		double v = vs_rms_dbfs(p + i, 800);

		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	return hi - lo;
}

static void test_levels(void **state)
{
	(void)state;
	for (int k = VS_NOISE_WHITE; k <= VS_NOISE_CAFE; k++) {
		const double levels[] = {-20, -30, -45, -60};

		for (size_t i = 0; i < 4; i++) {
			int16_t *p = bed((enum vs_noise_kind)k, levels[i], 7);
			double got = vs_rms_dbfs(p, N);

			if (fabs(got - levels[i]) > 0.1)
				fail_msg("%s at %.0f dBFS measures %.2f dBFS", vs_noise_kind_name((enum vs_noise_kind)k),
					 levels[i], got);
			free(p);
		}
	}
}

static void test_seeded(void **state)
{
	(void)state;
	for (int k = VS_NOISE_WHITE; k <= VS_NOISE_CAFE; k++) {
		int16_t *a = bed((enum vs_noise_kind)k, -30, 11), *b = bed((enum vs_noise_kind)k, -30, 11),
			*c = bed((enum vs_noise_kind)k, -30, 12);

		if (memcmp(a, b, N * sizeof(*a)) != 0)
			fail_msg("%s: the same seed gave another bed", vs_noise_kind_name((enum vs_noise_kind)k));
		assert_true(memcmp(a, c, N * sizeof(*a)) != 0);
		free(a);
		free(b);
		free(c);
	}
}

static void test_character(void **state)
{
	int16_t *w = bed(VS_NOISE_WHITE, -30, 3), *s = bed(VS_NOISE_STREET, -30, 3), *c = bed(VS_NOISE_CAFE, -30, 3);
	double hw = hf_ratio(w, N), hs = hf_ratio(s, N), hc = hf_ratio(c, N);
	double sww = swing_db(w, N), swc = swing_db(c, N);

	(void)state;
	if (hw < 1.8 || hw > 2.2)
		fail_msg("white: first-difference energy ratio %.3f (want ~2: flat)", hw);
	if (hs > 0.3)
		fail_msg("street: ratio %.3f (want < 0.3: rumble)", hs);
	if (hc > 1.0)
		fail_msg("cafe: ratio %.3f (want < 1: muffled speech)", hc);
	if (sww > 3 || swc < 6)
		fail_msg("100 ms level swing: white %.1f dB (want < 3), cafe %.1f dB (want > 6: babble)", sww, swc);
	free(w);
	free(s);
	free(c);
}

static void test_bad(void **state)
{
	int16_t *p = NULL;
	char err[256];
	enum vs_noise_kind k;

	(void)state;
	assert_int_equal(vs_noisebed_render(VS_NOISE_WHITE, 0, 1, N, &p, err, sizeof(err)), -1);
	assert_null(p);
	assert_int_equal(vs_noise_kind_parse("jungle", &k), -1);
	assert_int_equal(vs_noise_kind_parse("cafe", &k), 0);
	assert_int_equal(k, VS_NOISE_CAFE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_seeded),
		cmocka_unit_test(test_character),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
