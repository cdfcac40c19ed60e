/* One whole simulated Telnyx call: signed webhooks, the answer observed
 * through the world's control API, the media leg, the end webhooks and the
 * recorded Call Control commands.  See vstress/caller/telnyx_call.h.
 * vs_tcall_run is one call on a flow of its own: the steps are
 * lib/caller/callflow.c's (what they check first: telnyx_call_prep.c);
 * [target] telephony = texml (or an XML answer to call.initiated under
 * auto) goes on in texml_call.c. */
#include "vstress/caller/telnyx_call.h"

#include "vstress/caller/callflow.h"

#include "telnyx_call_int.h"

static void one_done(void *arg, int rc)
{
	*(int *)arg = rc;
}

/* One call on a flow of its own (lib/caller/callflow.c): the same steps
 * many calls take together, run to the end here. */
int vs_tcall_run(struct vs_call_engine *eng, const struct vs_call_script *script, const struct vs_tcall_cfg *cfg,
		 struct vs_tcall_result *out)
{
	struct vs_cflow *f;
	int rc = -1;

	tc_result_init(out);
	if (vs_cflow_new(&f, eng, out->error, sizeof(out->error)) != 0)
		return -1;
	if (vs_cflow_add(f, script, cfg, out, one_done, &rc) == 0)
		vs_cflow_run(f, NULL, NULL);
	vs_cflow_free(f);
	return rc;
}
