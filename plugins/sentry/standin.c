/* sentry: the stand-in for Sentry's ingestion endpoints (sentry.h), served
 * by the world.  It authenticates the key, decodes the envelope or store
 * body, answers as Sentry does and publishes each event on the world's event
 * bus so the run can read what the target reported. */
#include "sentry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int sn_error(const struct vs_world *w, vs_wctx *wc, vs_wresp *rs, int status, int mid_stream,
		    const char *message)
{
	(void)wc;
	(void)mid_stream;
	return w->resp_json_steal(rs, status, json_pack("{s:s}", "detail", message ? message : "error"));
}

static const char *key_of(vs_wctx *wc, const struct vs_world *w)
{
	const char *k = w->conf(wc, "standin_key");
	return k && *k ? k : SENTRY_DEFAULT_KEY;
}

/* 0 when the request carries the stand-in's key; else the 401 is queued. */
static int authorised(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs)
{
	char key[128];
	const char *q = w->req_query(rq, "sentry_key");

	if (sentry_auth_key(w->req_header(rq, "X-Sentry-Auth"), key, sizeof key) != 0) {
		if (!q || !*q || strlen(q) >= sizeof key) {
			w->count(wc, "errors", 1);
			w->resp_error(rs, 401, "missing authentication: X-Sentry-Auth sentry_key=... or ?sentry_key=");
			return -1;
		}
		snprintf(key, sizeof key, "%s", q);
	}
	if (strcmp(key, key_of(wc, w))) {
		w->count(wc, "errors", 1);
		w->resp_error(rs, 401, "invalid api key"); /* the key itself is never echoed */
		return -1;
	}
	return 0;
}

static int ingest(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, int envelope)
{
	const char *enc = w->req_header(rq, "Content-Encoding"), *project = w->req_param(rq, "project");
	const char *body, *endpoint = envelope ? "envelope" : "store";
	char err[256] = "", *plain = NULL, *id = NULL;
	size_t len = 0, i;
	json_t *events = NULL, *ev;
	json_error_t je;
	int rc;

	w->count(wc, "requests", 1);
	if (authorised(w, wc, rq, rs) != 0)
		return 0;
	body = w->req_body(rq, &len);
	if (enc && *enc && strcasecmp(enc, "identity")) {
		if (strcasecmp(enc, "gzip") && strcasecmp(enc, "deflate")) {
			w->count(wc, "errors", 1);
			return w->resp_error(rs, 415, "unsupported Content-Encoding (gzip, deflate or none)");
		}
		if (!(plain = sentry_inflate(body ? body : "", len, &len, err, sizeof err))) {
			w->count(wc, "errors", 1);
			return w->resp_error(rs, 400, err);
		}
		body = plain;
	}
	if (envelope) {
		events = sentry_envelope_events(body ? body : "", len, err, sizeof err);
	} else {
		ev = json_loadb(body ? body : "", len, 0, &je);
		if (json_is_object(ev)) {
			events = json_array();
			json_array_append_new(events, ev);
		} else {
			json_decref(ev);
			snprintf(err, sizeof err, "store body: not a JSON object (line %d: %s)", je.line, je.text);
		}
	}
	free(plain);
	if (!events) {
		w->count(wc, "errors", 1);
		w->log(wc, VS_LOG_WARN, "sentry %s: %s", endpoint, err);
		return w->resp_error(rs, 400, err);
	}
	json_array_foreach(events, i, ev) {
		json_t *sum = sentry_event_summary(ev, project ? project : "", endpoint);

		if (!sum)
			continue;
		if (!id)
			id = strdup(json_string_value(json_object_get(sum, "event_id")));
		w->count(wc, "events", 1);
		w->publish(wc, SENTRY_TOPIC, sum);
	}
	json_decref(events);
	rc = w->resp_json_steal(rs, 200, json_pack("{s:s}", "id", id ? id : ""));
	free(id);
	return rc;
}

static int h_envelope(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)arg;
	return ingest(w, wc, rq, rs, 1);
}

static int h_store(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)arg;
	return ingest(w, wc, rq, rs, 0);
}

int sentry_standin(const struct vs_world *w, vs_wctx *wc)
{
	const char *project = w->conf(wc, "standin_project");
	char dsn[256];
	int rc = 0;

	if (w->abi_version != VS_WORLD_ABI_VERSION || !VS_WORLD_HAS(w, export_env))
		return VS_ERROR;
	rc |= w->add_http_route(wc, "POST", "/api/{project}/envelope/", h_envelope, NULL);
	rc |= w->add_http_route(wc, "POST", "/api/{project}/envelope", h_envelope, NULL);
	rc |= w->add_http_route(wc, "POST", "/api/{project}/store/", h_store, NULL);
	rc |= w->add_http_route(wc, "POST", "/api/{project}/store", h_store, NULL);
	rc |= w->set_error_builder(wc, sn_error);
	/* the DSN a target reports to: http://<key>@127.0.0.1:<port>/<project> */
	if ((size_t)snprintf(dsn, sizeof dsn, "http://%s@{hostport}/%s", key_of(wc, w),
			     project && *project ? project : SENTRY_DEFAULT_PROJECT) >= sizeof dsn)
		return VS_ECONFIG;
	rc |= w->export_env(wc, "SENTRY_DSN", dsn);
	return rc ? VS_ERROR : VS_OK;
}
