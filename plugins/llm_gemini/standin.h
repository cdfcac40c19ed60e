/* The stand-in world hook (standin.c). */
#ifndef LLM_GEMINI_STANDIN_H
#define LLM_GEMINI_STANDIN_H
#include "vstress/plugin.h"
struct vs_world;
int llm_gemini_standin(const struct vs_world *w, vs_wctx *wc);
#endif
