/* The per-turn waterfalls of a phase's calls (docs/waterfall.md): the
 * caller's turns of every call, the world's records read from its control
 * API, tied together by lib/waterfall. */
#ifndef VSTRESS_CALLPHASE_WFCALLS_H
#define VSTRESS_CALLPHASE_WFCALLS_H

#include <stddef.h>

#include "vstress/plugin.h"
#include "vstress/caller/call.h"
#include "vstress/caller/telnyx_call.h"

/* One call of the phase (r NULL: the call did not run). */
struct vs_wfc_call {
	const struct vs_tcall_result *r;
	const struct vs_call_script *script;
};

/* rows[i]: a new JSON array of call i's turn rows (vs_wf_row), NULL when it
 * has no caller turn with a reply.  control_url NULL or "", or a world that
 * does not answer: every world stage unknown (live mode), *note says why.
 * 0, or -1 on OOM. */
int vs_wfc_compute(const char *control_url, const struct vs_wfc_call *calls, size_t n, json_t **rows, char *note,
		   size_t notelen);

/* The phase's waterfall summary ws (vs_wf_summary) under summary's
 * "waterfall" (ws is stolen), with the note when there is one, and a log
 * line saying how many caller turns were attributed. */
void vs_wfc_publish(const struct vs_host *h, vs_ctx *c, json_t *summary, json_t *ws, const char *note);

#endif
