/* The STT stand-in's recordings (standin_record.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "standin_record.h"

struct dg_rec {
	char id[48], encoding[16];
	int rate;      /* the stream's declared rate */
	int64_t start_ns;
	int16_t *pcm;  /* 8 kHz */
	size_t n, cap, max;
	char *words;   /* the finals sent, joined by one space */
	size_t nwords;
	int truncated, closed, used;
	uint64_t order;
	/* down to 8 kHz: a box average over `ratio` input samples (integer
	 * ratios), else the nearest sample on a phase carried across calls */
	long acc;
	int nacc;
	double phase;
};

static struct dg_rec recs[DG_REC_KEEP];
static uint64_t next_order = 1;

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void rec_reset(struct dg_rec *r)
{
	free(r->pcm);
	free(r->words);
	memset(r, 0, sizeof *r);
}

static void recs_free(void *arg)
{
	(void)arg;
	for (int i = 0; i < DG_REC_KEEP; i++)
		rec_reset(&recs[i]);
}

struct dg_rec *dg_rec_open(const struct vs_world *w, vs_wctx *wc, const char *id, int rate, const char *encoding)
{
	const char *on = w->conf(wc, "record_audio");
	if (!on || (strcasecmp(on, "true") && strcasecmp(on, "yes") && strcasecmp(on, "on") && strcmp(on, "1")))
		return NULL;
	struct dg_rec *slot = NULL; /* a free slot, else the oldest finished recording */
	for (int i = 0; i < DG_REC_KEEP; i++) {
		struct dg_rec *r = &recs[i];
		if (!r->used) {
			slot = r;
			break;
		}
		if (r->closed && (!slot || r->order < slot->order))
			slot = r;
	}
	if (!slot) {
		w->count(wc, "recordings_dropped", 1);
		return NULL; /* every slot is a live stream */
	}
	rec_reset(slot);
	snprintf(slot->id, sizeof slot->id, "%s", id);
	snprintf(slot->encoding, sizeof slot->encoding, "%s", encoding);
	slot->rate = rate;
	slot->max = (size_t)(w->conf_double(wc, "record_max_s", 300) * 8000);
	slot->used = 1;
	slot->order = next_order++;
	return slot;
}

static void put(struct dg_rec *r, int16_t v)
{
	if (r->n >= r->max) {
		r->truncated = 1;
		return;
	}
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 8000 * 10;
		int16_t *p = realloc(r->pcm, nc * sizeof *p);
		if (!p) {
			r->truncated = 1;
			return;
		}
		r->pcm = p;
		r->cap = nc;
	}
	r->pcm[r->n++] = v;
}

void dg_rec_add(struct dg_rec *r, const int16_t *pcm, size_t n)
{
	if (!r || r->closed)
		return;
	if (!r->start_ns)
		r->start_ns = mono_ns();
	if (r->rate == 8000) {
		for (size_t i = 0; i < n; i++)
			put(r, pcm[i]);
	} else if (r->rate % 8000 == 0) {
		int ratio = r->rate / 8000;
		for (size_t i = 0; i < n; i++) {
			r->acc += pcm[i];
			if (++r->nacc == ratio) {
				put(r, (int16_t)(r->acc / ratio));
				r->acc = r->nacc = 0;
			}
		}
	} else {
		double step = (double)r->rate / 8000;
		for (size_t i = 0; i < n; i++) {
			if (r->phase <= 0) {
				put(r, pcm[i]);
				r->phase += step;
			}
			r->phase -= 1;
		}
	}
}

void dg_rec_final(struct dg_rec *r, const char *text)
{
	size_t n = text ? strlen(text) : 0;
	if (!r || !n || r->nwords + n + 2 > 1u << 20)
		return;
	char *p = realloc(r->words, r->nwords + n + 2);
	if (!p)
		return;
	r->words = p;
	if (r->nwords)
		r->words[r->nwords++] = ' ';
	memcpy(r->words + r->nwords, text, n + 1);
	r->nwords += n;
}

void dg_rec_close(struct dg_rec *r)
{
	if (r)
		r->closed = 1;
}

static struct dg_rec *find(const char *id)
{
	for (int i = 0; i < DG_REC_KEEP; i++)
		if (recs[i].used && id && !strcmp(recs[i].id, id))
			return &recs[i];
	return NULL;
}

static int h_streams(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)rq, (void)arg;
	json_t *a = json_array();
	for (int i = 0; i < DG_REC_KEEP; i++) {
		const struct dg_rec *r = &recs[i];
		if (r->used)
			json_array_append_new(a, json_pack("{s:s,s:I,s:I,s:i,s:i,s:s,s:f,s:b,s:b,s:s}", "stream", r->id,
							   "order", (json_int_t)r->order, "start_ns",
							   (json_int_t)r->start_ns, "rate", 8000, "stream_rate", r->rate,
							   "encoding", r->encoding, "seconds", (double)r->n / 8000,
							   "truncated", r->truncated, "closed", r->closed, "transcript",
							   r->words ? r->words : ""));
	}
	const char *on = w->conf(wc, "record_audio");
	int rec = on && (!strcasecmp(on, "true") || !strcasecmp(on, "yes") || !strcasecmp(on, "on") || !strcmp(on, "1"));
	return w->resp_json_steal(rs, 200, json_pack("{s:o,s:b}", "streams", a, "recording", rec));
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int h_audio(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)wc, (void)arg;
	const struct dg_rec *r = find(w->req_param(rq, "stream"));
	if (!r)
		return w->resp_error(rs, 404, "no recording of that stream (record_audio off, or evicted)");
	size_t bytes = r->n * 2;
	uint8_t *b = malloc(44 + bytes);
	if (!b)
		return w->resp_error(rs, 500, "out of memory");
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
	for (size_t i = 0; i < r->n; i++) { /* little-endian whatever the host */
		b[44 + 2 * i] = (uint8_t)(r->pcm[i] & 0xff);
		b[45 + 2 * i] = (uint8_t)((uint16_t)r->pcm[i] >> 8);
	}
	w->resp_status(rs, 200);
	w->resp_header(rs, "Content-Type", "audio/wav");
	int rc = w->resp_body(rs, 0, b, 44 + bytes);
	free(b);
	return rc;
}

int dg_rec_routes(const struct vs_world *w, vs_wctx *wc)
{
	int rc = w->add_http_route(wc, "GET", "/_vstress/stt_deepgram/streams", h_streams, NULL);
	rc |= w->add_http_route(wc, "GET", "/_vstress/stt_deepgram/audio/{stream}", h_audio, NULL);
	if (VS_WORLD_HAS(w, at_exit))
		rc |= w->at_exit(wc, recs_free, NULL);
	return rc;
}
