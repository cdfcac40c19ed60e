/* setup plugin: environment checks of the stress-test plan's Phase 1: API
 * keys per plugin, the database URL, the target, the Telnyx signing key,
 * versions. */
#ifndef VSTRESS_SETUP_H
#define VSTRESS_SETUP_H

#include <stddef.h>

#include <jansson.h>

#include <vstress/plugin.h>

#define SETUP_VERSION "1.0.0"

struct setup {
	const struct vs_host *h;
	vs_ctx *c;
	json_t *data;
};

extern const struct vs_option setup_options[]; /* setup_plugin.c */

/* setup_util.c */
char *setup_opt(struct setup *s, const char *key); /* expanded option, "" when unset; malloc'd */
/* Comma list -> NULL-terminated array of trimmed malloc'd strings. */
char **setup_split(const char *v, char sep);
void setup_strv_free(char **v);

/* the checks */
void setup_env(struct setup *s);      /* setup_env.c */
void setup_db(struct setup *s);       /* setup_db.c */
void setup_target(struct setup *s);   /* setup_target.c */
void setup_imports(struct setup *s);  /* setup_imports.c: the target's interpreter, imports, pins */

/* setup_pins.c */
struct pin {
	char *name; /* normalised: lower case, runs of -_. as one - */
	char *version;
	int line;
};
/* The == pins of a requirements file (*n of them; *unpinned lines without
 * one), or NULL with why when it cannot be read. */
struct pin *setup_read_pins(const char *file, size_t *n, size_t *unpinned, char *why, size_t len);
/* target.requirements from the interpreter's report (its "installed" object). */
void setup_check_pins(struct setup *s, const json_t *rep, const char *file, const struct pin *pins, size_t n,
		      size_t unpinned);
void setup_telnyx(struct setup *s);   /* setup_versions.c */
void setup_versions(struct setup *s); /* setup_versions.c */

#endif
