/* tts_cartesia probe: one request over Cartesia's WebSocket as Pipecat
 * speaks it (main branch): X-API-Key + Cartesia-Version headers, the text
 * as a continue:true message, then the empty continue:false flush; reads
 * chunk / timestamps / flush_done / done / error, every one of which must
 * carry our context_id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "vstress/audio/speechq.h"
#include "vstress/probe/ttsprobe.h"
#include "vstress/probe/ttsprobe_ws.h"
#include "vstress/net/wsclient.h"
#include "probe.h"

#define CARTESIA_VERSION "2026-03-01"

static json_t *request(const struct vs_tts_cfg *cfg, const struct vs_tts_req *r, const char *text, int cont)
{
	return json_pack("{s:s,s:b,s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:i},s:b,s:b,s:s}", "transcript", text, "continue",
			 cont, "context_id", r->context_id, "model_id", cfg->model ? cfg->model : "sonic-3.5", "voice",
			 "mode", "id", "id", cfg->voice_id ? cfg->voice_id : "", "output_format", "container", "raw",
			 "encoding", cfg->encoding, "sample_rate", cfg->sample_rate, "add_timestamps", 1,
			 "use_normalized_timestamps", 0, "language", "en");
}

/* One server message: 1 done, 0 continue, -1 r failed. */
static int on_msg(struct vs_tts_req *r, const json_t *j)
{
	int rc = -1;
	char buf[256];
	const char *type = json_string_value(json_object_get(j, "type"));
	const char *ctx = json_string_value(json_object_get(j, "context_id"));
	if (!type || !ctx) {
		vs_tts_fail(r, VS_SPEECH_MALFORMED, !type ? "message without type" : "message without context_id");
		goto out;
	}
	if (strcmp(ctx, r->context_id)) {
		rc = 0; /* another context's message: Pipecat drops it */
		goto out;
	}
	if (!strcmp(type, "chunk")) {
		const char *data = json_string_value(json_object_get(j, "data"));
		if (!data || vs_tts_add_b64(r, data, strlen(data))) {
			vs_tts_fail(r, VS_SPEECH_MALFORMED, "chunk without base64 data");
			goto out;
		}
		if (!r->t_first && r->audio_len)
			r->t_first = vs_tts_now_ns();
		rc = 0;
	} else if (!strcmp(type, "timestamps")) {
		const json_t *wt = json_object_get(j, "word_timestamps");
		if (!json_is_array(json_object_get(wt, "words")) || !json_is_array(json_object_get(wt, "start"))) {
			vs_tts_fail(r, VS_SPEECH_MALFORMED, "timestamps without word_timestamps.words/start");
			goto out;
		}
		rc = 0;
	} else if (!strcmp(type, "flush_done")) {
		rc = 0;
	} else if (!strcmp(type, "done")) {
		r->t_end = vs_tts_now_ns();
		rc = 1;
	} else if (!strcmp(type, "error")) {
		int st = (int)json_integer_value(json_object_get(j, "status_code"));
		const char *code = json_string_value(json_object_get(j, "error_code"));
		const char *msg = json_string_value(json_object_get(j, "message"));
		const char *title = json_string_value(json_object_get(j, "title"));
		snprintf(buf, sizeof buf, "error %d %s: %s", st, code ? code : "?", msg ? msg : title ? title : "");
		int cls = vs_speech_class_of_status(st);
		if (code && (strstr(code, "credit") || strstr(code, "quota")))
			cls = VS_SPEECH_QUOTA;
		vs_tts_fail(r, cls, buf);
	} else {
		snprintf(buf, sizeof buf, "unknown message type '%.40s'", type);
		vs_tts_fail(r, VS_SPEECH_MALFORMED, buf);
	}
out:
	return rc;
}

static void session(const struct vs_tts_cfg *cfg, struct vs_tts_req *r)
{
	char url[2048], h_key[512];
	struct vs_wsc *ws = NULL;
	struct vs_wsc_err e;
	const char *path = strstr(cfg->url, "/tts/websocket") ? "" : "/tts/websocket";
	snprintf(url, sizeof url, "%s%s", cfg->url, path);
	snprintf(h_key, sizeof h_key, "X-API-Key: %s", cfg->api_key);
	const char *headers[] = {h_key, "Cartesia-Version: " CARTESIA_VERSION, NULL};
	struct vs_wsc_cfg wc = {.url = url, .headers = headers, .timeout_ms = r->timeout_ms, .max_message = 8u << 20};
	r->t_start = vs_tts_now_ns();
	if (vs_wsc_connect(&ws, &wc, &e)) {
		vs_tts_ws_fail(r, &e, 0, NULL);
		goto out;
	}
	r->t_sent = vs_tts_now_ns();
	char text[4096];
	snprintf(text, sizeof text, "%s ", r->text); /* Pipecat sends sentences with a trailing space */
	if (vs_tts_send_json(ws, r, request(cfg, r, text, 1)) || vs_tts_send_json(ws, r, request(cfg, r, "", 0))) {
		vs_tts_ws_fail(r, vs_wsc_error(ws), 0, NULL);
		goto out;
	}
	if (vs_tts_recv_until_done(ws, r, on_msg, NULL, "done"))
		goto out;
	r->cls = r->audio_len ? VS_SPEECH_OK : VS_SPEECH_MALFORMED;
	if (!r->audio_len)
		vs_tts_fail(r, VS_SPEECH_MALFORMED, "done without any audio");
	vs_wsc_close(ws, 1000, 300);
out:
	vs_wsc_free(ws);
}

const struct vs_tts_proto ca_proto = {
	.plugin = "tts_cartesia", .key_env = "CARTESIA_API_KEY", .fault_target = "cartesia", .session = session};
