/* Speech for the TTS stand-in: flite through vs_synth, converted to the
 * requested encoding. */
#ifndef TTS_ELEVENLABS_STANDIN_AUDIO_H
#define TTS_ELEVENLABS_STANDIN_AUDIO_H
#include <stddef.h>
#include <stdint.h>

enum ta_enc { TA_S16LE = 0, TA_F32LE, TA_MULAW, TA_ALAW };

/* Encoding name ("pcm_s16le", "pcm_f32le", "pcm_mulaw"/"ulaw", "pcm_alaw")
 * to enum ta_enc; -1 when unknown. */
int ta_encoding(const char *name);
size_t ta_bytes_per_sample(int enc);
/* Synthesises text at rate in enc: *out malloc'd, *len bytes, *seconds of
 * audio.  Returns 0, or -1 with err set. */
int ta_speak(const char *text, const char *voice, int rate, int enc, uint8_t **out, size_t *len, double *seconds,
	     char *err, size_t errlen);
#endif
