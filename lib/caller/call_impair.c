/* Per-frame send impairments (jitter, loss): the hook point of
 * call_int.h's struct call_send_hook.  Nothing is impaired by default; the
 * impairment code (issue 19 item 7) sets c->send_hook here from the call's
 * script. */
#include "call_int.h"

int call_impair_attach(struct vs_call *c)
{
	(void)c;
	return 0;
}
