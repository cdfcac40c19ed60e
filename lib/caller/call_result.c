/* Measurements from the agent's audio, and the result as JSON. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_int.h"

#define MS(samples) ((double)(samples) / (CALL_RATE / 1000.0))

const char *vs_hangup_by_name(enum vs_hangup_by h)
{
	switch (h) {
	case VS_HANGUP_CALLER:
		return "caller";
	case VS_HANGUP_AGENT:
		return "agent";
	case VS_HANGUP_ERROR:
		return "error";
	default:
		return "none";
	}
}

void vs_call_result_clear(struct vs_call_result *r)
{
	free(r->turns);
	free(r->gaps);
	free(r->false_triggers);
	free(r->barges);
	free(r->segs);
	free(r->backchannels);
	free(r->heard);
	r->heard = NULL;
	r->nheard = 0;
	r->backchannels = NULL;
	r->nbackchannels = 0;
	r->turns = NULL;
	r->gaps = NULL;
	r->false_triggers = NULL;
	r->barges = NULL;
	r->segs = NULL;
	r->nturns = r->ngaps = r->nfalse = r->nbarges = r->nsegs = 0;
}

static const struct call_step_log *step_at(const struct vs_call *c, int64_t idx)
{
	for (size_t i = 0; i < c->nlog; i++)
		if (idx >= c->log[i].start && idx < c->log[i].end)
			return &c->log[i];
	return NULL;
}

static int is_speaking_step(enum vs_step_kind k)
{
	return k == VS_STEP_SAY || k == VS_STEP_WAV || k == VS_STEP_TONE || k == VS_STEP_DTMF ||
	       k == VS_STEP_BARGE_IN;
}

int call_result_compute(struct vs_call *c)
{
	struct vs_call_result *r = &c->res;
	const struct vs_call_measure_cfg *m = &c->s->m;
	const struct vs_call_seg *sg;
	size_t ns;
	int64_t gap = (int64_t)m->gap_ms * CALL_RATE / 1000;
	int64_t turn_end = (int64_t)m->turn_end_ms * CALL_RATE / 1000;

	call_ear_finish(&c->ear);
	r->t0_ns = c->t0;
	/* what was heard moves to the result (the ear is done with it) */
	r->heard = c->ear.heard;
	r->nheard = c->ear.nheard;
	r->heard_truncated = c->ear.heard_truncated;
	c->ear.heard = NULL;
	c->ear.nheard = c->ear.capheard = 0;
	sg = c->ear.segs;
	ns = c->ear.nsegs;
	r->segs = calloc(ns + 1, sizeof(*r->segs));
	r->turns = calloc(c->nlog + 1, sizeof(*r->turns));
	r->barges = calloc(c->nlog + 1, sizeof(*r->barges));
	r->gaps = calloc(ns + 1, sizeof(*r->gaps));
	r->false_triggers = calloc(ns + 1, sizeof(*r->false_triggers));
	if (!r->segs || !r->turns || !r->barges || !r->gaps || !r->false_triggers)
		return -1;
	if (ns)
		memcpy(r->segs, sg, ns * sizeof(*sg));
	r->nsegs = ns;
	r->first_reply_ms = ns ? MS(sg[0].on) : -1;

	for (size_t i = 0; i < ns; i++) {
		int64_t silence = i ? sg[i].on - sg[i - 1].off : -1;

		/* gaps: short silences inside one reply */
		if (i && silence > gap && silence < turn_end) {
			r->gaps[r->ngaps].at_ms = MS(sg[i - 1].off);
			r->gaps[r->ngaps].duration_ms = MS(silence);
			r->ngaps++;
		}
		/* a new agent turn: where did it start? */
		if (i == 0 || silence >= turn_end) {
			const struct call_step_log *st = step_at(c, sg[i].on);

			if (st && (st->kind == VS_STEP_SILENCE || st->kind == VS_STEP_NOISE)) {
				r->false_triggers[r->nfalse].at_ms = MS(sg[i].on);
				r->false_triggers[r->nfalse].step = st->step;
				r->nfalse++;
			} else if (st && st->kind != VS_STEP_BARGE_IN && is_speaking_step(st->kind) &&
				   (st->speech_end < 0 || sg[i].on < st->speech_end)) {
				r->talk_over++;
			}
		}
	}

	for (size_t i = 0; i < c->nlog; i++) {
		const struct call_step_log *st = &c->log[i];

		if (st->kind == VS_STEP_WAIT_REPLY) {
			struct vs_call_turn *t = &r->turns[r->nturns++];
			int64_t ref = 0;

			/* reference: the end of the caller's last utterance before */
			for (size_t j = i; j-- > 0;) {
				if (is_speaking_step(c->log[j].kind) && c->log[j].speech_end >= 0) {
					ref = c->log[j].speech_end;
					break;
				}
			}
			t->step = st->step;
			t->ref_ms = MS(ref);
			t->latency_ms = -1;
			for (size_t k = 0; k < ns; k++) {
				if (sg[k].on < ref && (sg[k].off < 0 || sg[k].off > ref))
					t->talk_over = 1;
				if (sg[k].on >= ref && sg[k].on < st->end) {
					t->replied = 1;
					t->latency_ms = MS(sg[k].on - ref);
					break;
				}
			}
		} else if (st->kind == VS_STEP_BARGE_IN) {
			struct vs_call_barge *b = &r->barges[r->nbarges++];

			b->step = st->step;
			b->at_ms = st->barge_at >= 0 ? MS(st->barge_at) : -1;
			b->agent_stop_ms = -1;
			b->clear_ms = -1;
			if (st->barge_at < 0)
				continue;
			/* the agent segment playing when the barge-in frame was due (the
			 * ear plays whole frames, so it may end within that frame) */
			for (size_t k = 0; k < ns; k++)
				if (sg[k].on <= st->barge_at && (sg[k].off < 0 || sg[k].off >= st->barge_at - CALL_FRAME)) {
					if (sg[k].off >= 0)
						b->agent_stop_ms = sg[k].off > st->barge_at ? MS(sg[k].off - st->barge_at) : 0;
					break;
				}
			for (size_t k = 0; k < c->ear.nclears; k++)
				if (c->ear.clears[k] >= st->barge_at) {
					b->clear_ms = MS(c->ear.clears[k] - st->barge_at);
					break;
				}
		}
	}
	return call_messy_finish(c);
}

static json_t *num_or_null(double v)
{
	return v < 0 ? json_null() : json_real(v);
}

json_t *vs_call_result_json(const struct vs_call_result *r)
{
	json_t *o = json_object();
	json_t *turns = json_array(), *gaps = json_array(), *ft = json_array(), *barges = json_array(),
	       *segs = json_array();

	if (!o || !turns || !gaps || !ft || !barges || !segs) {
		json_decref(o);
		json_decref(turns);
		json_decref(gaps);
		json_decref(ft);
		json_decref(barges);
		json_decref(segs);
		return NULL;
	}
	json_object_set_new(o, "stream_id", json_string(r->stream_id));
	json_object_set_new(o, "script", json_string(r->script));
	json_object_set_new(o, "ok", json_boolean(r->ok));
	json_object_set_new(o, "error", r->error[0] ? json_string(r->error) : json_null());
	json_object_set_new(o, "hangup_by", json_string(vs_hangup_by_name(r->hangup_by)));
	json_object_set_new(o, "timed_out", json_boolean(r->timed_out));
	json_object_set_new(o, "connect_ms", json_real(r->connect_ms));
	json_object_set_new(o, "duration_ms", json_real(r->duration_ms));
	json_object_set_new(o, "first_reply_ms", num_or_null(r->first_reply_ms));
	json_object_set_new(o, "frames_sent", json_integer((json_int_t)r->frames_sent));
	json_object_set_new(o, "frames_received", json_integer((json_int_t)r->frames_received));
	json_object_set_new(o, "samples_received", json_integer((json_int_t)r->samples_received));
	json_object_set_new(o, "late_frames", json_integer((json_int_t)r->late_frames));
	json_object_set_new(o, "max_late_ms", json_real(r->max_late_ms));
	json_object_set_new(o, "marks_received", json_integer((json_int_t)r->marks_received));
	json_object_set_new(o, "marks_echoed", json_integer((json_int_t)r->marks_echoed));
	json_object_set_new(o, "clears_received", json_integer((json_int_t)r->clears_received));
	json_object_set_new(o, "dtmf_sent", json_integer((json_int_t)r->dtmf_sent));
	json_object_set_new(o, "bad_messages", json_integer((json_int_t)r->bad_messages));
	json_object_set_new(o, "talk_over", json_integer(r->talk_over));
	json_object_set_new(o, "msgs_received", json_integer((json_int_t)r->msgs_received));
	json_object_set_new(o, "bad_json", json_integer((json_int_t)r->bad_json));
	json_object_set_new(o, "bad_base64", json_integer((json_int_t)r->bad_base64));
	json_object_set_new(o, "bad_fields", json_integer((json_int_t)r->bad_fields));
	json_object_set_new(o, "first_bad", r->first_bad[0] ? json_string(r->first_bad) : json_null());
	json_object_set_new(o, "frame_error", r->frame_error[0] ? json_string(r->frame_error) : json_null());
	json_object_set_new(o, "marks_dropped", json_integer((json_int_t)r->marks_dropped));
	json_object_set_new(o, "agent_audio_ms", json_real(r->agent_audio_ms));
	json_object_set_new(o, "agent_wall_ms", json_real(r->agent_wall_ms));
	json_object_set_new(o, "ahead_max_ms", json_real(r->ahead_max_ms));
	json_object_set_new(o, "audio_dropped_ms", json_real(r->audio_dropped_ms));
	json_object_set_new(o, "t0_mono_ns", json_integer((json_int_t)r->t0_ns));
	for (size_t i = 0; i < r->nturns; i++)
		json_array_append_new(turns, json_pack("{s:i, s:b, s:f, s:o, s:b}", "step", r->turns[i].step + 1,
						       "replied", r->turns[i].replied, "ref_ms", r->turns[i].ref_ms,
						       "latency_ms", num_or_null(r->turns[i].latency_ms), "talk_over",
						       r->turns[i].talk_over));
	for (size_t i = 0; i < r->ngaps; i++)
		json_array_append_new(gaps, json_pack("{s:f, s:f}", "at_ms", r->gaps[i].at_ms, "duration_ms",
						      r->gaps[i].duration_ms));
	for (size_t i = 0; i < r->nfalse; i++)
		json_array_append_new(ft, json_pack("{s:f, s:i}", "at_ms", r->false_triggers[i].at_ms, "step",
						    r->false_triggers[i].step + 1));
	for (size_t i = 0; i < r->nbarges; i++)
		json_array_append_new(barges, json_pack("{s:i, s:o, s:o, s:o}", "step", r->barges[i].step + 1, "at_ms",
							num_or_null(r->barges[i].at_ms), "agent_stop_ms",
							num_or_null(r->barges[i].agent_stop_ms), "clear_ms",
							num_or_null(r->barges[i].clear_ms)));
	for (size_t i = 0; i < r->nsegs; i++)
		json_array_append_new(segs, json_pack("[f, o]", MS(r->segs[i].on),
						      r->segs[i].off < 0 ? json_null() : json_real(MS(r->segs[i].off))));
	json_object_set_new(o, "turns", turns);
	json_object_set_new(o, "gaps", gaps);
	json_object_set_new(o, "false_triggers", ft);
	json_object_set_new(o, "barge_ins", barges);
	json_object_set_new(o, "agent_speech_ms", segs);
	if (r->nbackchannels) {
		json_t *bcs = json_array();

		for (size_t i = 0; bcs && i < r->nbackchannels; i++) {
			const struct vs_call_backchannel *b = &r->backchannels[i];

			json_array_append_new(bcs, json_pack("{s:f, s:f, s:f, s:o, s:o, s:f}", "at_ms", b->at_ms, "end_ms",
							     b->end_ms, "turn_on_ms", b->turn_on_ms, "agent_stop_ms",
							     num_or_null(b->agent_stop_ms), "clear_ms",
							     num_or_null(b->clear_ms), "max_gap_ms", b->max_gap_ms));
		}
		json_object_set_new(o, "backchannels", bcs);
	}
	if (r->impaired) {
		const struct vs_impair_stats *st = &r->impair;

		json_object_set_new(
			o, "impairment",
			json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:I}", "spec",
				  r->impair_spec, "frames", (json_int_t)st->frames, "sent", (json_int_t)st->sent, "lost",
				  (json_int_t)st->lost, "bursts", (json_int_t)st->bursts, "outage",
				  (json_int_t)st->outage, "delayed", (json_int_t)st->delayed, "duplicated",
				  (json_int_t)st->duplicated, "reordered", (json_int_t)st->reordered, "out_of_order",
				  (json_int_t)st->out_of_order, "delay_mean_ms",
				  st->sent ? st->delay_sum_ms / (double)st->sent : 0.0, "delay_max_ms", st->delay_max_ms,
				  "unsent", (json_int_t)r->impair_unsent));
	}
	return o;
}

int vs_call_backchannel_problems(const struct vs_call_result *r, int hold_ms, int max_gap_ms, int *judged, char *buf,
				 size_t len)
{
	size_t off = 0;
	int n = 0, k;

	if (len)
		buf[0] = '\0';
	*judged = 0;
	for (size_t i = 0; i < r->nbackchannels; i++) {
		const struct vs_call_backchannel *b = &r->backchannels[i];
		double after_end = b->end_ms - b->at_ms + hold_ms; /* at_ms -> end + hold */
		int cleared = b->clear_ms >= 0 && b->clear_ms <= after_end;
		int stopped = b->agent_stop_ms >= 0 && b->agent_stop_ms < after_end;
		int paused = !stopped && b->max_gap_ms > max_gap_ms;

		(*judged)++;
		if (!cleared && !stopped && !paused)
			continue;
		if (off < len) {
			k = snprintf(buf + off, len - off,
				     "%sbackchannel at %.0f ms (agent turn from %.0f ms) taken as a barge-in: ",
				     n ? "; " : "", b->at_ms, b->turn_on_ms);
			off += k > 0 ? (size_t)k : 0;
		}
		if (off < len && cleared) {
			k = snprintf(buf + off, len - off, "clear after %.0f ms", b->clear_ms);
			off += k > 0 ? (size_t)k : 0;
		}
		if (off < len && stopped) {
			k = snprintf(buf + off, len - off, "%sagent stopped %.0f ms after it (hold %d ms after its end)",
				     cleared ? ", " : "", b->agent_stop_ms, hold_ms);
			off += k > 0 ? (size_t)k : 0;
		}
		if (off < len && paused) {
			k = snprintf(buf + off, len - off, "%sagent paused %.0f ms (> %d ms) after it", cleared ? ", " : "",
				     b->max_gap_ms, max_gap_ms);
			off += k > 0 ? (size_t)k : 0;
		}
		n++;
	}
	return n;
}

int vs_call_protocol_problems(const struct vs_call_result *r, char *buf, size_t len)
{
	size_t off = 0;
	int n = 0, k;

#define ADD(...)                                                                             \
	do {                                                                                 \
		if (off < len) {                                                             \
			k = snprintf(buf + off, len - off, "%s", n ? "; " : "");            \
			off += k > 0 ? (size_t)k : 0;                                        \
		}                                                                            \
		if (off < len) {                                                             \
			k = snprintf(buf + off, len - off, __VA_ARGS__);                     \
			off += k > 0 ? (size_t)k : 0;                                        \
		}                                                                            \
		n++;                                                                         \
	} while (0)
	if (len)
		buf[0] = '\0';
	if (r->frame_error[0])
		ADD("%s", r->frame_error);
	if (r->bad_messages)
		ADD("%llu of %llu agent messages malformed (%llu not JSON, %llu invalid base64, %llu wrong or "
		    "wrongly typed fields); first: %s",
		    (unsigned long long)r->bad_messages, (unsigned long long)r->msgs_received,
		    (unsigned long long)r->bad_json, (unsigned long long)r->bad_base64,
		    (unsigned long long)r->bad_fields, r->first_bad);
	if (r->audio_dropped_ms > 0)
		ADD("media faster than real time: %.1f s of agent audio in %.1f s (%.1fx), more than %d s queued "
		    "ahead of playback, %.1f s dropped",
		    r->agent_audio_ms / 1000.0, r->agent_wall_ms / 1000.0,
		    r->agent_wall_ms > 0 ? r->agent_audio_ms / r->agent_wall_ms : 0.0, VS_CALL_MAX_AHEAD_MS / 1000,
		    r->audio_dropped_ms / 1000.0);
	if (r->marks_dropped)
		ADD("mark flood: %llu marks received, %llu over the limit (%d at once, %d/s) not echoed",
		    (unsigned long long)r->marks_received, (unsigned long long)r->marks_dropped, VS_CALL_MARK_BURST,
		    VS_CALL_MARK_RATE);
#undef ADD
	return n;
}
