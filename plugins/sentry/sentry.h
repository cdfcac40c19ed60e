/* sentry: what the probe (sentry.c), the stand-in (standin.c, envelope.c)
 * and the errors phase share: Sentry's ingestion protocol as the SDKs use it.
 *
 *   POST /api/<project>/envelope/   newline-delimited envelope: a header
 *        line (JSON), then per item an item header line (JSON, "type",
 *        optional "length") and its payload (length bytes, else up to the
 *        next newline); Content-Encoding gzip or deflate allowed
 *   POST /api/<project>/store/      one event as a JSON body (older SDKs)
 *   auth: X-Sentry-Auth: Sentry sentry_key=<key>, sentry_version=7, ...
 *         or ?sentry_key=<key>; a wrong or missing key answers 401
 *   200 {"id": "<event_id>"}
 *
 * Every event received is published on the world's event bus, topic
 * SENTRY_TOPIC, as {project, event_id, level, message, tags{}, call_id,
 * environment, release, endpoint}: GET /_vstress/events?topic=sentry.event
 * &call_id=<id> finds a call's events. */
#ifndef SENTRY_STANDIN_H
#define SENTRY_STANDIN_H

#include <stddef.h>

#include <jansson.h>

#include <vstress/plugin.h>
#include <vstress/world.h>

#define SENTRY_TOPIC "sentry.event"
#define SENTRY_DEFAULT_KEY "vstress-sentry-key"
#define SENTRY_DEFAULT_PROJECT "1"
#define SENTRY_MAX_BODY (8u << 20) /* a decompressed body larger than this is refused (413) */

/* standin.c: the plugin's `world` hook */
int sentry_standin(const struct vs_world *w, vs_wctx *wc);

/* envelope.c */
/* Inflates a gzip or zlib body into a malloc'd NUL-terminated buffer; NULL
 * with err on a corrupt body or one over SENTRY_MAX_BODY. */
char *sentry_inflate(const char *in, size_t len, size_t *out_len, char *err, size_t errlen);
/* The events of an envelope (a new JSON array of event payloads); NULL
 * with err naming the line of a malformed envelope. */
json_t *sentry_envelope_events(const char *body, size_t len, char *err, size_t errlen);
/* The sentry_key of an X-Sentry-Auth header value into out; 0, or -1 when absent. */
int sentry_auth_key(const char *header, char *out, size_t len);
/* The event as published: the fields a check filters on (new reference). */
json_t *sentry_event_summary(const json_t *ev, const char *project, const char *endpoint);

#endif
