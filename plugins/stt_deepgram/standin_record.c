/* The STT stand-in's recordings (standin_record.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vstress/standin/recring.h"

#include "standin_record.h"

struct dg_rec {
	struct vs_recslot slot; /* first: its PCM16 at 8 kHz, the finals sent as its text */
	char id[48], encoding[16];
	int rate;      /* the stream's declared rate */
	/* down to 8 kHz: a box average over `ratio` input samples (integer
	 * ratios), else the nearest sample on a phase carried across calls */
	long acc;
	int nacc;
	double phase;
};

static struct dg_rec recs[DG_REC_KEEP];
static struct vs_recring ring = VS_RECRING(recs);

struct dg_rec *dg_rec_open(const struct vs_world *w, vs_wctx *wc, const char *id, int rate, const char *encoding)
{
	struct dg_rec *slot = vs_recring_open(&ring, w, wc, 8000);
	if (!slot)
		return NULL; /* every slot is a live stream */
	snprintf(slot->id, sizeof slot->id, "%s", id);
	snprintf(slot->encoding, sizeof slot->encoding, "%s", encoding);
	slot->rate = rate;
	return slot;
}

static void put(struct dg_rec *r, int16_t v)
{
	if (vs_recring_room(&r->slot, 1, 8000 * 10))
		r->slot.pcm[r->slot.n++] = v;
}

void dg_rec_add(struct dg_rec *r, const int16_t *pcm, size_t n)
{
	if (!r || r->slot.closed)
		return;
	if (!r->slot.start_ns)
		r->slot.start_ns = vs_recring_now_ns();
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
	vs_recring_text(r ? &r->slot : NULL, text, 1u << 20);
}

void dg_rec_close(struct dg_rec *r)
{
	if (r)
		r->slot.closed = 1;
}

static struct dg_rec *find(const char *id)
{
	for (size_t i = 0; i < DG_REC_KEEP; i++) {
		struct dg_rec *r = vs_recring_at(&ring, i);
		if (r && id && !strcmp(r->id, id))
			return r;
	}
	return NULL;
}

static int h_streams(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)rq, (void)arg;
	json_t *a = json_array();
	for (int i = 0; i < DG_REC_KEEP; i++) {
		const struct dg_rec *r = vs_recring_at(&ring, (size_t)i);
		if (r)
			json_array_append_new(a, json_pack("{s:s,s:I,s:I,s:i,s:i,s:s,s:f,s:b,s:b,s:s}", "stream", r->id,
							   "order", (json_int_t)r->slot.order, "start_ns",
							   (json_int_t)r->slot.start_ns, "rate", 8000, "stream_rate", r->rate,
							   "encoding", r->encoding, "seconds", (double)r->slot.n / 8000,
							   "truncated", r->slot.truncated, "closed", r->slot.closed, "transcript",
							   r->slot.text ? r->slot.text : ""));
	}
	return w->resp_json_steal(rs, 200, json_pack("{s:o,s:b}", "streams", a, "recording", vs_recring_on(w, wc)));
}

static int h_audio(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)wc, (void)arg;
	const struct dg_rec *r = find(w->req_param(rq, "stream"));
	if (!r)
		return w->resp_error(rs, 404, "no recording of that stream (record_audio off, or evicted)");
	return vs_recring_wav(w, rs, r->slot.pcm, r->slot.n);
}

int dg_rec_routes(const struct vs_world *w, vs_wctx *wc)
{
	int rc = w->add_http_route(wc, "GET", "/_vstress/stt_deepgram/streams", h_streams, NULL);
	rc |= w->add_http_route(wc, "GET", "/_vstress/stt_deepgram/audio/{stream}", h_audio, NULL);
	rc |= vs_recring_hook_exit(&ring, w, wc);
	return rc;
}
