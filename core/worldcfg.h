/* What the world is given (docs/world.md, "Configuration"): the resolved
 * configuration and the plugins with a world hook, both found by the core's
 * own code (config.c, registry.c), as one JSON document:
 *   {"profile": P, "conf": [[section, key, value], ...],
 *    "plugins": [{"name": N, "path": F}, ...], "unusable": [{"name","path","error"}]}
 * `vstress run` hands it to the world it spawns; `vstress world` standalone
 * builds it the same way.  core/main.c turns it into world/main.h's setup. */
#ifndef VS_WORLDCFG_H
#define VS_WORLDCFG_H

#include <jansson.h>
#include <stdio.h>

#include "config.h"
#include "registry.h"

/* The effective entry of every section/key under the active profile
 * (overlays, --set applied), interpolated, in file order; and every loaded
 * plugin whose descriptor has a world hook, by name, taken from its
 * section's `path =` when set.  only: NULL, or names to keep.  NULL with
 * err set on a malformed value (file:line). */
json_t *vs_worldcfg_resolve(struct vs_config *c, struct vs_registry *r, char *const *only, struct vs_err *err);

/* The descriptor's world hook when struct_size covers it, else NULL. */
int vs_plugin_has_world(const struct vs_plugin *d);

/* Writes the document to an unlinked temporary file (it holds the keys
 * the stand-ins check, so it never lands in the results) and returns it
 * rewound, or NULL. */
FILE *vs_worldcfg_tmpfile(const json_t *given);


#endif
