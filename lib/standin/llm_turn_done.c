/* An LLM stand-in's record of a turn: see vstress/standin/llm_turn_done.h. */
#include "vstress/standin/llm_turn_done.h"

#include <string.h>

#include "vstress/standin/billing.h"
#include "vstress/standin/wfmark.h"

void vs_st_turn_done(const struct vs_world *w, vs_wctx *wc, const struct vs_st_turn *t,
		     const struct vs_st_turn_meta *m)
{
	const char *said = t->tool ? t->rep.tool_args : t->text;
	/* the k-th chunk goes out at ttft + k token gaps; the lead chunks carry
	 * no content */
	uint64_t all = t->ttft + (uint64_t)t->ntok * t->per;
	uint64_t first = all, last = all;

	w->count(wc, "tokens_in", (double)m->in_tokens);
	w->count(wc, "tokens_out", (double)t->out_tokens);
	vs_st_bill_llm(w, wc, m->provider, m->model, m->in_tokens, t);
	w->count(wc, "characters", (double)(said ? strlen(said) : 0));
	if (m->stream) {
		first = t->ttft + (t->ntok ? (uint64_t)m->lead * t->per : 0);
		last = t->ttft + (t->ntok ? (uint64_t)(t->ntok - 1 + m->lead) * t->per : 0);
	}
	vs_wf_llm(w, wc, t, m->id, m->req_ns, first, last, m->user);
}
