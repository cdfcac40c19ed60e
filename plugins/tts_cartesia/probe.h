/* tts_cartesia probe: the Cartesia WebSocket conversation for the shared
 * TTS probe (vstress/util/ttsprobe.h). */
#ifndef TTS_CARTESIA_PROBE_H
#define TTS_CARTESIA_PROBE_H
#include "vstress/util/ttsprobe.h"
#include "vstress/util/wsclient.h"

extern const struct vs_tts_proto ca_proto;
#endif
