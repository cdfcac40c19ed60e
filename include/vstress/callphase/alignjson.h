/* One alignment's figures (vs_align, vstress/audio/align.h) as the JSON
 * fields both directions of the audio path report them under: the caller
 * -> STT utterances (audiopath.h) and the TTS -> caller replies
 * (ttspath.h). */
#ifndef VSTRESS_CALLPHASE_ALIGNJSON_H
#define VSTRESS_CALLPHASE_ALIGNJSON_H
#include <jansson.h>

#include "vstress/audio/align.h"

/* Sets fraction, removed_ms, dropouts, longest_dropout_ms, inserted_ms and
 * gain_db of a on the object o. */
void vs_align_json(json_t *o, const struct vs_align_result *a);

#endif
