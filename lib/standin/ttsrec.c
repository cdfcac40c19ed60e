/* The TTS stand-ins' recordings of what they sent (vstress/standin/ttsrec.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vstress/audio/resample.h"
#include "vstress/audio/ulaw.h"
#include "vstress/standin/recring.h"
#include "vstress/standin/standin_audio.h"
#include "vstress/standin/ttsrec.h"

struct vs_ttsrec {
	struct vs_recslot slot; /* first: its PCM16 at `rate`, its text */
	const char *standin;
	char reply[24], context[128], encoding[16], ended[12];
	int rate, enc;
	int64_t end_ns;
};

/* one table per stand-in library copy; a slot says whose it is */
static struct vs_ttsrec recs[VS_TTSREC_KEEP];
static struct vs_recring ring = VS_RECRING(recs);

struct vs_ttsrec *vs_ttsrec_open(const struct vs_world *w, vs_wctx *wc, const char *standin, const char *id, int rate,
				 int enc)
{
	struct vs_ttsrec *slot = rate > 0 ? vs_recring_open(&ring, w, wc, rate) : NULL;
	if (!slot)
		return NULL;
	slot->standin = standin;
	snprintf(slot->reply, sizeof slot->reply, "%llu", (unsigned long long)slot->slot.order);
	snprintf(slot->context, sizeof slot->context, "%s", id ? id : "");
	snprintf(slot->encoding, sizeof slot->encoding, "%s",
		 enc == VS_TA_F32LE ? "pcm_f32le" : enc == VS_TA_MULAW ? "pcm_mulaw" : enc == VS_TA_ALAW ? "pcm_alaw"
													   : "pcm_s16le");
	slot->rate = rate;
	slot->enc = enc;
	return slot;
}

void vs_ttsrec_text(struct vs_ttsrec *r, const char *text)
{
	vs_recring_text(r ? &r->slot : NULL, text, 1u << 16);
}

static int16_t alaw_decode(uint8_t a)
{
	a ^= 0x55;
	int seg = (a >> 4) & 7, t = (a & 0x0f) << 4;
	t = seg ? (t + 0x108) << (seg - 1) : t + 8;
	return (int16_t)((a & 0x80) ? t : -t);
}

static int16_t sample_at(const uint8_t *p, int enc)
{
	switch (enc) {
	case VS_TA_F32LE: {
		uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		float f;
		memcpy(&f, &u, sizeof f);
		double v = (double)f * 32767.0;
		return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
	case VS_TA_MULAW:
		return vs_ulaw_decode(p[0]);
	case VS_TA_ALAW:
		return alaw_decode(p[0]);
	default:
		return (int16_t)(uint16_t)(p[0] | p[1] << 8);
	}
}

void vs_ttsrec_sent(struct vs_ttsrec *r, const uint8_t *data, size_t bytes)
{
	if (!r || r->slot.closed || !bytes)
		return;
	int64_t now = vs_recring_now_ns();
	if (!r->slot.start_ns)
		r->slot.start_ns = now;
	r->end_ns = now;
	size_t bps = vs_ta_bytes_per_sample(r->enc), n = bytes / bps;
	n = vs_recring_room(&r->slot, n, (size_t)r->rate * 4);
	for (size_t i = 0; i < n; i++)
		r->slot.pcm[r->slot.n++] = sample_at(data + i * bps, r->enc);
}

void vs_ttsrec_close(struct vs_ttsrec *r, const char *how)
{
	if (!r || r->slot.closed)
		return;
	r->slot.closed = 1;
	snprintf(r->ended, sizeof r->ended, "%s", how ? how : "closed");
}

static int h_replies(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)rq;
	json_t *a = json_array();
	for (int i = 0; i < VS_TTSREC_KEEP; i++) {
		const struct vs_ttsrec *r = vs_recring_at(&ring, (size_t)i);
		if (!r || !r->standin || strcmp(r->standin, arg))
			continue;
		json_array_append_new(
			a, json_pack("{s:s,s:s,s:I,s:I,s:I,s:i,s:i,s:s,s:f,s:s,s:b,s:b,s:s?}", "reply", r->reply, "context",
				     r->context, "order", (json_int_t)r->slot.order, "start_ns",
				     (json_int_t)r->slot.start_ns, "end_ns", (json_int_t)r->end_ns, "rate", 8000,
				     "sent_rate", r->rate, "encoding", r->encoding, "seconds", (double)r->slot.n / r->rate,
				     "text", r->slot.text ? r->slot.text : "", "truncated", r->slot.truncated, "closed",
				     r->slot.closed, "ended",
				     r->slot.closed ? r->ended : NULL));
	}
	return w->resp_json_steal(rs, 200, json_pack("{s:o,s:b}", "replies", a, "recording", vs_recring_on(w, wc)));
}

static const struct vs_ttsrec *find(const char *standin, const char *reply)
{
	for (size_t i = 0; i < VS_TTSREC_KEEP; i++) {
		const struct vs_ttsrec *r = vs_recring_at(&ring, i);
		if (r && reply && r->standin && !strcmp(r->standin, standin) && !strcmp(r->reply, reply))
			return r;
	}
	return NULL;
}

/* The reply at 8 kHz (what a phone call can carry), as a WAV. */
static int h_audio(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)wc;
	const struct vs_ttsrec *r = find(arg, w->req_param(rq, "reply"));
	if (!r)
		return w->resp_error(rs, 404, "no recording of that reply (record_audio off, or evicted)");
	int16_t *pcm = NULL;
	size_t n = 0;
	if (r->slot.n && vs_resample_alloc(r->slot.pcm, r->slot.n, r->rate, 8000, &pcm, &n))
		return w->resp_error(rs, 500, "resampling failed");
	int rc = vs_recring_wav(w, rs, pcm, n);
	free(pcm);
	return rc;
}

int vs_ttsrec_routes(const struct vs_world *w, vs_wctx *wc, const char *standin)
{
	char path[160];
	int rc = 0;
	snprintf(path, sizeof path, "/_vstress/%s/replies", standin);
	rc |= w->add_http_route(wc, "GET", path, h_replies, (void *)(uintptr_t)standin);
	snprintf(path, sizeof path, "/_vstress/%s/audio/{reply}", standin);
	rc |= w->add_http_route(wc, "GET", path, h_audio, (void *)(uintptr_t)standin);
	rc |= vs_recring_hook_exit(&ring, w, wc);
	return rc;
}
