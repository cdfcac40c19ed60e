/* The Deepgram live STT stand-in's world hook (standin.c). */
#ifndef STT_DEEPGRAM_STANDIN_H
#define STT_DEEPGRAM_STANDIN_H
#include "vstress/plugin.h"
struct vs_world;
int stt_deepgram_standin(const struct vs_world *w, vs_wctx *wc);
#endif
