/* Cartesia TTS stand-in: WebSocket /tts/websocket (auth by ?api_key= or
 * X-API-Key; chunk, timestamps, done and error messages, every one with its
 * context_id; cancel) and POST /tts/bytes.  The audio is real speech of the
 * received text (flite), converted to the requested encoding and rate and
 * paced: first audio after ttfa_ms, then chunk_ms of audio every
 * chunk_ms / realtime. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "vstress/world.h"
#include "standin.h"
#include "vstress/standin/standin_audio.h"
#include "vstress/standin/standin_ws.h"
#include "vstress/standin/wfmark.h"
#include "vstress/standin/billing.h"
#include "vstress/standin/ttsrec.h"
#include "vstress/standin/ttsstream.h"

/* A context: the shared one, and the seconds of audio it has rendered so
 * far (the word timestamps continue from there). */
struct cctx {
	struct vs_ttsctx base;
	double t_audio;
};

static json_t *chunk_msg(struct vs_ttsctx *c, const char *b64, void *aux)
{
	(void)aux;
	if (!b64)
		return NULL;
	return json_pack("{s:s,s:s,s:s,s:b,s:i,s:f}", "type", "chunk", "context_id", c->id, "data", b64, "done", 0,
			 "status_code", 206, "step_time", 12.5);
}

static json_t *done_msg(struct vs_ttsctx *c)
{
	return json_pack("{s:s,s:s,s:b,s:i}", "type", "done", "context_id", c->id, "done", 1, "status_code", 206);
}

static const struct vs_ttsstream_ops stream_ops = {
	.ctx_size = sizeof(struct cctx),
	.chunk_ms = 40,
	.chunk_msg = chunk_msg,
	.end_msg = done_msg,
};

static int ca_error(const struct vs_world *w, vs_wctx *wc, vs_wresp *rs, int status, int mid_stream,
		    const char *message)
{
	(void)mid_stream;
	const char *code = status == 401 ? "invalid_api_key" : status == 402 ? "insufficient_credits"
			   : status == 429 ? "concurrency_limited" : status == 400 ? "invalid_request" : "internal_error";
	const char *title = status == 401 ? "Invalid API key" : status == 402 ? "Insufficient credits"
			    : status == 429 ? "Too many concurrent requests" : status == 400 ? "Invalid request"
			    : "Internal server error";
	char rid[40];
	snprintf(rid, sizeof rid, "req_%016llx", (unsigned long long)w->rand(wc));
	w->count(wc, "errors", 1);
	return w->resp_json_steal(rs, status,
				  json_pack("{s:s,s:s,s:s,s:s}", "error_code", code, "title", title, "message",
					    message ? message : title, "request_id", rid));
}

static void ws_err(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, const char *ctx, int status, const char *code,
		   const char *title, const char *message)
{
	char rid[40];
	snprintf(rid, sizeof rid, "req_%016llx", (unsigned long long)w->rand(wc));
	w->count(wc, "errors", 1);
	vs_st_ws_send_json(w, ws, 0,
		  json_pack("{s:s,s:s,s:b,s:i,s:s,s:s,s:s,s:s}", "type", "error", "context_id", ctx, "done", 1,
			    "status_code", status, "error_code", code, "title", title, "message", message,
			    "request_id", rid));
}

static int timestamps(const struct vs_world *w, vs_ws *ws, struct cctx *c, const char *text, double secs)
{
	json_t *words = json_array(), *st = json_array(), *en = json_array();
	int n = 0;
	for (const char *p = text; *p;) {
		while (*p == ' ')
			p++;
		if (*p)
			n++;
		while (*p && *p != ' ')
			p++;
	}
	double step = n ? secs / n : 0;
	int i = 0;
	for (const char *p = text; *p;) {
		while (*p == ' ')
			p++;
		const char *s = p;
		while (*p && *p != ' ')
			p++;
		if (p == s)
			break;
		json_array_append_new(words, json_stringn(s, (size_t)(p - s)));
		json_array_append_new(st, json_real(c->t_audio + step * i));
		json_array_append_new(en, json_real(c->t_audio + step * (i + 1)));
		i++;
	}
	return vs_st_ws_send_json(w, ws, 0,
			 json_pack("{s:s,s:s,s:b,s:i,s:{s:o,s:o,s:o}}", "type", "timestamps", "context_id", c->base.id, "done", 0,
				   "status_code", 206, "word_timestamps", "words", words, "start", st, "end", en));
}

static int on_message(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, int binary, const void *data, size_t len,
		      void *arg)
{
	(void)arg;
	uint64_t req_ns = vs_wf_now_ns();
	struct vs_ttsstream *cc = w->ws_data(ws);
	json_t *j = binary ? NULL : json_loadb(data, len, 0, NULL);
	const char *id = json_string_value(json_object_get(j, "context_id"));
	if (!j || !json_is_object(j)) {
		ws_err(w, wc, ws, "", 400, "invalid_request", "Invalid message", "The message is not valid JSON.");
		goto out;
	}
	if (!id)
		id = "";
	if (json_is_true(json_object_get(j, "cancel"))) {
		struct vs_ttsctx *c = vs_ttsstream_ctx(cc, id, 0);
		if (c)
			vs_ttsstream_drop(cc, c, "cancelled");
		w->count(wc, "cancels", 1);
		goto out;
	}
	const json_t *of = json_object_get(j, "output_format");
	const char *transcript = json_string_value(json_object_get(j, "transcript"));
	if (!json_object_get(j, "model_id") || !json_object_get(j, "voice") || !of || !transcript) {
		ws_err(w, wc, ws, id, 400, "invalid_request", "Invalid request",
		       "model_id, voice, output_format and transcript are required.");
		goto out;
	}
	int enc = vs_ta_encoding(json_string_value(json_object_get(of, "encoding")));
	int rate = (int)json_integer_value(json_object_get(of, "sample_rate"));
	if (enc < 0 || rate < 8000 || rate > 48000) {
		ws_err(w, wc, ws, id, 400, "invalid_request", "Invalid output format",
		       "Unsupported encoding or sample_rate.");
		goto out;
	}
	struct cctx *cx = (struct cctx *)vs_ttsstream_ctx(cc, id, 1);
	if (!cx)
		goto out;
	struct vs_ttsctx *c = &cx->base;
	vs_ttsctx_request(c, req_ns, transcript);
	if (!c->buf && !c->len) {
		c->enc = enc;
		c->rate = rate;
		c->not_before = w->now_ms() + (uint64_t)w->conf_double(wc, "ttfa_ms", 150);
		if (!c->rec)
			c->rec = vs_ttsrec_open(w, wc, "tts_cartesia", id, rate, enc);
	}
	if (*transcript && strspn(transcript, " \t\n") < strlen(transcript)) {
		uint8_t *pcm;
		size_t n;
		double secs;
		char err[200];
		if (vs_ta_speak(transcript, w->conf(wc, "voice"), c->rate, c->enc, &pcm, &n, &secs, err, sizeof err) < 0) {
			ws_err(w, wc, ws, id, 500, "internal_error", "Synthesis failed", err);
			vs_ttsstream_drop(cc, c, "error");
			goto out;
		}
		vs_ttsctx_audio(c, pcm, n); /* out of memory: the words go unspoken */
		free(pcm);
		vs_ttsrec_text(c->rec, transcript);
		if (json_is_true(json_object_get(j, "add_timestamps")))
			timestamps(w, ws, cx, transcript, secs);
		cx->t_audio += secs;
		w->count(wc, "characters", (double)strlen(transcript));
		/* the words asked for (an errors-phase check recognises a fallback message by them) */
		w->publish(wc, "tts.text", json_pack("{s:s,s:s}", "standin", "tts_cartesia", "text", transcript));
		vs_st_bill_tts(w, wc, "cartesia", json_string_value(json_object_get(j, "model_id")), transcript);
	}
	if (!json_is_true(json_object_get(j, "continue")))
		c->ending = 1;
	vs_ttsstream_arm(w, ws, cc, 0);
out:
	json_decref(j);
	return 0;
}

static int on_open(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, void *arg)
{
	(void)arg;
	struct vs_ttsstream *cc = calloc(1, sizeof *cc);
	if (!cc)
		return -1;
	cc->ops = &stream_ops;
	w->ws_set_data(ws, cc);
	w->count(wc, "connections", 1);
	return 0;
}

static void on_close(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, int code, void *arg)
{
	(void)wc, (void)code, (void)arg;
	struct vs_ttsstream *cc = w->ws_data(ws);
	if (!cc)
		return;
	vs_ttsstream_drop_all(cc, "closed");
	free(cc);
	w->ws_set_data(ws, NULL);
}

static const char *api_key_of(const struct vs_world *w, const vs_wreq *rq)
{
	const char *k = w->req_header(rq, "X-API-Key");
	const char *auth = w->req_header(rq, "Authorization");
	if (!k)
		k = w->req_query(rq, "api_key");
	if (!k && auth && !strncasecmp(auth, "Bearer ", 7))
		k = auth + 7;
	return k;
}

static int key_ok(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq)
{
	const char *want = w->conf(wc, "api_key"), *k = api_key_of(w, rq);
	return k && *k && (!want || !*want || !strcmp(k, want));
}

static int on_upgrade(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)arg;
	if (!key_ok(w, wc, rq))
		return ca_error(w, wc, rs, 401, 0, "Invalid API key.") || 1;
	return 0;
}

static void wav_header(uint8_t h[44], size_t data_len, int rate, int enc)
{
	unsigned bps = (unsigned)vs_ta_bytes_per_sample(enc);
	unsigned fmt = enc == VS_TA_F32LE ? 3 : enc == VS_TA_MULAW ? 7 : enc == VS_TA_ALAW ? 6 : 1;
	uint32_t v[] = {(uint32_t)(36 + data_len), 16, (uint32_t)rate, (uint32_t)rate * bps, (uint32_t)data_len};
	memcpy(h, "RIFF", 4);
	memcpy(h + 4, &v[0], 4);
	memcpy(h + 8, "WAVEfmt ", 8);
	memcpy(h + 16, &v[1], 4);
	uint16_t f = (uint16_t)fmt, ch = 1, ba = (uint16_t)bps, bits = (uint16_t)(bps * 8);
	memcpy(h + 20, &f, 2);
	memcpy(h + 22, &ch, 2);
	memcpy(h + 24, &v[2], 4);
	memcpy(h + 28, &v[3], 4);
	memcpy(h + 32, &ba, 2);
	memcpy(h + 34, &bits, 2);
	memcpy(h + 36, "data", 4);
	memcpy(h + 40, &v[4], 4);
}

/* POST /tts/bytes: the whole audio as the response body. */
static int h_bytes(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)arg;
	json_t *j = NULL;
	uint8_t *pcm = NULL, *out = NULL;
	int rc = 0;
	if (!key_ok(w, wc, rq)) {
		ca_error(w, wc, rs, 401, 0, "Invalid API key.");
		goto out;
	}
	j = w->req_json(rq);
	const json_t *of = json_object_get(j, "output_format");
	const char *transcript = json_string_value(json_object_get(j, "transcript"));
	const char *container = json_string_value(json_object_get(of, "container"));
	int enc = vs_ta_encoding(json_string_value(json_object_get(of, "encoding")));
	int rate = (int)json_integer_value(json_object_get(of, "sample_rate"));
	if (!transcript || !*transcript || !of || enc < 0 || rate < 8000 || rate > 48000 ||
	    !json_object_get(j, "voice") || !json_object_get(j, "model_id")) {
		ca_error(w, wc, rs, 400, 0, "model_id, transcript, voice and a valid output_format are required.");
		goto out;
	}
	size_t n;
	double secs;
	char err[200];
	if (vs_ta_speak(transcript, w->conf(wc, "voice"), rate, enc, &pcm, &n, &secs, err, sizeof err) < 0) {
		ca_error(w, wc, rs, 500, 0, err);
		goto out;
	}
	int wav = container && !strcmp(container, "wav");
	out = malloc(n + 44);
	if (!out) {
		rc = -1;
		goto out;
	}
	if (wav)
		wav_header(out, n, rate, enc);
	memcpy(out + (wav ? 44 : 0), pcm, n);
	w->count(wc, "characters", (double)strlen(transcript));
	w->count(wc, "audio_out_s", secs);
	vs_st_bill_tts(w, wc, "cartesia", json_string_value(json_object_get(j, "model_id")), transcript);
	w->resp_status(rs, 200);
	w->resp_header(rs, "Content-Type", wav ? "audio/wav" : "application/octet-stream");
	double rt = w->conf_double(wc, "realtime", 2);
	uint32_t delay = (uint32_t)w->conf_double(wc, "ttfa_ms", 150) + (rt > 0 ? (uint32_t)(secs * 1000 / rt / 4) : 0);
	rc = w->resp_body(rs, delay, out, n + (wav ? 44 : 0));
out:
	free(out);
	free(pcm);
	json_decref(j);
	return rc;
}

/* An error fault mid-stream: Cartesia's error message (context_id, done)
 * on every context in progress; their audio stops, the socket stays open. */
static int ws_fault_error(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, int status, const char *message)
{
	struct vs_ttsstream *cc = w->ws_data(ws);
	const char *code = status == 429 ? "concurrency_limited" : status == 400 ? "invalid_request" : "internal_error";
	const char *title = status == 429 ? "Too many concurrent requests" : status == 400 ? "Invalid request"
			    : "Internal server error";
	if (!cc || !cc->ctx) {
		ws_err(w, wc, ws, "", status, code, title, message ? message : title);
		return 0;
	}
	while (cc->ctx) {
		ws_err(w, wc, ws, cc->ctx->id, status, code, title, message ? message : title);
		vs_ttsstream_drop(cc, cc->ctx, "error");
	}
	return 0;
}

static const struct vs_ws_handlers handlers = {
	.on_open = on_open, .on_message = on_message, .on_close = on_close, .on_upgrade = on_upgrade};

int tts_cartesia_standin(const struct vs_world *w, vs_wctx *wc)
{
	if (w->abi_version != VS_WORLD_ABI_VERSION || !VS_WORLD_HAS(w, export_env))
		return VS_ERROR;
	int rc = 0;
	rc |= w->add_ws_route(wc, "/tts/websocket", &handlers, NULL);
	rc |= w->add_http_route(wc, "POST", "/tts/bytes", h_bytes, NULL);
	rc |= w->set_error_builder(wc, ca_error);
	rc |= vs_ttsrec_routes(w, wc, "tts_cartesia");
	if (VS_WORLD_HAS(w, set_ws_error_builder))
		rc |= w->set_ws_error_builder(wc, ws_fault_error);
	/* CARTESIA_BASE_URL is the full WebSocket URL, as the reference agent
	 * dials it (wss://api.cartesia.ai/tts/websocket). */
	rc |= w->export_env(wc, "CARTESIA_BASE_URL", "{ws}/tts/websocket");
	rc |= w->export_env(wc, "CARTESIA_WS_URL", "{ws}/tts/websocket");
	rc |= w->export_env(wc, "CARTESIA_API_KEY", "vstress-dummy");
	return rc ? VS_ERROR : VS_OK;
}
