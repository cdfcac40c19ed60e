/* What a TTS stand-in sent, kept per reply so that the run can compare it
 * with what the caller heard (the TTS -> caller audio path through the
 * agent, issue 13; docs/world.md "Recorded audio").  A reply is one
 * synthesis context (Cartesia context_id, ElevenLabs contextId) on one
 * connection.  With `record_audio` on, the stand-in keeps the last
 * VS_TTSREC_KEEP replies, each as PCM16 at the rate it was sent (at most
 * `record_max_s` seconds), with its text, when its first and last audio
 * went out and how it ended, and serves them on its control routes:
 *   GET /_vstress/<standin>/replies          {"replies":[{reply, context, start_ns, ...}], "recording"}
 *   GET /_vstress/<standin>/audio/{reply}    audio/wav, 8 kHz PCM16 mono
 * Everything runs on the world's event-loop thread. */
#ifndef VSTRESS_STANDIN_TTSREC_H
#define VSTRESS_STANDIN_TTSREC_H
#include <stddef.h>
#include <stdint.h>

#include "vstress/world.h"

#define VS_TTSREC_KEEP 64

struct vs_ttsrec; /* one reply's recording */

/* A new recording for context id of stand-in `standin`, sent at rate in enc
 * (enum vs_ta_enc); NULL when record_audio is off, every slot is a reply
 * still running, or out of memory.  The oldest finished reply makes room. */
struct vs_ttsrec *vs_ttsrec_open(const struct vs_world *w, vs_wctx *wc, const char *standin, const char *id, int rate,
				 int enc);
/* Text the reply was asked to speak (appended, one space between). */
void vs_ttsrec_text(struct vs_ttsrec *r, const char *text);
/* Audio bytes sent to the client now (whole samples of the reply's encoding);
 * the first call stamps start_ns, every call end_ns (CLOCK_MONOTONIC). */
void vs_ttsrec_sent(struct vs_ttsrec *r, const uint8_t *data, size_t bytes);
/* The reply ended: "done" (all its audio sent), "cancelled" (the client
 * cancelled it), "error" or "closed" (the connection went).  Kept until
 * evicted; r must not be used after. */
void vs_ttsrec_close(struct vs_ttsrec *r, const char *how);
/* Registers the two control routes of stand-in `standin` (a string that
 * outlives the world, e.g. a literal). */
int vs_ttsrec_routes(const struct vs_world *w, vs_wctx *wc, const char *standin);

#endif
