/* Media-stream messages (lib/telnyx/media_msg.c): what an agent sends to
 * the caller over the media WebSocket (and what Telnyx sends it), parsed
 * with the payload limits the call engine uses. */
#include "fuzz.h"

#include "vstress/telnyx/media_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = {0, 160, 4096};
	struct vs_media_msg m;
	char err[256];

	if (size > 1 << 20)
		return 0;
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
