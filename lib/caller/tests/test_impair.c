/* Network impairments (impair.c): the statistics of a fixed seed are within
 * tolerance of the configured rates, a seed replays exactly, and the spec
 * parser names what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/caller/impair.h"

#define FRAME_NS 20000000ull
#define T0 1000000000ull

struct sent {
	uint64_t frame, at_ns;
};

/* Run n frames through the scheduler as the engine would (each frame at its
 * slot, held ones popped when due); the send log into *out. */
static size_t run(const struct vs_impair_cfg *cfg, size_t n, struct vs_impair_stats *st, struct sent **out)
{
	struct vs_impair im;
	size_t cap = n * 2 + 16, ns = 0;
	struct sent *log = malloc(cap * sizeof(*log));

	assert_non_null(log);
	vs_impair_init(&im, cfg);
	for (size_t k = 0; k <= n; k++) {
		uint64_t slot = T0 + k * FRAME_NS, t;
		char *m;

		/* what is due before this slot, in time order */
		while ((t = vs_impair_next_ns(&im)) < slot) {
			m = vs_impair_pop(&im, t);
			assert_non_null(m);
			assert_true(ns < cap);
			log[ns++] = (struct sent){strtoull(m, NULL, 10), t};
			free(m);
		}
		if (k == n)
			break;
		{
			char *msg = malloc(24);

			assert_non_null(msg);
			snprintf(msg, 24, "%zu", k);
			assert_int_equal(vs_impair_submit(&im, msg, k, slot, T0), 0);
		}
		while ((m = vs_impair_pop(&im, slot))) {
			assert_true(ns < cap);
			log[ns++] = (struct sent){strtoull(m, NULL, 10), slot};
			free(m);
		}
	}
	while (vs_impair_next_ns(&im) != UINT64_MAX) {
		uint64_t t = vs_impair_next_ns(&im);
		char *m = vs_impair_pop(&im, t);

		log[ns++] = (struct sent){strtoull(m, NULL, 10), t};
		free(m);
	}
	*st = im.st;
	vs_impair_free(&im);
	if (out)
		*out = log;
	else
		free(log);
	return ns;
}

static void cfg_of(struct vs_impair_cfg *c, const char *spec)
{
	char err[256] = "";

	memset(c, 0, sizeof(*c));
	c->seed = 42;
	if (vs_impair_parse_spec(c, spec, err, sizeof(err)) != 0)
		fail_msg("%s: %s", spec, err);
}

static void test_bernoulli_loss(void **state)
{
	struct vs_impair_cfg c;
	struct vs_impair_stats st;
	size_t n = 50000, ns;

	(void)state;
	cfg_of(&c, "loss=2%");
	ns = run(&c, n, &st, NULL);
	/* 2% of 50000 = 1000, sd ~31: within 5 sd */
	assert_in_range(st.lost, 845, 1155);
	assert_int_equal(ns, n - st.lost);
	assert_int_equal(st.sent, ns);
	assert_int_equal(st.delayed, 0);
	assert_int_equal(st.out_of_order, 0);
}

static void test_gilbert_bursts(void **state)
{
	struct vs_impair_cfg c;
	struct vs_impair_stats st;
	size_t n = 200000;
	double rate, burst;

	(void)state;
	cfg_of(&c, "loss=gilbert:p=1%:r=25%");
	run(&c, n, &st, NULL);
	rate = (double)st.lost / (double)n;
	burst = (double)st.lost / (double)st.bursts;
	/* stationary loss p/(p+r) = 3.85%, mean burst 1/r = 4 frames */
	if (rate < 0.0385 * 0.85 || rate > 0.0385 * 1.15 || burst < 3.5 || burst > 4.5)
		fail_msg("loss %.4f (want 0.0385), mean burst %.2f (want 4)", rate, burst);
}

static void test_jitter(void **state)
{
	struct vs_impair_cfg c;
	struct vs_impair_stats st;
	struct sent *log;
	size_t n = 20000, ns;
	double mean;

	(void)state;
	cfg_of(&c, "jitter=10ms");
	ns = run(&c, n, &st, &log);
	assert_int_equal(ns, n);
	for (size_t i = 0; i < ns; i++) {
		int64_t d = (int64_t)(log[i].at_ns - (T0 + log[i].frame * FRAME_NS));

		if (d < 0 || d > 20000000)
			fail_msg("frame %llu sent %lld ns after its slot (want 0..20 ms)", (unsigned long long)log[i].frame,
				 (long long)d);
	}
	mean = st.delay_sum_ms / (double)st.sent;
	if (mean < 9.7 || mean > 10.3 || st.delay_max_ms > 20.0 || st.delay_max_ms < 19.5)
		fail_msg("delay mean %.2f ms (want 10), max %.2f (want ~20)", mean, st.delay_max_ms);
	free(log);
}

static void test_dup_reorder(void **state)
{
	struct vs_impair_cfg c;
	struct vs_impair_stats st;
	size_t n = 50000, ns;

	(void)state;
	cfg_of(&c, "duplicate=1% reorder=2%");
	ns = run(&c, n, &st, NULL);
	assert_in_range(st.duplicated, 390, 610);
	assert_int_equal(ns, n + st.duplicated);
	assert_in_range(st.reordered, 850, 1150);
	/* a held frame is overtaken by the next (unless that one is held too) */
	if (st.out_of_order < st.reordered * 9 / 10 || st.out_of_order > st.reordered)
		fail_msg("out_of_order %llu for %llu reordered", (unsigned long long)st.out_of_order,
			 (unsigned long long)st.reordered);
}

static void test_outage(void **state)
{
	struct vs_impair_cfg c;
	struct vs_impair_stats st;
	struct sent *log;
	size_t ns;

	(void)state;
	cfg_of(&c, "outage=2s@5s");
	ns = run(&c, 500, &st, &log);
	assert_int_equal(st.outage, 100);
	assert_int_equal(ns, 400);
	for (size_t i = 0; i < ns; i++)
		assert_false(log[i].frame >= 250 && log[i].frame < 350);
	free(log);
}

static void test_replay(void **state)
{
	struct vs_impair_cfg c;
	struct vs_impair_stats s1, s2, s3;
	struct sent *a, *b, *d;
	size_t na, nb, nd;

	(void)state;
	cfg_of(&c, "jitter=15ms loss=gilbert:p=2%:r=30% duplicate=1% reorder=1% outage=1s@3s");
	na = run(&c, 5000, &s1, &a);
	nb = run(&c, 5000, &s2, &b);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na * sizeof(*a));
	c.seed = 43;
	nd = run(&c, 5000, &s3, &d);
	assert_true(nd != na || memcmp(a, d, na * sizeof(*a)) != 0);
	/* one impairment's pattern does not move when another is switched off */
	{
		struct vs_impair_cfg l;
		struct vs_impair_stats sl;

		cfg_of(&l, "loss=gilbert:p=2%:r=30% outage=1s@3s");
		run(&l, 5000, &sl, NULL);
		assert_int_equal(sl.lost, s1.lost);
		assert_int_equal(sl.bursts, s1.bursts);
	}
	free(a);
	free(b);
	free(d);
}

static void expect_bad(const char *spec, const char *want)
{
	struct vs_impair_cfg c;
	char err[256] = "";

	memset(&c, 0, sizeof(c));
	if (vs_impair_parse_spec(&c, spec, err, sizeof(err)) == 0)
		fail_msg("accepted: %s", spec);
	if (!strstr(err, want))
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void test_parse(void **state)
{
	struct vs_impair_cfg c;
	char err[256], d[256];

	(void)state;
	expect_bad("loss=150%", "loss: \"150%\" is not a rate");
	expect_bad("loss=gilbert:p=1%", "gilbert needs p");
	expect_bad("jitter=fast", "jitter: \"fast\"");
	expect_bad("outage=2s", "outage: \"2s\"");
	expect_bad("wobble=1", "unknown impairment \"wobble\"");
	expect_bad("seed=-1", "seed");
	expect_bad("jitter", "not key=value");
	memset(&c, 0, sizeof(c));
	assert_false(vs_impair_active(&c));
	assert_int_equal(vs_impair_parse_spec(&c, "seed=9 jitter=5ms loss=0.5% outage=2s@5s", err, sizeof(err)), 0);
	assert_true(vs_impair_active(&c));
	vs_impair_describe(&c, d, sizeof(d));
	assert_string_equal(d, "seed=9 jitter=5ms loss=0.5% duplicate=0% reorder=0% outage=2000ms@5000ms");
	/* the description parses back to the same settings (replay from a result) */
	{
		struct vs_impair_cfg c2;

		memset(&c2, 0, sizeof(c2));
		assert_int_equal(vs_impair_parse_spec(&c2, d, err, sizeof(err)), 0);
		assert_memory_equal(&c, &c2, sizeof(c));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bernoulli_loss), cmocka_unit_test(test_gilbert_bursts),
		cmocka_unit_test(test_jitter),         cmocka_unit_test(test_dup_reorder),
		cmocka_unit_test(test_outage),         cmocka_unit_test(test_replay),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
