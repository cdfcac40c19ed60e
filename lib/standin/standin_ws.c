/* WebSocket helpers of the stand-ins: see vstress/standin/standin_ws.h. */
#include "vstress/standin/standin_ws.h"

#include <stdlib.h>
#include <string.h>

int vs_st_ws_send_json(const struct vs_world *w, vs_ws *ws, uint32_t delay_ms, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!s)
		return -1;
	int rc = w->ws_send_text(ws, delay_ms, s, strlen(s));
	free(s);
	return rc;
}
