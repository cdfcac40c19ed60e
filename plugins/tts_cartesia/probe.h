/* tts_cartesia probe: the Cartesia WebSocket conversation for the shared
 * TTS probe (vstress/probe/ttsprobe.h). */
#ifndef TTS_CARTESIA_PROBE_H
#define TTS_CARTESIA_PROBE_H
#include "vstress/probe/ttsprobe.h"
#include "vstress/net/wsclient.h"

extern const struct vs_tts_proto ca_proto;
#endif
