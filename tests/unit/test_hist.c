/* Unit tests for core/hist.c: precision against exact order statistics,
 * merge, encode/decode (also hostile input), CO correction, overflow, JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "rng.h"
#include "vstress/crypto/b64.h"

#define N 100000
#define HOUR_NS 3600000000000LL

/* Percentiles checked, in thousandths of a percent so that the expected
 * rank ceil(p/100 * n) is computed exactly in integers. */
static const int64_t pcts_milli[] = { 0, 1, 1000, 10000, 25000, 50000, 75000, 90000,
				      95000, 99000, 99900, 99990, 99999, 100000 };

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t pow10i(int s)
{
	int64_t r = 1;

	while (s-- > 0)
		r *= 10;
	return r;
}

enum dist { UNIFORM, EXPONENTIAL, BIMODAL, NDIST };

static void fill(int64_t *v, size_t n, enum dist d, uint64_t seed)
{
	struct vs_rng r;

	vs_rng_seed(&r, seed);
	for (size_t i = 0; i < n; i++) {
		switch (d) {
		case UNIFORM: /* 0 .. 10 s in ns */
			v[i] = (int64_t)(vs_rng_next(&r) % 10000000000ULL);
			break;
		case EXPONENTIAL: /* mean 20 ms in ns */
			v[i] = (int64_t)vs_rng_exp(&r, 20e6);
			break;
		default: /* 80% around 2 ms, 20% around 1.5 s: cache hit / miss */
			if (vs_rng_double(&r) < 0.8)
				v[i] = 1500000 + (int64_t)(vs_rng_next(&r) % 1000000);
			else
				v[i] = 1000000000 + (int64_t)(vs_rng_next(&r) % 1000000000);
			break;
		}
	}
}

/* Every checked percentile is >= the exact order statistic and above it by
 * at most `rel` of it (plus `abs` for tiny values).  rel is given as a
 * fraction num/den to keep the check in integers. */
static void check_percentiles(const struct vs_hist *h, int64_t *sorted, size_t n, int64_t den,
			      int64_t num)
{
	for (size_t k = 0; k < sizeof(pcts_milli) / sizeof(pcts_milli[0]); k++) {
		int64_t rank = (pcts_milli[k] * (int64_t)n + 99999) / 100000;
		int64_t truth, got;

		if (rank < 1)
			rank = 1;
		truth = sorted[rank - 1];
		got = vs_hist_percentile(h, (double)pcts_milli[k] / 1000.0);
		if (got < truth || (got - truth) * den > truth * num) {
			print_error("p%.3f: got %lld truth %lld (bound %lld/%lld)\n", (double)pcts_milli[k] / 1000.0,
				    (long long)got, (long long)truth, (long long)num, (long long)den);
			fail();
		}
	}
}

static void test_new_invalid(void **state)
{
	struct vs_hist *h = (struct vs_hist *)1;

	(void)state;
	assert_int_equal(vs_hist_new(0, 100, 3, &h), -EINVAL);
	assert_null(h);
	assert_int_equal(vs_hist_new(10, 19, 3, &h), -EINVAL);
	assert_int_equal(vs_hist_new(1, 100, 0, &h), -EINVAL);
	assert_int_equal(vs_hist_new(1, 100, 6, &h), -EINVAL);
	assert_int_equal(vs_hist_new(INT64_MAX / 2 + 1, INT64_MAX, 3, &h), -EINVAL);
	assert_int_equal(vs_hist_new((int64_t)1 << 60, INT64_MAX, 5, &h), -EINVAL);
	assert_int_equal(vs_hist_new(1, 100, 3, NULL), -EINVAL);
	assert_int_equal(vs_hist_new(1, 2, 1, &h), 0);
	vs_hist_free(h);
	assert_int_equal(vs_hist_new(1, INT64_MAX, 5, &h), 0);
	assert_int_equal(vs_hist_record(h, INT64_MAX), 0);
	assert_int_equal(vs_hist_percentile(h, 50), INT64_MAX);
	assert_int_equal(vs_hist_overflow(h), 0);
	vs_hist_free(h);
}

static void test_precision(void **state)
{
	int64_t *v = malloc(N * sizeof(*v));

	(void)state;
	assert_non_null(v);
	for (int d = 0; d < NDIST; d++) {
		for (int s = 1; s <= 5; s++) {
			struct vs_hist *h;
			int64_t mn = INT64_MAX, mx = 0;
			double sum = 0, mean;

			fill(v, N, (enum dist)d, 42 + (uint64_t)d);
			assert_int_equal(vs_hist_new(1, HOUR_NS, s, &h), 0);
			for (size_t i = 0; i < N; i++) {
				assert_int_equal(vs_hist_record(h, v[i]), 0);
				mn = v[i] < mn ? v[i] : mn;
				mx = v[i] > mx ? v[i] : mx;
				sum += (double)v[i];
			}
			qsort(v, N, sizeof(*v), cmp64);
			assert_int_equal(vs_hist_count(h), N);
			assert_int_equal(vs_hist_min(h), mn);
			assert_int_equal(vs_hist_max(h), mx);
			assert_int_equal(vs_hist_percentile(h, 0), vs_hist_highest_equivalent(h, mn));
			assert_int_equal(vs_hist_percentile(h, 100), mx);
			/* guarantee: relative error <= 10^-sigfigs */
			check_percentiles(h, v, N, pow10i(s), 1);
			mean = sum / N;
			assert_true(fabs(vs_hist_mean(h) - mean) <= mean / (double)pow10i(s));
			vs_hist_free(h);
		}
	}
	free(v);
}

/* The bound is tight enough to fail: a histogram one sigfig coarser than
 * claimed misses it on uniform data. */
static void test_precision_bound_is_real(void **state)
{
	int64_t *v = malloc(N * sizeof(*v));
	struct vs_hist *h;
	int64_t worst = 0;

	(void)state;
	assert_non_null(v);
	fill(v, N, UNIFORM, 7);
	assert_int_equal(vs_hist_new(1, HOUR_NS, 2, &h), 0);
	for (size_t i = 0; i < N; i++)
		vs_hist_record(h, v[i]);
	qsort(v, N, sizeof(*v), cmp64);
	for (int64_t p = 1; p <= 1000; p++) {
		int64_t rank = (p * N + 999) / 1000, truth = v[rank - 1];
		int64_t err = (vs_hist_percentile(h, (double)p / 10.0) - truth) * 100000 / truth;

		worst = err > worst ? err : worst;
	}
	/* worst relative error in 1e-5 units: above 10^-3, below 10^-2 */
	assert_true(worst > 100);
	assert_true(worst <= 1000);
	vs_hist_free(h);
	free(v);
}

static void test_record_invalid_and_overflow(void **state)
{
	struct vs_hist *h;

	(void)state;
	assert_int_equal(vs_hist_new(1, 1000, 3, &h), 0);
	assert_int_equal(vs_hist_record(h, -1), -EINVAL);
	assert_int_equal(vs_hist_record_n(h, 5, -1), -EINVAL);
	assert_int_equal(vs_hist_record(NULL, 1), -EINVAL);
	assert_int_equal(vs_hist_count(h), 0);
	assert_int_equal(vs_hist_percentile(h, 50), 0);
	assert_int_equal(vs_hist_min(h), 0);
	assert_int_equal(vs_hist_max(h), 0);
	assert_true(vs_hist_mean(h) == 0 && vs_hist_stddev(h) == 0);

	assert_int_equal(vs_hist_record(h, 10), 0);
	assert_int_equal(vs_hist_record_n(h, 5000, 3), 0);
	assert_int_equal(vs_hist_record(h, 1000), 0); /* == highest: not overflow */
	assert_int_equal(vs_hist_count(h), 5);
	assert_int_equal(vs_hist_overflow(h), 3);
	assert_int_equal(vs_hist_max(h), 5000); /* raw */
	/* clamped values sit in highest's bucket */
	assert_int_equal(vs_hist_bucket(h, vs_hist_nbuckets(h) - 1, NULL, NULL), 0);
	assert_int_equal(vs_hist_percentile(h, 100), vs_hist_highest_equivalent(h, 1000));
	assert_int_equal(vs_hist_percentile(h, 20), 10);
	assert_int_equal(vs_hist_lowest(h), 1);
	assert_int_equal(vs_hist_highest(h), 1000);
	assert_int_equal(vs_hist_sigfigs(h), 3);

	vs_hist_reset(h);
	assert_int_equal(vs_hist_count(h), 0);
	assert_int_equal(vs_hist_overflow(h), 0);
	vs_hist_free(h);
}

static void assert_same_buckets(const struct vs_hist *a, const struct vs_hist *b)
{
	assert_int_equal(vs_hist_nbuckets(a), vs_hist_nbuckets(b));
	for (size_t i = 0; i < vs_hist_nbuckets(a); i++)
		if (vs_hist_bucket(a, i, NULL, NULL) != vs_hist_bucket(b, i, NULL, NULL))
			fail_msg("bucket %zu: %lld != %lld", i, (long long)vs_hist_bucket(a, i, NULL, NULL),
				 (long long)vs_hist_bucket(b, i, NULL, NULL));
	assert_int_equal(vs_hist_count(a), vs_hist_count(b));
	assert_int_equal(vs_hist_min(a), vs_hist_min(b));
	assert_int_equal(vs_hist_max(a), vs_hist_max(b));
	assert_int_equal(vs_hist_overflow(a), vs_hist_overflow(b));
	assert_int_equal(vs_hist_lowest(a), vs_hist_lowest(b));
	assert_int_equal(vs_hist_highest(a), vs_hist_highest(b));
	assert_int_equal(vs_hist_sigfigs(a), vs_hist_sigfigs(b));
	assert_true(vs_hist_mean(a) == vs_hist_mean(b));
	assert_true(vs_hist_stddev(a) == vs_hist_stddev(b));
}

static void test_merge_exact(void **state)
{
	int64_t *v = malloc(2 * N * sizeof(*v));
	struct vs_hist *a, *b, *all;

	(void)state;
	assert_non_null(v);
	fill(v, N, EXPONENTIAL, 1);
	fill(v + N, N, BIMODAL, 2);
	assert_int_equal(vs_hist_new(1000, HOUR_NS / 100000, 3, &a), 0);
	assert_int_equal(vs_hist_new(1000, HOUR_NS / 100000, 3, &b), 0);
	assert_int_equal(vs_hist_new(1000, HOUR_NS / 100000, 3, &all), 0);
	for (size_t i = 0; i < 2 * N; i++) {
		int64_t x = v[i] / 7; /* some below lowest, some above highest */

		assert_int_equal(vs_hist_record(i < N ? a : b, x), 0);
		assert_int_equal(vs_hist_record(all, x), 0);
	}
	assert_true(vs_hist_overflow(all) > 0);
	assert_int_equal(vs_hist_merge(a, b), 0);
	assert_same_buckets(a, all);
	assert_int_equal(vs_hist_merge(a, NULL), -EINVAL);
	vs_hist_free(a);
	vs_hist_free(b);
	vs_hist_free(all);
	free(v);
}

static void test_merge_other_precision(void **state)
{
	int64_t *v = malloc(2 * N * sizeof(*v));
	struct vs_hist *dst, *src;

	(void)state;
	assert_non_null(v);
	fill(v, N, UNIFORM, 3);
	fill(v + N, N, EXPONENTIAL, 4);
	assert_int_equal(vs_hist_new(1, HOUR_NS, 3, &dst), 0);
	assert_int_equal(vs_hist_new(1, 2 * HOUR_NS, 2, &src), 0);
	for (size_t i = 0; i < 2 * N; i++)
		assert_int_equal(vs_hist_record(i < N ? dst : src, v[i]), 0);
	assert_int_equal(vs_hist_merge(dst, src), 0);
	qsort(v, 2 * N, sizeof(*v), cmp64);
	assert_int_equal(vs_hist_count(dst), 2 * N);
	assert_int_equal(vs_hist_min(dst), v[0]);
	assert_int_equal(vs_hist_max(dst), v[2 * N - 1]);
	assert_int_equal(vs_hist_overflow(dst), 0);
	/* bounds add: 10^-2 + 10^-3 + 10^-5 */
	check_percentiles(dst, v, 2 * N, 100000, 1101);
	vs_hist_free(dst);
	vs_hist_free(src);
	free(v);
}

static void roundtrip(const struct vs_hist *h)
{
	struct vs_hist *back = NULL;
	char *s = vs_hist_encode(h);

	assert_non_null(s);
	assert_memory_equal(s, "VSH1:", 5);
	for (const char *p = s + 5; *p; p++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", *p));
	assert_int_equal(vs_hist_decode(s, &back), 0);
	assert_same_buckets(h, back);
	vs_hist_free(back);
	free(s);
}

static void test_roundtrip(void **state)
{
	int64_t *v = malloc(N * sizeof(*v));
	struct vs_hist *h;

	(void)state;
	assert_non_null(v);
	assert_int_equal(vs_hist_new(1, HOUR_NS, 3, &h), 0);
	roundtrip(h); /* empty */
	vs_hist_record(h, 0);
	roundtrip(h); /* a single zero */
	fill(v, N, BIMODAL, 5);
	for (size_t i = 0; i < N; i++)
		vs_hist_record(h, v[i]);
	vs_hist_record_n(h, INT64_MAX, 3); /* overflow, huge max */
	roundtrip(h);
	vs_hist_free(h);
	for (int s = 1; s <= 5; s++) {
		assert_int_equal(vs_hist_new(1000, HOUR_NS, s, &h), 0);
		fill(v, N, EXPONENTIAL, 6);
		for (size_t i = 0; i < N; i++)
			vs_hist_record_n(h, v[i], (int64_t)(i % 5) + 1);
		roundtrip(h);
		vs_hist_free(h);
	}
	free(v);
}

/* --- hostile decoding --------------------------------------------------- */

static char *b64(const uint8_t *p, size_t n)
{
	char *s = malloc(5 + vs_b64_enc_len(n) + 1);

	assert_non_null(s);
	memcpy(s, "VSH1:", 5);
	assert_true(vs_b64_encode(p, n, s + 5, vs_b64_enc_len(n) + 1) >= 0);
	return s;
}

static size_t uv(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	for (; v >= 0x80; v >>= 7)
		p[n++] = (uint8_t)(v | 0x80);
	p[n++] = (uint8_t)v;
	return n;
}

/* Decode must fail cleanly; *out stays NULL. */
static void expect_einval(const char *s)
{
	struct vs_hist *h = (struct vs_hist *)1;

	if (vs_hist_decode(s, &h) != -EINVAL)
		fail_msg("accepted: %s", s ? s : "(null)");
	assert_null(h);
}

static void expect_payload_einval(const uint8_t *p, size_t n)
{
	char *s = b64(p, n);

	expect_einval(s);
	free(s);
}

/* Header: lowest 1, highest 1000, sigfigs 1, min, max, total, overflow. */
static size_t header(uint8_t *p, uint64_t min, uint64_t max, uint64_t total, uint64_t overflow)
{
	size_t n = 0;

	n += uv(p + n, 1);
	n += uv(p + n, 1000);
	n += uv(p + n, 1);
	n += uv(p + n, min);
	n += uv(p + n, max);
	n += uv(p + n, total);
	n += uv(p + n, overflow);
	return n;
}

static void test_decode_hostile(void **state)
{
	uint8_t p[256];
	size_t n;
	struct vs_hist *h;
	struct vs_rng r;
	char *good, *s;

	(void)state;
	expect_einval(NULL);
	expect_einval("");
	expect_einval("VSH1");
	expect_einval("VSH1:");
	expect_einval("VSH2:AQ==");
	expect_einval("vsh1:AQ==");
	expect_einval("VSH1:AQ=");      /* not a multiple of 4 */
	expect_einval("VSH1:A===");     /* too much padding */
	expect_einval("VSH1:AQ==AQ=="); /* data after padding */
	expect_einval("VSH1:AR==");     /* non-zero trailing bits */
	expect_einval("VSH1:AQ\"=");
	expect_einval("VSH1:AQ\n=");
	assert_int_equal(vs_hist_decode("VSH1:AQ==", NULL), -EINVAL);

	/* a valid small payload, to corrupt field by field */
	n = header(p, 5, 7, 2, 0);
	p[n++] = 9; /* zigzag(-5): 5 empty slots */
	p[n++] = 2;             /* zigzag(1) */
	p[n++] = 1;             /* zigzag(-1) */
	p[n++] = 2;             /* zigzag(1) */
	s = b64(p, n);
	assert_int_equal(vs_hist_decode(s, &h), 0);
	assert_int_equal(vs_hist_count(h), 2);
	assert_int_equal(vs_hist_percentile(h, 100), 7);
	vs_hist_free(h);
	free(s);

	/* totals not matching */
	n = header(p, 5, 7, 3, 0);
	p[n++] = 9, p[n++] = 2, p[n++] = 1, p[n++] = 2;
	expect_payload_einval(p, n);
	/* min/max not matching the buckets */
	n = header(p, 6, 7, 2, 0);
	p[n++] = 9, p[n++] = 2, p[n++] = 1, p[n++] = 2;
	expect_payload_einval(p, n);
	n = header(p, 7, 5, 2, 0); /* min > max */
	p[n++] = 9, p[n++] = 2, p[n++] = 1, p[n++] = 2;
	expect_payload_einval(p, n);
	n = header(p, 5, 6, 2, 0);
	p[n++] = 9, p[n++] = 2, p[n++] = 1, p[n++] = 2;
	expect_payload_einval(p, n);
	/* overflow > total, max above highest without overflow */
	n = header(p, 5, 7, 2, 3);
	p[n++] = 9, p[n++] = 2, p[n++] = 1, p[n++] = 2;
	expect_payload_einval(p, n);
	n = header(p, 5, 5000, 2, 0);
	p[n++] = 9, p[n++] = 2, p[n++] = 1, p[n++] = 2;
	expect_payload_einval(p, n);
	/* empty with non-zero min */
	n = header(p, 5, 0, 0, 0);
	expect_payload_einval(p, n);
	/* a zero count (never written) and INT64_MIN */
	n = header(p, 5, 7, 2, 0);
	p[n++] = 9, p[n++] = 2, p[n++] = 0, p[n++] = 2;
	expect_payload_einval(p, n);
	n = header(p, 5, 5, 1, 0);
	n += uv(p + n, UINT64_MAX);
	expect_payload_einval(p, n);
	/* a zero run past the bucket array, then a count past it */
	n = header(p, 5, 5, 1, 0);
	n += uv(p + n, 2 * 1000000 - 1);
	p[n++] = 2;
	expect_payload_einval(p, n);
	/* 112 slots here: 100 empty + 13 counts, consistent otherwise */
	n = header(p, 640, 1000, 13, 0);
	n += uv(p + n, 2 * 100 - 1);
	for (int i = 0; i < 13; i++)
		p[n++] = 2;
	expect_payload_einval(p, n);
	n = header(p, 640, 1000, 12, 0); /* the same, fitting: accepted */
	n += uv(p + n, 2 * 100 - 1);
	for (int i = 0; i < 12; i++)
		p[n++] = 2;
	s = b64(p, n);
	assert_int_equal(vs_hist_decode(s, &h), 0);
	assert_int_equal(vs_hist_count(h), 12);
	vs_hist_free(h);
	free(s);
	/* counts summing past INT64_MAX */
	n = header(p, 0, 1000, INT64_MAX, 0);
	n += uv(p + n, UINT64_MAX - 1); /* zigzag(INT64_MAX) */
	n += uv(p + n, UINT64_MAX - 1);
	expect_payload_einval(p, n);
	/* header values out of range */
	n = 0;
	n += uv(p + n, 0);
	n += uv(p + n, 1000);
	n += uv(p + n, 3);
	n += uv(p + n, 0), n += uv(p + n, 0), n += uv(p + n, 0), n += uv(p + n, 0);
	expect_payload_einval(p, n); /* lowest 0 */
	p[0] = 1, p[3] = 9;
	expect_payload_einval(p, n); /* sigfigs 9 */
	/* huge varints: 11 continuation bytes; a 10th byte above 1; a header
	 * value above INT64_MAX */
	memset(p, 0xff, 11);
	p[11] = 1;
	expect_payload_einval(p, 12);
	memset(p, 0xff, 9);
	p[9] = 2;
	expect_payload_einval(p, 10);
	n = uv(p, UINT64_MAX);
	expect_payload_einval(p, n);
	n = header(p, 5, 5, 1, 0); /* count 1 spelled with a 10th byte of 2 */
	p[n++] = 9;
	p[n++] = 0x82;
	memset(p + n, 0x80, 8);
	n += 8;
	p[n++] = 2;
	expect_payload_einval(p, n);
	n = header(p, 5, 5, 1, 0);
	p[n - 1] = 0x80; /* unterminated varint */
	expect_payload_einval(p, n);

	/* truncated at every length, and every single-byte corruption: either
	 * rejected or a consistent histogram, never a crash (ASan/valgrind) */
	assert_int_equal(vs_hist_new(1, HOUR_NS, 2, &h), 0);
	vs_rng_seed(&r, 9);
	for (int i = 0; i < 1000; i++)
		vs_hist_record(h, (int64_t)vs_rng_exp(&r, 1e6));
	vs_hist_record(h, 2 * HOUR_NS);
	good = vs_hist_encode(h);
	vs_hist_free(h);
	assert_non_null(good);
	for (size_t len = 0; len < strlen(good); len++) {
		char *t = strndup(good, len);

		assert_non_null(t);
		expect_einval(t);
		free(t);
	}
	for (size_t i = 0; i < strlen(good); i++) {
		char *t = strdup(good);
		struct vs_hist *x = NULL;

		assert_non_null(t);
		t[i] = (char)(vs_rng_next(&r) % 255 + 1);
		if (vs_hist_decode(t, &x) == 0) {
			assert_true(vs_hist_count(x) >= 0);
			vs_hist_percentile(x, 99);
			vs_hist_free(x);
		}
		free(t);
	}
	free(good);

	/* random bytes, raw and as base64 payloads */
	for (int i = 0; i < 2000; i++) {
		char raw[64];
		size_t len = vs_rng_next(&r) % 64;
		struct vs_hist *x = NULL;

		for (size_t k = 0; k < sizeof(p); k++)
			p[k] = (uint8_t)vs_rng_next(&r);
		/* keep some headers plausible so the counts parser is reached */
		if (i % 2)
			memcpy(p, (const uint8_t[]){ 1, 0xe8, 0x07, 1 + (uint8_t)(i % 5) }, 4);
		s = b64(p, len + 4);
		if (vs_hist_decode(s, &x) == 0)
			vs_hist_free(x);
		free(s);
		for (size_t k = 0; k < len; k++)
			raw[k] = (char)(vs_rng_next(&r) % 255 + 1);
		raw[len] = 0;
		expect_einval(raw);
	}
}

/* --- coordinated omission ---------------------------------------------------- */

static void naive_corrected(struct vs_hist *h, int64_t v, int64_t iv)
{
	vs_hist_record(h, v);
	if (iv <= 0)
		return;
	for (int64_t m = v - iv; m >= iv; m -= iv)
		vs_hist_record(h, m);
}

static void test_corrected(void **state)
{
	static const int64_t cases[][2] = { { 1000, 100 }, { 1050, 100 }, { 99, 100 }, { 100, 100 },
					    { 5000000, 7 }, { 1000000, 3 }, { 123456789, 1000 }, { 3000, 0 },
					    { 2000000, 333333 } };
	struct vs_hist *h, *ref;

	(void)state;
	/* 1000 at 100: 1000, 900, ..., 100 */
	assert_int_equal(vs_hist_new(1, 1000000, 3, &h), 0);
	assert_int_equal(vs_hist_record_corrected(h, 1000, 100), 0);
	assert_int_equal(vs_hist_count(h), 10);
	assert_int_equal(vs_hist_min(h), 100);
	assert_int_equal(vs_hist_max(h), 1000);
	assert_int_equal(vs_hist_percentile(h, 50), 500);
	/* no backfill when the response came within the interval */
	vs_hist_reset(h);
	assert_int_equal(vs_hist_record_corrected(h, 80, 100), 0);
	assert_int_equal(vs_hist_count(h), 1);
	assert_int_equal(vs_hist_record_corrected(h, -5, 100), -EINVAL);
	vs_hist_free(h);

	/* the slot-wise walk equals the value-by-value loop, bucket for bucket,
	 * also with values above highest */
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		assert_int_equal(vs_hist_new(10, 1000000, 2, &h), 0);
		assert_int_equal(vs_hist_new(10, 1000000, 2, &ref), 0);
		assert_int_equal(vs_hist_record_corrected(h, cases[c][0], cases[c][1]), 0);
		naive_corrected(ref, cases[c][0], cases[c][1]);
		assert_same_buckets(h, ref);
		vs_hist_free(h);
		vs_hist_free(ref);
	}

	/* an hour-long stall at 1 ns intervals: 3.6e12 backfills, quickly */
	assert_int_equal(vs_hist_new(1, HOUR_NS, 3, &h), 0);
	assert_int_equal(vs_hist_record_corrected(h, HOUR_NS, 1), 0);
	assert_int_equal(vs_hist_count(h), HOUR_NS);
	assert_int_equal(vs_hist_min(h), 1);
	assert_true(llabs(vs_hist_percentile(h, 50) - HOUR_NS / 2) <= HOUR_NS / 2 / 1000);
	vs_hist_free(h);
}

static void test_json(void **state)
{
	struct vs_hist *h, *back;
	json_t *j = NULL, *prec;
	const char *enc;

	(void)state;
	assert_int_equal(vs_hist_new(1, 60000, 3, &h), 0);
	for (int64_t i = 1; i <= 1000; i++)
		vs_hist_record(h, i);
	vs_hist_record(h, 100000);
	assert_int_equal(vs_hist_to_json(h, "ms", &j), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "count")), 1001);
	assert_int_equal(json_integer_value(json_object_get(j, "min_ms")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "max_ms")), 100000);
	assert_int_equal(json_integer_value(json_object_get(j, "p50_ms")), 501);
	assert_int_equal(json_integer_value(json_object_get(j, "p90_ms")), 901);
	assert_int_equal(json_integer_value(json_object_get(j, "p95_ms")), 951);
	assert_int_equal(json_integer_value(json_object_get(j, "p99_ms")), 991);
	assert_int_equal(json_integer_value(json_object_get(j, "p99_9_ms")), 1000);
	assert_int_equal(json_integer_value(json_object_get(j, "overflow")), 1);
	assert_true(json_is_real(json_object_get(j, "mean_ms")));
	assert_true(fabs(json_real_value(json_object_get(j, "mean_ms")) - vs_hist_mean(h)) < 1e-9);
	assert_true(json_is_real(json_object_get(j, "stddev_ms")));
	prec = json_object_get(j, "precision");
	assert_int_equal(json_integer_value(json_object_get(prec, "lowest")), 1);
	assert_int_equal(json_integer_value(json_object_get(prec, "highest")), 60000);
	assert_int_equal(json_integer_value(json_object_get(prec, "sigfigs")), 3);
	enc = json_string_value(json_object_get(j, "hist"));
	assert_non_null(enc);
	assert_int_equal(vs_hist_decode(enc, &back), 0);
	assert_same_buckets(h, back);
	vs_hist_free(back);
	json_decref(j);

	assert_int_equal(vs_hist_to_json(h, NULL, &j), 0);
	assert_non_null(json_object_get(j, "p99"));
	assert_null(json_object_get(j, "p99_ms"));
	json_decref(j);
	assert_int_equal(vs_hist_to_json(h, "ms", NULL), -EINVAL);
	vs_hist_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_invalid),
		cmocka_unit_test(test_precision),
		cmocka_unit_test(test_precision_bound_is_real),
		cmocka_unit_test(test_record_invalid_and_overflow),
		cmocka_unit_test(test_merge_exact),
		cmocka_unit_test(test_merge_other_precision),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_decode_hostile),
		cmocka_unit_test(test_corrected),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
