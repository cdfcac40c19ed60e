/* Log-linear latency histogram; see hist.h and docs/histogram.md.
 *
 * Layout: bucket b covers [sub_count << (unit + b - 1), sub_count << (unit + b))
 * (bucket 0 starts at 0) split into sub-buckets of width 2^(unit + b).
 * Bucket 0 has sub_count sub-buckets, every later one sub_count / 2 (its lower
 * half would overlap bucket b - 1), so the flat counts array has
 * (nbuckets + 1) * half slots.  A value's slot width is at most 1/half of
 * the value, and half >= 10^sigfigs, which is the precision guarantee.
 */
#include "hist.h"

#include "vstress/crypto/b64.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vs_hist {
	int64_t lowest, highest;
	int sigfigs;
	int unit;       /* floor(log2(lowest)): width of the finest slots */
	int half_mag;   /* log2(sub_count / 2) */
	int64_t half;   /* sub_count / 2 */
	uint64_t mask;  /* (sub_count - 1) << unit */
	size_t nslots;  /* length of counts[] */
	int64_t total, overflow;
	int64_t min, max; /* raw values; min = INT64_MAX when empty */
	int64_t counts[];
};

static int floor_log2(uint64_t v)
{
	return 63 - __builtin_clzll(v);
}

int vs_hist_new(int64_t lowest, int64_t highest, int sigfigs, struct vs_hist **out)
{
	struct vs_hist *h = NULL;
	int64_t need = 2;
	int unit, sub_mag, nbuckets = 1;
	uint64_t untrackable;
	size_t nslots;
	int rc = -EINVAL;

	if (!out)
		goto out;
	*out = NULL;
	if (lowest < 1 || lowest > INT64_MAX / 2 || highest < 2 * lowest || sigfigs < 1 || sigfigs > 5)
		goto out;
	for (int i = 0; i < sigfigs; i++)
		need *= 10;
	sub_mag = floor_log2((uint64_t)need - 1) + 1; /* next power of two of 2*10^s */
	unit = floor_log2((uint64_t)lowest);
	/* sub_count << unit must fit in int64 */
	if (unit + sub_mag > 62)
		goto out;
	/* Double the covered range until highest fits. */
	untrackable = (uint64_t)1 << (unit + sub_mag);
	while (untrackable <= (uint64_t)highest) {
		nbuckets++;
		if (untrackable > (uint64_t)INT64_MAX / 2)
			break; /* this last bucket reaches INT64_MAX */
		untrackable <<= 1;
	}
	nslots = (size_t)(nbuckets + 1) << (sub_mag - 1);

	rc = -ENOMEM;
	h = calloc(1, sizeof(*h) + nslots * sizeof(h->counts[0]));
	if (!h)
		goto out;
	h->lowest = lowest;
	h->highest = highest;
	h->sigfigs = sigfigs;
	h->unit = unit;
	h->half_mag = sub_mag - 1;
	h->half = (int64_t)1 << h->half_mag;
	h->mask = (((uint64_t)1 << sub_mag) - 1) << unit;
	h->nslots = nslots;
	h->min = INT64_MAX;
	*out = h;
	h = NULL;
	rc = 0;
out:
	free(h);
	return rc;
}

void vs_hist_free(struct vs_hist *h)
{
	free(h);
}

void vs_hist_reset(struct vs_hist *h)
{
	memset(h->counts, 0, h->nslots * sizeof(h->counts[0]));
	h->total = h->overflow = h->max = 0;
	h->min = INT64_MAX;
}

/* Slot of 0 <= v <= INT64_MAX. */
static size_t slot_of(const struct vs_hist *h, int64_t v)
{
	int bucket = floor_log2((uint64_t)v | h->mask) - h->unit - h->half_mag;
	int64_t sub = (int64_t)((uint64_t)v >> (bucket + h->unit));

	return (size_t)(((int64_t)(bucket + 1) << h->half_mag) + sub - h->half);
}

static int slot_shift(const struct vs_hist *h, size_t i)
{
	int bucket = (int)(i >> h->half_mag) - 1;

	return h->unit + (bucket < 0 ? 0 : bucket);
}

static int64_t slot_lo(const struct vs_hist *h, size_t i)
{
	int bucket = (int)(i >> h->half_mag) - 1;
	uint64_t sub = (i & ((size_t)h->half - 1)) + (uint64_t)h->half;

	if (bucket < 0) {
		sub -= (uint64_t)h->half;
		bucket = 0;
	}
	return (int64_t)(sub << (bucket + h->unit));
}

/* lo + width - 1 without overflowing at INT64_MAX. */
static int64_t slot_hi(const struct vs_hist *h, size_t i)
{
	return slot_lo(h, i) + (int64_t)(((uint64_t)1 << slot_shift(h, i)) - 1);
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

int64_t vs_hist_lowest_equivalent(const struct vs_hist *h, int64_t v)
{
	return slot_lo(h, slot_of(h, clamp64(v, 0, h->highest)));
}

int64_t vs_hist_highest_equivalent(const struct vs_hist *h, int64_t v)
{
	return slot_hi(h, slot_of(h, clamp64(v, 0, h->highest)));
}

/* Adds n at the slot of v (clamped); no min/max update.  Returns true when v
 * was above highest. */
static bool add_at(struct vs_hist *h, int64_t v, int64_t n)
{
	bool over = v > h->highest;

	h->counts[slot_of(h, over ? h->highest : v)] += n;
	h->total += n;
	if (over)
		h->overflow += n;
	return over;
}

int vs_hist_record_n(struct vs_hist *h, int64_t v, int64_t n)
{
	int64_t sum;

	if (!h || v < 0 || n < 0)
		return -EINVAL;
	if (n == 0)
		return 0;
	if (__builtin_add_overflow(h->total, n, &sum))
		return -EOVERFLOW;
	add_at(h, v, n);
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	return 0;
}

int vs_hist_record(struct vs_hist *h, int64_t v)
{
	return vs_hist_record_n(h, v, 1);
}

/* The backfill values v - k*iv (k >= 1, value >= iv) are walked slot by slot
 * rather than one by one, so a tiny interval against a huge value costs at
 * most one step per slot instead of v / iv steps. */
int vs_hist_record_corrected(struct vs_hist *h, int64_t v, int64_t iv)
{
	int64_t m, nfill, sum;
	int rc;

	rc = vs_hist_record(h, v);
	if (rc || iv <= 0 || v <= iv)
		return rc;
	nfill = v / iv - 1;
	if (nfill <= 0)
		return 0;
	if (__builtin_add_overflow(h->total, nfill, &sum))
		return -EOVERFLOW;
	for (m = v - iv; m >= iv;) {
		/* Lowest value sharing m's slot (or just above highest, since
		 * everything above it lands in one slot). */
		int64_t lo = m > h->highest ? h->highest + 1 : vs_hist_lowest_equivalent(h, m);
		int64_t c;

		if (lo < iv)
			lo = iv;
		c = (m - lo) / iv + 1;
		add_at(h, m, c);
		m -= c * iv;
	}
	m += iv; /* smallest backfilled value: v mod iv + iv */
	if (m < h->min)
		h->min = m;
	return 0;
}

static bool same_config(const struct vs_hist *a, const struct vs_hist *b)
{
	return a->lowest == b->lowest && a->highest == b->highest && a->sigfigs == b->sigfigs;
}

int vs_hist_merge(struct vs_hist *dst, const struct vs_hist *src)
{
	int64_t sum, above = 0;

	if (!dst || !src)
		return -EINVAL;
	if (src->total == 0)
		return 0;
	if (__builtin_add_overflow(dst->total, src->total, &sum))
		return -EOVERFLOW;
	if (same_config(dst, src)) {
		for (size_t i = 0; i < src->nslots; i++)
			dst->counts[i] += src->counts[i];
		dst->total += src->total;
		dst->overflow += src->overflow;
	} else {
		int64_t ov0 = dst->overflow;

		for (size_t i = 0; i < src->nslots; i++) {
			if (!src->counts[i])
				continue;
			/* highest equivalent keeps the merged percentiles >= the
			 * true ones, as for a direct record */
			if (add_at(dst, clamp64(slot_hi(src, i), src->min, src->max), src->counts[i]))
				above += src->counts[i];
		}
		/* src's own clamped values were overflow already, whatever
		 * dst's range; do not count them twice. */
		dst->overflow = ov0 + (above > src->overflow ? above : src->overflow);
	}
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	return 0;
}

int64_t vs_hist_count(const struct vs_hist *h)
{
	return h->total;
}

int64_t vs_hist_min(const struct vs_hist *h)
{
	return h->total ? h->min : 0;
}

int64_t vs_hist_max(const struct vs_hist *h)
{
	return h->total ? h->max : 0;
}

int64_t vs_hist_overflow(const struct vs_hist *h)
{
	return h->overflow;
}

int64_t vs_hist_lowest(const struct vs_hist *h)
{
	return h->lowest;
}

int64_t vs_hist_highest(const struct vs_hist *h)
{
	return h->highest;
}

int vs_hist_sigfigs(const struct vs_hist *h)
{
	return h->sigfigs;
}

size_t vs_hist_nbuckets(const struct vs_hist *h)
{
	return h->nslots;
}

int64_t vs_hist_bucket(const struct vs_hist *h, size_t i, int64_t *lo, int64_t *hi)
{
	if (i >= h->nslots)
		return 0;
	if (lo)
		*lo = slot_lo(h, i);
	if (hi)
		*hi = slot_hi(h, i);
	return h->counts[i];
}

size_t vs_hist_memsize(const struct vs_hist *h)
{
	return sizeof(*h) + h->nslots * sizeof(h->counts[0]);
}

/* Representative of a slot for mean/stddev: its middle, within [min, max]. */
static double slot_mid(const struct vs_hist *h, size_t i)
{
	int64_t mid = slot_lo(h, i) + (int64_t)(((uint64_t)1 << slot_shift(h, i)) >> 1);

	return (double)clamp64(mid, h->min, h->max);
}

double vs_hist_mean(const struct vs_hist *h)
{
	double sum = 0;

	if (!h->total)
		return 0;
	for (size_t i = 0; i < h->nslots; i++)
		if (h->counts[i])
			sum += slot_mid(h, i) * (double)h->counts[i];
	return sum / (double)h->total;
}

double vs_hist_stddev(const struct vs_hist *h)
{
	double mean, sq = 0;

	if (!h->total)
		return 0;
	mean = vs_hist_mean(h);
	for (size_t i = 0; i < h->nslots; i++) {
		if (h->counts[i]) {
			double d = slot_mid(h, i) - mean;

			sq += d * d * (double)h->counts[i];
		}
	}
	return sqrt(sq / (double)h->total);
}

int64_t vs_hist_percentile(const struct vs_hist *h, double p)
{
	double want;
	int64_t rank, cum = 0;

	if (!h->total)
		return 0;
	if (!(p > 0))
		p = 0; /* also NaN */
	if (p > 100)
		p = 100;
	/* The small downward nudge keeps e.g. 99.9% of 100000 at rank 99900:
	 * 99.9 / 100 is not exact in binary and would ceil to 99901. */
	want = p / 100.0 * (double)h->total;
	want = ceil(want - want * 1e-12);
	rank = want < 1 ? 1 : want >= (double)h->total ? h->total : (int64_t)want;
	for (size_t i = 0; i < h->nslots; i++) {
		cum += h->counts[i];
		if (cum >= rank)
			return clamp64(slot_hi(h, i), h->min, h->max);
	}
	return h->max; /* not reached: counts sum to total */
}

/* --- encoding ---------------------------------------------------------- */

#define VSH_PREFIX "VSH1:"
#define VSH_PREFIX_LEN 5

static size_t put_uvarint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t u)
{
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

char *vs_hist_encode(const struct vs_hist *h)
{
	uint8_t *buf = NULL;
	char *s = NULL;
	size_t n = 0, last = 0, blen;
	int64_t hdr[7];

	if (!h)
		return NULL;
	hdr[0] = h->lowest;
	hdr[1] = h->highest;
	hdr[2] = h->sigfigs;
	hdr[3] = vs_hist_min(h);
	hdr[4] = vs_hist_max(h);
	hdr[5] = h->total;
	hdr[6] = h->overflow;
	/* Trailing empty slots are not written. */
	for (size_t i = 0; i < h->nslots; i++)
		if (h->counts[i])
			last = i + 1;
	/* 10 bytes per varint at most; one varint per slot at most. */
	buf = malloc(10 * (sizeof(hdr) / sizeof(hdr[0]) + last) + 1);
	if (!buf)
		goto out;
	for (size_t i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++)
		n += put_uvarint(buf + n, (uint64_t)hdr[i]);
	for (size_t i = 0; i < last;) {
		size_t z = i;

		while (z < last && !h->counts[z])
			z++;
		if (z > i) { /* a run of empty slots, as a negative count */
			n += put_uvarint(buf + n, zigzag(-(int64_t)(z - i)));
			i = z;
			continue;
		}
		n += put_uvarint(buf + n, zigzag(h->counts[i]));
		i++;
	}

	blen = vs_b64_enc_len(n);
	s = malloc(VSH_PREFIX_LEN + blen + 1);
	if (!s)
		goto out;
	memcpy(s, VSH_PREFIX, VSH_PREFIX_LEN);
	vs_b64_encode(buf, n, s + VSH_PREFIX_LEN, blen + 1);
out:
	free(buf);
	return s;
}

/* Strict: padded to a multiple of 4 (lib/crypto also takes it unpadded),
 * no stray characters, unused bits 0.  *out is malloc'd on success. */
static int b64_decode(const char *s, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t *buf;
	long n;

	if (len == 0 || len % 4)
		return -EINVAL;
	buf = malloc(vs_b64_dec_max(len));
	if (!buf)
		return -ENOMEM;
	n = vs_b64_decode(s, len, buf, vs_b64_dec_max(len));
	if (n < 0) {
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	*outlen = (size_t)n;
	return 0;
}

struct reader {
	const uint8_t *p;
	size_t len, pos;
};

/* LEB128, at most 10 bytes, the 10th carrying only bit 63. */
static int get_uvarint(struct reader *r, uint64_t *v)
{
	uint64_t x = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (r->pos >= r->len)
			return -EINVAL;
		b = r->p[r->pos++];
		if (shift == 63 && b > 1)
			return -EINVAL;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -EINVAL;
}

static int get_int64(struct reader *r, int64_t *v)
{
	uint64_t u;

	if (get_uvarint(r, &u) || u > INT64_MAX)
		return -EINVAL;
	*v = (int64_t)u;
	return 0;
}

/* Counts section into h: fills counts[] and checks their sum against total. */
static int decode_counts(struct reader *r, struct vs_hist *h, int64_t total)
{
	size_t i = 0, first = SIZE_MAX, last = 0;
	int64_t sum = 0;

	while (r->pos < r->len) {
		uint64_t u;
		int64_t c;

		if (get_uvarint(r, &u))
			return -EINVAL;
		c = unzigzag(u);
		if (c == 0 || c == INT64_MIN)
			return -EINVAL; /* never written */
		if (c < 0) {
			if ((uint64_t)-c > h->nslots - i)
				return -EINVAL;
			i += (size_t)-c;
			continue;
		}
		if (i >= h->nslots || __builtin_add_overflow(sum, c, &sum))
			return -EINVAL;
		if (first == SIZE_MAX)
			first = i;
		last = i;
		h->counts[i++] = c;
	}
	if (sum != total)
		return -EINVAL;
	if (total && (first < slot_of(h, clamp64(h->min, 0, h->highest)) ||
		      last > slot_of(h, clamp64(h->max, 0, h->highest))))
		return -EINVAL; /* buckets outside [min, max] */
	return 0;
}

int vs_hist_decode(const char *s, struct vs_hist **out)
{
	struct vs_hist *h = NULL;
	struct reader r = { 0 };
	uint8_t *buf = NULL;
	int64_t lowest, highest, sigfigs, min, max, total, overflow;
	int rc = -EINVAL;

	if (!out)
		goto out;
	*out = NULL;
	if (!s || strncmp(s, VSH_PREFIX, VSH_PREFIX_LEN) != 0)
		goto out;
	rc = b64_decode(s + VSH_PREFIX_LEN, strlen(s + VSH_PREFIX_LEN), &buf, &r.len);
	if (rc)
		goto out;
	r.p = buf;
	rc = -EINVAL;
	if (get_int64(&r, &lowest) || get_int64(&r, &highest) || get_int64(&r, &sigfigs) ||
	    get_int64(&r, &min) || get_int64(&r, &max) || get_int64(&r, &total) ||
	    get_int64(&r, &overflow))
		goto out;
	if (sigfigs < 1 || sigfigs > 5 || min > max || overflow > total)
		goto out;
	if (total == 0 && (min || max || overflow))
		goto out;
	rc = vs_hist_new(lowest, highest, (int)sigfigs, &h);
	if (rc)
		goto out;
	rc = -EINVAL;
	if (max > highest && !overflow)
		goto out;
	h->min = total ? min : INT64_MAX;
	h->max = max;
	if (decode_counts(&r, h, total))
		goto out;
	h->total = total;
	h->overflow = overflow;
	*out = h;
	h = NULL;
	rc = 0;
out:
	vs_hist_free(h);
	free(buf);
	return rc;
}

/* --- JSON ------------------------------------------------------------------ */

static int set_new(json_t *o, const char *key, const char *unit, json_t *v)
{
	char name[64];

	if (!v)
		return -ENOMEM;
	if (unit && *unit)
		snprintf(name, sizeof(name), "%s_%s", key, unit);
	else
		snprintf(name, sizeof(name), "%s", key);
	return json_object_set_new(o, name, v) ? -ENOMEM : 0;
}

int vs_hist_to_json(const struct vs_hist *h, const char *unit, json_t **out)
{
	static const struct {
		const char *key;
		double p;
	} pcts[] = { { "p50", 50 }, { "p90", 90 }, { "p95", 95 }, { "p99", 99 }, { "p99_9", 99.9 } };
	json_t *o = NULL, *prec = NULL;
	char *enc = NULL;
	int rc = -EINVAL;

	if (!h || !out || (unit && strlen(unit) > 32))
		goto out;
	*out = NULL;
	rc = -ENOMEM;
	o = json_object();
	prec = json_object();
	enc = vs_hist_encode(h);
	if (!o || !prec || !enc)
		goto out;
	if (set_new(o, "count", NULL, json_integer(h->total)) ||
	    set_new(o, "min", unit, json_integer(vs_hist_min(h))) ||
	    set_new(o, "max", unit, json_integer(vs_hist_max(h))) ||
	    set_new(o, "mean", unit, json_real(vs_hist_mean(h))) ||
	    set_new(o, "stddev", unit, json_real(vs_hist_stddev(h))))
		goto out;
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		if (set_new(o, pcts[i].key, unit, json_integer(vs_hist_percentile(h, pcts[i].p))))
			goto out;
	if (set_new(o, "overflow", NULL, json_integer(h->overflow)) ||
	    set_new(o, "hist", NULL, json_string(enc)) ||
	    set_new(prec, "lowest", NULL, json_integer(h->lowest)) ||
	    set_new(prec, "highest", NULL, json_integer(h->highest)) ||
	    set_new(prec, "sigfigs", NULL, json_integer(h->sigfigs)))
		goto out;
	rc = set_new(o, "precision", NULL, prec);
	prec = NULL; /* stolen, also on failure */
	if (rc)
		goto out;
	*out = o;
	o = NULL;
out:
	json_decref(o);
	json_decref(prec);
	free(enc);
	return rc;
}
