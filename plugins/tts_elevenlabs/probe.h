/* tts_elevenlabs probe: the ElevenLabs multi-stream-input conversation for
 * the shared TTS probe (vstress/probe/ttsprobe.h). */
#ifndef TTS_ELEVENLABS_PROBE_H
#define TTS_ELEVENLABS_PROBE_H
#include "vstress/probe/ttsprobe.h"

extern const struct vs_tts_proto el_proto;
/* Class of an ElevenLabs error word or close reason. */
int el_class_of_text(const char *s);
#endif
