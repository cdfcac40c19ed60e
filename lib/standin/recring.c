/* The ring of recordings a stand-in keeps (vstress/standin/recring.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "vstress/standin/recring.h"

static struct vs_recslot *slot_at(const struct vs_recring *ring, size_t i)
{
	return (struct vs_recslot *)((char *)ring->slots + i * ring->size);
}

static void slot_reset(const struct vs_recring *ring, struct vs_recslot *s)
{
	free(s->pcm);
	free(s->text);
	memset(s, 0, ring->size);
}

int vs_recring_on(const struct vs_world *w, vs_wctx *wc)
{
	const char *on = w->conf(wc, "record_audio");
	return on && (!strcasecmp(on, "true") || !strcasecmp(on, "yes") || !strcasecmp(on, "on") || !strcmp(on, "1"));
}

void *vs_recring_open(struct vs_recring *ring, const struct vs_world *w, vs_wctx *wc, int rate)
{
	if (!vs_recring_on(w, wc))
		return NULL;
	struct vs_recslot *slot = NULL; /* a free slot, else the oldest finished recording */
	for (size_t i = 0; i < ring->keep; i++) {
		struct vs_recslot *s = slot_at(ring, i);
		if (!s->used) {
			slot = s;
			break;
		}
		if (s->closed && (!slot || s->order < slot->order))
			slot = s;
	}
	if (!slot) {
		w->count(wc, "recordings_dropped", 1);
		return NULL; /* every slot is a recording still running */
	}
	slot_reset(ring, slot);
	slot->used = 1;
	slot->order = ring->next_order++;
	slot->max = (size_t)(w->conf_double(wc, "record_max_s", 300) * rate);
	return slot;
}

void *vs_recring_at(const struct vs_recring *ring, size_t i)
{
	struct vs_recslot *s = i < ring->keep ? slot_at(ring, i) : NULL;
	return s && s->used ? s : NULL;
}

size_t vs_recring_room(struct vs_recslot *s, size_t want, size_t first_cap)
{
	if (s->n + want > s->max) {
		s->truncated = 1;
		want = s->max - s->n;
	}
	if (s->n + want > s->cap) {
		size_t nc = s->cap ? s->cap : first_cap ? first_cap : 1;
		while (nc < s->n + want)
			nc *= 2;
		int16_t *p = realloc(s->pcm, nc * sizeof *p);
		if (!p) {
			s->truncated = 1;
			return 0;
		}
		s->pcm = p;
		s->cap = nc;
	}
	return want;
}

void vs_recring_text(struct vs_recslot *s, const char *text, size_t max)
{
	size_t n = text ? strlen(text) : 0;
	if (!s || !n || s->ntext + n + 2 > max)
		return;
	char *p = realloc(s->text, s->ntext + n + 2);
	if (!p)
		return;
	s->text = p;
	if (s->ntext)
		p[s->ntext++] = ' ';
	memcpy(p + s->ntext, text, n + 1);
	s->ntext += n;
}

int64_t vs_recring_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int vs_recring_wav(const struct vs_world *w, vs_wresp *rs, const int16_t *pcm, size_t n)
{
	size_t bytes = n * 2;
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
	for (size_t i = 0; i < n; i++) { /* little-endian whatever the host */
		b[44 + 2 * i] = (uint8_t)(pcm[i] & 0xff);
		b[45 + 2 * i] = (uint8_t)((uint16_t)pcm[i] >> 8);
	}
	w->resp_status(rs, 200);
	w->resp_header(rs, "Content-Type", "audio/wav");
	int rc = w->resp_body(rs, 0, b, 44 + bytes);
	free(b);
	return rc;
}

static void ring_free(void *arg)
{
	struct vs_recring *ring = arg;
	for (size_t i = 0; i < ring->keep; i++)
		slot_reset(ring, slot_at(ring, i));
}

int vs_recring_hook_exit(struct vs_recring *ring, const struct vs_world *w, vs_wctx *wc)
{
	if (ring->exit_hooked || !VS_WORLD_HAS(w, at_exit))
		return 0;
	ring->exit_hooked = 1;
	return w->at_exit(wc, ring_free, ring);
}
