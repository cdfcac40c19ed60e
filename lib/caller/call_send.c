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

static char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}
#define PUT(p, lit) put(p, lit, sizeof(lit) - 1)

static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		*p++ = tmp[--n];
	return p;
}

size_t call_media_text(char *buf, size_t cap, const char *stream_id, size_t idlen, uint64_t seq, uint64_t k,
		       const uint8_t fr[CALL_FRAME])
{
	/* the literal parts, three 20-digit numbers, the payload and the id */
	enum { FIXED = 128 + 3 * 20 + (CALL_FRAME + 2) / 3 * 4 };
	char *p = buf;
	long b;

	if (cap < FIXED + idlen)
		return 0;
	p = PUT(p, "{\"event\":\"media\",\"sequence_number\":\"");
	p = put_u64(p, seq);
	p = PUT(p, "\",\"media\":{\"track\":\"inbound\",\"chunk\":\"");
	p = put_u64(p, k + 1);
	p = PUT(p, "\",\"timestamp\":\"");
	p = put_u64(p, k * 20);
	p = PUT(p, "\",\"payload\":\"");
	b = vs_b64_encode(fr, CALL_FRAME, p, cap - (size_t)(p - buf));
	if (b < 0)
		return 0;
	p += b;
	p = PUT(p, "\"},\"stream_id\":\"");
	p = put(p, stream_id, idlen);
	p = PUT(p, "\"}");
	return (size_t)(p - buf);
}

/* The caller's `media` message for frame k, byte for byte what
 * vs_media_media() writes (compact, keys in the same order), without
 * building a JSON tree or formatting: this runs for every frame of every
 * call (lib/caller/tests/test_call_send.c compares the two). */
int call_send_media(struct vs_call *c, uint64_t k, const uint8_t fr[CALL_FRAME])
{
	char buf[640];
	uint64_t seq = ++c->seq;
	size_t n = c->stream_id_plain ? call_media_text(buf, sizeof(buf), c->stream_id, c->stream_id_len, seq, k, fr) : 0;

	if (!n)
		return call_send_text(c, vs_media_media(c->stream_id, seq, "inbound", k + 1, k * 20, fr, CALL_FRAME));
	return ws_conn_send(&c->ws, WS_OP_TEXT, buf, n);
}

void call_send_init(struct vs_call *c)
{
	c->stream_id_plain = json_plain(c->stream_id);
	c->stream_id_len = strlen(c->stream_id);
}
