/* The messy caller on the sending path: a noise bed under everything sent,
 * a backchannel while the agent speaks, and network impairments (impair.c)
 * between the script and the socket.  Lives outside the engine: the engine
 * calls call_messy_frame() for each frame and call_messy_pump() on wake-ups. */
#include <stdlib.h>
#include <string.h>

#include "call_int.h"
#include "vstress/audio/ulaw.h"
#include "vstress/telnyx/media_msg.h"

struct bc_log {
	int64_t at, end, turn_on; /* samples since t0 */
};

struct call_messy {
	int impaired;
	struct vs_impair im;
	int64_t bc_pos;         /* next backchannel sample to mix; -1 idle */
	int64_t bc_turn;        /* onset of the agent turn last answered with a backchannel */
	struct bc_log *bcs;
	size_t nbcs, capbcs;
};

static struct call_messy *get_messy(struct vs_call *c)
{
	if (!c->messy) {
		c->messy = calloc(1, sizeof(*c->messy));
		if (!c->messy)
			return NULL;
		c->messy->bc_pos = -1;
		c->messy->bc_turn = -1;
		c->messy->impaired = vs_impair_active(&c->s->impair);
		vs_impair_init(&c->messy->im, &c->s->impair);
	}
	return c->messy;
}

/* Onset of the agent turn playing now (speech after >= turn_end of silence). */
static int64_t turn_onset(const struct call_ear *e, int64_t turn_end)
{
	int64_t on;
	size_t i;

	if (!e->speaking || !e->nsegs)
		return -1;
	i = e->nsegs - 1;
	on = e->segs[i].on;
	while (i > 0 && e->segs[i - 1].off >= 0 && on - e->segs[i - 1].off < turn_end)
		on = e->segs[--i].on;
	return on;
}

static void backchannel(struct vs_call *c, struct call_messy *m, int16_t *pcm, int64_t at)
{
	const struct vs_call_script *s = c->s;

	if (m->bc_pos < 0) {
		int64_t on = turn_onset(&c->ear, (int64_t)s->m.turn_end_ms * CALL_RATE / 1000);

		if (on < 0 || on == m->bc_turn || c->ear.pos - on < (int64_t)s->bc_after_ms * CALL_RATE / 1000)
			return;
		if (m->nbcs == m->capbcs) {
			size_t ncap = m->capbcs ? m->capbcs * 2 : 8;
			struct bc_log *n = realloc(m->bcs, ncap * sizeof(*n));

			if (!n)
				return;
			m->bcs = n;
			m->capbcs = ncap;
		}
		m->bc_turn = on;
		m->bc_pos = 0;
		m->bcs[m->nbcs++] = (struct bc_log){.at = at + s->bc_speech_start, .end = at + (int64_t)s->bc_n,
						    .turn_on = on};
	}
	for (int i = 0; i < CALL_FRAME; i++) {
		int v = pcm[i] + s->bc_pcm[m->bc_pos + i];

		pcm[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
	m->bc_pos += CALL_FRAME;
	if ((size_t)m->bc_pos >= s->bc_n)
		m->bc_pos = -1;
}

int call_messy_frame(struct vs_call *c, uint8_t fr[CALL_FRAME], uint64_t slot_ns,
		     int (*send)(struct vs_call *, const char *))
{
	const struct vs_call_script *s = c->s;
	struct call_messy *m = get_messy(c);
	int64_t at = (int64_t)c->frame * CALL_FRAME;
	char *msg;
	int rc;

	if (!m)
		return -1;
	if (s->noise_bed || s->bc_pcm) {
		int16_t pcm[CALL_FRAME];

		vs_ulaw_decode_buf(fr, CALL_FRAME, pcm);
		if (s->noise_bed)
			for (int i = 0; i < CALL_FRAME; i++) {
				int v = pcm[i] + s->noise_bed[(size_t)(at + i) % s->noise_n];

				pcm[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
			}
		if (s->bc_pcm)
			backchannel(c, m, pcm, at);
		vs_ulaw_encode_buf(pcm, CALL_FRAME, fr);
	}
	msg = vs_media_media(c->stream_id, ++c->seq, "inbound", c->frame + 1, c->frame * 20, fr, CALL_FRAME);
	if (!msg)
		return -1;
	if (!m->impaired) {
		rc = send(c, msg);
		free(msg);
		return rc;
	}
	if (vs_impair_submit(&m->im, msg, c->frame, slot_ns, c->t0) != 0)
		return -1;
	return call_messy_pump(c, slot_ns, send) ? 0 : -1;
}

uint64_t call_messy_pump(struct vs_call *c, uint64_t now_ns, int (*send)(struct vs_call *, const char *))
{
	struct call_messy *m = c->messy;
	char *msg;
	int rc;

	if (!m || !m->impaired)
		return UINT64_MAX;
	/* one write per call (one per writeable callback); the rest is due now */
	msg = vs_impair_pop(&m->im, now_ns);
	if (msg) {
		rc = send(c, msg);
		free(msg);
		if (rc != 0)
			return 0;
	}
	return vs_impair_next_ns(&m->im);
}

uint64_t call_messy_next_ns(const struct vs_call *c)
{
	return c->messy && c->messy->impaired ? vs_impair_next_ns(&c->messy->im) : UINT64_MAX;
}

#define MS(samples) ((double)(samples) / (CALL_RATE / 1000.0))

int call_messy_finish(struct vs_call *c)
{
	struct call_messy *m = c->messy;
	struct vs_call_result *r = &c->res;
	const struct call_ear *e = &c->ear;
	int64_t turn_end = (int64_t)c->s->m.turn_end_ms * CALL_RATE / 1000;
	int rc = 0;

	if (!m)
		return 0;
	r->impaired = m->impaired;
	if (m->impaired) {
		vs_impair_describe(&c->s->impair, r->impair_spec, sizeof(r->impair_spec));
		r->impair = m->im.st;
		r->impair_unsent = m->im.n;
	}
	if (m->nbcs && !(r->backchannels = calloc(m->nbcs, sizeof(*r->backchannels))))
		rc = -1;
	for (size_t i = 0; rc == 0 && i < m->nbcs; i++) {
		const struct bc_log *b = &m->bcs[i];
		struct vs_call_backchannel *o = &r->backchannels[r->nbackchannels++];
		int64_t turn_off = -1, last_off = -1;
		int64_t window = b->end + (int64_t)c->s->bc_hold_ms * CALL_RATE / 1000;

		o->at_ms = MS(b->at);
		o->end_ms = MS(b->end);
		o->turn_on_ms = MS(b->turn_on);
		o->agent_stop_ms = o->clear_ms = -1;
		/* the turn's segments from the backchannel on: gaps and its end */
		for (size_t k = 0; k < e->nsegs; k++) {
			const struct vs_call_seg *sg = &e->segs[k];

			if (sg->off >= 0 && sg->off < b->at)
				continue;
			if (last_off >= 0 && sg->on - last_off >= turn_end)
				break;
			/* silences that begin while the agent should be talking through it */
			if (last_off >= 0 && last_off <= window && MS(sg->on - last_off) > o->max_gap_ms)
				o->max_gap_ms = MS(sg->on - last_off);
			if (sg->off < 0) {
				last_off = -1;
				break;
			}
			last_off = sg->off;
		}
		turn_off = last_off;
		if (turn_off >= 0)
			o->agent_stop_ms = turn_off > b->at ? MS(turn_off - b->at) : 0;
		for (size_t k = 0; k < e->nclears; k++)
			if (e->clears[k] >= b->at) {
				o->clear_ms = MS(e->clears[k] - b->at);
				break;
			}
	}
	vs_impair_free(&m->im);
	free(m->bcs);
	free(m);
	c->messy = NULL;
	return rc;
}
