/* A fooled model: the LLM stand-ins answer as a model an attack got
 * through to, so that a run judges the agent's own defences (what it lets
 * reach the caller), not the model's.  Switched per stand-in on the
 * control API (docs/world.md, "Fooled model"):
 *
 *   POST   /_vstress/fooled/<stand-in>  {"mode": M, "long_reply_s": 90, "canary_prefix": "VSCANARY-"}
 *   DELETE /_vstress/fooled/<stand-in>
 *
 * Modes: echo_system (the reply is the system prompt received),
 * leak_canary (names the first word of the system prompt starting with
 * canary_prefix), undeclared_tool (calls a tool the request never
 * offered), malformed_json (a cut-off JSON object as the reply),
 * long_reply (talks for long_reply_s at the stand-in's token pace, capped
 * by the request's own max tokens as the provider caps it). */
#ifndef VSTRESS_STANDIN_FOOLED_H
#define VSTRESS_STANDIN_FOOLED_H

#include "vstress/world.h"
#include "vstress/standin/standin_text.h"

#define VS_FOOLED_TOOL "transfer_all_funds" /* the undeclared tool */

/* Registers the control routes for the stand-in `name` (only inside the
 * world hook); 0 or -1. */
int vs_st_fooled_routes(const struct vs_world *w, vs_wctx *wc, const char *name);
/* In vs_st_turn_answer: when a mode is set for this stand-in, replaces
 * t's text and tool by the fooled answer to t->req.  1 when applied. */
int vs_st_fooled_apply(const struct vs_world *w, vs_wctx *wc, struct vs_st_turn *t);
#endif
