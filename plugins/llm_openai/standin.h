/* The OpenAI stand-in's world hook (standin.c). */
#ifndef LLM_OPENAI_STANDIN_H
#define LLM_OPENAI_STANDIN_H
#include "vstress/plugin.h"
struct vs_world;
int llm_openai_standin(const struct vs_world *w, vs_wctx *wc);
#endif
