/* tts_elevenlabs probe: one request over ElevenLabs' multi-context
 * WebSocket as Pipecat speaks it: xi-api-key header, output_format pcm_<rate>
 * or ulaw_8000, context init {"text":" "}, the text, flush, close_context;
 * reads audio messages (camelCase contextId, alignment with chars and
 * charStartTimesMs) until {"isFinal":true}, then close_socket.  ElevenLabs
 * reports errors as a JSON object followed by a close 1008. */
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

/* Class of an ElevenLabs error word (detail.status, "error", close reason). */
int el_class_of_text(const char *s)
{
	if (!s)
		return VS_SPEECH_CLOSED_EARLY;
	if (strstr(s, "quota") || strstr(s, "credits"))
		return VS_SPEECH_QUOTA;
	if (strstr(s, "api_key") || strstr(s, "API key") || strstr(s, "unauthor") || strstr(s, "auth"))
		return VS_SPEECH_AUTH;
	if (strstr(s, "too_many") || strstr(s, "rate") || strstr(s, "concurrent"))
		return VS_SPEECH_RATE_LIMIT;
	if (strstr(s, "invalid") || strstr(s, "must be provided"))
		return VS_SPEECH_BAD_REQUEST;
	return VS_SPEECH_CLOSED_EARLY;
}

/* One server message: 1 final, 0 continue, -1 r failed. */
/* A close 1008 carries ElevenLabs' reason (quota, key, rate...). */
static int el_close_class(const struct vs_wsc_err *e)
{
	return e->close_code == 1008 ? el_class_of_text(e->msg) : VS_SPEECH_CLOSED_EARLY;
}

static int on_msg(struct vs_tts_req *r, const json_t *j)
{
	int rc = -1;
	char buf[256];
	const json_t *err = json_object_get(j, "error");
	if (err && !json_is_null(err)) {
		const char *msg = json_string_value(json_object_get(j, "message"));
		const char *code = json_string_value(err);
		snprintf(buf, sizeof buf, "error %s: %s", code ? code : "?", msg ? msg : "");
		vs_tts_fail(r, el_class_of_text(code), buf);
		goto out;
	}
	const char *ctx = json_string_value(json_object_get(j, "contextId"));
	if (ctx && strcmp(ctx, r->context_id)) {
		rc = 0; /* another context */
		goto out;
	}
	if (json_is_true(json_object_get(j, "isFinal"))) {
		r->t_end = vs_tts_now_ns();
		rc = 1;
		goto out;
	}
	const json_t *audio = json_object_get(j, "audio");
	if (!ctx || (!json_is_string(audio) && !json_is_null(audio))) {
		vs_tts_fail(r, VS_SPEECH_MALFORMED, !ctx ? "message without contextId" : "message without audio or isFinal");
		goto out;
	}
	const json_t *al = json_object_get(j, "alignment");
	if (al && !json_is_null(al) &&
	    (!json_is_array(json_object_get(al, "chars")) || !json_is_array(json_object_get(al, "charStartTimesMs")))) {
		vs_tts_fail(r, VS_SPEECH_MALFORMED, "alignment without chars/charStartTimesMs");
		goto out;
	}
	if (json_is_string(audio)) {
		const char *b = json_string_value(audio);
		if (vs_tts_add_b64(r, b, strlen(b))) {
			vs_tts_fail(r, VS_SPEECH_MALFORMED, "audio is not base64");
			goto out;
		}
		if (!r->t_first && r->audio_len)
			r->t_first = vs_tts_now_ns();
	}
	rc = 0;
out:
	return rc;
}

static void session(const struct vs_tts_cfg *cfg, struct vs_tts_req *r)
{
	char url[2048], h_key[512], fmt[32], text[4096];
	struct vs_wsc *ws = NULL;
	struct vs_wsc_err e;
	if (cfg->enc == VS_AENC_MULAW)
		snprintf(fmt, sizeof fmt, "ulaw_%d", cfg->sample_rate);
	else
		snprintf(fmt, sizeof fmt, "pcm_%d", cfg->sample_rate);
	snprintf(url, sizeof url, "%s/v1/text-to-speech/%s/multi-stream-input?model_id=%s&output_format=%s&auto_mode=true",
		 cfg->url, cfg->voice_id ? cfg->voice_id : "", cfg->model ? cfg->model : "eleven_flash_v2_5", fmt);
	snprintf(h_key, sizeof h_key, "xi-api-key: %s", cfg->api_key);
	const char *headers[] = {h_key, NULL};
	struct vs_wsc_cfg wc = {.url = url, .headers = headers, .timeout_ms = r->timeout_ms, .max_message = 16u << 20};
	r->t_start = vs_tts_now_ns();
	if (vs_wsc_connect(&ws, &wc, &e)) {
		vs_tts_ws_fail(r, &e, 0, el_close_class);
		goto out;
	}
	r->t_sent = vs_tts_now_ns();
	snprintf(text, sizeof text, "%s ", r->text);
	if (vs_tts_send_json(ws, r, json_pack("{s:s,s:s}", "text", " ", "context_id", r->context_id)) ||
	    vs_tts_send_json(ws, r, json_pack("{s:s,s:s}", "text", text, "context_id", r->context_id)) ||
	    vs_tts_send_json(ws, r, json_pack("{s:s,s:b}", "context_id", r->context_id, "flush", 1)) ||
	    vs_tts_send_json(ws, r, json_pack("{s:s,s:b}", "context_id", r->context_id, "close_context", 1))) {
		vs_tts_ws_fail(r, vs_wsc_error(ws), 0, el_close_class);
		goto out;
	}
	if (vs_tts_recv_until_done(ws, r, on_msg, el_close_class, "isFinal"))
		goto out;
	if (!r->audio_len)
		vs_tts_fail(r, VS_SPEECH_MALFORMED, "isFinal without any audio");
	else
		r->cls = VS_SPEECH_OK;
	if (vs_tts_send_json(ws, r, json_pack("{s:b}", "close_socket", 1)) == 0) {
		struct vs_wsc_msg m;
		while (vs_wsc_recv(ws, 300, &m) > 0)
			; /* the server closes */
	}
out:
	vs_wsc_free(ws);
}

const struct vs_tts_proto el_proto = {
	.plugin = "tts_elevenlabs", .key_env = "ELEVENLABS_API_KEY", .fault_target = "elevenlabs", .session = session};
