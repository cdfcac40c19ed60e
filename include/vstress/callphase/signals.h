/* A plugin reading the agent's declared signals ([target] signal.<name>,
 * vstress/observe/signal.h) from the manifest. */
#ifndef VSTRESS_CALLPHASE_SIGNALS_H
#define VSTRESS_CALLPHASE_SIGNALS_H

#include <vstress/observe/signal.h>
#include <vstress/plugin.h>

/* VS_OK, or VS_ECONFIG with the reason naming the key (core/plan.c refuses
 * a bad selector before a run; this covers a plugin run on its own). */
int vs_popt_signal(const struct vs_host *h, vs_ctx *c, const char *name, struct vs_signal *s);

/* A label list option of the plugin's own (e.g. [errors] breaker_labels):
 * VS_OK, or VS_ECONFIG naming [section] key. */
int vs_popt_labels(const struct vs_host *h, vs_ctx *c, const char *section, const char *key, struct vs_signal *s);

#endif
