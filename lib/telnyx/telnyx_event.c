/* Telnyx v2 webhook envelopes with realistic fields, and signing headers. */
#include "vstress/telnyx/telnyx_event.h"

#include <inttypes.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

uint64_t vs_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t rnd64(uint64_t *rng)
{
	uint64_t v = 0;

	if (rng)
		return vs_splitmix64(rng);
	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)ts.tv_sec;
	}
	return v;
}

void vs_uuid4(char out[37], uint64_t *rng)
{
	uint64_t a = rnd64(rng), b = rnd64(rng);

	a = (a & ~0xF000ull) | 0x4000ull;                       /* version 4 */
	b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull; /* variant 10 */
	snprintf(out, 37, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64, a >> 32,
		 (a >> 16) & 0xFFFF, a & 0xFFFF, b >> 48, b & (uint64_t)0xFFFFFFFFFFFFull);
}

/* Telnyx leg ids look like time-based uuids: "b0e6224c-c81c-11f0-afbb-02420aef93a0". */
static void uuid1ish(char out[40], uint64_t *rng)
{
	uint64_t a = rnd64(rng), b = rnd64(rng);

	snprintf(out, 40, "%08" PRIx64 "-%04" PRIx64 "-11f0-%04" PRIx64 "-02420a%06" PRIx64, a >> 32,
		 (a >> 16) & 0xFFFF, (b >> 48) | 0x8000, b & 0xFFFFFF);
}

void vs_iso8601_now(char out[32])
{
	struct timeval tv;
	struct tm tm;

	char date[24];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%06uZ", date, (unsigned)(tv.tv_usec % 1000000));
}

static void e164(char out[24], uint64_t *rng)
{
	uint64_t v = rnd64(rng);

	/* +1 NPA NXX XXXX with NPA and NXX starting 2..9 */
	snprintf(out, 24, "+1%" PRIu64 "%02" PRIu64 "%" PRIu64 "%02" PRIu64 "%04" PRIu64, 2 + v % 8, (v >> 8) % 100,
		 2 + (v >> 16) % 8, (v >> 24) % 100, (v >> 32) % 10000);
}

void vs_telnyx_call_init(struct vs_telnyx_call *c, uint64_t *rng, const char *from, const char *to)
{
	static const char url64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint64_t r = 0;
	size_t p;

	memset(c, 0, sizeof(*c));
	memcpy(c->call_control_id, "v3:", 3);
	p = 3;
	for (int i = 0; i < 54; i++) {
		if (i % 10 == 0)
			r = rnd64(rng);
		c->call_control_id[p++] = url64[r & 63];
		r >>= 6;
	}
	c->call_control_id[p] = '\0';
	uuid1ish(c->call_leg_id, rng);
	uuid1ish(c->call_session_id, rng);
	snprintf(c->connection_id, sizeof(c->connection_id), "28%017" PRIu64, rnd64(rng) % (uint64_t)100000000000000000ull);
	if (from)
		snprintf(c->from, sizeof(c->from), "%s", from);
	else
		e164(c->from, rng);
	if (to)
		snprintf(c->to, sizeof(c->to), "%s", to);
	else
		e164(c->to, rng);
	vs_iso8601_now(c->start_time);
}

static const char *const tev_names[] = {
	[VS_TEV_CALL_INITIATED] = "call.initiated",         [VS_TEV_CALL_ANSWERED] = "call.answered",
	[VS_TEV_CALL_HANGUP] = "call.hangup",               [VS_TEV_STREAMING_STARTED] = "streaming.started",
	[VS_TEV_STREAMING_STOPPED] = "streaming.stopped",   [VS_TEV_DTMF_RECEIVED] = "call.dtmf.received",
	[VS_TEV_SPEAK_STARTED] = "call.speak.started",      [VS_TEV_SPEAK_ENDED] = "call.speak.ended",
};

const char *vs_telnyx_event_name(enum vs_telnyx_ev ev)
{
	if ((unsigned)ev >= sizeof(tev_names) / sizeof(tev_names[0]))
		return NULL;
	return tev_names[ev];
}

static int set_str(json_t *o, const char *k, const char *v)
{
	return json_object_set_new(o, k, v ? json_string(v) : json_null());
}

static json_t *build_payload(enum vs_telnyx_ev ev, const struct vs_telnyx_call *c,
			     const struct vs_telnyx_event_opts *o)
{
	json_t *p = json_object();
	char now[32], sip_from[64], sip_to[64];
	int bad = 0;

	if (!p)
		return NULL;
	vs_iso8601_now(now);
	/* common to every call event */
	bad |= set_str(p, "call_control_id", c->call_control_id);
	bad |= set_str(p, "call_leg_id", c->call_leg_id);
	bad |= set_str(p, "call_session_id", c->call_session_id);
	bad |= set_str(p, "client_state", c->client_state);
	bad |= set_str(p, "connection_id", c->connection_id);
	switch (ev) {
	case VS_TEV_CALL_INITIATED:
		snprintf(sip_from, sizeof(sip_from), "%s@206.147.72.186:5060", c->from[0] == '+' ? c->from + 2 : c->from);
		snprintf(sip_to, sizeof(sip_to), "%s@192.76.120.10:5060", c->to);
		bad |= set_str(p, "caller_id_name", c->from);
		bad |= set_str(p, "calling_party_type", "pstn");
		bad |= set_str(p, "connection_codecs", "PCMA,PCMU,VP8,H264");
		bad |= set_str(p, "direction", c->direction ? c->direction : "incoming");
		bad |= set_str(p, "from", c->from);
		bad |= set_str(p, "from_sip_uri", sip_from);
		bad |= set_str(p, "offered_codecs", "PCMU,G729");
		bad |= set_str(p, "start_time", c->start_time);
		bad |= set_str(p, "state", "parked");
		bad |= set_str(p, "to", c->to);
		bad |= set_str(p, "to_sip_uri", sip_to);
		bad |= json_object_set_new(p, "custom_headers", json_array());
		bad |= json_object_set_new(p, "sip_headers", json_array());
		bad |= json_object_set_new(p, "tags", json_array());
		break;
	case VS_TEV_CALL_ANSWERED:
		bad |= set_str(p, "codec", "PCMU");
		bad |= set_str(p, "from", c->from);
		bad |= json_object_set_new(p, "sampling_rate", json_integer(8000));
		bad |= set_str(p, "start_time", c->start_time);
		bad |= set_str(p, "state", "answered");
		bad |= set_str(p, "to", c->to);
		bad |= json_object_set_new(p, "custom_headers", json_array());
		bad |= json_object_set_new(p, "sip_headers", json_array());
		bad |= json_object_set_new(p, "tags", json_array());
		break;
	case VS_TEV_CALL_HANGUP:
		bad |= json_object_set_new(
			p, "call_quality_stats",
			json_pack("{s:{s:s, s:s, s:s, s:s, s:s}, s:{s:s, s:s}}", "inbound", "jitter_max_variance", "0.42",
				  "jitter_packet_count", "0", "mos", "4.50", "packet_count", "0", "skip_packet_count",
				  "0", "outbound", "packet_count", "0", "skip_packet_count", "0"));
		bad |= set_str(p, "end_time", now);
		bad |= set_str(p, "from", c->from);
		bad |= set_str(p, "hangup_cause", o && o->hangup_cause ? o->hangup_cause : "normal_clearing");
		bad |= set_str(p, "hangup_source", o && o->hangup_source ? o->hangup_source : "caller");
		bad |= set_str(p, "sip_hangup_cause", o && o->sip_hangup_cause ? o->sip_hangup_cause : "200");
		bad |= set_str(p, "start_time", c->start_time);
		bad |= set_str(p, "state", "hangup");
		bad |= json_object_set_new(p, "telnyx_error", json_null());
		bad |= set_str(p, "to", c->to);
		break;
	case VS_TEV_STREAMING_STARTED:
	case VS_TEV_STREAMING_STOPPED:
		bad |= set_str(p, "stream_url", c->stream_url);
		break;
	case VS_TEV_SPEAK_STARTED: /* the common fields only */
		break;
	case VS_TEV_SPEAK_ENDED:
		bad |= set_str(p, "status", "completed");
		break;
	case VS_TEV_DTMF_RECEIVED:
		bad |= set_str(p, "digit", o && o->digit ? o->digit : "1");
		bad |= set_str(p, "from", c->from);
		bad |= set_str(p, "to", c->to);
		break;
	}
	if (bad) {
		json_decref(p);
		return NULL;
	}
	return p;
}

char *vs_telnyx_event_build(enum vs_telnyx_ev ev, const struct vs_telnyx_call *c,
			    const struct vs_telnyx_event_opts *o, uint64_t *rng)
{
	const char *name = vs_telnyx_event_name(ev);
	json_t *payload = NULL, *root = NULL, *meta = NULL;
	char id[37], now[32];
	char *out = NULL;

	if (!name || !c)
		goto out;
	payload = build_payload(ev, c, o);
	if (!payload)
		goto out;
	if (o && o->event_id)
		snprintf(id, sizeof(id), "%s", o->event_id);
	else
		vs_uuid4(id, rng);
	if (o && o->occurred_at)
		snprintf(now, sizeof(now), "%s", o->occurred_at);
	else
		vs_iso8601_now(now);
	meta = json_pack("{s:i}", "attempt", o && o->attempt > 0 ? o->attempt : 1);
	if (meta && o && o->delivered_to)
		json_object_set_new(meta, "delivered_to", json_string(o->delivered_to));
	root = json_pack("{s:{s:s, s:s, s:s, s:O, s:s}, s:O}", "data", "event_type", name, "id", id, "occurred_at",
			 now, "payload", payload, "record_type", "event", "meta", meta);
	if (!root)
		goto out;
	out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	json_decref(root);
	json_decref(payload);
	json_decref(meta);
	return out;
}

int vs_telnyx_sign_headers(const struct vs_ed25519_key *k, long long ts, const char *body, size_t len,
			   struct vs_telnyx_headers *h)
{
	if (ts == 0)
		ts = (long long)time(NULL);
	snprintf(h->timestamp, sizeof(h->timestamp), "%lld", ts);
	return vs_telnyx_sign(k, h->timestamp, body, len, h->signature);
}
