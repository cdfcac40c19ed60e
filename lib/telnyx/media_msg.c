/* Telnyx media-stream messages: builders and a hostile-input parser. */
#include "vstress/telnyx/media_msg.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/crypto/b64.h"

#define MEDIA_DEFAULT_MAX_PAYLOAD (1u << 20)

static void merr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void merr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static char *dump_steal(json_t *o)
{
	char *s = NULL;

	if (o)
		s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

static json_t *u64str(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_string(buf);
}

static json_t *b64_json(const uint8_t *p, size_t n)
{
	size_t cap = vs_b64_enc_len(n) + 1;
	char *s = malloc(cap);
	json_t *j = NULL;

	if (!s)
		return NULL;
	if (vs_b64_encode(p, n, s, cap) >= 0)
		j = json_stringn_nocheck(s, cap - 1);
	free(s);
	return j;
}

char *vs_media_connected(void)
{
	return dump_steal(json_pack("{s:s, s:s}", "event", "connected", "version", "1.0.0"));
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

char *vs_media_start(const struct vs_stream_info *s, uint64_t seq)
{
	json_t *start = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "user_id", str_or_null(s->user_id),
				  "call_control_id", str_or_null(s->call_control_id), "call_session_id",
				  str_or_null(s->call_session_id), "from", str_or_null(s->from), "to",
				  str_or_null(s->to), "client_state", str_or_null(s->client_state));
	json_t *fmt = json_pack("{s:s, s:i, s:i}", "encoding", s->encoding ? s->encoding : "PCMU", "sample_rate",
				s->sample_rate ? s->sample_rate : 8000, "channels", s->channels ? s->channels : 1);

	if (!start || !fmt) {
		json_decref(start);
		json_decref(fmt);
		return NULL;
	}
	json_object_set_new(start, "media_format", fmt);
	if (s->custom_parameters_json) {
		json_t *cp = json_loads(s->custom_parameters_json, 0, NULL);

		if (json_is_object(cp))
			json_object_set_new(start, "custom_parameters", cp);
		else
			json_decref(cp);
	}
	return dump_steal(json_pack("{s:s, s:o, s:o, s:o}", "event", "start", "sequence_number", u64str(seq),
				    "stream_id", str_or_null(s->stream_id), "start", start));
}

char *vs_media_media(const char *stream_id, uint64_t seq, const char *track, uint64_t chunk,
		     uint64_t timestamp, const uint8_t *payload, size_t n)
{
	json_t *pl = b64_json(payload, n);

	if (!pl)
		return NULL;
	return dump_steal(json_pack("{s:s, s:o, s:{s:s, s:o, s:o, s:o}, s:o}", "event", "media", "sequence_number",
				    u64str(seq), "media", "track", track ? track : "inbound", "chunk", u64str(chunk),
				    "timestamp", u64str(timestamp), "payload", pl, "stream_id",
				    str_or_null(stream_id)));
}

char *vs_media_dtmf(const char *stream_id, uint64_t seq, const char *digit, const char *occurred_at)
{
	return dump_steal(json_pack("{s:s, s:o, s:o, s:o, s:{s:s}}", "event", "dtmf", "stream_id",
				    str_or_null(stream_id), "occurred_at", str_or_null(occurred_at),
				    "sequence_number", u64str(seq), "dtmf", "digit", digit ? digit : ""));
}

char *vs_media_stop(const struct vs_stream_info *s, uint64_t seq)
{
	return dump_steal(json_pack("{s:s, s:o, s:{s:o, s:o}, s:o}", "event", "stop", "sequence_number",
				    u64str(seq), "stop", "user_id", str_or_null(s->user_id), "call_control_id",
				    str_or_null(s->call_control_id), "stream_id", str_or_null(s->stream_id)));
}

char *vs_media_mark(const char *stream_id, uint64_t seq, const char *name)
{
	return dump_steal(json_pack("{s:s, s:o, s:o, s:{s:s}}", "event", "mark", "stream_id", str_or_null(stream_id),
				    "sequence_number", u64str(seq), "mark", "name", name ? name : ""));
}

char *vs_media_error(const char *stream_id, int code, const char *title, const char *detail)
{
	return dump_steal(json_pack("{s:s, s:{s:i, s:s, s:s}, s:o}", "event", "error", "payload", "code", code,
				    "title", title ? title : "", "detail", detail ? detail : "", "stream_id",
				    str_or_null(stream_id)));
}

char *vs_media_out_media(const uint8_t *payload, size_t n)
{
	json_t *pl = b64_json(payload, n);

	if (!pl)
		return NULL;
	return dump_steal(json_pack("{s:s, s:{s:o}}", "event", "media", "media", "payload", pl));
}

char *vs_media_out_mark(const char *name)
{
	return dump_steal(json_pack("{s:s, s:{s:s}}", "event", "mark", "mark", "name", name ? name : ""));
}

char *vs_media_out_clear(void)
{
	return dump_steal(json_pack("{s:s}", "event", "clear"));
}

/* --- parsing ------------------------------------------------------------ */

static const struct {
	const char *name;
	enum vs_media_event ev;
} media_events[] = {
	{"connected", VS_MEV_CONNECTED}, {"start", VS_MEV_START}, {"media", VS_MEV_MEDIA},
	{"dtmf", VS_MEV_DTMF},           {"stop", VS_MEV_STOP},   {"mark", VS_MEV_MARK},
	{"clear", VS_MEV_CLEAR},         {"error", VS_MEV_ERROR},
};

const char *vs_media_event_name(enum vs_media_event e)
{
	for (size_t i = 0; i < sizeof(media_events) / sizeof(media_events[0]); i++)
		if (media_events[i].ev == e)
			return media_events[i].name;
	return "unknown";
}

void vs_media_msg_free(struct vs_media_msg *m)
{
	free(m->payload);
	m->payload = NULL;
	m->payload_len = 0;
}

/* Optional string member into buf: 0 ok/absent/null, -1 wrong type or too long. */
static int get_str(json_t *o, const char *key, char *buf, size_t cap, char *err, size_t errlen)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		merr(err, errlen, "%s: not a string", key);
		return -1;
	}
	if (json_string_length(v) >= cap) {
		merr(err, errlen, "%s: longer than %zu bytes", key, cap - 1);
		return -1;
	}
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* Optional unsigned number given as a decimal string or a JSON integer. */
static int get_u64(json_t *o, const char *key, int *has, uint64_t *out, char *err, size_t errlen)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	*has = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0) {
			merr(err, errlen, "%s: negative", key);
			return -1;
		}
		*out = (uint64_t)json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		uint64_t acc = 0;
		size_t len = json_string_length(v);

		if (len == 0 || len > 19) {
			merr(err, errlen, "%s: not a number", key);
			return -1;
		}
		for (size_t i = 0; i < len; i++) {
			if (s[i] < '0' || s[i] > '9') {
				merr(err, errlen, "%s: not a number", key);
				return -1;
			}
			acc = acc * 10 + (uint64_t)(s[i] - '0');
		}
		*out = acc;
	} else {
		merr(err, errlen, "%s: not a number or numeric string", key);
		return -1;
	}
	*has = 1;
	return 0;
}

static int parse_media(json_t *root, size_t max_payload, struct vs_media_msg *m, char *err, size_t errlen)
{
	json_t *media = json_object_get(root, "media");
	json_t *pl;
	const char *s;
	size_t len, cap;
	long got;

	if (!json_is_object(media)) {
		merr(err, errlen, "media: missing or not an object");
		return -1;
	}
	if (get_str(media, "track", m->track, sizeof(m->track), err, errlen) ||
	    get_u64(media, "chunk", &m->has_chunk, &m->chunk, err, errlen) ||
	    get_u64(media, "timestamp", &m->has_timestamp, &m->timestamp, err, errlen))
		return -1;
	pl = json_object_get(media, "payload");
	if (!json_is_string(pl)) {
		merr(err, errlen, "media.payload: missing or not a string");
		return -1;
	}
	s = json_string_value(pl);
	len = json_string_length(pl);
	cap = vs_b64_dec_max(len);
	if (cap > max_payload) {
		merr(err, errlen, "media.payload: %zu base64 chars exceed the %zu-byte limit", len, max_payload);
		return -1;
	}
	m->payload = malloc(cap ? cap : 1);
	if (!m->payload) {
		merr(err, errlen, "media.payload: out of memory");
		return -1;
	}
	got = vs_b64_decode(s, len, m->payload, cap);
	if (got < 0) {
		merr(err, errlen, "media.payload: invalid base64");
		return -1;
	}
	m->payload_len = (size_t)got;
	return 0;
}

static int parse_start(json_t *root, struct vs_media_msg *m, char *err, size_t errlen)
{
	json_t *start = json_object_get(root, "start");
	json_t *fmt, *v;

	if (!json_is_object(start)) {
		merr(err, errlen, "start: missing or not an object");
		return -1;
	}
	if (get_str(start, "call_control_id", m->call_control_id, sizeof(m->call_control_id), err, errlen))
		return -1;
	fmt = json_object_get(start, "media_format");
	if (!fmt)
		return 0;
	if (!json_is_object(fmt)) {
		merr(err, errlen, "start.media_format: not an object");
		return -1;
	}
	if (get_str(fmt, "encoding", m->encoding, sizeof(m->encoding), err, errlen))
		return -1;
	v = json_object_get(fmt, "sample_rate");
	if (v && (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > 384000)) {
		merr(err, errlen, "start.media_format.sample_rate: not a positive integer");
		return -1;
	}
	if (v)
		m->sample_rate = (int)json_integer_value(v);
	v = json_object_get(fmt, "channels");
	if (v && (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > 16)) {
		merr(err, errlen, "start.media_format.channels: not a small positive integer");
		return -1;
	}
	if (v)
		m->channels = (int)json_integer_value(v);
	return 0;
}

int vs_media_parse(const char *text, size_t len, size_t max_payload, struct vs_media_msg *m, char *err,
		   size_t errlen)
{
	json_error_t jerr;
	json_t *root = NULL;
	json_t *ev, *sub;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	if (!max_payload)
		max_payload = MEDIA_DEFAULT_MAX_PAYLOAD;
	if (!text) {
		merr(err, errlen, "no input");
		goto out;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		merr(err, errlen, "not JSON: %s (at %d)", jerr.text, jerr.position);
		goto out;
	}
	if (!json_is_object(root)) {
		merr(err, errlen, "not a JSON object");
		goto out;
	}
	ev = json_object_get(root, "event");
	if (!json_is_string(ev)) {
		merr(err, errlen, "event: missing or not a string");
		goto out;
	}
	snprintf(m->event_name, sizeof(m->event_name), "%s", json_string_value(ev));
	for (size_t i = 0; i < sizeof(media_events) / sizeof(media_events[0]); i++)
		if (strcmp(json_string_value(ev), media_events[i].name) == 0 &&
		    strlen(media_events[i].name) == json_string_length(ev))
			m->event = media_events[i].ev;
	if (get_str(root, "stream_id", m->stream_id, sizeof(m->stream_id), err, errlen) ||
	    get_u64(root, "sequence_number", &m->has_seq, &m->seq, err, errlen))
		goto out;
	switch (m->event) {
	case VS_MEV_MEDIA:
		if (parse_media(root, max_payload, m, err, errlen))
			goto out;
		break;
	case VS_MEV_START:
		if (parse_start(root, m, err, errlen))
			goto out;
		break;
	case VS_MEV_MARK:
		sub = json_object_get(root, "mark");
		if (!json_is_object(sub)) {
			merr(err, errlen, "mark: missing or not an object");
			goto out;
		}
		if (get_str(sub, "name", m->mark_name, sizeof(m->mark_name), err, errlen))
			goto out;
		break;
	case VS_MEV_DTMF:
		sub = json_object_get(root, "dtmf");
		if (!json_is_object(sub)) {
			merr(err, errlen, "dtmf: missing or not an object");
			goto out;
		}
		if (get_str(sub, "digit", m->digit, sizeof(m->digit), err, errlen))
			goto out;
		break;
	case VS_MEV_ERROR:
		sub = json_object_get(root, "payload");
		if (json_is_object(sub)) {
			json_t *c = json_object_get(sub, "code");

			if (json_is_integer(c))
				m->error_code = json_integer_value(c);
			if (get_str(sub, "title", m->error_title, sizeof(m->error_title), err, errlen))
				goto out;
		}
		break;
	default:
		break;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}
