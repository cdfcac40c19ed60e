/* Option reading that the call-placing plugins (pipeline, load, resources,
 * errors) share: an interruptible sleep, URLs joined from base + path, the
 * caller scripts of a comma-separated list, loaded (and rendered) once, the
 * test tenant; and (optbind.h, which any plugin may use alone) the option
 * table binding and bounded integers and durations. */
#ifndef VSTRESS_UTIL_PLUGOPT_H
#define VSTRESS_UTIL_PLUGOPT_H

#include <stddef.h>

#include "vstress/plugin.h"
#include "vstress/caller/call.h"
#include "vstress/caller/telnyx_call.h"

#include "vstress/callphase/optbind.h"

/* base (trailing slashes dropped) + "/" + path; "" when path is "". */
void vs_popt_url(char *out, size_t len, const char *base, const char *path);
/* The scripts of the comma list in option `key`, appended to *scripts
 * (realloc'd; free each with vs_call_script_free, then the array).
 * VS_OK; VS_ECONFIG with a reason naming the file and line, or when the
 * list is empty; VS_ERROR out of memory. */
/* Setup's first step: the plugin's state, size bytes zeroed, stored in
 * *state (teardown frees it whatever setup returned); NULL when out of
 * memory. */
void *vs_popt_state(void **state, size_t size);
/* Sleeps ms in slices of at most 100 ms, cut short when the core asks the
 * plugin to stop (should_stop). */
void vs_popt_sleep(const struct vs_host *h, vs_ctx *c, long long ms);
int vs_popt_scripts(const struct vs_host *h, vs_ctx *c, const char *section, const char *key,
		    struct vs_call_script ***scripts, size_t *n);

/* The test tenant routing cfg->number, created in setup: VS_OK (logged),
 * VS_SKIP without a database URL, VS_FAIL when it cannot be created; the
 * reason names [section].  vs_popt_tenant_remove (teardown) removes
 * exactly what was created; a failure is logged, and -1. */
int vs_popt_tenant(const struct vs_host *h, vs_ctx *c, const char *section, const struct vs_tenant_cfg *cfg,
		   struct vs_tenant *t);
int vs_popt_tenant_remove(const struct vs_host *h, vs_ctx *c, const struct vs_tenant_cfg *cfg, struct vs_tenant *t);

#endif
