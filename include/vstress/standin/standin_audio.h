/* Speech for the TTS stand-in: flite through vs_synth, converted to the
 * requested encoding. */
#ifndef VSTRESS_UTIL_STANDIN_AUDIO_H
#define VSTRESS_UTIL_STANDIN_AUDIO_H
#include <stddef.h>
#include <stdint.h>

enum vs_ta_enc { VS_TA_S16LE = 0, VS_TA_F32LE, VS_TA_MULAW, VS_TA_ALAW };

/* Encoding name ("pcm_s16le", "pcm_f32le", "pcm_mulaw"/"ulaw", "pcm_alaw")
 * to enum vs_ta_enc; -1 when unknown. */
int vs_ta_encoding(const char *name);
size_t vs_ta_bytes_per_sample(int enc);
/* Synthesises text at rate in enc: *out malloc'd, *len bytes, *seconds of
 * audio.  Returns 0, or -1 with err set. */
int vs_ta_speak(const char *text, const char *voice, int rate, int enc, uint8_t **out, size_t *len, double *seconds,
	     char *err, size_t errlen);
#endif
