/* What a stand-in billed, published on the world's event bus as topic
 * "billing" (GET /_vstress/events?topic=billing): one event per LLM request,
 * per TTS text and per STT stream, with the units the provider would charge.
 * A call-placing phase sums them per call and compares the agent's own cost
 * records (docs/plugins/pipeline.md, "Cost tracking"). */
#ifndef VSTRESS_STANDIN_BILLING_H
#define VSTRESS_STANDIN_BILLING_H
#include <stdint.h>
#include <jansson.h>

#include "vstress/world.h"
#include "vstress/standin/standin_text.h"

#define VS_BILLING_TOPIC "billing"

/* An LLM request as answered: provider ("openai"), its model, the prompt
 * tokens billed and the turn (its out_tokens, text, and the time its last
 * token is due on the world's clock: now + ttft + a token's gap each).
 * Returns the event's sequence number (0 on failure). */
uint64_t vs_st_bill_llm(const struct vs_world *w, vs_wctx *wc, const char *provider, const char *model, long in_tokens,
			const struct vs_st_turn *t);
/* A text to speak: its characters (bytes of UTF-8) and the text itself. */
uint64_t vs_st_bill_tts(const struct vs_world *w, vs_wctx *wc, const char *provider, const char *model,
			const char *text);
/* A stream opened (STT): the event marks when; its sequence number goes
 * into vs_st_bill_stt at close, which bills the audio seconds received. */
uint64_t vs_st_bill_open(const struct vs_world *w, vs_wctx *wc, const char *provider);
uint64_t vs_st_bill_stt(const struct vs_world *w, vs_wctx *wc, const char *provider, const char *model,
			double audio_seconds, uint64_t open_seq);
#endif
