/* Speech for the TTS stand-in (see standin_audio.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vstress/audio/synth.h"
#include "vstress/audio/ulaw.h"
#include "vstress/standin/standin_audio.h"

int vs_ta_encoding(const char *name)
{
	if (!name || !strcasecmp(name, "pcm_s16le") || !strcasecmp(name, "pcm") || !strcasecmp(name, "linear16"))
		return VS_TA_S16LE;
	if (!strcasecmp(name, "pcm_f32le"))
		return VS_TA_F32LE;
	if (!strcasecmp(name, "pcm_mulaw") || !strcasecmp(name, "ulaw") || !strcasecmp(name, "mulaw"))
		return VS_TA_MULAW;
	if (!strcasecmp(name, "pcm_alaw") || !strcasecmp(name, "alaw"))
		return VS_TA_ALAW;
	return -1;
}

size_t vs_ta_bytes_per_sample(int enc)
{
	return enc == VS_TA_F32LE ? 4 : enc == VS_TA_S16LE ? 2 : 1;
}

/* G.711 A-law of one sample. */
static uint8_t alaw_encode(int16_t pcm)
{
	int sign = (pcm >> 8) & 0x80, s = pcm;
	if (sign)
		s = -s - 1;
	if (s > 32635)
		s = 32635;
	int exp = 7;
	for (int mask = 0x4000; !(s & mask) && exp > 0; mask >>= 1)
		exp--;
	int mant = exp ? (s >> (exp + 3)) & 0x0f : (s >> 4) & 0x0f;
	return (uint8_t)((sign | (exp << 4) | mant) ^ 0xd5) ^ 0x80;
}

int vs_ta_speak(const char *text, const char *voice, int rate, int enc, uint8_t **out, size_t *len, double *seconds,
	     char *err, size_t errlen)
{
	int16_t *pcm = NULL;
	size_t n = 0;
	*out = NULL;
	*len = 0;
	*seconds = 0;
	if (vs_synth(text, voice, rate, &pcm, &n, err, errlen) < 0)
		return -1;
	/* flite starts every utterance with ~250 ms of silence; a streaming TTS
	 * service starts speaking within tens of ms, so keep 40 ms of it (the
	 * silence would otherwise count as provider latency in every turn). */
	size_t first = 0, keep = (size_t)rate * 40 / 1000;
	while (first < n && abs(pcm[first]) < 500)
		first++;
	if (first < n && first > keep) {
		memmove(pcm, pcm + (first - keep), (n - (first - keep)) * sizeof(*pcm));
		n -= first - keep;
	}
	size_t bps = vs_ta_bytes_per_sample(enc);
	uint8_t *o = malloc(n * bps + 1);
	if (!o) {
		free(pcm);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		switch (enc) {
		case VS_TA_F32LE: {
			float f = (float)pcm[i] / 32768.0f;
			memcpy(o + 4 * i, &f, 4);
			break;
		}
		case VS_TA_MULAW:
			o[i] = vs_ulaw_encode(pcm[i]);
			break;
		case VS_TA_ALAW:
			o[i] = alaw_encode(pcm[i]);
			break;
		default:
			memcpy(o + 2 * i, &pcm[i], 2);
			break;
		}
	}
	free(pcm);
	*out = o;
	*len = n * bps;
	*seconds = (double)n / rate;
	return 0;
}
