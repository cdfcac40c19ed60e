/* Telnyx Call Control v2 webhook envelopes and their signing headers
 * (telnyx-protocol.md §1-2): {"data":{"event_type","id","occurred_at",
 * "payload":{...},"record_type":"event"},"meta":{"attempt","delivered_to"}}. */
#ifndef VSTRESS_UTIL_TELNYX_EVENT_H
#define VSTRESS_UTIL_TELNYX_EVENT_H
#include <stddef.h>
#include <stdint.h>

#include "vstress/crypto/ed25519.h"

enum vs_telnyx_ev {
	VS_TEV_CALL_INITIATED = 0,
	VS_TEV_CALL_ANSWERED,
	VS_TEV_CALL_HANGUP,
	VS_TEV_STREAMING_STARTED,
	VS_TEV_STREAMING_STOPPED,
	VS_TEV_DTMF_RECEIVED,
	VS_TEV_SPEAK_STARTED, /* after a `speak` command */
	VS_TEV_SPEAK_ENDED,   /* status "completed" */
};

/* One simulated call leg: identifiers in Telnyx's shapes. */
struct vs_telnyx_call {
	char call_control_id[96]; /* "v3:" + 54 url-safe base64 chars */
	char call_leg_id[40];     /* uuid (v1-looking) */
	char call_session_id[40]; /* uuid */
	char connection_id[24];   /* 19 digits */
	char from[24], to[24];    /* E.164 */
	char start_time[32];      /* ISO 8601 UTC with microseconds */
	const char *client_state; /* borrowed; base64 or NULL (JSON null) */
	const char *stream_url;   /* borrowed; streaming.* events */
	const char *direction;    /* NULL = "incoming" */
};

/* Fill ids, start_time (now) and from/to (NULL = generated numbers) from
 * rng (splitmix64 state; replayable) or OpenSSL randomness when rng NULL. */
void vs_telnyx_call_init(struct vs_telnyx_call *c, uint64_t *rng, const char *from, const char *to);

struct vs_telnyx_event_opts {
	const char *event_id;     /* NULL = new uuid4 */
	const char *occurred_at;  /* NULL = now */
	int attempt;              /* meta.attempt; 0 = 1 */
	const char *delivered_to; /* meta.delivered_to; NULL = omit meta.delivered_to */
	const char *digit;        /* call.dtmf.received */
	const char *hangup_cause; /* call.hangup; NULL = "normal_clearing" */
	const char *hangup_source;   /* NULL = "caller" */
	const char *sip_hangup_cause; /* NULL = "200" */
};

const char *vs_telnyx_event_name(enum vs_telnyx_ev ev);
/* The envelope as a malloc'd compact JSON string, or NULL. */
char *vs_telnyx_event_build(enum vs_telnyx_ev ev, const struct vs_telnyx_call *c,
			    const struct vs_telnyx_event_opts *o, uint64_t *rng);

/* Headers for one delivery: telnyx-timestamp and telnyx-signature-ed25519
 * (base64 Ed25519 over "<timestamp>|<body>"). ts 0 = time(NULL). */
struct vs_telnyx_headers {
	char timestamp[24];
	char signature[VS_ED25519_SIG_B64_LEN + 1];
};
int vs_telnyx_sign_headers(const struct vs_ed25519_key *k, long long ts, const char *body, size_t len,
			   struct vs_telnyx_headers *h);

/* Helpers: uuid4 text (36 chars + NUL); ISO 8601 "YYYY-MM-DDTHH:MM:SS.uuuuuuZ". */
void vs_uuid4(char out[37], uint64_t *rng);
void vs_iso8601_now(char out[32]);
uint64_t vs_splitmix64(uint64_t *state);

#endif
