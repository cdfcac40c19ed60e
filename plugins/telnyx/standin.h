/* The Telnyx Call Control stand-in's world hook (standin.c). */
#ifndef TELNYX_STANDIN_H
#define TELNYX_STANDIN_H
#include "vstress/plugin.h"
struct vs_world;
int telnyx_standin(const struct vs_world *w, vs_wctx *wc);
#endif
