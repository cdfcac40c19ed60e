/* vs_synth's cache (vstress/audio/synth.h): a repeated sentence is a copy
 * of what flite renders afresh, keyed by voice, rate and text, bounded by
 * its limit (least recently used out first), and off at limit 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/audio/synth.h"

static void render(const char *text, const char *voice, int rate, int16_t **pcm, size_t *n)
{
	char err[200];

	assert_int_equal(vs_synth(text, voice, rate, pcm, n, err, sizeof(err)), 0);
	assert_true(*n > 0);
}

static struct vs_synth_cache_stats stats(void)
{
	struct vs_synth_cache_stats st;

	vs_synth_cache_stats(&st);
	return st;
}

/* Near-equal: flite's voices mix a little noise into their excitation, so
 * two renderings of a text differ by that noise (same length, a difference
 * under 2 % of the signal's energy). */
static void assert_same_speech(const int16_t *a, const int16_t *b, size_t n)
{
	double sig = 0, diff = 0;

	for (size_t i = 0; i < n; i++) {
		sig += (double)a[i] * a[i];
		diff += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
	}
	assert_true(sig > 0);
	assert_true(diff <= 0.02 * sig);
}

/* The copy is exactly the first rendering; flite again (cache off) makes
 * the same speech. */
static void hit_equals_fresh_rendering(void **state)
{
	const char *t = "Your appointment is on Tuesday at ten.";
	int16_t *a, *b, *c;
	size_t na, nb, nc;
	struct vs_synth_cache_stats s0, s1;
	(void)state;

	vs_synth_cache_limit(VS_SYNTH_CACHE_DEFAULT);
	render(t, "slt", 8000, &a, &na);
	s0 = stats();
	render(t, "slt", 8000, &b, &nb);
	s1 = stats();
	assert_int_equal(s1.hits, s0.hits + 1);
	assert_int_equal(s1.misses, s0.misses);
	vs_synth_cache_limit(0); /* off: flite again */
	assert_int_equal(stats().bytes, 0);
	render(t, "slt", 8000, &c, &nc);
	assert_int_equal(stats().misses, s1.misses + 1);
	assert_int_equal(na, nb);
	assert_int_equal(na, nc);
	assert_memory_equal(a, b, na * sizeof(*a));
	assert_same_speech(a, c, na);
	free(a);
	free(b);
	free(c);
	vs_synth_cache_limit(VS_SYNTH_CACHE_DEFAULT);
}

/* Another voice or rate is another rendering. */
static void key_is_voice_rate_text(void **state)
{
	const char *t = "Thank you for calling.";
	int16_t *p;
	size_t n8, n16;
	struct vs_synth_cache_stats s0;
	(void)state;

	render(t, "slt", 8000, &p, &n8);
	free(p);
	s0 = stats();
	render(t, "slt", 16000, &p, &n16);
	free(p);
	render(t, "kal", 8000, &p, &n8);
	free(p);
	render("Thank you for calling!", "slt", 8000, &p, &n8);
	free(p);
	assert_int_equal(stats().misses, s0.misses + 3);
	assert_int_equal(stats().hits, s0.hits);
	assert_true(n16 > n8);
}

/* Under a small limit the bytes stay within it and the oldest goes first. */
static void bounded_least_recently_used_first(void **state)
{
	static const char *const texts[] = {"One moment please.", "I can help with that.",
					    "Let me check the schedule.", "Goodbye and have a nice day."};
	int16_t *p;
	size_t n, one;
	struct vs_synth_cache_stats s0;
	(void)state;

	vs_synth_cache_limit(0);
	render(texts[0], "slt", 8000, &p, &one);
	free(p);
	/* room for about two of these sentences */
	vs_synth_cache_limit(one * sizeof(int16_t) * 2 + 4096);
	for (size_t i = 0; i < 4; i++) {
		render(texts[i], "slt", 8000, &p, &n);
		free(p);
		assert_true(stats().bytes <= stats().limit);
	}
	s0 = stats();
	render(texts[3], "slt", 8000, &p, &n); /* the newest: kept */
	free(p);
	assert_int_equal(stats().hits, s0.hits + 1);
	render(texts[0], "slt", 8000, &p, &n); /* the oldest: evicted */
	free(p);
	assert_int_equal(stats().misses, s0.misses + 1);
	vs_synth_cache_limit(VS_SYNTH_CACHE_DEFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hit_equals_fresh_rendering),
		cmocka_unit_test(key_is_voice_rate_text),
		cmocka_unit_test(bounded_least_recently_used_first),
	};
	return cmocka_run_group_tests_name("synth_cache", tests, NULL, NULL);
}
