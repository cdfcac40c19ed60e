/* Media-stream messages (lib/telnyx/media_msg.c): what an agent sends to
 * the caller over the media WebSocket (and what Telnyx sends it), parsed
 * with the payload limits the call engine uses.  The call engine's fast
 * path (lib/caller/call_fastmsg.c) must agree with the parser on every
 * message it accepts: a media event with the same payload. */
#include "fuzz.h"

#include "lib/caller/call_fastmsg.h"
#include "vstress/telnyx/media_msg.h"

static void fast_agrees(const uint8_t *data, size_t size)
{
	uint8_t out[4096];
	size_t n = 0;
	struct vs_media_msg m;
	char err[256];

	if (call_fast_media((const char *)data, size, out, sizeof out, &n) != 0)
		return;
	if (vs_media_parse((const char *)data, size, sizeof out, &m, err, sizeof err) != 0 || m.event != VS_MEV_MEDIA ||
	    m.payload_len != n || (n && memcmp(m.payload, out, n) != 0))
		abort();
	vs_media_msg_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = {0, 160, 4096};
	struct vs_media_msg m;
	char err[256];

	if (size > 1 << 20)
		return 0;
	fast_agrees(data, size);
	for (size_t k = 0; k < sizeof limits / sizeof *limits; k++) {
		memset(&m, 0x5a, sizeof m); /* the parser must fill what it uses */
		err[0] = '\0';
		int rc = vs_media_parse((const char *)data, size, limits[k], &m, err, sizeof err);
		if (rc == 0) {
			if (m.payload_len && !m.payload)
				abort();
			if (limits[k] && m.payload_len > limits[k])
				abort();
			if (!memchr(m.stream_id, '\0', sizeof m.stream_id) || !memchr(m.track, '\0', sizeof m.track) ||
			    !memchr(m.event_name, '\0', sizeof m.event_name))
				abort();
			(void)vs_media_event_name(m.event);
		} else if (!err[0]) {
			abort();
		}
		vs_media_msg_free(&m);
	}
	return 0;
}
