/* Backchannel audio (see backchannel.h). */
#include "vstress/audio/backchannel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vstress/audio/synth.h"

#define RATE 8000

int vs_backchannel_is_hum(const char *t)
{
	static const char *const hums[] = {"mm-hmm", "mm hmm", "mmhmm", "mhm", "mhmm", "hmm", "mm"};

	for (size_t i = 0; i < sizeof(hums) / sizeof(hums[0]); i++)
		if (strcasecmp(t, hums[i]) == 0)
			return 1;
	return 0;
}

/* One hummed syllable: f0 glides f_a -> f_b over ms; harmonics fall off at
 * 9 dB/octave above a nasal murmur near 250 Hz; 25 ms raised-cosine edges. */
static void syllable(double *x, size_t n, double f_a, double f_b, double amp)
{
	double ph = 0;
	size_t edge = RATE / 40;

	for (size_t i = 0; i < n; i++) {
		double f0 = f_a + (f_b - f_a) * (double)i / (double)n, v = 0, env = 1;

		ph += 2 * M_PI * f0 / RATE;
		for (int k = 1; k <= 12 && k * f0 < 3800; k++) {
			double fk = k * f0, g = pow(k, -1.5) * (1.0 + 1.5 * exp(-pow((fk - 250) / 120, 2)));

			v += g * sin(k * ph);
		}
		if (i < edge)
			env = 0.5 - 0.5 * cos(M_PI * (double)i / (double)edge);
		else if (n - i < edge)
			env = 0.5 - 0.5 * cos(M_PI * (double)(n - i) / (double)edge);
		x[i] = amp * env * v;
	}
}

int vs_backchannel_render(const char *text, const char *voice, int16_t **out, size_t *n, char *err, size_t errlen)
{
	/* 40 ms lead, "mm" 200 ms, 70 ms break, "HMM" 280 ms rising, 40 ms tail */
	const size_t lead = 320, s1 = 1600, brk = 560, s2 = 2240, tail = 320, total = lead + s1 + brk + s2 + tail;
	double *x;
	int16_t *p;

	if (!vs_backchannel_is_hum(text))
		return vs_synth(text, voice, RATE, out, n, err, errlen);
	x = calloc(total, sizeof(*x));
	p = malloc(total * sizeof(*p));
	if (!x || !p) {
		free(x);
		free(p);
		return -1;
	}
	syllable(x + lead, s1, 190, 180, 4000);
	syllable(x + lead + s1 + brk, s2, 170, 235, 4500);
	for (size_t i = 0; i < total; i++)
		p[i] = (int16_t)lrint(x[i] > 32767 ? 32767 : x[i] < -32768 ? -32768 : x[i]);
	free(x);
	*out = p;
	*n = total;
	return 0;
}
