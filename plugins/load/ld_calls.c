/* load plugin: what one call of the batch did (streamed, its replied turns)
 * and the batch's concurrency, for the checks and the report alike. */
#include "load.h"

#include <stdio.h>
#include <stdlib.h>

int ld_streamed(const struct vs_cbatch_call *c)
{
	return c->ran && !c->failed && c->r.answered && c->r.media_started;
}

int ld_max_overlap(const struct vs_cbatch_call *calls, size_t n)
{
	int best = 0;

	/* the most calls in progress at some call's start (a maximum is
	 * reached at a start); [started, ended); only calls the target
	 * answered and streamed: calls waiting on a dead target are no load */
	for (size_t i = 0; i < n; i++) {
		int k = 0;
		if (!ld_streamed(&calls[i]))
			continue;
		for (size_t j = 0; j < n; j++)
			if (ld_streamed(&calls[j]) && calls[j].started_ms <= calls[i].started_ms &&
			    calls[i].started_ms < calls[j].ended_ms)
				k++;
		if (k > best)
			best = k;
	}
	return best;
}

int ld_turns_append(const struct vs_call_result *m, double **v, size_t *n)
{
	double *g = realloc(*v, (*n + m->nturns + 1) * sizeof(**v));

	if (!g)
		return -1;
	*v = g;
	for (size_t i = 0; i < m->nturns; i++)
		if (m->turns[i].replied && m->turns[i].ref_ms > 0)
			(*v)[(*n)++] = m->turns[i].latency_ms;
	return 0;
}

size_t ld_replied_turns(const struct vs_call_result *m)
{
	size_t k = 0;

	for (size_t i = 0; i < m->nturns; i++)
		k += m->turns[i].replied != 0;
	return k;
}

/* Why one call is not complete ("" when it is). */
void ld_call_problem(const struct vs_cbatch_call *c, char *out, size_t len)
{
	const struct vs_tcall_result *r = &c->r;
	const struct vs_call_result *m = &r->media;

	*out = '\0';
	if (!c->ran)
		snprintf(out, len, "not started (stopped or deadline)");
	else if (c->failed)
		snprintf(out, len, "harness error: %s", r->error);
	else if (!r->webhook_status)
		snprintf(out, len, "no answer to call.initiated (target unreachable, or silent for 5 s)");
	else if (r->webhook_status < 200 || r->webhook_status > 299)
		snprintf(out, len, "call.initiated answered HTTP %d", r->webhook_status);
	else if (!r->answered)
		snprintf(out, len, "no answer command%s%s", r->error[0] ? ": " : "", r->error);
	else if (!r->media_started)
		snprintf(out, len, "media did not connect%s%s", r->error[0] ? ": " : "", r->error);
	else if (ld_replied_turns(m) < m->nturns)
		snprintf(out, len, "%zu of %zu wait_reply steps replied", ld_replied_turns(m), m->nturns);
	else if (m->hangup_by == VS_HANGUP_AGENT || r->agent_hangup)
		snprintf(out, len, "the agent ended the call after %.0f ms", m->duration_ms);
	else if (m->timed_out)
		snprintf(out, len, "the script did not finish within max_duration");
	else if (m->hangup_by != VS_HANGUP_CALLER)
		snprintf(out, len, "media ended by %s: %s", vs_hangup_by_name(m->hangup_by), m->error);
	else if (r->error[0])
		snprintf(out, len, "%s", r->error);
}
