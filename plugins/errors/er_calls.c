/* errors plugin: one whole call, and what it tells. */
#include "errors.h"

#include <stdio.h>
#include <string.h>

/* The Telnyx side of every call of the plugin. */
void er_call_cfg(struct er *e, struct vs_tcall_cfg *cfg)
{
	*cfg = (struct vs_tcall_cfg){.webhook_url = e->t.webhook_url,
				     .tel = e->t.tel,
				     .control_url = e->t.control_url,
				     .signing_seed_b64 = e->t.signing_seed,
				     .from = e->t.caller,
				     .to = e->t.routed,
				     .answer_timeout_ms = (int)e->answer_timeout_ms,
				     /* ids unique in the world's event log: the clock mixed in */
				     .seed = e->h->seed(e->c) ^ e->h->now_ns(),
				     .signature = VS_SIG_GOOD,
				     /* an answer without a stream (the agent's fallback): its hang-up ends the call */
				     .until_action = "hangup",
				     .until_ms = (int)er_ms(e, "outage_call_wait")};
}

void er_call(struct er *e, const struct vs_call_script *s, const char *label, struct er_call *out)
{
	struct vs_tcall_cfg cfg;

	er_call_cfg(e, &cfg);
	memset(out, 0, sizeof(*out));
	out->failed = vs_tcall_run(e->eng, s, &cfg, &out->r) != 0;
	er_call_note(e, label, out);
}

void er_call_note(struct er *e, const char *label, const struct er_call *out)
{
	const struct vs_call_result *m = &out->r.media;
	int replied, total;
	double sum, max;

	e->h->count(e->c, "calls", 1);
	er_turns(out, &replied, &total, &sum, &max);
	e->h->log(e->c, VS_LOG_INFO,
		  "%s call %s: webhook %d in %.0f ms, answer %s, %s, first reply %.0f ms, caller turns replied %d/%d "
		  "(max %.0f ms), commands %zu%s%s",
		  label, out->r.call_control_id, out->r.webhook_status, out->r.webhook_ms,
		  out->r.answered ? "seen" : "MISSING", out->r.media_started ? "media streamed" : "no media",
		  out->r.media_started ? m->first_reply_ms : -1.0, replied, total, max, json_array_size(out->r.commands),
		  out->r.error[0] ? "; " : "", out->r.error);
	for (size_t t = 0; out->r.media_started && t < m->nturns; t++)
		if (m->turns[t].ref_ms > 0)
			e->h->log(e->c, VS_LOG_INFO, "%s call turn %zu: %s, latency %.0f ms", label, t + 1,
				  m->turns[t].replied ? "replied" : "NO REPLY", m->turns[t].latency_ms);
	for (size_t t = 0; out->r.media_started && t < m->nturns; t++)
		if (m->turns[t].ref_ms > 0 && m->turns[t].replied)
			e->h->record(e->c, e->m_turn, (int64_t)m->turns[t].latency_ms);
}

void er_call_clear(struct er_call *c)
{
	vs_tcall_result_clear(&c->r);
}

void er_turns(const struct er_call *c, int *replied, int *total, double *sum_ms, double *max_ms)
{
	const struct vs_call_result *m = &c->r.media;

	*replied = *total = 0;
	*sum_ms = *max_ms = 0;
	if (!c->r.media_started)
		return;
	for (size_t t = 0; t < m->nturns; t++) {
		if (m->turns[t].ref_ms <= 0) /* the greeting (from stream start) */
			continue;
		(*total)++;
		if (!m->turns[t].replied)
			continue;
		(*replied)++;
		*sum_ms += m->turns[t].latency_ms;
		if (m->turns[t].latency_ms > *max_ms)
			*max_ms = m->turns[t].latency_ms;
	}
}

int er_call_normal(const struct er_call *c, char *why, size_t len)
{
	int replied, total;
	double sum, max;

	if (c->failed) {
		snprintf(why, len, "not placed: %s", c->r.error);
		return 0;
	}
	if (!c->r.answered) {
		snprintf(why, len, "not answered (webhook %d): %s", c->r.webhook_status, c->r.error);
		return 0;
	}
	if (!c->r.media_started) {
		snprintf(why, len, "no media stream: %s", c->r.error[0] ? c->r.error : "?");
		return 0;
	}
	if (c->r.media.first_reply_ms < 0) {
		snprintf(why, len, "the agent never spoke");
		return 0;
	}
	er_turns(c, &replied, &total, &sum, &max);
	if (replied < total || !total) {
		snprintf(why, len, "%d of %d caller turns replied", replied, total);
		return 0;
	}
	snprintf(why, len, "greeting after %.0f ms, %d of %d caller turns replied (max %.0f ms)",
		 c->r.media.first_reply_ms, replied, total, max);
	return 1;
}

json_t *er_call_json(const struct er_call *c)
{
	json_t *j = vs_tcall_result_json(&c->r);
	if (j)
		json_object_set_new(j, "start_ms", json_real(c->start_ms));
	return j;
}
