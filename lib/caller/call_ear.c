/* The caller's ear: playout queue + VAD + marks (see call_int.h). */
#include <stdlib.h>
#include <string.h>

#include "call_int.h"

int call_ear_init(struct call_ear *e, const struct vs_call_measure_cfg *m)
{
	struct vs_vad_cfg vc = {
		.rate = CALL_RATE,
		.frame_ms = 20,
		.threshold_dbfs = m->vad_threshold_dbfs,
		.hangover_ms = m->vad_hangover_ms,
		.min_speech_ms = 20,
	};

	memset(e, 0, sizeof(*e));
	vs_vad_init(&e->vad, &vc);
	e->last_on = e->last_off = -1;
	e->qcap = CALL_RATE * 2;
	e->q = malloc(e->qcap * sizeof(*e->q));
	return e->q ? 0 : -1;
}

void call_ear_free(struct call_ear *e)
{
	for (size_t i = 0; i < e->nmarks; i++)
		free(e->marks[i].name);
	free(e->marks);
	free(e->q);
	free(e->segs);
	free(e->clears);
	free(e->heard);
	memset(e, 0, sizeof(*e));
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*p, ncap * elem);
	if (!n)
		return -1;
	*p = n;
	*cap = ncap;
	return 0;
}

int call_ear_push(struct call_ear *e, int64_t now_idx, const int16_t *pcm, size_t n)
{
	if (e->qlen == 0)
		e->qstart = now_idx > e->pos ? now_idx : e->pos;
	if (e->qlen + n > e->qcap) {
		size_t ncap = e->qcap;
		int16_t *nq;

		while (ncap < e->qlen + n)
			ncap *= 2;
		if (ncap > (size_t)CALL_RATE * 600)
			return -1; /* more than 10 minutes queued */
		nq = malloc(ncap * sizeof(*nq));
		if (!nq)
			return -1;
		for (size_t i = 0; i < e->qlen; i++)
			nq[i] = e->q[(e->qhead + i) % e->qcap];
		free(e->q);
		e->q = nq;
		e->qcap = ncap;
		e->qhead = 0;
	}
	{ /* at most two runs: up to the ring's end, then from its start */
		size_t at = (e->qhead + e->qlen) % e->qcap, first = e->qcap - at < n ? e->qcap - at : n;

		memcpy(e->q + at, pcm, first * sizeof(*pcm));
		memcpy(e->q, pcm + first, (n - first) * sizeof(*pcm));
	}
	e->qlen += n;
	return 0;
}

static void on_event(struct call_ear *e, const struct vs_vad_event *ev)
{
	if (ev->type == VS_VAD_START) {
		if (grow((void **)&e->segs, &e->capsegs, e->nsegs + 1, sizeof(*e->segs)) == 0) {
			e->segs[e->nsegs].on = ev->sample;
			e->segs[e->nsegs].off = -1;
			e->nsegs++;
		}
		e->speaking = 1;
		e->last_on = ev->sample;
	} else if (ev->type == VS_VAD_END) {
		if (e->nsegs && e->segs[e->nsegs - 1].off < 0)
			e->segs[e->nsegs - 1].off = ev->sample;
		e->speaking = 0;
		e->last_off = ev->sample;
	}
}

int call_ear_keep(struct call_ear *e, size_t max)
{
	e->maxheard = max;
	e->capheard = max < (size_t)CALL_RATE * 10 ? max : (size_t)CALL_RATE * 10;
	e->heard = malloc((e->capheard ? e->capheard : 1) * sizeof(*e->heard));
	return e->heard ? 0 : -1;
}

/* A played frame into the recording of what was heard (bounded). */
static void keep_frame(struct call_ear *e, const int16_t *fr)
{
	if (e->nheard + CALL_FRAME > e->maxheard) {
		e->heard_truncated = 1;
		return;
	}
	if (grow((void **)&e->heard, &e->capheard, e->nheard + CALL_FRAME, sizeof(*e->heard)) != 0) {
		e->heard_truncated = 1;
		return;
	}
	memcpy(e->heard + e->nheard, fr, CALL_FRAME * sizeof(*fr));
	e->nheard += CALL_FRAME;
}

void call_ear_advance(struct call_ear *e, int64_t now_idx)
{
	int16_t fr[CALL_FRAME];
	struct vs_vad_event ev[2];

	while (e->pos + CALL_FRAME <= now_idx) {
		/* silence until the queue's first sample is due, then the queue
		 * (in at most two runs of the ring), then silence again */
		size_t z = CALL_FRAME, take = 0;

		if (e->qlen) {
			int64_t lead = e->qstart - e->pos;

			z = lead <= 0 ? 0 : lead >= CALL_FRAME ? CALL_FRAME : (size_t)lead;
			take = CALL_FRAME - z < e->qlen ? CALL_FRAME - z : e->qlen;
		}
		memset(fr, 0, z * sizeof(*fr));
		if (take) {
			size_t first = e->qcap - e->qhead < take ? e->qcap - e->qhead : take;

			memcpy(fr + z, e->q + e->qhead, first * sizeof(*fr));
			memcpy(fr + z + first, e->q, (take - first) * sizeof(*fr));
			e->qhead = (e->qhead + take) % e->qcap;
			e->qlen -= take;
			e->qstart += (int64_t)take;
		}
		memset(fr + z + take, 0, (CALL_FRAME - z - take) * sizeof(*fr));
		if (e->heard)
			keep_frame(e, fr);
		for (int k = vs_vad_feed(&e->vad, fr, ev), i = 0; i < k; i++)
			on_event(e, &ev[i]);
		e->pos += CALL_FRAME;
	}
}

int call_ear_mark(struct call_ear *e, const char *name)
{
	char *dup = strdup(name);

	if (!dup || grow((void **)&e->marks, &e->capmarks, e->nmarks + 1, sizeof(*e->marks)) != 0) {
		free(dup);
		return -1;
	}
	e->marks[e->nmarks].name = dup;
	e->marks[e->nmarks].at = e->qlen ? e->qstart + (int64_t)e->qlen : 0;
	e->nmarks++;
	return 0;
}

int call_ear_clear(struct call_ear *e, int64_t now_idx)
{
	e->qlen = 0;
	e->qhead = 0;
	for (size_t i = 0; i < e->nmarks; i++)
		e->marks[i].at = 0;
	if (grow((void **)&e->clears, &e->capclears, e->nclears + 1, sizeof(*e->clears)) != 0)
		return -1;
	e->clears[e->nclears++] = now_idx;
	return 0;
}

char *call_ear_due_mark(struct call_ear *e)
{
	char *name;

	if (!e->nmarks || e->marks[0].at > e->pos)
		return NULL;
	name = e->marks[0].name;
	memmove(e->marks, e->marks + 1, (e->nmarks - 1) * sizeof(*e->marks));
	e->nmarks--;
	return name;
}

void call_ear_finish(struct call_ear *e)
{
	struct vs_vad_event ev;

	if (vs_vad_flush(&e->vad, &ev))
		on_event(e, &ev);
}
