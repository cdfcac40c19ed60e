/* `vstress world`: the stand-in server process.  The command line is the
 * core's (core/main.c): it resolves the configuration (profiles, --set,
 * ${VAR}) and loads the plugins through the core's registry, then hands the
 * world the result.  The world reads no manifest and loads no plugin itself. */
#ifndef VSTRESS_WORLD_MAIN_H
#define VSTRESS_WORLD_MAIN_H

#include <stddef.h>

#include "vstress/plugin.h"

/* One resolved configuration entry: the effective value of section.key
 * under the active profile, interpolated.  Copied by the world. */
struct vs_world_entry {
	const char *section, *key, *value;
};

/* A plugin the registry loaded and checked whose descriptor has a world
 * hook (desc->world, covered by struct_size). */
struct vs_world_plugin {
	const char *name;
	const struct vs_plugin *desc;
};

struct vs_world_setup {
	const struct vs_world_entry *conf;
	size_t nconf;
	const struct vs_world_plugin *plugins; /* their world hooks run in this order */
	size_t nplugins;
	const char *urls_file;   /* .json, else KEY=VALUE lines; NULL: none */
	const char *seed;        /* NULL: [world] seed, else 1 */
	const char *pg_upstream; /* HOST:PORT; NULL: [world] pg_upstream */
	long port_base;          /* -1: [world] port_base (0 = ephemeral ports) */
	int verbose;             /* -1 quiet (warnings only), 0, 1 -v, 2 -vv */
};

/* Serves every plugin's stand-in on 127.0.0.1 until SIGINT/SIGTERM.
 * Returns the process exit code. */
int vs_world_main(const struct vs_world_setup *s);

#endif
