/* api plugin: one whole call while the paced run goes on (plan 7.3, "the
 * system still answering calls during it").  Placed through the shared call
 * path (lib/callphase/calltarget.c: the world, the signing seed, the test
 * tenant, the call engine) on a thread of its own, started a quarter into
 * the first pace or at its first 429 (the limiter engaged), whichever comes
 * first; judged as ratelimit.call_during once the pace is over.  Without
 * the world or the signing seed the check skips with the reason: the
 * paced run itself needs neither. */
#include "api.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vstress/callphase/calltarget.h>
#include <vstress/callphase/plugopt.h>
#include <vstress/caller/call.h>
#include <vstress/caller/telnyx_call.h>

struct api_call {
	struct vs_calltarget t;
	struct vs_call_script *script;
	long long first_reply_within_ms, answer_timeout_ms;
	char skip_why[300];
	int opened, started, joined, failed;
	pthread_t th;
	uint64_t start_ns, end_ns;
	struct vs_tcall_result r;
};

int api_call_setup(struct api *a)
{
	const struct vs_host *h = a->h;
	struct api_call *k = calloc(1, sizeof(*k));
	char err[300];
	int rc;

	if (!k)
		return VS_ERROR;
	a->call = k;
	if (vs_calltarget_read(h, a->c, &k->t) != 0)
		return VS_ECONFIG;
	if (h->opt_ms(a->c, "first_reply_within", &k->first_reply_within_ms) < 0 ||
	    h->opt_ms(a->c, "call_answer_timeout", &k->answer_timeout_ms) < 0)
		return VS_ECONFIG;
	if (!*vs_popt_str(h, a->c, "call_script")) {
		snprintf(k->skip_why, sizeof(k->skip_why), "call_script is empty: no call during the paced run");
		return VS_OK;
	}
	if (vs_call_script_load(vs_popt_str(h, a->c, "call_script"), &k->script, err, sizeof(err)) != 0) {
		h->reason(a->c, "[api] call_script: %s", err);
		return VS_ECONFIG;
	}
	if (!*k->t.control_url) {
		snprintf(k->skip_why, sizeof(k->skip_why),
			 "no world control URL (VSTRESS_WORLD_CONTROL): a call needs the world's Telnyx");
		return VS_OK;
	}
	if (!*k->t.signing_seed) {
		snprintf(k->skip_why, sizeof(k->skip_why),
			 "no Telnyx signing seed (VSTRESS_TELNYX_SIGNING_SEED): webhooks cannot be signed");
		return VS_OK;
	}
	rc = vs_calltarget_open(h, a->c, "api", 1, &k->t);
	if (rc != VS_OK) {
		/* the host's reason says why (no database for the test tenant, ...) */
		snprintf(k->skip_why, sizeof(k->skip_why), "the call could not be set up (%s): see the log",
			 rc == VS_SKIP ? "test tenant not created" : "call engine or test tenant");
		h->log(a->c, VS_LOG_WARN, "call during the paced run: %s", k->skip_why);
		return VS_OK;
	}
	k->opened = 1;
	return VS_OK;
}

static void *call_thread(void *arg)
{
	struct api *a = arg;
	struct api_call *k = a->call;
	struct vs_tcall_cfg cfg = vs_calltarget_call(&k->t, k->answer_timeout_ms, a->h->seed(a->c) ^ 0x7a3ull);

	k->failed = vs_tcall_run(k->t.eng, k->script, &cfg, &k->r) != 0;
	k->end_ns = a->h->now_ns();
	return NULL;
}

void api_call_start(struct api *a, const char *why)
{
	struct api_call *k = a->call;

	if (!k || !k->opened || k->started)
		return;
	k->start_ns = a->h->now_ns();
	if (pthread_create(&k->th, NULL, call_thread, a) != 0) {
		snprintf(k->skip_why, sizeof(k->skip_why), "could not start the call's thread");
		k->opened = 0;
		return;
	}
	k->started = 1;
	a->h->log(a->c, VS_LOG_INFO, "call during the paced run: placed (%s)", why);
}

static size_t replied(const struct vs_call_result *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nturns; i++)
		n += m->turns[i].replied != 0;
	return n;
}

void api_call_judge(struct api *a, uint64_t paced_from, uint64_t paced_to)
{
	const struct vs_host *h = a->h;
	struct api_call *k = a->call;
	const char *C = "ratelimit.call_during";
	const struct vs_tcall_result *r;
	double at, ends;

	if (!k || (!k->started && k->skip_why[0])) {
		h->check(a->c, C, VS_CHECK_SKIP, "%s", k && k->skip_why[0] ? k->skip_why : "no call set up");
		return;
	}
	if (!k->started) {
		h->check(a->c, C, VS_CHECK_SKIP, "the paced run ended before the call was due");
		return;
	}
	pthread_join(k->th, NULL);
	k->joined = 1;
	r = &k->r;
	at = (double)(k->start_ns - paced_from) / 1e9;
	ends = (double)((int64_t)k->end_ns - (int64_t)paced_to) / 1e9;
	json_object_set_new(a->data, "call_during", vs_tcall_result_json(r));
	if (vs_calltarget_attached() && (r->webhook_status == 401 || r->webhook_status == 403))
		/* an agent vstress did not start may not know the run's signing key */
		h->check(a->c, C, VS_CHECK_SKIP,
			 "attached agent refused the signed webhook (%d): its TELNYX_PUBLIC_KEY is not the run's key",
			 r->webhook_status);
	else if (k->failed)
		h->check(a->c, C, VS_CHECK_FAIL, "placed %.1f s into the paced run: the call could not run: %s", at,
			 r->error);
	else if (r->webhook_status < 200 || r->webhook_status > 299 || !r->answered)
		h->check(a->c, C, VS_CHECK_FAIL,
			 "placed %.1f s into the paced run: call.initiated answered %d%s%.80s, %s", at, r->webhook_status,
			 r->webhook_body[0] ? " " : "", r->webhook_body,
			 r->answered ? "answered" : r->error[0] ? r->error : "never answered");
	else if (!r->media_started || r->media.hangup_by == VS_HANGUP_ERROR)
		h->check(a->c, C, VS_CHECK_FAIL, "placed %.1f s into the paced run: media stream not connected: %s", at,
			 r->error[0] ? r->error : r->media.error);
	else if (r->media.first_reply_ms < 0 || r->media.first_reply_ms > (double)k->first_reply_within_ms ||
		 replied(&r->media) < r->media.nturns)
		h->check(a->c, C, VS_CHECK_FAIL,
			 "placed %.1f s into the paced run: first reply %s%.0f ms (limit %lld ms), %zu of %zu turns answered",
			 at, r->media.first_reply_ms < 0 ? "never heard, " : "after ",
			 r->media.first_reply_ms < 0 ? r->media.duration_ms : r->media.first_reply_ms,
			 k->first_reply_within_ms, replied(&r->media), r->media.nturns);
	else
		h->check(a->c, C, VS_CHECK_PASS,
			 "placed %.1f s into the paced run (ended %.1f s %s it): answered in %.0f ms, first reply after "
			 "%.0f ms (limit %lld ms), %zu of %zu turns answered",
			 at, ends < 0 ? -ends : ends, ends < 0 ? "before the end of" : "after", r->answer_ms,
			 r->media.first_reply_ms, k->first_reply_within_ms, replied(&r->media), r->media.nturns);
}

void api_call_free(struct api *a)
{
	struct api_call *k = a->call;

	if (!k)
		return;
	if (k->started && !k->joined)
		pthread_join(k->th, NULL);
	vs_tcall_result_clear(&k->r);
	if (k->script)
		vs_call_script_free(k->script);
	vs_calltarget_close(a->h, a->c, &k->t);
	free(k);
	a->call = NULL;
}
