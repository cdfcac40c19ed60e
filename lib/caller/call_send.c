/* Writing to the agent, shared by the engine, the script cursor and the
 * receive path: one text message, the marks now due, the listening clock. */
#include <stdlib.h>
#include <string.h>

#include "call_int.h"
#include "vstress/telnyx/media_msg.h"

int64_t call_listen_idx(const struct vs_call *c, uint64_t t)
{
	if (!c->t0 || t < c->t0)
		return 0;
	return (int64_t)((t - c->t0) * CALL_RATE / 1000000000ull);
}

int call_send_text(struct vs_call *c, char *msg)
{
	int rc;

	if (!msg)
		return -1;
	rc = ws_conn_send(&c->ws, WS_OP_TEXT, msg, strlen(msg));
	free(msg);
	return rc;
}

void call_flush_marks(struct vs_call *c)
{
	char *name;

	while ((name = call_ear_due_mark(&c->ear))) {
		if (call_send_text(c, vs_media_mark(c->stream_id, ++c->seq, name)) == 0)
			c->res.marks_echoed++;
		free(name);
	}
}
