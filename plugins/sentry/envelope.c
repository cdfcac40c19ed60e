/* sentry: parsing what an SDK sends: compressed bodies, envelopes, the
 * auth header, and the summary of an event the stand-in publishes. */
#include "sentry.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

char *sentry_inflate(const char *in, size_t len, size_t *out_len, char *err, size_t errlen)
{
	z_stream z = {0};
	size_t cap = len * 4 + 1024, n = 0;
	char *out = malloc(cap);
	int rc;

	if (!out || inflateInit2(&z, 32 + MAX_WBITS) != Z_OK) { /* 32: gzip or zlib header, detected */
		free(out);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	do {
		if (cap - n < 2) {
			char *p;
			if (cap >= SENTRY_MAX_BODY) {
				snprintf(err, errlen, "decompressed body over %u bytes", SENTRY_MAX_BODY);
				goto bad;
			}
			cap *= 2;
			if (!(p = realloc(out, cap)))
				goto bad;
			out = p;
		}
		z.next_out = (Bytef *)out + n;
		z.avail_out = (uInt)(cap - n - 1);
		rc = inflate(&z, Z_NO_FLUSH);
		n = cap - 1 - z.avail_out;
		if (rc != Z_OK && rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && z.avail_in)) {
			snprintf(err, errlen, "corrupt compressed body (%s)", z.msg ? z.msg : "zlib error");
			goto bad;
		}
		if (rc != Z_STREAM_END && !z.avail_in && z.avail_out) {
			snprintf(err, errlen, "compressed body ends early");
			goto bad;
		}
	} while (rc != Z_STREAM_END);
	inflateEnd(&z);
	out[n] = '\0';
	*out_len = n;
	return out;
bad:
	inflateEnd(&z);
	free(out);
	return NULL;
}

/* The line starting at *p (without its newline); advances *p past it. */
static const char *next_line(const char **p, const char *end, size_t *llen)
{
	const char *s = *p, *nl;

	if (s >= end)
		return NULL;
	nl = memchr(s, '\n', (size_t)(end - s));
	*llen = (size_t)((nl ? nl : end) - s);
	*p = nl ? nl + 1 : end;
	return s;
}

json_t *sentry_envelope_events(const char *body, size_t len, char *err, size_t errlen)
{
	const char *p = body, *end = body + len, *l;
	json_t *out = json_array(), *hdr;
	json_error_t je;
	size_t ll;
	int line = 1;

	l = next_line(&p, end, &ll);
	if (!l || !(hdr = json_loadb(l, ll, 0, &je)) || !json_is_object(hdr)) {
		snprintf(err, errlen, "envelope line 1: the header is not a JSON object");
		goto bad;
	}
	json_decref(hdr);
	while (p < end) {
		const char *payload;
		json_t *ih;
		json_int_t n = -1;
		size_t plen;

		line++;
		l = next_line(&p, end, &ll);
		if (!ll)
			continue; /* a trailing newline */
		if (!(ih = json_loadb(l, ll, 0, &je)) || !json_is_string(json_object_get(ih, "type"))) {
			json_decref(ih);
			snprintf(err, errlen, "envelope line %d: an item header must be a JSON object with a \"type\"", line);
			goto bad;
		}
		if (json_is_integer(json_object_get(ih, "length")))
			n = json_integer_value(json_object_get(ih, "length"));
		line++;
		if (n >= 0) { /* length-prefixed: exactly n bytes, then an optional newline */
			if (n > end - p) {
				json_decref(ih);
				snprintf(err, errlen, "envelope line %d: item length %lld runs past the body", line, (long long)n);
				goto bad;
			}
			payload = p;
			plen = (size_t)n;
			p += n;
			if (p < end && *p == '\n')
				p++;
		} else if (!(payload = next_line(&p, end, &plen))) {
			payload = p;
			plen = 0;
		}
		if (!strcmp(json_string_value(json_object_get(ih, "type")), "event")) {
			json_t *ev = json_loadb(payload, plen, 0, &je);

			if (!json_is_object(ev)) {
				json_decref(ev);
				json_decref(ih);
				snprintf(err, errlen, "envelope line %d: the event payload is not a JSON object", line);
				goto bad;
			}
			json_array_append_new(out, ev);
		}
		json_decref(ih);
	}
	return out;
bad:
	json_decref(out);
	return NULL;
}

int sentry_auth_key(const char *header, char *out, size_t len)
{
	const char *k = header ? strstr(header, "sentry_key=") : NULL;
	size_t n;

	if (!k)
		return -1;
	k += strlen("sentry_key=");
	n = strcspn(k, ", \t");
	if (!n || n >= len)
		return -1;
	memcpy(out, k, n);
	out[n] = '\0';
	return 0;
}

static const char *message_of(const json_t *ev)
{
	const json_t *m = json_object_get(ev, "message"), *le = json_object_get(ev, "logentry"), *ex;

	if (json_is_string(m))
		return json_string_value(m);
	if (json_is_string(json_object_get(m, "formatted")))
		return json_string_value(json_object_get(m, "formatted"));
	if (json_is_string(json_object_get(le, "formatted")))
		return json_string_value(json_object_get(le, "formatted"));
	if (json_is_string(json_object_get(le, "message")))
		return json_string_value(json_object_get(le, "message"));
	/* an exception: the last of the chain is the one raised */
	ex = json_object_get(json_object_get(ev, "exception"), "values");
	ex = json_array_get(ex, json_array_size(ex) ? json_array_size(ex) - 1 : 0);
	if (json_is_string(json_object_get(ex, "value")))
		return json_string_value(json_object_get(ex, "value"));
	return "";
}

json_t *sentry_event_summary(const json_t *ev, const char *project, const char *endpoint)
{
	json_t *t = json_object_get(ev, "tags"), *v;
	json_t *tags = json_object(), *o;
	const char *k, *call;
	size_t i;

	/* tags: an object, or a list of [key, value] pairs */
	if (json_is_object(t)) {
		json_object_foreach(t, k, v)
			if (json_is_string(v))
				json_object_set_new(tags, k, json_string(json_string_value(v)));
	} else if (json_is_array(t)) {
		json_array_foreach(t, i, v)
			if (json_is_string(json_array_get(v, 0)) && json_is_string(json_array_get(v, 1)))
				json_object_set_new(tags, json_string_value(json_array_get(v, 0)),
						    json_string(json_string_value(json_array_get(v, 1))));
	}
	call = json_string_value(json_object_get(tags, "call_id"));
	if (!call)
		call = json_string_value(json_object_get(tags, "call_control_id"));
	o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "project", project, "endpoint", endpoint, "event_id",
		      json_is_string(json_object_get(ev, "event_id")) ? json_string_value(json_object_get(ev, "event_id")) : "",
		      "level", json_is_string(json_object_get(ev, "level")) ? json_string_value(json_object_get(ev, "level")) : "error",
		      "message", message_of(ev));
	if (!o) {
		json_decref(tags);
		return NULL;
	}
	json_object_set_new(o, "call_id", json_string(call ? call : ""));
	json_object_set_new(o, "tags", tags);
	if (json_is_string(json_object_get(ev, "environment")))
		json_object_set(o, "environment", json_object_get(ev, "environment"));
	if (json_is_string(json_object_get(ev, "release")))
		json_object_set(o, "release", json_object_get(ev, "release"));
	return o;
}
