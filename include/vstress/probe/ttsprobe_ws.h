/* What both WebSocket TTS conversations (Cartesia, ElevenLabs) share:
 * the request clock, failure classes of a socket failure, sending one JSON
 * message and receiving until the provider's "done". */
#ifndef VSTRESS_UTIL_TTSPROBE_WS_H
#define VSTRESS_UTIL_TTSPROBE_WS_H

#include <stdint.h>

#include <jansson.h>

#include "vstress/probe/ttsprobe.h"
#include "vstress/net/wsclient.h"

uint64_t vs_tts_now_ns(void);
/* What is left of r's timeout (0 when spent). */
int vs_tts_left_ms(const struct vs_tts_req *r);
/* r failed with this class and message. */
void vs_tts_fail(struct vs_tts_req *r, int cls, const char *msg);
/* A socket failure into r: handshake refusal by its status, timeout,
 * too big, connect, close (1011 before any message: server_error; else
 * close_cls(e) when given, closed_early otherwise). */
void vs_tts_ws_fail(struct vs_tts_req *r, const struct vs_wsc_err *e, int got_any,
		    int (*close_cls)(const struct vs_wsc_err *e));
/* Sends j (stolen) as one text message within r's time; 0 or -1. */
int vs_tts_send_json(struct vs_wsc *ws, struct vs_tts_req *r, json_t *j);
/* Receives messages until done: each counted in r->messages and, as a JSON
 * object, given to on_msg (1 done, 0 more, -1 r failed); a binary or
 * unparseable message, or one not an object, fails r as malformed.  0; -1
 * when r failed (on_msg, a message, the socket, or no `done_name` in time). */
int vs_tts_recv_until_done(struct vs_wsc *ws, struct vs_tts_req *r,
			   int (*on_msg)(struct vs_tts_req *r, const json_t *j),
			   int (*close_cls)(const struct vs_wsc_err *e), const char *done_name);

#endif
