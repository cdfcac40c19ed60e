/* Many whole simulated Telnyx calls driven from one thread, without a
 * thread per call.  Each call takes the steps vs_tcall_run describes
 * (vstress/caller/telnyx_call.h) as a state machine:
 *
 *   - its HTTP requests (the signed webhooks to the agent, the world's
 *     logs) go out one at a time, in order, through one curl multi handle;
 *   - the world's Call Control command log reaches every call through one
 *     shared long-poll (GET /_vstress/events?topic=telnyx.command&since=),
 *     dispatched by call_control_id;
 *   - its media leg runs on the call engine, whose end wakes the loop.
 *
 * A call whose agent answers in TeXML ([target] telephony = texml, or an
 * XML answer to call.initiated under auto) goes on, blocking, on a thread
 * of its own (lib/caller/texml_call.c).
 *
 * Not thread-safe: one thread adds the calls and runs the loop (the tick
 * adds calls from inside it).  vs_tcall_run is one call on a flow of its
 * own; callbatch (vstress/caller/callbatch.h) is many. */
#ifndef VSTRESS_CALLER_CALLFLOW_H
#define VSTRESS_CALLER_CALLFLOW_H

#include <stddef.h>

#include "vstress/caller/telnyx_call.h"

struct vs_cflow;

/* eng may be NULL when every call is no_media.  0, or -1 with err. */
int vs_cflow_new(struct vs_cflow **out, struct vs_call_engine *eng, char *err, size_t errlen);

/* Adds a call; it starts when the loop next runs.  cfg is copied (its
 * strings are not: they, script and out must outlive the call).  out is
 * filled as vs_tcall_run fills it; done(arg, rc) is called from the loop
 * once the call has ended, rc as vs_tcall_run's.  Every call of a flow
 * reports to the same world (cfg->control_url).  0, or -1 (out of memory,
 * another control_url: out->error says which; done is not called). */
int vs_cflow_add(struct vs_cflow *f, const struct vs_call_script *script, const struct vs_tcall_cfg *cfg,
		 struct vs_tcall_result *out, void (*done)(void *arg, int rc), void *arg);

/* Runs until no call is left and tick (if any) says no more will come.
 * tick(arg, &more) is called on every turn of the loop: it may add the
 * calls that are due, sets *more = 0 once it will add none, and returns
 * the ms until it wants to be called again (-1: when something happens). */
void vs_cflow_run(struct vs_cflow *f, int (*tick)(void *arg, int *more), void *arg);

/* Calls added and not yet ended. */
size_t vs_cflow_active(const struct vs_cflow *f);

/* Ends what is still running (media legs aborted, TeXML threads joined;
 * their done callbacks are not called) and frees the flow. */
void vs_cflow_free(struct vs_cflow *f);

#endif
