/* Send lateness of caller frames: a small log-linear (HDR layout, see
 * docs/histogram.md) histogram of nanoseconds, 1 us .. 64 s, two
 * significant digits (relative error < 1 %), fixed size (no allocation),
 * one per engine loop.  Percentiles never under-report: they return the
 * highest value of the slot where the rank is reached, clamped to max. */
#ifndef VS_CALLER_CALL_LAT_H
#define VS_CALLER_CALL_LAT_H

#include <stdint.h>

#define CALL_LAT_UNIT 9      /* finest slot: 2^9 ns = 512 ns */
#define CALL_LAT_SUB 256     /* slots in bucket 0; HALF in the others */
#define CALL_LAT_HALF 128
#define CALL_LAT_BUCKETS 20  /* up to 256 << (9 + 19) ns = 68.7 s */

struct call_lat {
	uint64_t count, overflow;
	int64_t min, max;
	uint64_t slots[(CALL_LAT_BUCKETS + 1) * CALL_LAT_HALF];
};

void call_lat_reset(struct call_lat *h);
void call_lat_record(struct call_lat *h, int64_t ns);
void call_lat_add(struct call_lat *dst, const struct call_lat *src);
/* p in 0..100; 0 for an empty histogram. */
int64_t call_lat_percentile(const struct call_lat *h, double p);

#endif
