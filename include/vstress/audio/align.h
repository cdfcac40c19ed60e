/* Compare two recordings of one audio path: what was sent into it (ref) and
 * what came out of the far end (got), both PCM16 mono at the same rate.
 *
 * Used where vstress holds both ends of a path through the agent: the
 * caller's speech against the audio the STT stand-in received, the TTS
 * stand-in's audio against what the caller heard.  Neither end is told
 * about the other: got is located inside ref by its waveform.
 *
 * Method: a coarse offset from the cross-correlation of the two 10 ms
 * log-energy envelopes over every lag, then each speech frame of ref
 * (frame_ms long, louder than speech_dbfs) is looked for in got by
 * normalised waveform correlation, first at the offset the previous frame
 * matched at (+-2 samples, the path's own jitter), then over +-search_ms
 * (a frame removed or inserted upstream moves the offset).  A frame counts
 * as forwarded when its best correlation is at least `match`; a new offset
 * is believed only when the next speech frame agrees with it, so chance
 * likeness of two different stretches of speech does not count.  Frames the
 * path zeroed or garbled are not found, and a run of them (quiet frames
 * inside the run included) of at least dropout_ms is one dropout; audio the
 * path removed shows as the offset moving back (removed_ms).  A stretch of
 * steady vowel removed upstream can pass for its neighbour: removed_ms is
 * the figure to judge removal by, fraction the one for zeroed audio. */
#ifndef VSTRESS_AUDIO_ALIGN_H
#define VSTRESS_AUDIO_ALIGN_H
#include <stddef.h>
#include <stdint.h>

struct vs_align_opts {
	int frame_ms;        /* 20 */
	int search_ms;       /* 80 */
	double match;        /* 0.8 */
	double speech_dbfs;  /* -45: quieter ref frames are not judged */
	int dropout_ms;      /* 60 */
	/* appended: 1 = the one unmatched speech frame right before the offset
	 * moves on (audio inserted: the far end's playback stalled) counts as
	 * forwarded: the stall split it, half on each side.  0 (default): not */
	int stall_edge;
};

struct vs_align_result {
	long offset;            /* samples: got[i + offset] holds ref[i] at the first matched frame */
	long offset_end;        /* the same at the last matched frame */
	long removed_ms;        /* audio the path left out between forwarded frames (offset moved back) */
	long inserted_ms;       /* audio the path added between them (offset moved on) */
	int speech_frames;      /* ref frames judged */
	int forwarded;          /* of them found in got */
	double fraction;        /* forwarded / speech_frames (0 when none judged) */
	int dropouts;           /* runs of >= dropout_ms of frames not found */
	long longest_dropout_ms;
	double mean_corr;       /* over the forwarded frames */
	double gain_db;         /* got's level against ref's, over the forwarded frames */
};

/* Zero every field of o, then set the defaults above. */
void vs_align_defaults(struct vs_align_opts *o);
/* Compare; o NULL: the defaults.  0, or -1 with err set (bad rate, options
 * out of range, got shorter than one frame, no speech in ref). */
int vs_align(const int16_t *ref, size_t nref, const int16_t *got, size_t ngot, int rate,
	     const struct vs_align_opts *o, struct vs_align_result *r, char *err, size_t errlen);

#endif
