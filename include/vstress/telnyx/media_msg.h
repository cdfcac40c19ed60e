/* Telnyx media-stream WebSocket messages (docs: telnyx-protocol.md §5).
 *
 * Builders return a malloc'd compact JSON string (free() it) or NULL on
 * allocation failure.  sequence_number, chunk and timestamp are JSON strings,
 * as Telnyx sends them.  The parser accepts hostile input: any JSON (or not
 * JSON) yields 0 with a filled struct or -1 with a reason, never a crash;
 * numbers are accepted as strings or integers. */
#ifndef VSTRESS_UTIL_MEDIA_MSG_H
#define VSTRESS_UTIL_MEDIA_MSG_H
#include <stddef.h>
#include <stdint.h>

/* Everything a `start` message carries. NULL strings are sent as JSON null
 * (client_state) or omitted. */
struct vs_stream_info {
	const char *stream_id;
	const char *user_id;
	const char *call_control_id;
	const char *call_session_id;
	const char *from;
	const char *to;
	const char *client_state;
	const char *encoding; /* NULL = "PCMU" */
	int sample_rate;      /* 0 = 8000 */
	int channels;         /* 0 = 1 */
	/* appended */
	const char *custom_parameters_json; /* a JSON object: start.custom_parameters (NULL: omitted) */
};

/* --- Telnyx -> agent ---------------------------------------------------- */
char *vs_media_connected(void);
char *vs_media_start(const struct vs_stream_info *s, uint64_t seq);
/* One media message: payload = raw codec bytes (base64-encoded here);
 * track "inbound" for the caller's audio. */
char *vs_media_media(const char *stream_id, uint64_t seq, const char *track, uint64_t chunk,
		     uint64_t timestamp, const uint8_t *payload, size_t n);
char *vs_media_dtmf(const char *stream_id, uint64_t seq, const char *digit, const char *occurred_at);
char *vs_media_stop(const struct vs_stream_info *s, uint64_t seq);
/* A mark echoed back once the agent's audio before it has played. */
char *vs_media_mark(const char *stream_id, uint64_t seq, const char *name);
char *vs_media_error(const char *stream_id, int code, const char *title, const char *detail);

/* --- agent -> Telnyx ---------------------------------------------------- */
char *vs_media_out_media(const uint8_t *payload, size_t n);
char *vs_media_out_mark(const char *name);
char *vs_media_out_clear(void);

/* --- parsing (either direction) ---------------------------------------- */
enum vs_media_event {
	VS_MEV_UNKNOWN = 0,
	VS_MEV_CONNECTED,
	VS_MEV_START,
	VS_MEV_MEDIA,
	VS_MEV_DTMF,
	VS_MEV_STOP,
	VS_MEV_MARK,
	VS_MEV_CLEAR,
	VS_MEV_ERROR,
};

#define VS_MEDIA_ID_MAX 128

struct vs_media_msg {
	enum vs_media_event event;
	char event_name[32];          /* as received (truncated), for unknown events */
	char stream_id[VS_MEDIA_ID_MAX];
	int has_seq;
	uint64_t seq;
	/* media */
	uint8_t *payload;             /* malloc'd decoded bytes, or NULL */
	size_t payload_len;
	char track[16];
	int has_chunk, has_timestamp;
	uint64_t chunk, timestamp;
	/* mark */
	char mark_name[VS_MEDIA_ID_MAX];
	/* dtmf */
	char digit[8];
	/* start */
	char call_control_id[VS_MEDIA_ID_MAX];
	char encoding[16];
	int sample_rate, channels;
	/* error */
	long long error_code;
	char error_title[64];
};

/* Parse len bytes of text (need not be NUL-terminated).  0 on success (the
 * event may still be VS_MEV_UNKNOWN), -1 with err on malformed input:
 * not JSON, not an object, no "event" string, wrong types, bad base64,
 * over-long identifiers, payload over max_payload bytes (0 = 1 MiB).
 * Call vs_media_msg_free() in both cases. */
int vs_media_parse(const char *text, size_t len, size_t max_payload, struct vs_media_msg *m, char *err,
		   size_t errlen);
void vs_media_msg_free(struct vs_media_msg *m);
const char *vs_media_event_name(enum vs_media_event e);

#endif
