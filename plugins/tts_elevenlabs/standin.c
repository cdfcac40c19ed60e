/* ElevenLabs multi-context TTS stand-in: WebSocket
 * /v1/text-to-speech/{voice}/multi-stream-input (xi-api-key header), with
 * camelCase contextId / isFinal and alignment (chars, charStartTimesMs,
 * charDurationsMs).  Handles context init, text, flush, close_context,
 * keepalive ({"text":""}) and close_socket; closes 1008 after 20 s without
 * text, like the real service.  Audio is flite speech of the text, paced. */
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

struct piece {
	size_t end;      /* byte offset in the context buffer where it ends */
	json_t *align;   /* alignment of the piece, sent with its first chunk */
};

/* A context: the shared one, and its pieces (one a text message). */
struct ectx {
	struct vs_ttsctx base;
	struct piece *pieces;
	size_t npieces, next_piece;
};

struct econn {
	struct vs_ttsstream stream; /* its contexts and their pacing timer */
	int enc, rate;
	long idle_timer;
	uint64_t last_text;
};

static int el_error(const struct vs_world *w, vs_wctx *wc, vs_wresp *rs, int status, int mid_stream,
		    const char *message)
{
	(void)mid_stream;
	const char *st = status == 401 ? "invalid_api_key" : status == 429 ? "too_many_concurrent_requests"
			 : status == 402 ? "quota_exceeded" : status == 400 ? "invalid_request" : "internal_error";
	w->count(wc, "errors", 1);
	return w->resp_json_steal(rs, status,
				  json_pack("{s:{s:s,s:s}}", "detail", "status", st, "message",
					    message ? message : status == 401 ? "Invalid API key" : "Request failed"));
}

/* Chunks never straddle pieces: the first chunk of a piece carries its
 * alignment (handed to chunk_msg through aux). */
static size_t chunk_limit(struct vs_ttsctx *base, size_t bytes, void **aux)
{
	struct ectx *c = (struct ectx *)base;
	if (c->next_piece >= c->npieces)
		return bytes;
	struct piece *p = &c->pieces[c->next_piece];
	size_t start = c->next_piece ? c->pieces[c->next_piece - 1].end : 0;
	if (base->off == start) {
		*aux = p->align;
		p->align = NULL;
	}
	if (bytes > p->end - base->off)
		bytes = p->end - base->off;
	if (base->off + bytes >= p->end)
		c->next_piece++;
	return bytes;
}

static json_t *chunk_msg(struct vs_ttsctx *c, const char *b64, void *aux)
{
	json_t *align = aux;
	if (!b64) {
		json_decref(align);
		return NULL;
	}
	return json_pack("{s:s,s:o,s:o,s:s}", "audio", b64, "alignment", align ? json_incref(align) : json_null(),
			 "normalizedAlignment", align ? align : json_null(), "contextId", c->id);
}

static json_t *final_msg(struct vs_ttsctx *c)
{
	return json_pack("{s:b,s:s}", "isFinal", 1, "contextId", c->id);
}

static void pieces_free(struct vs_ttsctx *base)
{
	struct ectx *c = (struct ectx *)base;
	for (size_t i = 0; i < c->npieces; i++)
		json_decref(c->pieces[i].align);
	free(c->pieces);
}

static const struct vs_ttsstream_ops stream_ops = {
	.ctx_size = sizeof(struct ectx),
	.chunk_ms = 50,
	.chunk_limit = chunk_limit,
	.chunk_msg = chunk_msg,
	.end_msg = final_msg,
	.ctx_free = pieces_free,
};

static json_t *alignment(const char *text, double secs)
{
	json_t *chars = json_array(), *st = json_array(), *du = json_array();
	size_t n = strlen(text);
	double per = n ? secs * 1000.0 / n : 0;
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(chars, json_stringn(text + i, 1));
		json_array_append_new(st, json_integer((json_int_t)(per * i)));
		json_array_append_new(du, json_integer((json_int_t)per));
	}
	return json_pack("{s:o,s:o,s:o}", "chars", chars, "charStartTimesMs", st, "charDurationsMs", du);
}

static void inactivity(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, void *arg)
{
	struct econn *ec = arg;
	ec->idle_timer = 0;
	if (ec->stream.closed)
		return;
	long limit = (long)w->conf_double(wc, "inactivity_timeout_ms", 20000);
	if ((long)(w->now_ms() - ec->last_text) >= limit) {
		w->count(wc, "idle_timeouts", 1);
		w->ws_close(ws, 0, 1008,
			    "Have not received a new text input within the timeout of 20 seconds. Streaming input "
			    "terminated.");
		ec->stream.closed = 1;
		return;
	}
	ec->idle_timer = w->ws_timer(ws, 500, inactivity, ec);
}

static int on_message(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, int binary, const void *data, size_t len,
		      void *arg)
{
	(void)arg;
	uint64_t req_ns = vs_wf_now_ns();
	struct econn *ec = w->ws_data(ws);
	json_t *j = binary ? NULL : json_loadb(data, len, 0, NULL);
	if (!json_is_object(j)) {
		vs_st_ws_send_json(w, ws, 0, json_pack("{s:s,s:s,s:i}", "message", "Invalid message received.", "error",
					   "invalid_input_message", "code", 1008));
		w->ws_close(ws, 0, 1008, "Invalid message received.");
		ec->stream.closed = 1;
		goto out;
	}
	if (json_is_true(json_object_get(j, "close_socket"))) {
		ec->stream.closed = 1;
		w->ws_close(ws, 0, 1000, NULL);
		goto out;
	}
	const char *id = json_string_value(json_object_get(j, "context_id"));
	const char *text = json_string_value(json_object_get(j, "text"));
	if (!id)
		id = "default";
	if (json_is_true(json_object_get(j, "close_context"))) {
		struct vs_ttsctx *c = vs_ttsstream_ctx(&ec->stream, id, 0);
		if (c) {
			c->ending = 1;
			vs_ttsstream_arm(w, ws, &ec->stream, 0);
		} else {
			vs_st_ws_send_json(w, ws, 0, json_pack("{s:b,s:s}", "isFinal", 1, "contextId", id));
		}
		goto out;
	}
	if (!text || !*text)
		goto out; /* keepalive, or flush (we generate as text arrives) */
	ec->last_text = w->now_ms();
	struct ectx *cx = (struct ectx *)vs_ttsstream_ctx(&ec->stream, id, 1);
	if (!cx)
		goto out;
	struct vs_ttsctx *c = &cx->base;
	c->enc = ec->enc; /* the connection's output_format */
	c->rate = ec->rate;
	if (!c->len && !c->off)
		c->not_before = w->now_ms() + (uint64_t)w->conf_double(wc, "ttfa_ms", 150);
	if (strspn(text, " \t\n") == strlen(text))
		goto out; /* the context init " " */
	vs_ttsctx_request(c, req_ns, text);
	if (!c->rec)
		c->rec = vs_ttsrec_open(w, wc, "tts_elevenlabs", id, ec->rate, ec->enc);
	vs_ttsrec_text(c->rec, text);
	uint8_t *pcm;
	size_t n;
	double secs;
	char err[200];
	if (vs_ta_speak(text, w->conf(wc, "voice"), ec->rate, ec->enc, &pcm, &n, &secs, err, sizeof err) < 0) {
		w->log(wc, VS_LOG_WARN, "synthesis: %s", err);
		goto out;
	}
	struct piece *np = realloc(cx->pieces, (cx->npieces + 1) * sizeof *np);
	if (np)
		cx->pieces = np;
	if (np && !vs_ttsctx_audio(c, pcm, n)) { /* out of memory: the words go unspoken */
		cx->pieces[cx->npieces].end = c->len;
		cx->pieces[cx->npieces].align = alignment(text, secs);
		cx->npieces++;
	}
	free(pcm);
	w->count(wc, "characters", (double)strlen(text));
	w->publish(wc, "tts.text", json_pack("{s:s,s:s}", "standin", "tts_elevenlabs", "text", text));
	vs_st_bill_tts(w, wc, "elevenlabs", w->req_query(w->ws_request(ws), "model_id"), text);
	vs_ttsstream_arm(w, ws, &ec->stream, 0);
out:
	json_decref(j);
	return 0;
}

static int on_upgrade(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)arg;
	const char *want = w->conf(wc, "api_key"), *k = w->req_header(rq, "xi-api-key");
	if (!k)
		k = w->req_query(rq, "xi_api_key");
	if (!k || !*k || (want && *want && strcmp(k, want)))
		return el_error(w, wc, rs, 401, 0, NULL) || 1;
	const char *of = w->req_query(rq, "output_format");
	if (of && strncmp(of, "pcm_", 4) && strncmp(of, "ulaw_", 5))
		return el_error(w, wc, rs, 400, 0, "Unsupported output_format for this stand-in (pcm_* or ulaw_8000).") || 1;
	return 0;
}

static int on_open(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, void *arg)
{
	(void)arg;
	struct econn *ec = calloc(1, sizeof *ec);
	if (!ec)
		return -1;
	ec->stream.ops = &stream_ops;
	const char *of = w->req_query(w->ws_request(ws), "output_format");
	ec->enc = of && !strncmp(of, "ulaw_", 5) ? VS_TA_MULAW : VS_TA_S16LE;
	ec->rate = of ? atoi(strchr(of, '_') ? strchr(of, '_') + 1 : "24000") : 24000;
	if (ec->rate < 8000 || ec->rate > 48000)
		ec->rate = 24000;
	ec->last_text = w->now_ms();
	w->ws_set_data(ws, ec);
	ec->idle_timer = w->ws_timer(ws, 500, inactivity, ec);
	w->count(wc, "connections", 1);
	return 0;
}

static void on_close(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, int code, void *arg)
{
	(void)wc, (void)code, (void)arg;
	struct econn *ec = w->ws_data(ws);
	if (!ec)
		return;
	vs_ttsstream_drop_all(&ec->stream, "closed");
	free(ec);
	w->ws_set_data(ws, NULL);
}

/* An error fault mid-stream: ElevenLabs' error JSON, then its close 1008
 * with the reason (as the real service reports errors). */
static int ws_fault_error(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, int status, const char *message)
{
	const char *err = status == 429 ? "too_many_concurrent_requests" : status == 400 ? "invalid_input_message"
			  : "internal_error";
	const char *msg = message ? message : status == 429 ? "Too many concurrent requests." : "Internal server error.";
	struct econn *ec = w->ws_data(ws);
	w->count(wc, "errors", 1);
	if (ec)
		vs_ttsstream_drop_all(&ec->stream, "error");
	vs_st_ws_send_json(w, ws, 0, json_pack("{s:s,s:s,s:i}", "message", msg, "error", err, "code", 1008));
	return w->ws_close(ws, 0, 1008, msg);
}

static const struct vs_ws_handlers handlers = {
	.on_open = on_open, .on_message = on_message, .on_close = on_close, .on_upgrade = on_upgrade};

int tts_elevenlabs_standin(const struct vs_world *w, vs_wctx *wc)
{
	if (w->abi_version != VS_WORLD_ABI_VERSION || !VS_WORLD_HAS(w, export_env))
		return VS_ERROR;
	int rc = 0;
	rc |= w->add_ws_route(wc, "/v1/text-to-speech/{voice}/multi-stream-input", &handlers, NULL);
	rc |= w->set_error_builder(wc, el_error);
	rc |= vs_ttsrec_routes(w, wc, "tts_elevenlabs");
	if (VS_WORLD_HAS(w, set_ws_error_builder))
		rc |= w->set_ws_error_builder(wc, ws_fault_error);
	rc |= w->export_env(wc, "ELEVENLABS_BASE_URL", "{ws}");
	rc |= w->export_env(wc, "ELEVENLABS_API_KEY", "vstress-dummy");
	return rc ? VS_ERROR : VS_OK;
}
