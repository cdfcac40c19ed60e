/* What the WebSocket stand-ins (stt_deepgram, tts_cartesia,
 * tts_elevenlabs) share on their sockets. */
#ifndef VSTRESS_STANDIN_WS_H
#define VSTRESS_STANDIN_WS_H

#include <stdint.h>

#include <jansson.h>

#include "vstress/world.h"

/* Sends j (stolen) as one compact text message after delay_ms: the
 * world's ws_send_text result, -1 when j cannot be dumped. */
int vs_st_ws_send_json(const struct vs_world *w, vs_ws *ws, uint32_t delay_ms, json_t *j);

#endif
