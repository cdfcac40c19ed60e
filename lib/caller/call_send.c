/* Writing to the agent, shared by the engine, the script cursor and the
 * receive path: one text message, the marks now due, the listening clock. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_int.h"
#include "vstress/crypto/b64.h"
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

/* Bytes of s that JSON needs escaped: none for ids as generated. */
static int json_plain(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20 || (unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* The caller's `media` message for frame k, byte for byte what
 * vs_media_media() writes (compact, keys in the same order), without
 * building a JSON tree: this runs for every frame of every call. */
int call_send_media(struct vs_call *c, uint64_t k, const uint8_t fr[CALL_FRAME])
{
	char buf[512], b64[224];
	int n;

	if (!c->stream_id_plain) {
		char *msg = vs_media_media(c->stream_id, ++c->seq, "inbound", k + 1, k * 20, fr, CALL_FRAME);

		return call_send_text(c, msg);
	}
	if (vs_b64_encode(fr, CALL_FRAME, b64, sizeof(b64)) < 0)
		return -1;
	n = snprintf(buf, sizeof(buf),
		     "{\"event\":\"media\",\"sequence_number\":\"%" PRIu64 "\",\"media\":{\"track\":\"inbound\","
		     "\"chunk\":\"%" PRIu64 "\",\"timestamp\":\"%" PRIu64 "\",\"payload\":\"%s\"},\"stream_id\":\"%s\"}",
		     ++c->seq, k + 1, k * 20, b64, c->stream_id);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		char *msg = vs_media_media(c->stream_id, c->seq, "inbound", k + 1, k * 20, fr, CALL_FRAME);

		return call_send_text(c, msg);
	}
	return ws_conn_send(&c->ws, WS_OP_TEXT, buf, (size_t)n);
}

void call_send_init(struct vs_call *c)
{
	c->stream_id_plain = json_plain(c->stream_id);
}
