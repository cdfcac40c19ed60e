/* The INI manifest: every conf.d .ini file in lexical order, then each --config.
 * A later entry overrides an earlier one; a section "name:profile" overlays
 * "name" when that profile is active.  Values are interpolated from the
 * environment (${VAR}, ${VAR:-default}, $$ for a dollar) when read. */
#ifndef VS_CONFIG_H
#define VS_CONFIG_H

#include <stddef.h>

#include "common.h"

struct vs_entry {
	char *section;  /* base section name, without ":profile" */
	char *profile;  /* NULL for the base section */
	char *key;
	char *value;    /* raw, before interpolation */
	const char *file; /* points into vs_config.files */
	int line;
};

/* Where a section was first seen, for messages about the section itself. */
struct vs_section {
	char *name;
	char *profile;
	const char *file;
	int line;
};

struct vs_config {
	struct vs_entry *e;
	size_t n, cap;
	struct vs_section *s;
	size_t ns, caps;
	char **files;
	size_t nfiles;
	char *profile; /* active profile */
	char **scratch; /* interpolated strings handed out (freed with the config) */
	size_t nscratch, capscratch;
};

void vs_config_init(struct vs_config *c);
void vs_config_free(struct vs_config *c);

/* Load a file, or every *.ini of a folder in lexical order.  On a parse
 * error fills err with "file:line: message" and returns -1. */
int vs_config_load(struct vs_config *c, const char *path, struct vs_err *err);
/* Add one entry from the command line (--set section.key=value). */
int vs_config_set(struct vs_config *c, const char *assignment, struct vs_err *err);

/* The effective entry for section/key under the active profile, or NULL. */
const struct vs_entry *vs_config_entry(const struct vs_config *c, const char *section, const char *key);
/* Effective, interpolated value (owned by the config), or NULL when unset.
 * A malformed reference (unterminated ${) is an error in err. */
const char *vs_config_get(struct vs_config *c, const char *section, const char *key, struct vs_err *err);
/* Interpolate one string; returns a malloc'd string or NULL with err set. */
char *vs_interpolate(const char *raw, struct vs_err *err);

const struct vs_section *vs_config_section(const struct vs_config *c, const char *name);

/* sha256 over the effective configuration, secrets excluded by the callback
 * (returns non-zero for a key whose value must not enter the digest).
 * out receives "sha256:<hex>". */
void vs_config_digest(struct vs_config *c, int (*is_secret)(const char *section, const char *key, void *arg),
		      void *arg, char out[80]);

#endif
