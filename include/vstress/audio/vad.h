/* Energy (RMS) speech activity detector on fixed frames (20 ms) with a
 * hangover, reporting speech start/end at SAMPLE resolution.
 *
 * A frame is voiced when its RMS exceeds threshold_dbfs (dB relative to a
 * full-scale 32768 amplitude).  Speech starts with min_speech_ms of voiced
 * frames; it ends after hangover_ms without voiced frames.  Sample-level
 * edges use the amplitude that threshold_dbfs stands for (amp_thr):
 *  - start = the first sample with |x| > amp_thr in the first voiced frame,
 *    extended backwards (into the previous frame too) over earlier samples
 *    with |x| > amp_thr as long as no 10 ms run of quieter samples separates
 *    them;
 *  - end = one past the last sample with |x| > amp_thr that belongs to the
 *    speech (same 10 ms continuity rule into the unvoiced frames after it).
 * So an onset inside a 20 ms frame is located to the sample (125 us at
 * 8 kHz), not to the frame. */
#ifndef VSTRESS_UTIL_VAD_H
#define VSTRESS_UTIL_VAD_H
#include <stddef.h>
#include <stdint.h>

#define VS_VAD_MAX_FRAME 960 /* 20 ms at 48 kHz */

struct vs_vad_cfg {
	int rate;              /* samples per second (default 8000) */
	int frame_ms;          /* default 20 */
	double threshold_dbfs; /* default -40 */
	int hangover_ms;       /* default 200 */
	int min_speech_ms;     /* default 20 (one frame) */
};

enum vs_vad_ev { VS_VAD_NONE = 0, VS_VAD_START = 1, VS_VAD_END = 2 };

struct vs_vad_event {
	int type;       /* enum vs_vad_ev */
	int64_t sample; /* START: first speech sample; END: one past the last */
};

struct vs_vad {
	struct vs_vad_cfg cfg;
	int frame;        /* samples per frame */
	double amp_thr;   /* amplitude equivalent of threshold_dbfs */
	int amp_floor;    /* floor(amp_thr): |x| > amp_thr exactly when |x| > amp_floor */
	int64_t pos;      /* absolute index of the next sample fed */
	int speaking;
	int voiced_run;   /* consecutive voiced frames while not speaking */
	int64_t pending_start;
	int64_t last_loud; /* absolute index of the last speech sample */
	int64_t last_voiced_end; /* end of the last voiced frame */
	int16_t prev[VS_VAD_MAX_FRAME];
	int prev_n;
};

/* cfg NULL = defaults; zero fields of cfg take their defaults. */
void vs_vad_init(struct vs_vad *v, const struct vs_vad_cfg *cfg);
/* Feed one frame of exactly v->frame samples.  Writes up to 2 events into
 * ev and returns their count (END of a segment is reported in the frame in
 * which the hangover expires). */
int vs_vad_feed(struct vs_vad *v, const int16_t *frame, struct vs_vad_event ev[2]);
/* End of stream: an END event if speech is open (returns 0 or 1). */
int vs_vad_flush(struct vs_vad *v, struct vs_vad_event *ev);
/* RMS of n samples in dBFS (-120 for silence). */
double vs_vad_dbfs(const int16_t *x, size_t n);

#endif
