/* The stand-in world hook (standin.c). */
#ifndef LLM_ANTHROPIC_STANDIN_H
#define LLM_ANTHROPIC_STANDIN_H
#include "vstress/plugin.h"
struct vs_world;
int llm_anthropic_standin(const struct vs_world *w, vs_wctx *wc);
#endif
