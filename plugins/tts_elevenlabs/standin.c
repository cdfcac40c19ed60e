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

#include "vstress/crypto/b64.h"
#include "vstress/world.h"
#include "standin.h"
#include "vstress/standin/standin_audio.h"
#include "vstress/standin/standin_ws.h"
#include "vstress/standin/wfmark.h"
#include "vstress/standin/billing.h"
#include "vstress/standin/ttsrec.h"

struct piece {
	size_t end;      /* byte offset in the context buffer where it ends */
	json_t *align;   /* alignment of the piece, sent with its first chunk */
};

struct ectx {
	struct ectx *next;
	char id[128];
	uint8_t *buf;
	size_t len, off;
	struct piece *pieces;
	size_t npieces, next_piece;
	int closing; /* close_context: isFinal after the audio */
	uint64_t not_before;
	/* waterfall: the first text's arrival and the text, until the first audio */
	uint64_t req_ns;
	char *wf_text;
	int wf_sent;
	struct vs_ttsrec *rec; /* what the context sent (record_audio), NULL: not kept */
};

struct econn {
	struct ectx *ctx;
	int enc, rate;
	long timer, idle_timer;
	uint64_t last_text;
	int closed;
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

static struct ectx *ctx_get(struct econn *ec, const char *id, int create)
{
	struct ectx **p = &ec->ctx;
	for (; *p; p = &(*p)->next)
		if (!strcmp((*p)->id, id))
			return *p;
	if (!create)
		return NULL;
	struct ectx *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	snprintf(c->id, sizeof c->id, "%s", id);
	*p = c;
	return c;
}

/* how: why the context ends, for its recording (vs_ttsrec_close) */
static void ctx_drop(struct econn *ec, struct ectx *c, const char *how)
{
	for (struct ectx **p = &ec->ctx; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			vs_ttsrec_close(c->rec, how);
			for (size_t i = 0; i < c->npieces; i++)
				json_decref(c->pieces[i].align);
			free(c->pieces);
			free(c->buf);
			free(c->wf_text);
			free(c);
			return;
		}
	}
}

static void pump(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, void *arg);

static void arm(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, struct econn *ec, uint32_t delay)
{
	(void)wc;
	if (!ec->timer && !ec->closed)
		ec->timer = w->ws_timer(ws, delay, pump, ec);
}

static void pump(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, void *arg)
{
	struct econn *ec = arg;
	uint64_t now = w->now_ms();
	int pending = 0;
	ec->timer = 0;
	double chunk_ms = w->conf_double(wc, "chunk_ms", 50), rt = w->conf_double(wc, "realtime", 2);
	size_t bps = vs_ta_bytes_per_sample(ec->enc);
	for (struct ectx *c = ec->ctx, *next; c; c = next) {
		next = c->next;
		if (now < c->not_before) {
			pending = 1;
			continue;
		}
		if (c->off < c->len) {
			size_t bytes = (size_t)(chunk_ms * ec->rate / 1000.0) * bps;
			json_t *align = NULL;
			if (c->next_piece < c->npieces) {
				struct piece *p = &c->pieces[c->next_piece];
				size_t start = c->next_piece ? c->pieces[c->next_piece - 1].end : 0;
				if (c->off == start) { /* first chunk of a piece carries its alignment */
					align = p->align;
					p->align = NULL;
				}
				if (bytes > p->end - c->off)
					bytes = p->end - c->off; /* chunks never straddle pieces */
				if (c->off + bytes >= p->end)
					c->next_piece++;
			}
			if (bytes > c->len - c->off)
				bytes = c->len - c->off;
			if (!c->off && !c->wf_sent) {
				c->wf_sent = 1;
				vs_wf_tts(w, wc, c->id, c->req_ns, c->wf_text);
				free(c->wf_text);
				c->wf_text = NULL;
			}
			char *b64 = malloc(vs_b64_enc_len(bytes) + 1);
			if (b64 && vs_b64_encode(c->buf + c->off, bytes, b64, vs_b64_enc_len(bytes) + 1) >= 0)
				vs_st_ws_send_json(w, ws, 0,
					  json_pack("{s:s,s:o,s:o,s:s}", "audio", b64, "alignment",
						    align ? json_incref(align) : json_null(), "normalizedAlignment",
						    align ? align : json_null(), "contextId", c->id));
			else
				json_decref(align);
			free(b64);
			vs_ttsrec_sent(c->rec, c->buf + c->off, bytes);
			c->off += bytes;
			w->count(wc, "audio_out_s", (double)bytes / bps / ec->rate);
		}
		if (c->off >= c->len && c->closing) {
			vs_st_ws_send_json(w, ws, 0, json_pack("{s:b,s:s}", "isFinal", 1, "contextId", c->id));
			ctx_drop(ec, c, "done");
			continue;
		}
		if (c->off < c->len)
			pending = 1;
	}
	if (pending)
		arm(w, wc, ws, ec, rt > 0 ? (uint32_t)(chunk_ms / rt) : 1);
}

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
	if (ec->closed)
		return;
	long limit = (long)w->conf_double(wc, "inactivity_timeout_ms", 20000);
	if ((long)(w->now_ms() - ec->last_text) >= limit) {
		w->count(wc, "idle_timeouts", 1);
		w->ws_close(ws, 0, 1008,
			    "Have not received a new text input within the timeout of 20 seconds. Streaming input "
			    "terminated.");
		ec->closed = 1;
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
		ec->closed = 1;
		goto out;
	}
	if (json_is_true(json_object_get(j, "close_socket"))) {
		ec->closed = 1;
		w->ws_close(ws, 0, 1000, NULL);
		goto out;
	}
	const char *id = json_string_value(json_object_get(j, "context_id"));
	const char *text = json_string_value(json_object_get(j, "text"));
	if (!id)
		id = "default";
	if (json_is_true(json_object_get(j, "close_context"))) {
		struct ectx *c = ctx_get(ec, id, 0);
		if (c) {
			c->closing = 1;
			arm(w, wc, ws, ec, 0);
		} else {
			vs_st_ws_send_json(w, ws, 0, json_pack("{s:b,s:s}", "isFinal", 1, "contextId", id));
		}
		goto out;
	}
	if (!text || !*text)
		goto out; /* keepalive, or flush (we generate as text arrives) */
	ec->last_text = w->now_ms();
	struct ectx *c = ctx_get(ec, id, 1);
	if (!c)
		goto out;
	if (!c->len && !c->off)
		c->not_before = w->now_ms() + (uint64_t)w->conf_double(wc, "ttfa_ms", 150);
	if (strspn(text, " \t\n") == strlen(text))
		goto out; /* the context init " " */
	if (!c->req_ns)
		c->req_ns = req_ns;
	if (!c->wf_sent)
		vs_wf_text_append(&c->wf_text, text);
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
	uint8_t *nb = realloc(c->buf, c->len + n);
	struct piece *np = realloc(c->pieces, (c->npieces + 1) * sizeof *np);
	if (np)
		c->pieces = np;
	if (nb && np) {
		memcpy(nb + c->len, pcm, n);
		c->buf = nb;
		c->len += n;
		c->pieces[c->npieces].end = c->len;
		c->pieces[c->npieces].align = alignment(text, secs);
		c->npieces++;
	} else if (nb) {
		c->buf = nb;
	}
	free(pcm);
	w->count(wc, "characters", (double)strlen(text));
	w->publish(wc, "tts.text", json_pack("{s:s,s:s}", "standin", "tts_elevenlabs", "text", text));
	vs_st_bill_tts(w, wc, "elevenlabs", w->req_query(w->ws_request(ws), "model_id"), text);
	arm(w, wc, ws, ec, 0);
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
	while (ec->ctx)
		ctx_drop(ec, ec->ctx, "closed");
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
	while (ec && ec->ctx)
		ctx_drop(ec, ec->ctx, "error");
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
