/* What each STT stream received, kept so that the run can compare it with
 * what the caller sent (the audio path through the agent, docs/world.md
 * "Recorded audio").  The stand-in keeps the last DG_REC_KEEP streams, each
 * at 8 kHz PCM16 (the caller's own rate: a phone call carries nothing
 * above 4 kHz) and at most record_max_s long, and serves them on its
 * control routes:
 *   GET /_vstress/stt_deepgram/streams        [{stream, start_ns, transcript, ...}]
 *   GET /_vstress/stt_deepgram/audio/{stream}  audio/wav
 * Everything runs on the world's event-loop thread. */
#ifndef STT_DEEPGRAM_STANDIN_RECORD_H
#define STT_DEEPGRAM_STANDIN_RECORD_H
#include <stddef.h>
#include <stdint.h>

#include "vstress/world.h"

#define DG_REC_KEEP 64

struct dg_rec; /* one stream's recording */

/* A new recording for stream id (the stream's sample rate and encoding as
 * the client declared them); NULL when recording is off (record_audio) or
 * out of memory.  The oldest finished recording makes room. */
struct dg_rec *dg_rec_open(const struct vs_world *w, vs_wctx *wc, const char *id, int rate, const char *encoding);
/* Appends n samples at the stream's rate; the first call stamps start_ns
 * (CLOCK_MONOTONIC: when the first audio arrived). */
void dg_rec_add(struct dg_rec *r, const int16_t *pcm, size_t n);
/* A final transcript the stream was sent (non-empty text only). */
void dg_rec_final(struct dg_rec *r, const char *text);
/* The stream ended: the recording is kept until evicted. */
void dg_rec_close(struct dg_rec *r);
/* Registers the two control routes. */
int dg_rec_routes(const struct vs_world *w, vs_wctx *wc);

#endif
