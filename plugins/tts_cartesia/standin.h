/* The Cartesia TTS stand-in's world hook (standin.c). */
#ifndef TTS_CARTESIA_STANDIN_H
#define TTS_CARTESIA_STANDIN_H
#include "vstress/plugin.h"
struct vs_world;
int tts_cartesia_standin(const struct vs_world *w, vs_wctx *wc);
#endif
