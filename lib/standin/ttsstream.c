/* A streaming TTS stand-in's contexts: see vstress/standin/ttsstream.h. */
#include "vstress/standin/ttsstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/crypto/b64.h"
#include "vstress/standin/standin_audio.h"
#include "vstress/standin/standin_ws.h"
#include "vstress/standin/ttsrec.h"
#include "vstress/standin/wfmark.h"

struct vs_ttsctx *vs_ttsstream_ctx(struct vs_ttsstream *s, const char *id, int create)
{
	struct vs_ttsctx **p = &s->ctx;

	for (; *p; p = &(*p)->next)
		if (!strcmp((*p)->id, id))
			return *p;
	if (!create)
		return NULL;
	size_t size = s->ops->ctx_size ? s->ops->ctx_size : sizeof(struct vs_ttsctx);
	struct vs_ttsctx *c = calloc(1, size);
	if (!c)
		return NULL;
	snprintf(c->id, sizeof c->id, "%s", id);
	*p = c;
	return c;
}

void vs_ttsstream_drop(struct vs_ttsstream *s, struct vs_ttsctx *c, const char *how)
{
	for (struct vs_ttsctx **p = &s->ctx; *p; p = &(*p)->next) {
		if (*p != c)
			continue;
		*p = c->next;
		vs_ttsrec_close(c->rec, how);
		if (s->ops->ctx_free)
			s->ops->ctx_free(c);
		free(c->buf);
		free(c->wf_text);
		free(c);
		return;
	}
}

void vs_ttsstream_drop_all(struct vs_ttsstream *s, const char *how)
{
	while (s->ctx)
		vs_ttsstream_drop(s, s->ctx, how);
}

int vs_ttsctx_audio(struct vs_ttsctx *c, const uint8_t *pcm, size_t n)
{
	uint8_t *nb = realloc(c->buf, c->len + n);

	if (!nb)
		return -1;
	memcpy(nb + c->len, pcm, n);
	c->buf = nb;
	c->len += n;
	return 0;
}

void vs_ttsctx_request(struct vs_ttsctx *c, uint64_t req_ns, const char *text)
{
	if (!c->req_ns)
		c->req_ns = req_ns;
	if (!c->wf_sent)
		vs_wf_text_append(&c->wf_text, text);
}

/* The waterfall's mark of c's synthesis request, with its first audio. */
static void first_audio(const struct vs_world *w, vs_wctx *wc, struct vs_ttsctx *c)
{
	if (c->wf_sent)
		return;
	c->wf_sent = 1;
	vs_wf_tts(w, wc, c->id, c->req_ns, c->wf_text);
	free(c->wf_text);
	c->wf_text = NULL;
}

/* Sends the next chunk of c: at most chunk_ms of audio, as the provider's
 * message. */
static void send_chunk(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, const struct vs_ttsstream_ops *ops,
		       struct vs_ttsctx *c, double chunk_ms)
{
	size_t bps = vs_ta_bytes_per_sample(c->enc);
	size_t bytes = (size_t)(chunk_ms * c->rate / 1000.0) * bps;
	void *aux = NULL;

	if (ops->chunk_limit)
		bytes = ops->chunk_limit(c, bytes, &aux);
	if (bytes > c->len - c->off)
		bytes = c->len - c->off;
	if (!c->off)
		first_audio(w, wc, c);
	size_t cap = vs_b64_enc_len(bytes) + 1;
	char *b64 = malloc(cap);
	if (b64 && vs_b64_encode(c->buf + c->off, bytes, b64, cap) < 0) {
		free(b64);
		b64 = NULL;
	}
	json_t *msg = ops->chunk_msg(c, b64, aux);
	if (msg)
		vs_st_ws_send_json(w, ws, 0, msg);
	free(b64);
	vs_ttsrec_sent(c->rec, c->buf + c->off, bytes);
	c->off += bytes;
	w->count(wc, "audio_out_s", (double)bytes / (double)bps / c->rate);
}

/* One tick: a chunk of every context whose audio is due; an ending context
 * whose audio is all out gets the end message and goes. */
static void pump(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, void *arg)
{
	struct vs_ttsstream *s = arg;
	const struct vs_ttsstream_ops *ops = s->ops;
	uint64_t now = w->now_ms();
	double chunk_ms = w->conf_double(wc, "chunk_ms", ops->chunk_ms);
	double rt = w->conf_double(wc, "realtime", 2);
	int pending = 0;

	s->timer = 0;
	for (struct vs_ttsctx *c = s->ctx, *next; c; c = next) {
		next = c->next;
		if (now < c->not_before) {
			pending = 1;
			continue;
		}
		if (c->off < c->len)
			send_chunk(w, wc, ws, ops, c, chunk_ms);
		if (c->off >= c->len && c->ending) {
			vs_st_ws_send_json(w, ws, 0, ops->end_msg(c));
			vs_ttsstream_drop(s, c, "done");
			continue;
		}
		if (c->off < c->len)
			pending = 1;
	}
	if (pending)
		vs_ttsstream_arm(w, ws, s, rt > 0 ? (uint32_t)(chunk_ms / rt) : 1);
}

void vs_ttsstream_arm(const struct vs_world *w, vs_ws *ws, struct vs_ttsstream *s, uint32_t delay)
{
	if (!s->timer && !s->closed)
		s->timer = w->ws_timer(ws, delay, pump, s);
}
