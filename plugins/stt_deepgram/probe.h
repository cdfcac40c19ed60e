/* stt_deepgram probe: Deepgram's live /v1/listen conversation for one
 * sample (probe_stream.c); the engine around it (samples, passes, WER,
 * latency, checks) is the shared STT probe, vstress/probe/sttprobe.h. */
#ifndef STT_DEEPGRAM_PROBE_H
#define STT_DEEPGRAM_PROBE_H

#include "vstress/probe/sttprobe.h"

/* One sample over one WebSocket stream; fills s's out fields. */
void dg_stream(const struct vs_stt_cfg *cfg, struct vs_stt_sample *s);

#endif
