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

/* The option rows of a TTS stand-in's speech (chunk_def: audio per chunk
 * message), then its port. */
#define VS_TTS_STANDIN_OPTIONS(chunk_def)                                                                  \
	{"voice", VS_OPT_STRING, "slt", "stand-in: flite voice of the synthesised speech", 0},             \
	{"ttfa_ms", VS_OPT_DURATION, "150", "stand-in: time to first audio of a context", 0},              \
	{"chunk_ms", VS_OPT_DURATION, chunk_def, "stand-in: audio per chunk message", 0},                  \
	{"realtime", VS_OPT_DOUBLE, "2", "stand-in: generation speed, times real time (0: unpaced)", 0},   \
	{"record_audio", VS_OPT_BOOL, "false",                                                             \
	 "stand-in: keep the audio each reply sent (GET /_vstress/<plugin>/replies, /audio/{reply})", 0},  \
	{"record_max_s", VS_OPT_DOUBLE, "300", "stand-in: the most of one reply kept, seconds", 0},       \
	VS_OPT_STANDIN_PORT
#endif
