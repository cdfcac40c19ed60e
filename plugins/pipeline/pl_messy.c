/* The messy caller's checks (docs/calls.md): did the agent keep talking
 * through the caller's backchannels, and what our own network impairment
 * did to the stream, reported next to it (harness) so the agent's figures
 * are read with ours beside them. */
#include <stdio.h>

#include "pipeline.h"
#include <vstress/callphase/checkmsg.h>

static int streamed(const struct pl_call *pc)
{
	return pc->ran && pc->r.media_started;
}

/* "ours: N of M frames lost (B bursts), O in an outage, D duplicated, R held
 * for reordering, jitter mean/max" over the impaired calls; "" when none. */
static void impairment_summary(const struct pl *p, char *buf, size_t len, size_t *ncalls)
{
	struct vs_impair_stats t = {0};
	const char *spec = NULL;

	*ncalls = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < p->ncalls; i++) {
		const struct vs_call_result *m = &p->calls[i].r.media;

		if (!streamed(&p->calls[i]) || !m->impaired)
			continue;
		(*ncalls)++;
		spec = spec ? spec : m->impair_spec;
		t.frames += m->impair.frames;
		t.sent += m->impair.sent;
		t.lost += m->impair.lost;
		t.bursts += m->impair.bursts;
		t.outage += m->impair.outage;
		t.duplicated += m->impair.duplicated;
		t.reordered += m->impair.reordered;
		t.out_of_order += m->impair.out_of_order;
		t.delay_sum_ms += m->impair.delay_sum_ms;
		if (m->impair.delay_max_ms > t.delay_max_ms)
			t.delay_max_ms = m->impair.delay_max_ms;
	}
	if (!*ncalls)
		return;
	snprintf(buf, len,
		 "our impairment (%zu call%s, first: %s): %llu of %llu frames lost in %llu bursts, %llu in outages, "
		 "%llu duplicated, %llu held for reordering (%llu arrived out of order), send delay mean %.1f ms, "
		 "max %.1f ms",
		 *ncalls, *ncalls == 1 ? "" : "s", spec, (unsigned long long)t.lost, (unsigned long long)t.frames,
		 (unsigned long long)t.bursts, (unsigned long long)t.outage, (unsigned long long)t.duplicated,
		 (unsigned long long)t.reordered, (unsigned long long)t.out_of_order,
		 t.sent ? t.delay_sum_ms / (double)t.sent : 0.0, t.delay_max_ms);
}

void pl_check_messy(struct pl *p)
{
	struct vs_checkmsg bad = {0};
	char imp[600], why[512];
	size_t nimp, nbc_scripts = 0;
	int judged = 0, nbad = 0, prev;

	impairment_summary(p, imp, sizeof(imp), &nimp);
	for (size_t i = 0; i < p->ncalls; i++) {
		const struct pl_call *pc = &p->calls[i];
		int j = 0;

		if (!pc->script->bc_text)
			continue;
		nbc_scripts++;
		if (!streamed(pc))
			continue;
		if (vs_call_backchannel_problems(&pc->r.media, pc->script->bc_hold_ms, (int)p->max_gap_ms, &j, why,
						 sizeof(why)) > 0) {
			vs_checkmsg_item(&bad, "call %zu (%s): %s", i + 1, pc->script->name, why);
			nbad++;
		}
		judged += j;
	}
	if (nbc_scripts) {
		if (!judged)
			p->h->check(p->c, "backchannel", VS_CHECK_SKIP,
				    "no backchannel was said: the agent never spoke long enough in a call%s%s",
				    imp[0] ? "; " : "", imp);
		else if (nbad)
			p->h->check(p->c, "backchannel", VS_CHECK_FAIL,
				    "the agent stopped for a caller's backchannel (%d of %d): %s%s%s", nbad, judged,
				    vs_checkmsg_more(&bad), imp[0] ? "; " : "", imp);
		else
			p->h->check(p->c, "backchannel", VS_CHECK_PASS,
				    "%d backchannel%s while the agent spoke: no clear, the agent kept speaking past each%s%s",
				    judged, judged == 1 ? "" : "s", imp[0] ? "; " : "", imp);
	}
	if (nimp) {
		/* what we did to the stream is ours: reported, never the agent's fault */
		prev = VS_SUBJECT(p->h, p->c, VS_SUBJECT_HARNESS);
		p->h->check(p->c, "network.impairment", VS_CHECK_PASS, "%s", imp);
		VS_SUBJECT(p->h, p->c, prev);
	}
}
