/* Unit tests for core/pacer.c and core/rng.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "pacer.h"
#include "rng.h"

#define MS 1000000ULL

static void test_init_invalid(void **state)
{
	struct vs_pacer p;

	(void)state;
	assert_int_equal(vs_pacer_init(&p, 0, 0, 1, 1, NULL, NULL), -EINVAL);
	assert_int_equal(vs_pacer_init(&p, -5, 0, 1, 1, NULL, NULL), -EINVAL);
	assert_int_equal(vs_pacer_init(&p, NAN, 0, 1, 1, NULL, NULL), -EINVAL);
	assert_int_equal(vs_pacer_init(&p, INFINITY, 0, 1, 1, NULL, NULL), -EINVAL);
	assert_int_equal(vs_pacer_init(NULL, 10, 0, 1, 1, NULL, NULL), -EINVAL);
	assert_int_equal(vs_pacer_init(&p, 10, 0, 1, 1, NULL, NULL), 0);
}

/* start + i/rate exactly, for integral and fractional rates, even far out. */
static void test_constant_exact(void **state)
{
	struct vs_pacer p;
	const uint64_t start = 123456789;

	(void)state;
	assert_int_equal(vs_pacer_init(&p, 3, 0, 1, start, NULL, NULL), 0);
	for (uint64_t i = 0; i < 1000000; i++)
		assert_int_equal(vs_pacer_next(&p), start + i * 1000000000ULL / 3);

	assert_int_equal(vs_pacer_init(&p, 1000, 0, 1, start, NULL, NULL), 0);
	for (uint64_t i = 0; i < 100000; i++)
		assert_int_equal(vs_pacer_next(&p), start + i * MS);

	/* 2.5/s: 400 ms apart, no drift after 10^6 events */
	assert_int_equal(vs_pacer_init(&p, 2.5, 0, 1, start, NULL, NULL), 0);
	for (uint64_t i = 0; i < 1000000; i++)
		assert_int_equal(vs_pacer_next(&p), start + i * 400 * MS);
}

static void test_poisson(void **state)
{
	struct vs_pacer a, b, c;
	const int n = 100000;
	uint64_t first, last = 0, prev;
	int differ = 0, nonmonotonic = 0;

	(void)state;
	assert_int_equal(vs_pacer_init(&a, 200, 1, 42, 1000, NULL, NULL), 0);
	assert_int_equal(vs_pacer_init(&b, 200, 1, 42, 1000, NULL, NULL), 0);
	assert_int_equal(vs_pacer_init(&c, 200, 1, 43, 1000, NULL, NULL), 0);
	first = prev = vs_pacer_next(&a);
	assert_int_equal(first, 1000);
	assert_int_equal(vs_pacer_next(&b), first);
	vs_pacer_next(&c);
	for (int i = 1; i <= n; i++) {
		last = vs_pacer_next(&a);
		assert_int_equal(vs_pacer_next(&b), last); /* same seed, same sequence */
		differ += vs_pacer_next(&c) != last;
		nonmonotonic += last < prev;
		prev = last;
	}
	assert_int_equal(nonmonotonic, 0);
	assert_true(differ > n / 2);
	/* mean gap 5 ms within 5% */
	assert_true(fabs((double)(last - first) / n - 5e6) <= 0.05 * 5e6);
}

static void test_rng(void **state)
{
	struct vs_rng a, b;
	double sum = 0;

	(void)state;
	/* FNV-1a 64 reference vectors */
	assert_true(vs_hash64("") == 0xcbf29ce484222325ULL);
	assert_true(vs_hash64("a") == 0xaf63dc4c8601ec8cULL);
	assert_true(vs_hash64("foobar") == 0x85944171f73967e8ULL);
	/* splitmix64 reference: first output for seed 0 */
	{
		uint64_t x = 0;

		assert_true(vs_splitmix64(&x) == 0xe220a8397b1dcdafULL);
	}
	vs_rng_seed(&a, 0);
	vs_rng_seed(&b, 0);
	for (int i = 0; i < 1000; i++)
		assert_true(vs_rng_next(&a) == vs_rng_next(&b));
	for (int i = 0; i < 100000; i++) {
		double d = vs_rng_double(&a);

		assert_true(d >= 0 && d < 1);
		sum += d;
	}
	assert_true(fabs(sum / 100000 - 0.5) < 0.01);
}

static int stop_after_calls(void *arg)
{
	int *left = arg;

	return --*left < 0;
}

/* Behind schedule: every wait returns the intended start (in the past) at
 * once, without sleeping to catch up. */
static void test_wait_behind(void **state)
{
	struct vs_pacer p;
	uint64_t t0 = vs_now_ns(), start = t0 - 10000 * MS, el;

	(void)state;
	assert_int_equal(vs_pacer_init(&p, 10, 0, 1, start, NULL, NULL), 0);
	for (uint64_t i = 0; i < 100; i++)
		assert_int_equal(vs_pacer_wait(&p), start + i * 100 * MS);
	el = vs_now_ns() - t0;
	assert_true(el < 20 * MS);
}

/* On time: wait sleeps until the intended start, not much longer. */
static void test_wait_sleeps(void **state)
{
	struct vs_pacer p;
	uint64_t start = vs_now_ns() + 30 * MS, got, now;

	(void)state;
	assert_int_equal(vs_pacer_init(&p, 20, 0, 1, start, NULL, NULL), 0);
	for (int i = 0; i < 4; i++) {
		got = vs_pacer_wait(&p);
		now = vs_now_ns();
		assert_int_equal(got, start + (uint64_t)i * 50 * MS);
		assert_true(now >= got);
		assert_true(now - got < 20 * MS);
	}
}

/* A stop request interrupts a long sleep within a slice (50 ms). */
static void test_wait_stop(void **state)
{
	struct vs_pacer p;
	int left = 2; /* two checks pass, the third stops */
	uint64_t t0 = vs_now_ns(), el;

	(void)state;
	assert_int_equal(vs_pacer_init(&p, 0.1, 0, 1, t0 + 10000 * MS, stop_after_calls, &left), 0);
	assert_int_equal(vs_pacer_wait(&p), 0);
	el = vs_now_ns() - t0;
	assert_true(el >= 90 * MS);  /* slept two slices */
	assert_true(el < 400 * MS); /* not the 10 s */

	/* stop is honoured also when behind */
	left = 0;
	assert_int_equal(vs_pacer_init(&p, 1000, 0, 1, 1, stop_after_calls, &left), 0);
	assert_int_equal(vs_pacer_wait(&p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_invalid), cmocka_unit_test(test_constant_exact),
		cmocka_unit_test(test_poisson),      cmocka_unit_test(test_rng),
		cmocka_unit_test(test_wait_behind),  cmocka_unit_test(test_wait_sleeps),
		cmocka_unit_test(test_wait_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
