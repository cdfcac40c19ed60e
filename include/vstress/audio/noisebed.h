/* Background noise beds for the messy caller (docs/calls.md, "Noise"):
 * synthesised from a seed, never downloaded.  white: Gaussian; street:
 * brown + pink noise (traffic rumble) with a slow swell of passing cars;
 * cafe: babble of four flite talkers (diphone voices at shifted speeds and
 * pitches, muffled) over low pink noise.  Levels are dBFS RMS (0 dBFS = RMS 32768, the same scale
 * as the scripts' tone and noise levels). */
#ifndef VSTRESS_AUDIO_NOISEBED_H
#define VSTRESS_AUDIO_NOISEBED_H

#include <stddef.h>
#include <stdint.h>

enum vs_noise_kind { VS_NOISE_NONE = 0, VS_NOISE_WHITE, VS_NOISE_STREET, VS_NOISE_CAFE };

/* "white", "street", "cafe" -> kind; -1 unknown. */
int vs_noise_kind_parse(const char *s, enum vs_noise_kind *out);
const char *vs_noise_kind_name(enum vs_noise_kind k);
/* n samples at 8 kHz whose RMS is exactly level_dbfs (after int16
 * rounding, within 0.1 dB).  Same seed, same bed.  0, or -1 with err. */
int vs_noisebed_render(enum vs_noise_kind k, double level_dbfs, uint64_t seed, size_t n, int16_t **out, char *err,
		       size_t errlen);
/* RMS of pcm in dBFS (0 dBFS = RMS 32768); -200 for silence. */
double vs_rms_dbfs(const int16_t *pcm, size_t n);

#endif
