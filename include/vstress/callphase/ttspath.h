/* The TTS -> caller audio path of one call, judged from both ends (issue
 * 13, docs/calls.md "The audio path through the agent"): each reply a TTS
 * stand-in sent to the agent (GET /_vstress/<tts>/replies, /audio/{reply})
 * is looked for, by its waveform, in what the caller heard on the media
 * stream (vs_call_result.heard, kept with keep_heard_ms): the fraction of
 * its speech delivered, audio removed or inserted, dropouts, and the delay
 * from the stand-in's first audio sent to the caller first hearing it.  A
 * reply cut short where the caller barged in (a barge_in step, or an
 * utterance the caller began while the reply played) is judged up to the
 * barge-in only, and says so.
 *
 * The replies of a call are those whose first audio went out between just
 * before the call's stream start and its end (CLOCK_MONOTONIC, the world
 * and the caller on one host); with calls one after another that is exact.
 * Link -lcurl -ljansson. */
#ifndef VSTRESS_CALLPHASE_TTSPATH_H
#define VSTRESS_CALLPHASE_TTSPATH_H

#include <stddef.h>
#include <stdint.h>

#include "vstress/caller/call.h"

typedef struct json_t json_t;

/* The TTS stand-ins whose replies are looked at. */
#define VS_TTSPATH_STANDINS {"tts_cartesia", "tts_elevenlabs"}

/* One call; s its script (NULL: only barge_in steps are barge-ins), r its media result with heard kept, t0_ns its stream start on
 * CLOCK_MONOTONIC.  *out gets {"replies":[{"standin","reply","text",
 * "sent_ms","ended","speech_ms","fraction","removed_ms","dropouts",
 * "longest_dropout_ms","inserted_ms","first_heard_ms","delay_ms","gaps",
 * "longest_gap_ms","barge_in_ms","truncated_at_barge_in",
 * "judged_speech_ms","judged_fraction","judged_removed_ms"}] (judged_*:
 * up to the barge-in; judged_fraction null when the caller barged in before
 * any of it was due), "heard_ms":n,"heard_truncated":b} ("skipped": reason instead, when the caller kept nothing or
 * no stand-in keeps recordings).  0, or -1 with err (the world did not
 * answer, bad JSON or WAV). */
/* One reply against what the caller heard (the comparison vs_ttspath_call
 * makes for each reply): ref its audio at 8 kHz, sent_ms when its first
 * audio went out (ms from the stream start).  *out gets the reply's fields
 * above from "speech_ms" on.  0, or -1 with err (no speech in ref). */
int vs_ttspath_judge(const int16_t *ref, size_t nref, double sent_ms, const struct vs_call_script *s,
		     const struct vs_call_result *r, json_t **out, char *err, size_t errlen);
int vs_ttspath_call(const char *control_url, const struct vs_call_script *s, const struct vs_call_result *r,
		    int64_t t0_ns, json_t **out, char *err, size_t errlen);

#endif
