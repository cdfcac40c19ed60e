/* Send-lateness histogram: see call_lat.h. */
#include "call_lat.h"

#include <string.h>

void call_lat_reset(struct call_lat *h)
{
	memset(h, 0, sizeof(*h));
}

static unsigned slot_of(int64_t v, int64_t *hi)
{
	uint64_t u = v < 0 ? 0 : (uint64_t)v;
	unsigned b = 0;

	/* bucket b >= 1 covers [SUB << (UNIT+b-1), SUB << (UNIT+b)) */
	while (b + 1 < CALL_LAT_BUCKETS + 1 && u >= ((uint64_t)CALL_LAT_SUB << (CALL_LAT_UNIT + b)))
		b++;
	if (b == 0) {
		unsigned s = (unsigned)(u >> CALL_LAT_UNIT);

		*hi = ((int64_t)s + 1) * (1 << CALL_LAT_UNIT) - 1;
		return s;
	}
	{
		unsigned w = CALL_LAT_UNIT + b; /* slot width 2^w */
		uint64_t s = (u >> w) - CALL_LAT_HALF;

		if (s >= CALL_LAT_HALF)
			s = CALL_LAT_HALF - 1;
		*hi = (int64_t)(((s + CALL_LAT_HALF + 1) << w) - 1);
		return (unsigned)(CALL_LAT_SUB + (b - 1) * CALL_LAT_HALF + s);
	}
}

void call_lat_record(struct call_lat *h, int64_t ns)
{
	int64_t hi;
	int64_t top = ((int64_t)CALL_LAT_SUB << (CALL_LAT_UNIT + CALL_LAT_BUCKETS - 1)) - 1;

	if (ns < 0)
		ns = 0;
	if (!h->count || ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
	h->count++;
	if (ns > top) {
		h->overflow++;
		ns = top;
	}
	h->slots[slot_of(ns, &hi)]++;
}

void call_lat_add(struct call_lat *dst, const struct call_lat *src)
{
	if (!src->count)
		return;
	if (!dst->count || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->overflow += src->overflow;
	for (size_t i = 0; i < sizeof(dst->slots) / sizeof(dst->slots[0]); i++)
		dst->slots[i] += src->slots[i];
}

int64_t call_lat_percentile(const struct call_lat *h, double p)
{
	uint64_t rank, cum = 0;
	size_t n = sizeof(h->slots) / sizeof(h->slots[0]);

	if (!h->count)
		return 0;
	rank = (uint64_t)(p / 100.0 * (double)h->count + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (size_t i = 0; i < n; i++) {
		cum += h->slots[i];
		if (cum >= rank) {
			int64_t hi;
			int64_t lo_v;

			/* the slot's highest value: recompute from its index */
			if (i < CALL_LAT_SUB) {
				hi = ((int64_t)i + 1) * (1 << CALL_LAT_UNIT) - 1;
			} else {
				size_t b = (i - CALL_LAT_SUB) / CALL_LAT_HALF + 1, s = (i - CALL_LAT_SUB) % CALL_LAT_HALF;

				hi = (int64_t)(((s + CALL_LAT_HALF + 1) << (CALL_LAT_UNIT + b)) - 1);
			}
			lo_v = hi > h->max ? h->max : hi;
			return lo_v < h->min ? h->min : lo_v;
		}
	}
	return h->max;
}
