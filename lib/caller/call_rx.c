/* What the caller does with each complete agent message: parse it, play
 * media into the ear (decoded and VADed, every frame), answer marks,
 * honour clear, count and quote what is malformed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_int.h"
#include "call_fastmsg.h"
#include "vstress/telnyx/media_msg.h"
#include "vstress/audio/ulaw.h"

/* The first bad message: the parser's reason and a quoted, printable excerpt. */
static void note_bad(struct vs_call *c, const char *why, const char *text, size_t len)
{
	char q[64];
	size_t j = 0;

	if (!strncmp(why, "not JSON", 8))
		c->res.bad_json++;
	else if (strstr(why, "base64"))
		c->res.bad_base64++;
	else
		c->res.bad_fields++;
	if (c->res.first_bad[0])
		return;
	for (size_t i = 0; i < len && j + 5 < sizeof(q); i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch >= 0x20 && ch < 0x7f)
			q[j++] = (char)ch;
		else
			j += (size_t)snprintf(q + j, sizeof(q) - j, "\\x%02x", ch);
	}
	q[j] = '\0';
	snprintf(c->res.first_bad, sizeof(c->res.first_bad), "%.100s (message: '%s%s')", why, q, j < len ? "..." : "");
}

/* Agent audio: played on arrival or queued behind what plays, at most
 * VS_CALL_MAX_AHEAD_MS ahead (beyond that it is faster than real time:
 * dropped and reported). */
static void on_agent_media(struct vs_call *c, const struct vs_media_msg *m, uint64_t now)
{
	const size_t max_ahead = (size_t)VS_CALL_MAX_AHEAD_MS * CALL_RATE / 1000;
	int16_t small[1024], *pcm;

	c->res.frames_received++;
	c->res.samples_received += m->payload_len;
	if (!c->first_media_ns)
		c->first_media_ns = now;
	c->last_media_ns = now;
	c->res.agent_audio_ms = (double)c->res.samples_received * 1000.0 / CALL_RATE;
	c->res.agent_wall_ms = (double)(c->last_media_ns - c->first_media_ns) / 1e6;
	if (!c->t0 || !m->payload_len)
		return;
	/* play out what is due before queueing, so the queue anchors at now */
	call_ear_advance(&c->ear, call_listen_idx(c, now));
	if (c->ear.qlen && c->ear.qlen + m->payload_len > max_ahead) {
		c->res.audio_dropped_ms += (double)m->payload_len * 1000.0 / CALL_RATE;
		return;
	}
	/* the usual 20 ms frame decodes on the stack; a long chunk on the heap */
	pcm = m->payload_len <= 1024 ? small : malloc(m->payload_len * sizeof(*pcm));
	if (!pcm)
		return;
	vs_ulaw_decode_buf(m->payload, m->payload_len, pcm);
	call_ear_push(&c->ear, call_listen_idx(c, now), pcm, m->payload_len);
	if (pcm != small)
		free(pcm);
	if ((double)c->ear.qlen * 1000.0 / CALL_RATE > c->res.ahead_max_ms)
		c->res.ahead_max_ms = (double)c->ear.qlen * 1000.0 / CALL_RATE;
}

/* Marks: at most VS_CALL_MARK_BURST at once and VS_CALL_MARK_RATE a second. */
static int mark_allowed(struct vs_call *c, uint64_t now)
{
	if (!c->mark_ns) {
		c->mark_tokens = VS_CALL_MARK_BURST;
	} else {
		c->mark_tokens += (double)(now - c->mark_ns) / 1e9 * VS_CALL_MARK_RATE;
		if (c->mark_tokens > VS_CALL_MARK_BURST)
			c->mark_tokens = VS_CALL_MARK_BURST;
	}
	c->mark_ns = now;
	if (c->mark_tokens < 1.0)
		return 0;
	c->mark_tokens -= 1.0;
	return 1;
}

void call_message(struct vs_call *c, const char *text, size_t len)
{
	struct vs_media_msg m;
	char err[128];
	uint64_t now = call_now_ns();

	c->res.msgs_received++;
	{ /* the usual case first: a plain media message, no JSON tree */
		uint8_t pl[2048];
		struct vs_media_msg fm;

		memset(&fm, 0, sizeof(fm));
		if (call_fast_media(text, len, pl, sizeof(pl), &fm.payload_len) == 0) {
			fm.event = VS_MEV_MEDIA;
			fm.payload = pl;
			on_agent_media(c, &fm, now);
			return;
		}
	}
	if (vs_media_parse(text, len, VS_CALL_MAX_FRAME, &m, err, sizeof(err)) != 0) {
		c->res.bad_messages++;
		note_bad(c, err, text, len);
		goto out;
	}
	switch (m.event) {
	case VS_MEV_MEDIA:
		on_agent_media(c, &m, now);
		break;
	case VS_MEV_MARK:
		c->res.marks_received++;
		if (!mark_allowed(c, now)) {
			c->res.marks_dropped++;
			break;
		}
		call_ear_mark(&c->ear, m.mark_name);
		call_flush_marks(c);
		break;
	case VS_MEV_CLEAR:
		c->res.clears_received++;
		call_ear_advance(&c->ear, call_listen_idx(c, now));
		call_ear_clear(&c->ear, call_listen_idx(c, now));
		call_flush_marks(c);
		break;
	default:
		break;
	}
out:
	vs_media_msg_free(&m);
}
