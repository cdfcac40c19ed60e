/* Telnyx Call Control stand-in: POST /v2/calls/{id}/actions/{action} with
 * Bearer auth and Telnyx's {"data":{"result":"ok"}} / {"errors":[...]}
 * shapes.  Every command is recorded with its time, queryable on the
 * control API (GET /_vstress/telnyx/commands?call_control_id=...) and
 * published as event "telnyx.command" (in-process subscribers, and
 * long-polls on GET /_vstress/events?topic=telnyx.command&...).
 * Webhooks and the media WebSocket are the call simulator's part. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "vstress/world.h"
#include "standin.h"
#include "tx_command.h"

enum call_state { ST_PARKED = 0, ST_ANSWERED, ST_ENDED };

struct call {
	char id[160];
	int state;
	int streaming;
	json_t *command_ids; /* object command_id -> time_ms */
};

struct tx {
	const struct vs_world *w;
	vs_wctx *wc;
	struct call *calls;
	size_t ncalls, cap;
	json_t *log; /* array of recorded commands */
	long long seq;
};

static struct tx g_tx;

static int tx_error(const struct vs_world *w, vs_wctx *wc, vs_wresp *rs, int status, int mid_stream,
		    const char *message)
{
	(void)mid_stream;
	const char *code = "10007", *title = "Unexpected error", *detail = "An unexpected error occured.";
	switch (status) {
	case 401:
		code = "10009";
		title = "Authentication failed";
		detail = "The API key provided is invalid or missing.";
		break;
	case 403:
		code = "10010";
		title = "Authorization failed";
		detail = "You do not have permission to perform the requested action.";
		break;
	case 404:
		code = "10005";
		title = "Resource not found";
		detail = "The requested resource or URL could not be found.";
		break;
	case 422:
		code = "10015";
		title = "Bad Request";
		detail = "The request failed because it was not well-formed.";
		break;
	case 429:
		code = "10011";
		title = "Too many requests";
		detail = "You have exceeded the maximum number of allowed requests.";
		break;
	case 503:
		code = "10006";
		title = "Service unavailable";
		detail = "The service is temporarily unavailable.";
		break;
	default:
		break;
	}
	w->count(wc, "errors", 1);
	return w->resp_json_steal(rs, status,
				  json_pack("{s:[{s:s,s:s,s:s,s:{s:s}}]}", "errors", "code", code, "title", title, "detail",
					    message ? message : detail, "meta", "url",
					    "https://developers.telnyx.com/docs/overview/errors"));
}

static int tx_fail(vs_wresp *rs, int status, const char *code, const char *title, const char *detail,
		   const char *pointer)
{
	const struct vs_world *w = g_tx.w;
	json_t *e = json_pack("{s:s,s:s,s:s}", "code", code, "title", title, "detail", detail);
	if (pointer)
		json_object_set_new(e, "source", json_pack("{s:s}", "pointer", pointer));
	w->count(g_tx.wc, "errors", 1);
	return w->resp_json_steal(rs, status, json_pack("{s:[o]}", "errors", e));
}

static struct call *call_get(const char *id, int create)
{
	for (size_t i = 0; i < g_tx.ncalls; i++)
		if (!strcmp(g_tx.calls[i].id, id))
			return &g_tx.calls[i];
	if (!create)
		return NULL;
	if (g_tx.ncalls == g_tx.cap) {
		size_t cap = g_tx.cap ? g_tx.cap * 2 : 64;
		struct call *n = realloc(g_tx.calls, cap * sizeof *n);
		if (!n)
			return NULL;
		g_tx.calls = n;
		g_tx.cap = cap;
	}
	struct call *c = &g_tx.calls[g_tx.ncalls++];
	memset(c, 0, sizeof *c);
	snprintf(c->id, sizeof c->id, "%s", id);
	c->command_ids = json_object();
	return c;
}

static int check_auth(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs)
{
	const char *want = w->conf(wc, "api_key");
	const char *auth = w->req_header(rq, "Authorization");
	if (!auth || strncmp(auth, "Bearer ", 7) || !auth[7] || (want && *want && strcmp(auth + 7, want))) {
		tx_error(w, wc, rs, 401, 0, NULL);
		return -1;
	}
	return 0;
}

static void iso_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06ldZ", ts.tv_nsec / 1000);
}

/* Records the command and publishes it. */
static void record(const char *id, const char *action, json_t *body, int status, const char *error_code)
{
	const struct vs_world *w = g_tx.w;
	char when[40];
	iso_now(when, sizeof when);
	json_t *rec = json_pack("{s:I,s:s,s:s,s:O,s:i,s:I,s:s}", "seq", (json_int_t)++g_tx.seq, "call_control_id", id,
				"action", action, "params", body ? body : json_null(), "status", status, "time_ms",
				(json_int_t)w->now_ms(), "occurred_at", when);
	if (!rec)
		return;
	if (error_code)
		json_object_set_new(rec, "error_code", json_string(error_code));
	const char *su = json_string_value(json_object_get(body, "stream_url"));
	if (su)
		json_object_set_new(rec, "stream_url", json_string(su));
	const char *cid = json_string_value(json_object_get(body, "command_id"));
	if (cid)
		json_object_set_new(rec, "command_id", json_string(cid));
	json_array_append(g_tx.log, rec);
	w->publish(g_tx.wc, "telnyx.command", rec);
}

static int h_action(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)arg;
	const char *id = w->req_param(rq, "id"), *action = w->req_param(rq, "action");
	json_t *body = NULL;
	int rc = 0;
	if (check_auth(w, wc, rq, rs) < 0)
		goto out;
	if (!tx_known_action(action)) {
		tx_fail(rs, 404, "10005", "Resource not found", "The requested resource or URL could not be found.", NULL);
		goto out;
	}
	size_t blen;
	w->req_body(rq, &blen);
	body = blen ? w->req_json(rq) : json_object();
	if (!json_is_object(body)) {
		json_decref(body);
		body = NULL;
		tx_fail(rs, 400, "10015", "Bad Request", "The request body is not valid JSON.", NULL);
		goto out;
	}
	int strict = w->conf_int(wc, "strict_calls", 0) != 0;
	struct call *c = call_get(id, !strict);
	if (!c) {
		record(id, action, body, 422, "90015");
		tx_fail(rs, 422, "90015", "Invalid Call Control ID", "The call_control_id provided was not valid.", NULL);
		goto out;
	}
	/* idempotency: the same command_id for the same call is ignored */
	const char *cid = json_string_value(json_object_get(body, "command_id"));
	if (cid && json_object_get(c->command_ids, cid)) {
		w->count(wc, "duplicates", 1);
		rc = w->resp_json_steal(rs, 200, json_pack("{s:{s:s}}", "data", "result", "ok"));
		goto out;
	}
	if (cid)
		json_object_set_new(c->command_ids, cid, json_integer((json_int_t)w->now_ms()));
	if (c->state == ST_ENDED) {
		record(id, action, body, 422, "90018");
		tx_fail(rs, 422, "90018", "Call has already ended",
			"This call is no longer active and can't receive commands.", NULL);
		goto out;
	}
	if (c->state == ST_PARKED && tx_needs_answer(action)) {
		record(id, action, body, 422, "90034");
		tx_fail(rs, 422, "90034", "Call has not been answered yet",
			"This command can't be issued before the call is answered.", NULL);
		goto out;
	}
	const char *missing = tx_command_missing(action, body);
	if (!missing && !strcmp(action, "speak"))
		w->count(wc, "characters", (double)json_string_length(json_object_get(body, "payload")));
	if (missing) {
		char detail[96], ptr[64];
		snprintf(detail, sizeof detail, "The '%s' parameter is required.", missing);
		snprintf(ptr, sizeof ptr, "/%s", missing);
		record(id, action, body, 422, "10015");
		tx_fail(rs, 422, "10015", "Invalid parameter", detail, ptr);
		goto out;
	}
	if (!strcmp(action, "answer")) {
		if (c->state == ST_ANSWERED) {
			record(id, action, body, 422, "90061");
			tx_fail(rs, 422, "90061", "Call already answered", "The call has already been answered.", NULL);
			goto out;
		}
		c->state = ST_ANSWERED;
		c->streaming = json_string_value(json_object_get(body, "stream_url")) != NULL;
	} else if (!strcmp(action, "hangup") || !strcmp(action, "reject")) {
		c->state = ST_ENDED;
	} else if (!strcmp(action, "streaming_start")) {
		c->streaming = 1;
	} else if (!strcmp(action, "streaming_stop")) {
		c->streaming = 0;
	}
	record(id, action, body, 200, NULL);
	w->count(wc, "commands", 1);
	json_t *data = json_pack("{s:s}", "result", "ok");
	const char *rec = json_string_value(json_object_get(body, "record"));
	if (!strcmp(action, "answer") && rec && !strcmp(rec, "record-from-answer"))
		json_object_set_new(data, "recording_id", json_string("d7e9c1d4-8b2a-11ee-a1b2-02420a0d7e9c"));
	rc = w->resp_json_steal(rs, 200, json_pack("{s:o}", "data", data));
out:
	json_decref(body);
	return rc;
}

static void make_uuid(char *buf, size_t len)
{
	uint64_t a = g_tx.w->rand(g_tx.wc), b = g_tx.w->rand(g_tx.wc);
	snprintf(buf, len, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
		 (unsigned)(a & 0x0fff) | 0x4000, ((unsigned)(b >> 48) & 0x3fff) | 0x8000,
		 (unsigned long long)(b & 0xffffffffffffull));
}

/* POST /v2/calls: an outbound dial. */
static int h_dial(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)arg;
	if (check_auth(w, wc, rq, rs) < 0)
		return 0;
	json_t *body = w->req_json(rq);
	const char *missing = !json_string_value(json_object_get(body, "connection_id")) ? "connection_id"
			      : !json_string_value(json_object_get(body, "to"))	     ? "to"
			      : !json_string_value(json_object_get(body, "from"))	     ? "from"
											     : NULL;
	if (missing) {
		char detail[96], ptr[64];
		snprintf(detail, sizeof detail, "The '%s' parameter is required.", missing);
		snprintf(ptr, sizeof ptr, "/%s", missing);
		json_decref(body);
		return tx_fail(rs, 422, "10015", "Invalid parameter", detail, ptr);
	}
	char id[96], leg[40], sess[40];
	make_uuid(leg, sizeof leg);
	make_uuid(sess, sizeof sess);
	snprintf(id, sizeof id, "v3:vstress-%s", leg);
	struct call *c = call_get(id, 1);
	if (c)
		c->state = ST_ANSWERED; /* outbound: commands allowed once it rings */
	record(id, "dial", body, 200, NULL);
	json_decref(body);
	return w->resp_json_steal(rs, 200,
				  json_pack("{s:{s:s,s:s,s:s,s:b,s:s}}", "data", "call_control_id", id, "call_leg_id", leg,
					    "call_session_id", sess, "is_alive", 0, "record_type", "call"));
}

static int h_status(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)arg;
	if (check_auth(w, wc, rq, rs) < 0)
		return 0;
	const char *id = w->req_param(rq, "id");
	struct call *c = call_get(id, 0);
	if (!c)
		return tx_fail(rs, 404, "10005", "Resource not found", "The requested call could not be found.", NULL);
	return w->resp_json_steal(rs, 200,
				  json_pack("{s:{s:s,s:b,s:s,s:s}}", "data", "call_control_id", c->id, "is_alive",
					    c->state != ST_ENDED, "record_type", "call", "state",
					    c->state == ST_PARKED ? "parked" : c->state == ST_ANSWERED ? "answered" : "hangup"));
}

/* --- control API ------------------------------------------------------- */

static int h_commands(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)wc, (void)arg;
	if (!strcmp(w->req_method(rq), "DELETE")) {
		size_t n = json_array_size(g_tx.log);
		json_array_clear(g_tx.log);
		return w->resp_json_steal(rs, 200, json_pack("{s:i}", "deleted", (int)n));
	}
	const char *id = w->req_query(rq, "call_control_id");
	const char *action = w->req_query(rq, "action");
	const char *since = w->req_query(rq, "since");
	long long after = since ? atoll(since) : 0;
	json_t *out = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(g_tx.log, i, r)
	{
		if (id && strcmp(id, json_string_value(json_object_get(r, "call_control_id"))))
			continue;
		if (action && strcmp(action, json_string_value(json_object_get(r, "action"))))
			continue;
		if (json_integer_value(json_object_get(r, "seq")) <= after)
			continue;
		json_array_append(out, r);
	}
	return w->resp_json_steal(rs, 200, json_pack("{s:o}", "data", out));
}

/* POST /_vstress/telnyx/calls {"call_control_id":..., "state":"parked"}:
 * the call simulator announces a call (needed with strict_calls). */
static int h_calls(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)wc, (void)arg;
	json_t *b = w->req_json(rq);
	const char *id = json_string_value(json_object_get(b, "call_control_id"));
	const char *st = json_string_value(json_object_get(b, "state"));
	int rc;
	struct call *c = id ? call_get(id, 1) : NULL;
	if (!c) {
		rc = w->resp_json_steal(rs, 400, json_pack("{s:s}", "error", "call_control_id required"));
	} else {
		c->state = !st || !strcmp(st, "parked") ? ST_PARKED : !strcmp(st, "answered") ? ST_ANSWERED : ST_ENDED;
		rc = w->resp_json_steal(rs, 201, json_pack("{s:s,s:s}", "call_control_id", c->id, "state",
							   st ? st : "parked"));
	}
	json_decref(b);
	return rc;
}

static void tx_free(void *arg)
{
	(void)arg;
	for (size_t i = 0; i < g_tx.ncalls; i++)
		json_decref(g_tx.calls[i].command_ids);
	free(g_tx.calls);
	json_decref(g_tx.log);
	memset(&g_tx, 0, sizeof g_tx);
}

int telnyx_standin(const struct vs_world *w, vs_wctx *wc)
{
	if (w->abi_version != VS_WORLD_ABI_VERSION || !VS_WORLD_HAS(w, at_exit))
		return VS_ERROR;
	g_tx.w = w;
	g_tx.wc = wc;
	g_tx.log = json_array();
	int rc = 0;
	rc |= w->add_http_route(wc, "POST", "/v2/calls/{id}/actions/{action}", h_action, NULL);
	rc |= w->add_http_route(wc, "POST", "/v2/calls", h_dial, NULL);
	rc |= w->add_http_route(wc, "GET", "/v2/calls/{id}", h_status, NULL);
	rc |= w->add_http_route(wc, "*", "/_vstress/telnyx/commands", h_commands, NULL);
	rc |= w->add_http_route(wc, "POST", "/_vstress/telnyx/calls", h_calls, NULL);
	rc |= w->set_error_builder(wc, tx_error);
	/* TELNYX_API_BASE is the Call Control base including /v2 (as
	 * api.telnyx.com/v2), the same as TELNYX_BASE_URL. */
	rc |= w->export_env(wc, "TELNYX_BASE_URL", "{http}/v2");
	rc |= w->export_env(wc, "TELNYX_API_BASE", "{http}/v2");
	rc |= w->export_env(wc, "TELNYX_API_KEY", "KEYvstressdummy");
	rc |= w->at_exit(wc, tx_free, NULL);
	return rc ? VS_ERROR : VS_OK;
}
