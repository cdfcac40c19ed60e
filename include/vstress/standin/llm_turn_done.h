/* What every LLM stand-in records of a turn it answers: the world's
 * counters (tokens_in, tokens_out, characters), the billing event, and the
 * waterfall's wf.llm mark with the times its first and last content tokens
 * are due. */
#ifndef VSTRESS_STANDIN_LLM_TURN_DONE_H
#define VSTRESS_STANDIN_LLM_TURN_DONE_H
#include <stdint.h>

#include "vstress/standin/standin_text.h"
#include "vstress/world.h"

struct vs_st_turn_meta {
	const char *provider; /* billing's provider name */
	const char *model;
	const char *id;       /* the completion's id */
	const char *user;     /* the request's user metadata, NULL none */
	long in_tokens;
	uint64_t req_ns;      /* the request's arrival (vs_wf_now_ns) */
	int stream;           /* streamed: tokens token_ms apart from ttft_ms; else all at the end */
	unsigned lead;        /* chunks without content before the first token (OpenAI's role chunk: 1) */
};

/* characters counts the answer the turn carries: its spoken text, or the
 * tool call's arguments. */
void vs_st_turn_done(const struct vs_world *w, vs_wctx *wc, const struct vs_st_turn *t,
		     const struct vs_st_turn_meta *m);

#endif
