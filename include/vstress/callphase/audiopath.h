/* The caller -> STT audio path of one call, judged from both ends (issue
 * 13, docs/calls.md "The audio path through the agent"): each utterance the
 * caller sent is looked for in the audio the STT stand-in received from
 * the agent (vs_align: fraction forwarded, dropouts, audio removed, delay),
 * and the words the stand-in recognised in that audio (it is never told
 * what was said) are scored against the words the caller said (WER).
 *
 * The streams of a call are the stand-in's recordings that began between
 * the call's start and its end (GET /_vstress/stt_deepgram/streams, on the
 * caller's monotonic clock); with calls one after another that is exact.
 * Link -lcurl -ljansson. */
#ifndef VSTRESS_CALLPHASE_AUDIOPATH_H
#define VSTRESS_CALLPHASE_AUDIOPATH_H

#include <stddef.h>
#include <stdint.h>

#include "vstress/caller/call.h"

typedef struct json_t json_t;

/* One call.  t0_ns: the stream start on CLOCK_MONOTONIC (the call's
 * t0_mono_ns); r: its media result (turns, duration).  *out gets
 * {"streams":[..],"utterances":[{"step","words","stream","fraction",
 * "dropouts","longest_dropout_ms","removed_ms","delay_ms"}],
 * "heard":"...","said":"...","wer":x,"edits":n,"reference_words":n}
 * ("skipped": reason, instead, when the world keeps no recordings).
 * 0, or -1 with err (the world did not answer, bad JSON). */
int vs_audiopath_call(const char *control_url, const struct vs_call_script *s, const struct vs_call_result *r,
		      int64_t t0_ns, json_t **out, char *err, size_t errlen);

#endif
