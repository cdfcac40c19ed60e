/* The ElevenLabs TTS stand-in world hook (standin.c). */
#ifndef TTS_ELEVENLABS_STANDIN_H
#define TTS_ELEVENLABS_STANDIN_H
#include "vstress/plugin.h"
struct vs_world;
int tts_elevenlabs_standin(const struct vs_world *w, vs_wctx *wc);
#endif
