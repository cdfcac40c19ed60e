/* The stand-ins' billing events: see vstress/standin/billing.h. */
#include "vstress/standin/billing.h"

#include <string.h>

static uint64_t bill(const struct vs_world *w, vs_wctx *wc, json_t *ev)
{
	if (!ev || !VS_WORLD_HAS(w, publish))
		return 0;
	json_object_set_new(ev, "at_ms", json_integer((json_int_t)w->now_ms()));
	return w->publish(wc, VS_BILLING_TOPIC, ev);
}

uint64_t vs_st_bill_llm(const struct vs_world *w, vs_wctx *wc, const char *provider, const char *model, long in_tokens,
			const struct vs_st_turn *t)
{
	uint64_t now = w->now_ms();
	/* the stand-ins queue the first chunk at ttft, then one token (or tool
	 * argument fragment) a gap; the finish chunk follows the last token */
	uint64_t last = now + t->ttft + (uint64_t)t->per * (t->ntok ? t->ntok - 1 : 0) + (t->tool ? 3u * t->per : 0);

	/* where each token of text ends (characters), to time a prefix of it */
	json_t *ends = json_array();
	size_t end = 0;

	for (size_t i = 0; ends && i < t->ntok; i++) {
		end += strlen(t->tok[i]);
		json_array_append_new(ends, json_integer((json_int_t)end));
	}
	return bill(w, wc,
		    json_pack("{s:s,s:s,s:s,s:I,s:I,s:s,s:s?,s:I,s:I,s:I,s:o}", "provider", provider, "service", "llm",
			      "model", model ? model : "", "input_tokens", (json_int_t)in_tokens, "output_tokens",
			      (json_int_t)t->out_tokens, "text", t->text ? t->text : "", "tool", t->tool, "last_token_ms",
			      (json_int_t)last, "first_token_ms",
			      (json_int_t)(now + t->ttft + (t->tool ? 3u * t->per : 0)), "token_ms", (json_int_t)t->per,
			      "token_ends", ends ? ends : json_array()));
}

uint64_t vs_st_bill_tts(const struct vs_world *w, vs_wctx *wc, const char *provider, const char *model,
			const char *text)
{
	return bill(w, wc,
		    json_pack("{s:s,s:s,s:s,s:I,s:s}", "provider", provider, "service", "tts", "model", model ? model : "",
			      "characters", (json_int_t)(text ? strlen(text) : 0), "text", text ? text : ""));
}

uint64_t vs_st_bill_open(const struct vs_world *w, vs_wctx *wc, const char *provider)
{
	return bill(w, wc, json_pack("{s:s,s:s}", "provider", provider, "service", "open"));
}

uint64_t vs_st_bill_stt(const struct vs_world *w, vs_wctx *wc, const char *provider, const char *model,
			double audio_seconds, uint64_t open_seq)
{
	return bill(w, wc,
		    json_pack("{s:s,s:s,s:s,s:f,s:I}", "provider", provider, "service", "stt", "model", model ? model : "",
			      "audio_seconds", audio_seconds, "open_seq", (json_int_t)open_seq));
}
