/* Which plugins run, in what order: manifest sections and --only/--skip
 * select, `depends` plus descriptor `requires` order (topologically). */
#ifndef VS_PLAN_H
#define VS_PLAN_H

#include <stddef.h>

#include "common.h"
#include "config.h"
#include "registry.h"

struct vs_selection {
	char **only;  /* NULL-terminated or NULL */
	char **skip;
	int no_deps;
};

struct vs_item {
	char *name;
	struct vs_loaded *pl; /* never NULL in a built plan */
	char **deps;          /* names, NULL-terminated */
	size_t ndeps;
	char *skip_reason;    /* decided before running (dependency disabled) */
	long long timeout_ms;
};

struct vs_plan {
	struct vs_item *items; /* in run order */
	size_t n;
	int needs_world;  /* a selected plugin depends on the built-in service "world" */
	int needs_target; /* ... or on "target" (the system under test) */
};

/* "world" and "target" are services the core starts, not plugins; plugins
 * name them in requires/depends like any dependency. */
int vs_is_service(const char *name);

/* Names of the core's own sections and their keys. */
int vs_core_section(const char *name);
/* Validate every section and key of the manifest against the core's
 * sections and the plugins' declared options.  Collects up to `max`
 * messages "file:line: ..." into msgs (malloc'd); returns their count. */
size_t vs_validate(struct vs_config *c, struct vs_registry *r, char **msgs, size_t max);
int vs_plan_build(struct vs_config *c, struct vs_registry *r, const struct vs_selection *sel, struct vs_plan *out,
		  struct vs_err *err);
void vs_plan_free(struct vs_plan *p);

#endif
