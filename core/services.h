/* The services a run starts before its plugins: the world (stand-ins for
 * every outside party, `vstress world` as a child process) and the target
 * (the system under test, launched from [target] or attached to).  Their
 * URLs reach plugins and the target through environment variables:
 *   VSTRESS_WORLD_URLS       path of the world's URL file (JSON)
 *   VSTRESS_WORLD_CONTROL    the world's control API base URL
 *   VSTRESS_WORLD_<NAME>_HTTP / _WS   each stand-in's base URLs
 *   VSTRESS_TARGET_URL, VSTRESS_TARGET_PID, VSTRESS_TARGET_PORT
 *   VSTRESS_TELNYX_PUBLIC_KEY (base64) and VSTRESS_TELNYX_SIGNING_SEED
 *     (base64, withheld from the target): the run's webhook signing key,
 *     and VSTRESS_WORLD_TOKEN (withheld from the target): the world's
 *     control token; both set by vs_runsecrets_export (core/runsecrets.h). */
#ifndef VS_SERVICES_H
#define VS_SERVICES_H

#include <jansson.h>
#include <sys/types.h>

#include "plan.h"
#include "registry.h"
#include "run.h"

struct vs_service {
	const char *name;
	pid_t pid;       /* 0 when not started by us */
	int started;     /* launched or attached and ready */
	char *error;     /* why it is not available */
	char *log;       /* file name in the run folder */
	double ready_ms;
};

struct vs_services {
	struct vs_service world, target;
	json_t *world_urls; /* the world's URL file, parsed */
};

/* Start what the plan needs.  Never fails the process: a service that
 * cannot start has .error set and plugins depending on it are skipped. */
void vs_services_start(struct vs_services *s, struct vs_run *run, struct vs_plan *plan, struct vs_registry *reg);
void vs_services_stop(struct vs_services *s, struct vs_run *run);
/* Status of a service for the dependency gate: NULL when available, else why not. */
const char *vs_service_unavailable(struct vs_services *s, const char *name);
json_t *vs_services_json(struct vs_services *s);
void vs_services_free(struct vs_services *s);

#endif
