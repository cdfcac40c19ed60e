/* One whole simulated Telnyx call: signed webhooks, the answer observed
 * through the world's control API, the media leg, the end webhooks and the
 * recorded Call Control commands.  See vstress/caller/telnyx_call.h.
 * vs_tcall_run dispatches: [target] telephony = texml (or an XML answer
 * to call.initiated under auto) goes on in texml_call.c. */
#include "vstress/caller/telnyx_call.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "telnyx_call_int.h"
#include "vstress/crypto/b64.h"
#include "vstress/telnyx/telnyx_event.h"
#include "vstress/telnyx/texml.h"

/* The key the target must accept (GOOD, STALE) or another one (FORGED). */
static int load_key(struct tc *t, char *err, size_t errlen)
{
	uint8_t seed[VS_ED25519_SEED_LEN];
	const char *s = t->cfg->signing_seed_b64;
	enum vs_tcall_signature sig = t->cfg->signature;

	if (sig == VS_SIG_NONE)
		return 0;
	if (sig == VS_SIG_FORGED) {
		for (size_t i = 0; i < sizeof(seed); i += 8) {
			uint64_t v = vs_splitmix64(&t->rng);
			memcpy(seed + i, &v, 8);
		}
	} else if (!s || !*s || vs_b64_decode(s, strlen(s), seed, sizeof(seed)) != (long)sizeof(seed)) {
		snprintf(err, errlen, "signing seed missing or not 32 bytes of base64");
		return -1;
	}
	if (vs_ed25519_from_seed(&t->key, seed) != 0) {
		snprintf(err, errlen, "bad signing seed");
		return -1;
	}
	t->have_key = 1;
	return 0;
}

static int post_event(struct tc *t, const char *body, struct post_out *o)
{
	return tc_http(t, "POST", t->cfg->webhook_url, "application/json", body, o);
}

/* call.initiated answered with XML: what the TeXML parser makes of it. */
static void judge_texml(struct vs_tcall_result *out, const char *body, size_t len)
{
	struct vs_texml_doc d;
	char err[200], verbs[260];

	if (!len || !vs_texml_looks_xml(body, len))
		return;
	if (vs_texml_parse(body, len, NULL, &d, err, sizeof(err)) != 0) {
		snprintf(out->texml, sizeof(out->texml), "agent answered the webhook with XML that is not usable TeXML: %s",
			 err);
	} else {
		vs_texml_describe(&d, verbs, sizeof(verbs));
		snprintf(out->texml, sizeof(out->texml),
			 "agent answered with TeXML (%s); this run expects call_control (set [target] telephony = "
			 "texml or auto)",
			 d.n ? verbs : "an empty <Response>");
	}
	vs_texml_free(&d);
}

/* Wait for answer (or streaming_start) up to timeout_ms. */
static int wait_answer(struct tc *t, int timeout_ms)
{
	uint64_t t0 = tc_mono_ns();
	int left;

	while (!t->out->answered && (left = timeout_ms - (int)tc_since_ms(t0)) > 0) {
		if (tc_poll_commands(t, NULL, left < 2000 ? left : 2000) != 0) {
			snprintf(t->out->error, sizeof(t->out->error), "world control API %s did not answer",
				 t->cfg->control_url);
			return -1;
		}
	}
	return 0;
}

static void wait_until(struct tc *t, int timeout_ms)
{
	uint64_t t0 = tc_mono_ns();
	int left;

	while (!t->seen_until && (left = timeout_ms - (int)tc_since_ms(t0)) > 0) {
		int due = tc_speak_due(t); /* wake for a call.speak.ended that is due */
		if (due > 0 && due < left)
			left = due;
		if (tc_poll_commands(t, NULL, left < 2000 ? left : 2000) != 0)
			break;
	}
	tc_speak_due(t);
}

static int check_cfg(const struct vs_tcall_cfg *cfg, char *err, size_t errlen)
{
	if (!cfg->webhook_url || !*cfg->webhook_url) {
		snprintf(err, errlen, "webhook_url is required");
		return -1;
	}
	if (!cfg->control_url || !*cfg->control_url) {
		snprintf(err, errlen, "control_url is required");
		return -1;
	}
	return 0;
}

int vs_tcall_run(struct vs_call_engine *eng, const struct vs_call_script *script, const struct vs_tcall_cfg *cfg,
		 struct vs_tcall_result *out)
{
	struct tc t = {.cfg = cfg, .out = out};
	struct vs_telnyx_event_opts o = {0};
	char ev_id[37];
	char *body = NULL, *wbody = NULL;
	struct post_out po;
	int rc = -1;
	const char *src;

	memset(out, 0, sizeof(*out));
	out->media.first_reply_ms = -1;
	out->speak_ended_ms = out->agent_hangup_ms = -1;
	t.rng = cfg->seed ? cfg->seed : (uint64_t)tc_mono_ns();
	if (check_cfg(cfg, out->error, sizeof(out->error)) != 0 || load_key(&t, out->error, sizeof(out->error)) != 0)
		goto out;
	if (!cfg->no_media && (!eng || !script)) {
		snprintf(out->error, sizeof(out->error), "a call engine and a script are required for the media leg");
		goto out;
	}
	vs_telnyx_call_init(&t.call, &t.rng, cfg->from, cfg->to);
	if (cfg->connection_id)
		snprintf(t.call.connection_id, sizeof(t.call.connection_id), "%s", cfg->connection_id);
	snprintf(out->call_control_id, sizeof(out->call_control_id), "%s", t.call.call_control_id);
	t.esc_id = curl_easy_escape(NULL, t.call.call_control_id, 0);
	if (!t.esc_id) {
		snprintf(out->error, sizeof(out->error), "out of memory");
		goto out;
	}
	if (tc_baseline(&t) != 0) {
		snprintf(out->error, sizeof(out->error), "world control API %s did not answer", cfg->control_url);
		goto out;
	}
	t.t_sent_ns = tc_mono_ns();
	if (cfg->tel.telephony == VS_TEL_TEXML) { /* no call.initiated: Telnyx fetches the TeXML */
		snprintf(out->telephony, sizeof(out->telephony), "texml");
		tc_texml_run(&t, eng, script, NULL, 0);
		tc_collect(&t);
		rc = 0;
		goto out;
	}
	vs_uuid4(ev_id, &t.rng);
	o.event_id = ev_id;
	body = vs_telnyx_event_build(VS_TEV_CALL_INITIATED, &t.call, &o, &t.rng);
	if (!body) {
		snprintf(out->error, sizeof(out->error), "could not build call.initiated");
		goto out;
	}
	t.t_sent_ns = tc_mono_ns();
	wbody = malloc(VS_TCALL_BODY_MAX + 1);
	if (!wbody) {
		snprintf(out->error, sizeof(out->error), "out of memory");
		goto out;
	}
	po = (struct post_out){.body = wbody, .cap = VS_TCALL_BODY_MAX + 1, .problem = out->webhook_problem,
			       .plen = sizeof(out->webhook_problem)};
	if (post_event(&t, body, &po) != 0) {
		snprintf(out->error, sizeof(out->error), "could not send call.initiated");
		goto out;
	}
	out->webhook_status = po.status;
	out->webhook_ms = po.ms;
	snprintf(out->webhook_body, sizeof(out->webhook_body), "%s", wbody);
	if (cfg->tel.telephony == VS_TEL_AUTO && vs_texml_looks_xml(wbody, po.blen)) {
		/* the agent answered call.initiated with TeXML: follow it */
		snprintf(out->telephony, sizeof(out->telephony), "texml");
		tc_texml_run(&t, eng, script, wbody, po.blen);
		tc_collect(&t);
		rc = 0;
		goto out;
	}
	snprintf(out->telephony, sizeof(out->telephony), "call_control");
	judge_texml(out, wbody, po.blen);
	free(wbody);
	wbody = NULL;
	if (cfg->replay_initiated) { /* a Telnyx retry: same event id, signed anew */
		po = (struct post_out){0};
		post_event(&t, body, &po);
		out->replay_status = po.status;
	}
	if (wait_answer(&t, cfg->answer_timeout_ms > 0 ? cfg->answer_timeout_ms : 5000) != 0)
		goto out;
	if (!out->answered) {
		snprintf(out->error, sizeof(out->error), "no answer within %d ms (webhook status %d)",
			 cfg->answer_timeout_ms > 0 ? cfg->answer_timeout_ms : 5000, out->webhook_status);
	} else if (cfg->no_media || !out->stream_url[0]) {
		if (!cfg->no_media)
			snprintf(out->error, sizeof(out->error), "the answer has no stream_url");
		if (cfg->until_action)
			wait_until(&t, cfg->until_ms > 0 ? cfg->until_ms : 8000);
	} else {
		tc_send_event(&t, VS_TEV_CALL_ANSWERED, NULL);
		t.call.stream_url = out->stream_url;
		tc_send_event(&t, VS_TEV_STREAMING_STARTED, NULL);
		tc_run_media(&t, eng, script, NULL);
		tc_send_event(&t, VS_TEV_STREAMING_STOPPED, NULL);
	}
	if (cfg->settle_ms > 0) /* late commands (a replay's second answer) come before our hang-up */
		tc_sleep_ms(cfg->settle_ms);
	if (out->answered) {
		src = out->agent_hangup || out->media.hangup_by == VS_HANGUP_AGENT ? "callee" : "caller";
		snprintf(out->hangup_source, sizeof(out->hangup_source), "%s", src);
		tc_send_event(&t, VS_TEV_CALL_HANGUP, src);
	}
	tc_collect(&t);
	if (!out->commands && !out->error[0])
		snprintf(out->error, sizeof(out->error), "could not read the commands from %s", cfg->control_url);
	rc = 0;
out:
	curl_free(t.esc_id);
	free(body);
	free(wbody);
	return rc;
}
