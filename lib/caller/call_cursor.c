/* The script cursor: which audio the caller sends in frame c->frame, the
 * step log the measures are computed from (call_result.c), DTMF events. */
#include <stdlib.h>
#include <string.h>

#include "call_int.h"
#include "vstress/telnyx/media_msg.h"
#include "vstress/telnyx/telnyx_event.h"

#define DTMF_FRAMES 10 /* 200 ms per digit */

static void log_step_start(struct vs_call *c, int64_t at)
{
	struct call_step_log *l = &c->log[c->nlog++];

	memset(l, 0, sizeof(*l));
	l->step = (int)c->step;
	l->kind = c->s->steps[c->step].kind;
	l->start = at;
	l->end = at;
	l->speech_end = -1;
	l->barge_at = -1;
	c->step_start = at;
	c->clip_pos = 0;
	c->phase = 0;
	c->phase_at = at;
	c->dtmf_i = 0;
}

static void step_done(struct vs_call *c, int64_t at)
{
	c->log[c->nlog - 1].end = at;
	c->step++;
}

/* Frame `c->frame`: fill out[160].  Returns 1 when the caller hangs up. */
int call_next_frame(struct vs_call *c, uint8_t out[CALL_FRAME])
{
	const struct vs_call_script *s = c->s;
	int64_t at = (int64_t)c->frame * CALL_FRAME;
	int64_t heard = c->ear.pos; /* how far the ear has played */

	memset(out, 0xFF, CALL_FRAME);
	for (;;) {
		const struct vs_call_step *st;
		struct call_step_log *l;

		if (c->step >= s->nsteps)
			return 1;
		if (c->nlog == c->step)
			log_step_start(c, at);
		st = &s->steps[c->step];
		l = &c->log[c->nlog - 1];
		switch (st->kind) {
		case VS_STEP_SAY:
		case VS_STEP_WAV:
		case VS_STEP_TONE:
		case VS_STEP_SILENCE:
		case VS_STEP_NOISE:
			if (c->clip_pos == 0 && st->speech_end >= 0)
				l->speech_end = at + st->speech_end;
			memcpy(out, st->ulaw + c->clip_pos, CALL_FRAME);
			c->clip_pos += CALL_FRAME;
			if (c->clip_pos >= st->n)
				step_done(c, at + CALL_FRAME);
			return 0;
		case VS_STEP_DTMF:
			if (c->phase == 0) {
				char d[2] = {st->arg[c->dtmf_i], '\0'};
				char when[32];

				vs_iso8601_now(when);
				call_send_text(c, vs_media_dtmf(c->stream_id, ++c->seq, d, when));
				c->res.dtmf_sent++;
				l->speech_end = at;
			}
			if (++c->phase >= DTMF_FRAMES) {
				c->phase = 0;
				if (st->arg[++c->dtmf_i] == '\0')
					step_done(c, at + CALL_FRAME);
			}
			return 0;
		case VS_STEP_WAIT_REPLY: {
			int64_t timeout = (int64_t)st->duration_ms * CALL_RATE / 1000;
			int64_t turn_end = (int64_t)s->m.turn_end_ms * CALL_RATE / 1000;

			if (c->phase == 0) {
				if (c->ear.speaking || c->ear.last_on >= c->step_start - CALL_FRAME)
					c->phase = 1;
				else if (at - c->step_start >= timeout) {
					step_done(c, at);
					continue;
				}
			}
			if (c->phase == 1 && !c->ear.speaking && c->ear.last_off >= 0 &&
			    heard - c->ear.last_off >= turn_end) {
				step_done(c, at);
				continue;
			}
			return 0;
		}
		case VS_STEP_BARGE_IN: {
			int64_t timeout = (int64_t)st->duration_ms * CALL_RATE / 1000;
			int64_t after = (int64_t)st->after_ms * CALL_RATE / 1000;

			if (c->phase == 0) {
				if (c->ear.speaking) {
					c->phase = 1;
					c->phase_at = c->ear.last_on;
				} else if (at - c->step_start >= timeout) {
					step_done(c, at);
					continue;
				} else {
					return 0;
				}
			}
			if (c->phase == 1) {
				if (at < c->phase_at + after)
					return 0;
				c->phase = 2;
				c->clip_pos = 0;
				/* the barge-in starts with the frame that carries the caller's
				 * first audible sample (the agent gets it at that frame's slot) */
				l->barge_at = at + (st->speech_start > 0 ? st->speech_start / CALL_FRAME * CALL_FRAME : 0);
				if (st->speech_end >= 0)
					l->speech_end = at + st->speech_end;
			}
			memcpy(out, st->ulaw + c->clip_pos, CALL_FRAME);
			c->clip_pos += CALL_FRAME;
			if (c->clip_pos >= st->n)
				step_done(c, at + CALL_FRAME);
			return 0;
		}
		case VS_STEP_HANGUP:
			step_done(c, at);
			return 1;
		}
	}
}

