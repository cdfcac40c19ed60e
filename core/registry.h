/* Plugin discovery and loading: dlopen(RTLD_NOW|RTLD_LOCAL), one symbol,
 * ABI and descriptor checks before anything else is read. */
#ifndef VS_REGISTRY_H
#define VS_REGISTRY_H

#include <stddef.h>

#include <vstress/plugin.h>

struct vs_loaded {
	char *name;  /* descriptor name, or the file's basename when unloadable */
	char *path;
	void *dl;
	const struct vs_plugin *desc; /* NULL when the load failed */
	char *error;                  /* why it could not be loaded, or NULL */
	char *shadows;                /* path of a same-named plugin found later, or NULL */
};

struct vs_registry {
	struct vs_loaded *p;
	size_t n;
	char **dirs;
	size_t ndirs;
};

void vs_registry_init(struct vs_registry *r);
void vs_registry_free(struct vs_registry *r);
void vs_registry_add_dir(struct vs_registry *r, const char *dir);
/* Load every regular *.so in the search folders, first folder first; a
 * name found again later is recorded as shadowed, not loaded twice. */
void vs_registry_scan(struct vs_registry *r);
/* Load one file explicitly (manifest path=); replaces a scanned one. */
struct vs_loaded *vs_registry_load_path(struct vs_registry *r, const char *name, const char *path);
struct vs_loaded *vs_registry_find(struct vs_registry *r, const char *name);
/* The closest known plugin name to `name`, or NULL. */
const char *vs_registry_suggest(const struct vs_registry *r, const char *name);
/* The minimum descriptor size this core accepts (ABI 1 without optional tail). */
size_t vs_plugin_min_size(void);
/* Option lookup in a descriptor. */
const struct vs_option *vs_plugin_option(const struct vs_plugin *p, const char *key);

#endif
