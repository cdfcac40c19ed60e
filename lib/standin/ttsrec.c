/* The TTS stand-ins' recordings of what they sent (vstress/standin/ttsrec.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "vstress/audio/resample.h"
#include "vstress/audio/ulaw.h"
#include "vstress/standin/standin_audio.h"
#include "vstress/standin/ttsrec.h"

struct vs_ttsrec {
	const char *standin;
	char reply[24], context[128], encoding[16], ended[12];
	int rate, enc;
	int64_t start_ns, end_ns;
	int16_t *pcm; /* at `rate` */
	size_t n, cap, max;
	char *text;
	size_t ntext;
	int truncated, closed, used;
	uint64_t order;
};

/* one table per stand-in library copy; a slot says whose it is */
static struct vs_ttsrec recs[VS_TTSREC_KEEP];
static uint64_t next_order = 1;
static int exit_hooked;

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int recording(const struct vs_world *w, vs_wctx *wc)
{
	const char *on = w->conf(wc, "record_audio");
	return on && (!strcasecmp(on, "true") || !strcasecmp(on, "yes") || !strcasecmp(on, "on") || !strcmp(on, "1"));
}

static void rec_reset(struct vs_ttsrec *r)
{
	free(r->pcm);
	free(r->text);
	memset(r, 0, sizeof *r);
}

static void recs_free(void *arg)
{
	(void)arg;
	for (int i = 0; i < VS_TTSREC_KEEP; i++)
		rec_reset(&recs[i]);
}

struct vs_ttsrec *vs_ttsrec_open(const struct vs_world *w, vs_wctx *wc, const char *standin, const char *id, int rate,
				 int enc)
{
	if (!recording(w, wc) || rate <= 0)
		return NULL;
	struct vs_ttsrec *slot = NULL; /* a free slot, else the oldest finished reply */
	for (int i = 0; i < VS_TTSREC_KEEP; i++) {
		struct vs_ttsrec *r = &recs[i];
		if (!r->used) {
			slot = r;
			break;
		}
		if (r->closed && (!slot || r->order < slot->order))
			slot = r;
	}
	if (!slot) {
		w->count(wc, "recordings_dropped", 1);
		return NULL;
	}
	rec_reset(slot);
	slot->standin = standin;
	slot->order = next_order++;
	snprintf(slot->reply, sizeof slot->reply, "%llu", (unsigned long long)slot->order);
	snprintf(slot->context, sizeof slot->context, "%s", id ? id : "");
	snprintf(slot->encoding, sizeof slot->encoding, "%s",
		 enc == VS_TA_F32LE ? "pcm_f32le" : enc == VS_TA_MULAW ? "pcm_mulaw" : enc == VS_TA_ALAW ? "pcm_alaw"
													   : "pcm_s16le");
	slot->rate = rate;
	slot->enc = enc;
	slot->max = (size_t)(w->conf_double(wc, "record_max_s", 300) * rate);
	slot->used = 1;
	return slot;
}

void vs_ttsrec_text(struct vs_ttsrec *r, const char *text)
{
	size_t n = text ? strlen(text) : 0;
	if (!r || !n || r->ntext + n + 2 > 1u << 16)
		return;
	char *p = realloc(r->text, r->ntext + n + 2);
	if (!p)
		return;
	r->text = p;
	if (r->ntext)
		r->text[r->ntext++] = ' ';
	memcpy(r->text + r->ntext, text, n + 1);
	r->ntext += n;
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
	if (!r || r->closed || !bytes)
		return;
	int64_t now = mono_ns();
	if (!r->start_ns)
		r->start_ns = now;
	r->end_ns = now;
	size_t bps = vs_ta_bytes_per_sample(r->enc), n = bytes / bps;
	if (r->n + n > r->max) {
		r->truncated = 1;
		n = r->max - r->n;
	}
	if (r->n + n > r->cap) {
		size_t nc = r->cap ? r->cap : (size_t)r->rate * 4;
		while (nc < r->n + n)
			nc *= 2;
		int16_t *p = realloc(r->pcm, nc * sizeof *p);
		if (!p) {
			r->truncated = 1;
			return;
		}
		r->pcm = p;
		r->cap = nc;
	}
	for (size_t i = 0; i < n; i++)
		r->pcm[r->n++] = sample_at(data + i * bps, r->enc);
}

void vs_ttsrec_close(struct vs_ttsrec *r, const char *how)
{
	if (!r || r->closed)
		return;
	r->closed = 1;
	snprintf(r->ended, sizeof r->ended, "%s", how ? how : "closed");
}

static int h_replies(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)rq;
	json_t *a = json_array();
	for (int i = 0; i < VS_TTSREC_KEEP; i++) {
		const struct vs_ttsrec *r = &recs[i];
		if (!r->used || !r->standin || strcmp(r->standin, arg))
			continue;
		json_array_append_new(
			a, json_pack("{s:s,s:s,s:I,s:I,s:I,s:i,s:i,s:s,s:f,s:s,s:b,s:b,s:s?}", "reply", r->reply, "context",
				     r->context, "order", (json_int_t)r->order, "start_ns", (json_int_t)r->start_ns,
				     "end_ns", (json_int_t)r->end_ns, "rate", 8000, "sent_rate", r->rate, "encoding",
				     r->encoding, "seconds", (double)r->n / r->rate, "text", r->text ? r->text : "",
				     "truncated", r->truncated, "closed", r->closed, "ended",
				     r->closed ? r->ended : NULL));
	}
	return w->resp_json_steal(rs, 200, json_pack("{s:o,s:b}", "replies", a, "recording", recording(w, wc)));
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static const struct vs_ttsrec *find(const char *standin, const char *reply)
{
	for (int i = 0; i < VS_TTSREC_KEEP; i++)
		if (recs[i].used && reply && recs[i].standin && !strcmp(recs[i].standin, standin) &&
		    !strcmp(recs[i].reply, reply))
			return &recs[i];
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
	if (r->n && vs_resample_alloc(r->pcm, r->n, r->rate, 8000, &pcm, &n))
		return w->resp_error(rs, 500, "resampling failed");
	size_t bytes = n * 2;
	uint8_t *b = malloc(44 + bytes);
	if (!b) {
		free(pcm);
		return w->resp_error(rs, 500, "out of memory");
	}
	memcpy(b, "RIFF", 4);
	le32(b + 4, (uint32_t)(36 + bytes));
	memcpy(b + 8, "WAVEfmt ", 8);
	le32(b + 16, 16);
	b[20] = 1, b[21] = 0, b[22] = 1, b[23] = 0; /* PCM, mono */
	le32(b + 24, 8000);
	le32(b + 28, 16000);
	b[32] = 2, b[33] = 0, b[34] = 16, b[35] = 0;
	memcpy(b + 36, "data", 4);
	le32(b + 40, (uint32_t)bytes);
	for (size_t i = 0; i < n; i++) {
		b[44 + 2 * i] = (uint8_t)(pcm[i] & 0xff);
		b[45 + 2 * i] = (uint8_t)((uint16_t)pcm[i] >> 8);
	}
	free(pcm);
	w->resp_status(rs, 200);
	w->resp_header(rs, "Content-Type", "audio/wav");
	int rc = w->resp_body(rs, 0, b, 44 + bytes);
	free(b);
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
	if (!exit_hooked && VS_WORLD_HAS(w, at_exit)) {
		exit_hooked = 1;
		rc |= w->at_exit(wc, recs_free, NULL);
	}
	return rc;
}
