/* Latency histogram with HdrHistogram's properties (log-linear buckets,
 * bounded relative error), written for vstress.  See docs/histogram.md.
 *
 * Values are non-negative int64 in the metric's unit.  Every value v in
 * [lowest, highest] is reported with a relative error of at most
 * 10^-sigfigs; values below lowest share buckets of width
 * 2^floor(log2(lowest)).  Not thread-safe: one writer at a time.
 */
#ifndef VS_HIST_H
#define VS_HIST_H

#include <stddef.h>
#include <stdint.h>

typedef struct json_t json_t; /* jansson */

struct vs_hist;

/* lowest >= 1, highest >= 2 * lowest, sigfigs 1..5.  -EINVAL / -ENOMEM. */
int vs_hist_new(int64_t lowest, int64_t highest, int sigfigs, struct vs_hist **out);
void vs_hist_free(struct vs_hist *h);
void vs_hist_reset(struct vs_hist *h);

/* v < 0 (or n < 0) is -EINVAL.  v > highest is recorded as highest and
 * counted in overflow; min/max keep the raw values.  -EOVERFLOW if the
 * total count would overflow int64. */
int vs_hist_record(struct vs_hist *h, int64_t v);
int vs_hist_record_n(struct vs_hist *h, int64_t v, int64_t n);
/* Coordinated-omission correction: records v, then v - k*interval for every
 * k >= 1 while that is >= interval (the requests a stalled sender did not
 * issue).  interval <= 0 records v alone. */
int vs_hist_record_corrected(struct vs_hist *h, int64_t v, int64_t expected_interval);

/* Adds src into dst.  Exact (bucket-wise) when lowest, highest and sigfigs
 * match; otherwise each src bucket is re-recorded in dst at its highest
 * equivalent value (clamped to src's min/max), so the error bounds add. */
int vs_hist_merge(struct vs_hist *dst, const struct vs_hist *src);

int64_t vs_hist_count(const struct vs_hist *h);
int64_t vs_hist_min(const struct vs_hist *h); /* 0 when empty */
int64_t vs_hist_max(const struct vs_hist *h); /* 0 when empty */
double vs_hist_mean(const struct vs_hist *h);
double vs_hist_stddev(const struct vs_hist *h);
/* p in 0..100 (clamped).  Highest equivalent value of the bucket where the
 * cumulative count reaches ceil(p/100 * count), clamped to [min, max];
 * 0 when empty. */
int64_t vs_hist_percentile(const struct vs_hist *h, double p);
int64_t vs_hist_overflow(const struct vs_hist *h);
int64_t vs_hist_lowest(const struct vs_hist *h);
int64_t vs_hist_highest(const struct vs_hist *h);
int vs_hist_sigfigs(const struct vs_hist *h);

/* Bucket access, e.g. for exporters and exact comparisons.  The count of
 * bucket i (0 <= i < vs_hist_nbuckets) and, if non-NULL, the inclusive
 * range of values it stands for. */
size_t vs_hist_nbuckets(const struct vs_hist *h);
int64_t vs_hist_bucket(const struct vs_hist *h, size_t i, int64_t *lo, int64_t *hi);
int64_t vs_hist_lowest_equivalent(const struct vs_hist *h, int64_t v);
int64_t vs_hist_highest_equivalent(const struct vs_hist *h, int64_t v);
/* Bytes allocated for the histogram. */
size_t vs_hist_memsize(const struct vs_hist *h);

/* "VSH1:" + base64; malloc'd, caller frees; NULL on allocation failure. */
char *vs_hist_encode(const struct vs_hist *h);
/* Validates everything; -EINVAL on any malformed input, -ENOMEM. */
int vs_hist_decode(const char *s, struct vs_hist **out);

/* Summary object; unit ("ms", "us", ...) becomes a key suffix (p99_ms).
 * NULL or "" unit: no suffix.  -EINVAL / -ENOMEM. */
int vs_hist_to_json(const struct vs_hist *h, const char *unit, json_t **out);

#endif
