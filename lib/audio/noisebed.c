/* Synthesised background noise beds (see noisebed.h). */
#include "vstress/audio/noisebed.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/audio/synth.h"

#define RATE 8000

static uint64_t mix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static double uni(uint64_t *s)
{
	return ((double)(mix64(s) >> 11) + 0.5) / 9007199254740992.0; /* (0,1) */
}

static double gauss(uint64_t *s)
{
	return sqrt(-2.0 * log(uni(s))) * cos(2 * M_PI * uni(s));
}

int vs_noise_kind_parse(const char *s, enum vs_noise_kind *out)
{
	static const char *const names[] = {"white", "street", "cafe"};

	for (int i = 0; i < 3; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum vs_noise_kind)(i + 1);
			return 0;
		}
	return -1;
}

const char *vs_noise_kind_name(enum vs_noise_kind k)
{
	switch (k) {
	case VS_NOISE_WHITE:
		return "white";
	case VS_NOISE_STREET:
		return "street";
	case VS_NOISE_CAFE:
		return "cafe";
	default:
		return "none";
	}
}

double vs_rms_dbfs(const int16_t *pcm, size_t n)
{
	double e = 0;

	for (size_t i = 0; i < n; i++)
		e += (double)pcm[i] * pcm[i];
	if (!n || e <= 0)
		return -200;
	return 20 * log10(sqrt(e / (double)n) / 32768.0);
}

/* Pink noise: Paul Kellet's economy filter over white noise. */
static void add_pink(double *x, size_t n, double gain, uint64_t *rng)
{
	double b0 = 0, b1 = 0, b2 = 0;

	for (size_t i = 0; i < n; i++) {
		double w = gauss(rng);

		b0 = 0.99765 * b0 + w * 0.0990460;
		b1 = 0.96300 * b1 + w * 0.2965164;
		b2 = 0.57000 * b2 + w * 1.0526913;
		x[i] += gain * (b0 + b1 + b2 + w * 0.1848);
	}
}

static void street(double *x, size_t n, uint64_t *rng)
{
	double brown = 0, swell_phase = uni(rng) * 2 * M_PI, swell_hz = 0.08 + 0.06 * uni(rng);

	add_pink(x, n, 0.3, rng);
	for (size_t i = 0; i < n; i++) {
		/* leaky integrator: rumble below ~100 Hz */
		brown = 0.995 * brown + 0.1 * gauss(rng);
		/* passing traffic: a slow swell of the rumble (0.5 .. 1.5) */
		x[i] += brown * (1.0 + 0.5 * sin(swell_phase + 2 * M_PI * swell_hz * (double)i / RATE));
	}
}

/* Babble: four talkers (flite voices) reading lines from random offsets,
 * each at its own gain, summed and muffled (a room), over pink noise. */
static int cafe(double *x, size_t n, uint64_t *rng, char *err, size_t errlen)
{
	static const char *const lines[] = {
		"So I told him we should meet on Thursday, but he said the office is closed that week.",
		"Could I get another coffee please, with a little milk and no sugar.",
		"The train was late again this morning, I waited almost twenty minutes on the platform.",
		"Have you tried the new place on the corner, they make a very good soup.",
		"We are thinking about going to the coast in the summer if the weather holds.",
		"Yes, and then she called back and asked whether the parcel had arrived.",
	};
	/* the diphone voices only: flite's clustergen voices (slt, rms, awb)
	 * excite with random noise, so their audio differs run to run; each
	 * talker is made from kal or kal16 rendered at another rate and played
	 * at 8 kHz (faster and higher, or slower and lower) */
	static const struct {
		const char *voice;
		int rate;
	} talkers[] = {{"kal", 8000}, {"kal16", 8000}, {"kal", 6700}, {"kal16", 9500}};
	double lp = 0;

	for (int t = 0; t < 4; t++) {
		int16_t *pcm = NULL;
		size_t m = 0, off;
		double g = pow(10.0, (-3.0 + 6.0 * uni(rng)) / 20.0);
		const char *line = lines[mix64(rng) % (sizeof(lines) / sizeof(lines[0]))];

		if (vs_synth(line, talkers[t].voice, talkers[t].rate, &pcm, &m, err, errlen) != 0)
			return -1;
		if (m == 0) {
			free(pcm);
			continue;
		}
		off = (size_t)(mix64(rng) % m);
		for (size_t i = 0; i < n; i++)
			x[i] += g * pcm[(off + i) % m] / 32768.0;
		free(pcm);
	}
	for (size_t i = 0; i < n; i++) { /* one-pole low-pass, ~1.2 kHz: muffled by the room */
		lp += 0.6 * (x[i] - lp);
		x[i] = lp;
	}
	add_pink(x, n, 0.02, rng);
	return 0;
}

int vs_noisebed_render(enum vs_noise_kind k, double level_dbfs, uint64_t seed, size_t n, int16_t **out, char *err,
		       size_t errlen)
{
	uint64_t rng = seed ^ 0xD1B54A32D192ED03ull;
	double *x = NULL, e = 0, mean = 0, target, g;
	int16_t *pcm = NULL;
	int rc = -1;

	*out = NULL;
	if (n == 0 || k == VS_NOISE_NONE || level_dbfs > -3 || level_dbfs < -120) {
		snprintf(err, errlen, "noise: needs a kind and a level in -120..-3 dBFS");
		return -1;
	}
	x = calloc(n, sizeof(*x));
	pcm = malloc(n * sizeof(*pcm));
	if (!x || !pcm) {
		snprintf(err, errlen, "noise: out of memory");
		goto out;
	}
	if (k == VS_NOISE_WHITE) {
		for (size_t i = 0; i < n; i++)
			x[i] = gauss(&rng);
	} else if (k == VS_NOISE_STREET) {
		street(x, n, &rng);
	} else if (cafe(x, n, &rng, err, errlen) != 0) {
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		mean += x[i];
	mean /= (double)n;
	for (size_t i = 0; i < n; i++) {
		x[i] -= mean;
		e += x[i] * x[i];
	}
	if (e <= 0) {
		snprintf(err, errlen, "noise: rendered silence");
		goto out;
	}
	target = 32768.0 * pow(10.0, level_dbfs / 20.0);
	g = target / sqrt(e / (double)n);
	for (size_t i = 0; i < n; i++) {
		double v = x[i] * g;

		pcm[i] = (int16_t)lrint(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
	*out = pcm;
	pcm = NULL;
	rc = 0;
out:
	free(x);
	free(pcm);
	return rc;
}
