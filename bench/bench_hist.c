/* Histogram figures: record cost, encode/decode cost and size, footprint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "pacer.h"
#include "rng.h"

#define HOUR_NS 3600000000000LL
#define US_NS 1000LL

static int bench_record(void)
{
	const int n = 10000000;
	struct vs_hist *h = NULL;
	int64_t *v = NULL;
	struct vs_rng r;
	uint64_t t0, t1;
	int rc = -1;

	v = malloc((size_t)n * sizeof(*v));
	if (!v || vs_hist_new(US_NS, HOUR_NS, 3, &h))
		goto out;
	/* values drawn up front so the figure is the record alone */
	vs_rng_seed(&r, 1);
	for (int i = 0; i < n; i++)
		v[i] = (int64_t)vs_rng_exp(&r, 5e6);
	t0 = vs_now_ns();
	for (int i = 0; i < n; i++)
		vs_hist_record(h, v[i]);
	t1 = vs_now_ns();
	printf("record: %.2f ns/record (%d records, sigfigs 3, 1 us..1 h in ns, p99 %lld ns)\n",
	       (double)(t1 - t0) / n, n, (long long)vs_hist_percentile(h, 99));
	rc = 0;
out:
	vs_hist_free(h);
	free(v);
	return rc;
}

static int bench_codec(void)
{
	const int n = 100000, reps = 200;
	struct vs_hist *h = NULL, *back = NULL;
	struct vs_rng r;
	char *s = NULL;
	uint64_t t0, t1, t2;
	int rc = -1;

	if (vs_hist_new(US_NS, HOUR_NS, 3, &h))
		goto out;
	vs_rng_seed(&r, 2);
	for (int i = 0; i < n; i++)
		vs_hist_record(h, (int64_t)vs_rng_exp(&r, 5e6) + (vs_rng_double(&r) < 0.1 ? 1500000000 : 0));
	t0 = vs_now_ns();
	for (int i = 0; i < reps; i++) {
		free(s);
		s = vs_hist_encode(h);
		if (!s)
			goto out;
	}
	t1 = vs_now_ns();
	for (int i = 0; i < reps; i++) {
		vs_hist_free(back);
		back = NULL;
		if (vs_hist_decode(s, &back))
			goto out;
	}
	t2 = vs_now_ns();
	printf("encode: %.1f us, decode: %.1f us, encoded size %zu bytes (%d samples, sigfigs 3, %zu buckets)\n",
	       (double)(t1 - t0) / reps / 1e3, (double)(t2 - t1) / reps / 1e3, strlen(s), n,
	       vs_hist_nbuckets(h));
	rc = 0;
out:
	vs_hist_free(h);
	vs_hist_free(back);
	free(s);
	return rc;
}

static int bench_footprint(void)
{
	for (int s = 2; s <= 4; s++) {
		struct vs_hist *h;

		if (vs_hist_new(US_NS, HOUR_NS, s, &h))
			return -1;
		printf("footprint: sigfigs %d, 1 us..1 h in ns: %zu bytes (%zu buckets)\n", s, vs_hist_memsize(h),
		       vs_hist_nbuckets(h));
		vs_hist_free(h);
	}
	return 0;
}

int main(void)
{
	if (bench_record() || bench_codec() || bench_footprint()) {
		fprintf(stderr, "bench_hist: failed\n");
		return 1;
	}
	return 0;
}
