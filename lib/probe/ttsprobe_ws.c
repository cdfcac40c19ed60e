/* The WebSocket plumbing both TTS probes share
 * (include/vstress/probe/ttsprobe_ws.h). */
#include "vstress/probe/ttsprobe_ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t vs_tts_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int vs_tts_left_ms(const struct vs_tts_req *r)
{
	int64_t left = (int64_t)r->timeout_ms - (int64_t)((vs_tts_now_ns() - r->t_start) / 1000000);
	return left > 0 ? (int)left : 0;
}

void vs_tts_fail(struct vs_tts_req *r, int cls, const char *msg)
{
	r->cls = cls;
	snprintf(r->msg, sizeof r->msg, "%s", msg);
}

static json_t *msg_json(struct vs_tts_req *r, const struct vs_wsc_msg *m)
{
	json_t *j = m->binary ? NULL : json_loadb(m->data, m->len, 0, NULL);
	char buf[256];

	r->messages++;
	if (json_is_object(j))
		return j;
	json_decref(j);
	snprintf(buf, sizeof buf, "unparseable message %ld: %.60s", r->messages, m->binary ? "(binary)" : m->data);
	vs_tts_fail(r, VS_SPEECH_MALFORMED, buf);
	return NULL;
}

void vs_tts_ws_fail(struct vs_tts_req *r, const struct vs_wsc_err *e, int got_any,
		    int (*close_cls)(const struct vs_wsc_err *e))
{
	switch (e->fail) {
	case VS_WSC_F_HANDSHAKE:
		vs_tts_fail(r, e->http_status ? vs_speech_class_of_status(e->http_status) : VS_SPEECH_MALFORMED, e->msg);
		break;
	case VS_WSC_F_TIMEOUT:
		vs_tts_fail(r, VS_SPEECH_TIMEOUT, e->msg);
		break;
	case VS_WSC_F_TOOBIG:
		vs_tts_fail(r, VS_SPEECH_MALFORMED, e->msg);
		break;
	case VS_WSC_F_CONNECT:
		vs_tts_fail(r, VS_SPEECH_CONNECT, e->msg);
		break;
	case VS_WSC_F_CLOSED:
		if (e->close_code == 1011 && !got_any)
			vs_tts_fail(r, VS_SPEECH_SERVER_ERROR, e->msg);
		else
			vs_tts_fail(r, close_cls ? close_cls(e) : VS_SPEECH_CLOSED_EARLY, e->msg);
		break;
	default:
		vs_tts_fail(r, VS_SPEECH_CLOSED_EARLY, e->msg[0] ? e->msg : "connection failed");
	}
}

int vs_tts_send_json(struct vs_wsc *ws, struct vs_tts_req *r, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	int rc = s ? vs_wsc_send(ws, 0, s, strlen(s), vs_tts_left_ms(r)) : -1;
	json_decref(j);
	free(s);
	return rc;
}

int vs_tts_recv_until_done(struct vs_wsc *ws, struct vs_tts_req *r,
			   int (*on_msg)(struct vs_tts_req *r, const json_t *j),
			   int (*close_cls)(const struct vs_wsc_err *e), const char *done_name)
{
	char buf[128];

	for (;;) {
		struct vs_wsc_msg m;
		int got = vs_wsc_recv(ws, vs_tts_left_ms(r), &m), st;
		if (got == 0) {
			snprintf(buf, sizeof buf, "%s", r->t_first ? "audio stopped before " : "no audio within request_timeout");
			if (r->t_first)
				snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s", done_name);
			vs_tts_fail(r, VS_SPEECH_TIMEOUT, buf);
			return -1;
		}
		if (got < 0) {
			vs_tts_ws_fail(r, vs_wsc_error(ws), r->messages > 0, close_cls);
			return -1;
		}
		json_t *j = msg_json(r, &m);
		if (!j)
			return -1;
		st = on_msg(r, j);
		json_decref(j);
		if (st < 0)
			return -1;
		if (st > 0)
			return 0;
	}
}
