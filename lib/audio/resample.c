/* PCM16 mono resampling.
 *
 * Output sample i sits at input position i * in_rate / out_rate, computed in
 * exact 64-bit integer arithmetic (no drift).  Down-sampling first applies a
 * centred (zero-delay) box pre-filter as wide as the ratio (rounded up) to
 * tame aliasing; the value is then linearly interpolated between the two
 * nearest (filtered) input samples.  For an integer down ratio r, output i is
 * exactly the centred box mean around input i*r. */
#include "vstress/audio/resample.h"

#include <math.h>
#include <stdlib.h>

size_t vs_resample_len(size_t n, int in_rate, int out_rate)
{
	if (in_rate <= 0 || out_rate <= 0)
		return 0;
	return (size_t)((unsigned long long)n * (unsigned long long)out_rate / (unsigned long long)in_rate);
}

static int16_t clamp16(long long v)
{
	if (v > 32767)
		return 32767;
	if (v < -32768)
		return -32768;
	return (int16_t)v;
}

/* Centred box filter of width w around in[c] (edges clamped): odd w averages
 * in[c-(w-1)/2 .. c+(w-1)/2]; even w adds half-weight samples at c-w/2 and
 * c+w/2, so the filter has no delay.  w == 1 returns in[c]. */
static double box_at(const int16_t *in, size_t n, long long c, int w)
{
	long long h = w / 2;
	double sum = 0;

	if (w <= 1)
		return in[c < 0 ? 0 : (c >= (long long)n ? (long long)n - 1 : c)];
	for (long long k = c - h; k <= c + h; k++) {
		long long j = k < 0 ? 0 : (k >= (long long)n ? (long long)n - 1 : k);
		double wt = (w % 2 == 0 && (k == c - h || k == c + h)) ? 0.5 : 1.0;

		sum += wt * in[j];
	}
	return sum / w;
}

static int16_t round16(double v)
{
	return clamp16((long long)floor(v + 0.5));
}

long vs_resample(const int16_t *in, size_t n, int in_rate, int16_t *out, size_t cap, int out_rate)
{
	size_t m = vs_resample_len(n, in_rate, out_rate);
	unsigned long long ir = (unsigned long long)in_rate, orr = (unsigned long long)out_rate;

	if (in_rate <= 0 || out_rate <= 0 || cap < m)
		return -1;
	if (in_rate == out_rate) {
		for (size_t i = 0; i < n; i++)
			out[i] = in[i];
		return (long)n;
	}
	{
		int w = in_rate > out_rate ? (int)((ir + orr - 1) / orr) : 1;

		for (size_t i = 0; i < m; i++) {
			unsigned long long num = (unsigned long long)i * ir;
			long long idx = (long long)(num / orr);
			unsigned long long frac = num % orr;
			double a = box_at(in, n, idx, w);
			double b = frac ? box_at(in, n, idx + 1, w) : a;

			out[i] = round16(a + (b - a) * (double)frac / (double)orr);
		}
	}
	return (long)m;
}

int vs_resample_alloc(const int16_t *in, size_t n, int in_rate, int out_rate, int16_t **out, size_t *out_n)
{
	size_t m = vs_resample_len(n, in_rate, out_rate);
	int16_t *buf = NULL;
	long got;
	int rc = -1;

	*out = NULL;
	*out_n = 0;
	if (in_rate <= 0 || out_rate <= 0)
		goto out;
	buf = malloc(m ? m * sizeof(*buf) : 1);
	if (!buf)
		goto out;
	got = vs_resample(in, n, in_rate, buf, m, out_rate);
	if (got < 0)
		goto out;
	*out = buf;
	*out_n = (size_t)got;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}
