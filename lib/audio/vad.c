/* Energy VAD with hangover and sample-accurate edges (see vad.h). */
#include "vstress/audio/vad.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VAD_CONT_MS 10 /* quiet run that separates speech samples */

double vs_vad_dbfs(const int16_t *x, size_t n)
{
	/* exact in 64 bits (and so the same as summing doubles) below 2^33 samples */
	int64_t sum = 0;
	double acc;

	if (!n)
		return -120.0;
	for (size_t i = 0; i < n; i++)
		sum += (int32_t)x[i] * x[i];
	acc = (double)sum / (double)n;
	if (acc <= 0)
		return -120.0;
	return 10.0 * log10(acc / (32768.0 * 32768.0));
}

void vs_vad_init(struct vs_vad *v, const struct vs_vad_cfg *cfg)
{
	memset(v, 0, sizeof(*v));
	if (cfg)
		v->cfg = *cfg;
	if (v->cfg.rate <= 0)
		v->cfg.rate = 8000;
	if (v->cfg.frame_ms <= 0)
		v->cfg.frame_ms = 20;
	if (v->cfg.threshold_dbfs == 0)
		v->cfg.threshold_dbfs = -40.0;
	if (v->cfg.hangover_ms <= 0)
		v->cfg.hangover_ms = 200;
	if (v->cfg.min_speech_ms <= 0)
		v->cfg.min_speech_ms = v->cfg.frame_ms;
	v->frame = v->cfg.rate * v->cfg.frame_ms / 1000;
	if (v->frame > VS_VAD_MAX_FRAME)
		v->frame = VS_VAD_MAX_FRAME;
	if (v->frame < 1)
		v->frame = 1;
	v->amp_thr = 32768.0 * pow(10.0, v->cfg.threshold_dbfs / 20.0);
	v->amp_floor = v->amp_thr >= 32768.0 ? 32768 : (int)floor(v->amp_thr);
	v->last_loud = -1;
}

static int loud(const struct vs_vad *v, int16_t s)
{
	return abs(s) > v->amp_floor;
}

/* Earliest speech sample connected (10 ms rule) to the first loud sample of
 * the current frame, searching back into the previous frame. */
static int64_t find_onset(const struct vs_vad *v, const int16_t *f)
{
	int cont = v->cfg.rate * VAD_CONT_MS / 1000;
	int64_t base = v->pos; /* absolute index of f[0] */
	int first = -1;
	int64_t onset;
	int quiet = 0;

	for (int i = 0; i < v->frame; i++)
		if (loud(v, f[i])) {
			first = i;
			break;
		}
	if (first < 0)
		return base;
	onset = base + first;
	for (int i = first - 1; i >= 0 && quiet < cont; i--) {
		if (loud(v, f[i])) {
			onset = base + i;
			quiet = 0;
		} else {
			quiet++;
		}
	}
	for (int i = v->prev_n - 1; i >= 0 && quiet < cont; i--) {
		if (loud(v, v->prev[i])) {
			onset = base - v->prev_n + i;
			quiet = 0;
		} else {
			quiet++;
		}
	}
	return onset;
}

/* Extend last_loud over this frame: every loud sample in a voiced frame,
 * loud samples within 10 ms of the previous one in an unvoiced frame. */
static void track_tail(struct vs_vad *v, const int16_t *f, int voiced)
{
	int64_t cont = v->cfg.rate * VAD_CONT_MS / 1000;

	if (voiced) { /* every loud sample extends it: the last one is enough */
		for (int i = v->frame - 1; i >= 0; i--)
			if (loud(v, f[i])) {
				v->last_loud = v->pos + i;
				break;
			}
		return;
	}
	for (int i = 0; i < v->frame; i++) {
		int64_t abs_i = v->pos + i;

		if (!loud(v, f[i]))
			continue;
		if (voiced || (v->last_loud >= 0 && abs_i - v->last_loud <= cont))
			v->last_loud = abs_i;
	}
}

int vs_vad_feed(struct vs_vad *v, const int16_t *f, struct vs_vad_event ev[2])
{
	int nev = 0;
	double db = vs_vad_dbfs(f, (size_t)v->frame);
	int voiced = db > v->cfg.threshold_dbfs;
	int min_frames = (v->cfg.min_speech_ms + v->cfg.frame_ms - 1) / v->cfg.frame_ms;
	int64_t hang = (int64_t)v->cfg.rate * v->cfg.hangover_ms / 1000;

	if (!v->speaking) {
		if (voiced) {
			if (v->voiced_run == 0)
				v->pending_start = find_onset(v, f);
			v->voiced_run++;
			if (v->voiced_run >= min_frames) {
				v->speaking = 1;
				v->voiced_run = 0;
				v->last_loud = v->pending_start;
				ev[nev].type = VS_VAD_START;
				ev[nev].sample = v->pending_start;
				nev++;
			}
		} else {
			v->voiced_run = 0;
		}
	}
	if (v->speaking) {
		track_tail(v, f, voiced);
		if (voiced)
			v->last_voiced_end = v->pos + v->frame;
		if (!voiced && v->pos + v->frame - v->last_voiced_end >= hang) {
			v->speaking = 0;
			ev[nev].type = VS_VAD_END;
			ev[nev].sample = v->last_loud + 1;
			nev++;
		}
	}
	memcpy(v->prev, f, (size_t)v->frame * sizeof(*f));
	v->prev_n = v->frame;
	v->pos += v->frame;
	return nev;
}

int vs_vad_flush(struct vs_vad *v, struct vs_vad_event *ev)
{
	if (!v->speaking)
		return 0;
	v->speaking = 0;
	ev->type = VS_VAD_END;
	ev->sample = v->last_loud + 1;
	return 1;
}
