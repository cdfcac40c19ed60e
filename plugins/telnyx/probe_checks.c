/* telnyx probe: the Phase 9 checks, one simulated call (or a few) each. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "probe.h"
#include "vstress/callphase/calltarget.h"
#include "vstress/standin/worldfaults.h"

int tprobe_enabled(const struct tprobe *p, const char *group)
{
	for (size_t i = 0; i < p->nchecks; i++)
		if (!strcmp(p->checks[i], group))
			return 1;
	return 0;
}

/* Live progress on the terminal: calls one at a time, p95 of the first reply. */
static void tprobe_progress(struct tprobe *p, int in_flight)
{
	const struct vs_host *h = p->h;
	struct vs_progress pr = {.size = sizeof(pr), .p95_ms = -1, .label = "calls"};
	int64_t n = 0, v;

	if (!VS_HOST_HAS(h, progress) || !h->progress)
		return;
	pr.completed = p->calls_done;
	pr.in_flight = in_flight;
	pr.started = pr.completed + in_flight;
	pr.failed = p->calls_failed;
	if (VS_HOST_HAS(h, percentile) && h->percentile && (v = h->percentile(p->c, p->m_first_reply, 95.0, &n)) >= 0 && n > 0)
		pr.p95_ms = (double)v;
	h->progress(p->c, &pr);
}

int tprobe_call(struct tprobe *p, const char *label, const struct vs_call_script *s, struct vs_tcall_cfg *cfg,
		struct vs_tcall_result *r)
{
	const struct vs_host *h = p->h;
	int rc;

	cfg->webhook_url = p->webhook_url;
	cfg->tel = p->tel;
	cfg->control_url = p->control_url;
	cfg->signing_seed_b64 = p->seed_b64;
	cfg->from = p->caller;
	cfg->seed = ++p->seed;
	if (!cfg->webhook_timeout_ms)
		cfg->webhook_timeout_ms = 5000;
	tprobe_progress(p, 1);
	rc = vs_tcall_run(p->eng, s, cfg, r);
	if (r->webhook_status > 0 && (cfg->signature == VS_SIG_GOOD))
		h->record(p->c, p->m_webhook, (int64_t)(r->webhook_ms * 1000.0));
	if (r->answered && cfg->signature == VS_SIG_GOOD)
		h->record(p->c, p->m_answer, (int64_t)(r->answer_ms * 1000.0));
	if (r->media_started && r->media.first_reply_ms >= 0)
		h->record(p->c, p->m_first_reply, (int64_t)r->media.first_reply_ms);
	h->count(p->c, "calls", 1);
	h->log(p->c, VS_LOG_INFO, "%s (%s): %s -> webhook %d in %.0f ms, answer %s, media %s, %d commands%s%s", label,
	       r->telephony[0] ? r->telephony : "-", r->call_control_id, r->webhook_status, r->webhook_ms,
	       r->answered ? "yes" : "no",
	       r->media_started ? "yes" : "no", (int)json_array_size(r->commands), r->error[0] ? ", " : "", r->error);
	json_object_set_new(p->calls, label, vs_tcall_result_json(r));
	p->calls_done++;
	p->calls_failed += rc != 0; /* harness side: a rejected forged webhook is the expected outcome */
	tprobe_progress(p, 0);
	return rc;
}

static int is_2xx(int st)
{
	return st >= 200 && st < 300;
}

static int is_texml(const struct vs_tcall_result *r)
{
	return !strcmp(r->telephony, "texml");
}

/* The stream URL points at the target (or its public_url) and, on the
 * Call Control path, names the call (a TeXML <Stream> url is the same for
 * every call: the call comes in `start`). */
static int stream_url_ok(const struct tprobe *p, const struct vs_tcall_result *r, char *why, size_t len)
{
	char prefix[512];
	const char *u = r->stream_url, *hs, *pub = p->tel.public_url;
	char *esc;
	int ok;

	if (pub && *pub && !strncmp(u, pub, strlen(pub))) {
		snprintf(prefix, sizeof(prefix), "%s", pub);
	} else if (p->stream_url_prefix[0]) {
		snprintf(prefix, sizeof(prefix), "%s", p->stream_url_prefix);
	} else {
		hs = strstr(p->base_url, "://");
		snprintf(prefix, sizeof(prefix), "%s://%.*s/", !strncmp(p->base_url, "https", 5) ? "wss" : "ws",
			 (int)strcspn(hs ? hs + 3 : p->base_url, "/"), hs ? hs + 3 : p->base_url);
	}
	if (strncmp(u, prefix, strlen(prefix)) != 0) {
		snprintf(why, len, "stream_url \"%.200s\" does not start with %.200s%s%.100s", u, prefix,
			 pub && *pub ? " or " : "", pub && *pub ? pub : "");
		return 0;
	}
	if (is_texml(r))
		return 1;
	esc = curl_easy_escape(NULL, r->call_control_id, 0);
	ok = strstr(u, r->call_control_id) || (esc && strstr(u, esc));
	curl_free(esc);
	if (!ok)
		snprintf(why, len, "stream_url %.200s does not contain the call_control_id %.100s", u, r->call_control_id);
	return ok;
}

static size_t replied(const struct vs_call_result *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nturns; i++)
		n += m->turns[i].replied != 0;
	return n;
}

/* Why no answer command was seen: the webhook's own trouble, or an agent
 * that took the webhook and did nothing. */
static const char *why_no_answer(const struct tprobe *p, const struct vs_tcall_result *r, char *buf, size_t len)
{
	if (is_2xx(r->webhook_status) && !r->texml[0])
		snprintf(buf, len, "webhook answered %d but no Call Control command for %s within %lld ms, and its body "
			 "\"%.120s%s\" is no TeXML",
			 r->webhook_status, r->call_control_id, p->answer_within_ms, r->webhook_body,
			 strlen(r->webhook_body) > 120 ? "..." : "");
	else
		snprintf(buf, len, "no answer command for %s within %lld ms (webhook %d%s%.200s)", r->call_control_id,
			 p->answer_within_ms, r->webhook_status, r->webhook_problem[0] ? ": " : "", r->webhook_problem);
	return buf;
}

/* What the agent sent on the media socket: frames within the limit, valid
 * messages, real-time audio, a bounded rate of marks. */
static void media_frames_check(struct tprobe *p, const struct vs_tcall_result *r)
{
	char prob[600];

	if (!r->media_started && !r->media.frame_error[0]) {
		p->h->check(p->c, "media.frames", VS_CHECK_SKIP, "no media stream");
		return;
	}
	if (vs_call_protocol_problems(&r->media, prob, sizeof(prob)))
		p->h->check(p->c, "media.frames", VS_CHECK_FAIL, "%s", prob);
	else
		p->h->check(p->c, "media.frames", VS_CHECK_PASS,
			    "%llu agent messages, all well-formed; %.1f s of audio in %.1f s; %llu marks",
			    (unsigned long long)r->media.msgs_received, r->media.agent_audio_ms / 1000.0,
			    r->media.agent_wall_ms / 1000.0, (unsigned long long)r->media.marks_received);
}

/* answer.stream_url and texml.document on the TeXML path: the <Stream>
 * the agent gave (quoted) and whether the stream opened on it. */
static void texml_stream_checks(struct tprobe *p, const struct vs_tcall_result *r)
{
	const struct vs_host *h = p->h;
	char why[700], where[600] = "";
	int connected = r->media_started && r->media.connect_ms > 0;

	if (r->stream_url_local[0] && strcmp(r->stream_url_local, r->stream_url) != 0)
		snprintf(where, sizeof(where), " (connected at %.500s through public_url)", r->stream_url_local);
	if (!r->stream_url[0])
		h->check(p->c, "answer.stream_url", VS_CHECK_FAIL, "texml: no media stream: %s",
			 r->texml_problem[0] ? r->texml_problem : r->error);
	else if (!connected)
		h->check(p->c, "answer.stream_url", VS_CHECK_FAIL,
			 "texml: the stream URL \"%s\" the agent gave in <Stream> (line %d) was not accepted%s: %s",
			 r->stream_url, r->stream_line, where, r->media.error[0] ? r->media.error : r->error);
	else if (!stream_url_ok(p, r, why, sizeof(why)))
		h->check(p->c, "answer.stream_url", VS_CHECK_FAIL, "texml: %s", why);
	else
		h->check(p->c, "answer.stream_url", VS_CHECK_PASS,
			 "texml: <Stream> at line %d gave \"%s\"%s, stream open %.0f ms after the fetch was sent",
			 r->stream_line, r->stream_url, where, r->answer_ms + r->media.connect_ms);
	if (r->texml_problem[0] && r->stream_url[0])
		h->check(p->c, "texml.document", VS_CHECK_FAIL, "%s", r->texml_problem);
	else if (!r->texml_problem[0])
		h->check(p->c, "texml.document", VS_CHECK_PASS, "followed: %s", r->texml);
}

void tprobe_check_basic(struct tprobe *p)
{
	const struct vs_host *h = p->h;
	struct vs_tcall_cfg cfg = {.to = p->routed, .answer_timeout_ms = (int)p->answer_within_ms};
	struct vs_tcall_result r;
	char why[700];

	const char *what = p->tel.telephony == VS_TEL_TEXML ? "TeXML fetch" : "call.initiated";

	tprobe_call(p, "routed", p->script, &cfg, &r);
	/* attached agent not trusting our key or not reaching the world: skip, saying which */
	if (vs_calltarget_attach_unmet(h, p->c, p->control_url, &r) != VS_OK) {
		p->attach_unmet = 1;
		vs_tcall_result_clear(&r);
		return;
	}
	if (!r.webhook_status)
		h->check(p->c, "webhook.initiated", VS_CHECK_FAIL, "%s to %s: no HTTP answer within %d ms (%s)", what,
			 p->routed, cfg.webhook_timeout_ms, r.webhook_problem[0] ? r.webhook_problem : r.error);
	else
		h->check(p->c, "webhook.initiated",
			 is_2xx(r.webhook_status) && r.webhook_ms <= (double)p->webhook_within_ms ? VS_CHECK_PASS
												   : VS_CHECK_FAIL,
			 "%s to %s answered %d in %.0f ms (must be 2xx within %lld ms)%s%.200s", what, p->routed,
			 r.webhook_status, r.webhook_ms, p->webhook_within_ms,
			 r.webhook_problem[0] ? ": " : is_2xx(r.webhook_status) ? "" : ": ",
			 r.webhook_problem[0] ? r.webhook_problem : is_2xx(r.webhook_status) ? "" : r.webhook_body);
	if (is_texml(&r))
		texml_stream_checks(p, &r);
	else if (!r.answered)
		h->check(p->c, "answer.stream_url", VS_CHECK_FAIL, "call_control: %s%s%s",
			 why_no_answer(p, &r, why, sizeof(why)), r.texml[0] ? ": " : "", r.texml);
	else if (!r.stream_url[0])
		h->check(p->c, "answer.stream_url", VS_CHECK_FAIL, "call_control: answer for %s after %.0f ms has no stream_url",
			 r.call_control_id, r.answer_ms);
	else if (!stream_url_ok(p, &r, why, sizeof(why)))
		h->check(p->c, "answer.stream_url", VS_CHECK_FAIL, "call_control: %s", why);
	else
		h->check(p->c, "answer.stream_url", VS_CHECK_PASS, "call_control: answer after %.0f ms with stream_url %s",
			 r.answer_ms, r.stream_url);
	if (!r.media_started || r.media.hangup_by == VS_HANGUP_ERROR)
		h->check(p->c, "media.greeting", VS_CHECK_FAIL, "media stream %s not connected: %s",
			 r.stream_url[0] ? r.stream_url : "(none)", r.error[0] ? r.error : r.media.error);
	else if (r.media.first_reply_ms < 0)
		h->check(p->c, "media.greeting", VS_CHECK_FAIL,
			 "media stream connected in %.0f ms but no agent speech heard in %.0f ms%s", r.media.connect_ms,
			 r.media.duration_ms,
			 r.media.msgs_received || r.media.frame_error[0] ? ""
									 : " (the agent sent nothing on the media socket)");
	else
		h->check(p->c, "media.greeting",
			 r.media.first_reply_ms <= (double)p->first_reply_within_ms ? VS_CHECK_PASS : VS_CHECK_FAIL,
			 "media stream connected in %.0f ms, greeting heard after %.0f ms (limit %lld ms), %zu of %zu "
			 "turns answered",
			 r.media.connect_ms, r.media.first_reply_ms, p->first_reply_within_ms,
			 replied(&r.media), r.media.nturns);
	media_frames_check(p, &r);
	vs_tcall_result_clear(&r);
}

void tprobe_check_unknown(struct tprobe *p)
{
	const struct vs_host *h = p->h;
	struct vs_tcall_cfg cfg = {.to = p->unknown,
				   .answer_timeout_ms = (int)p->answer_within_ms,
				   .no_media = 1,
				   .until_action = "hangup",
				   .until_ms = 12000};
	struct vs_tcall_result r;
	const json_t *speak = NULL, *answer = NULL;
	const char *text;
	int nspeak, nhang, nstream;

	tprobe_call(p, "unknown", NULL, &cfg, &r);
	nspeak = vs_tcall_count_action(&r, "speak", &speak);
	nhang = vs_tcall_count_action(&r, "hangup", NULL);
	nstream = vs_tcall_count_action(&r, "streaming_start", NULL);
	vs_tcall_count_action(&r, "answer", &answer);
	text = json_string_value(json_object_get(speak, "payload"));
	if (!nspeak)
		h->check(p->c, "unknown.speak", VS_CHECK_FAIL, "call to unknown %s (webhook %d): no speak command (%d commands)",
			 p->unknown, r.webhook_status, (int)json_array_size(r.commands));
	else
		h->check(p->c, "unknown.speak",
			 text && strcasestr(text, p->not_configured_phrase) ? VS_CHECK_PASS : VS_CHECK_FAIL,
			 "call to unknown %s: speak \"%.120s\" (expected \"%s\")", p->unknown, text ? text : "",
			 p->not_configured_phrase);
	h->check(p->c, "unknown.hangup", nhang ? VS_CHECK_PASS : VS_CHECK_FAIL,
		 nhang ? "call to unknown %s: hangup observed" : "call to unknown %s: no hangup within %d ms", p->unknown,
		 cfg.until_ms);
	h->check(p->c, "unknown.no_media",
		 !nstream && !json_object_get(answer, "stream_url") ? VS_CHECK_PASS : VS_CHECK_FAIL,
		 !nstream && !json_object_get(answer, "stream_url")
			 ? "call to unknown %s: no media stream requested"
			 : "call to unknown %s: the target asked for a media stream",
		 p->unknown);
	vs_tcall_result_clear(&r);
}

static void one_signature(struct tprobe *p, enum vs_tcall_signature sig, const char *name, const char *what)
{
	const struct vs_host *h = p->h;
	struct vs_tcall_cfg cfg = {.to = p->routed, .answer_timeout_ms = (int)p->reject_wait_ms, .no_media = 1,
				   .signature = sig};
	struct vs_tcall_result r;
	int rejected;

	tprobe_call(p, name, NULL, &cfg, &r);
	rejected = r.webhook_status >= 400 && r.webhook_status < 500;
	if (rejected && !r.answered)
		h->check(p->c, name, VS_CHECK_PASS, "%s: rejected with %d, no call started within %lld ms", what,
			 r.webhook_status, p->reject_wait_ms);
	else if (r.answered)
		h->check(p->c, name, VS_CHECK_FAIL,
			 "%s: webhook answered %d and the call was answered %.0f ms later: the target acts on webhooks "
			 "that are not signed by Telnyx",
			 what, r.webhook_status, r.answer_ms);
	else if (is_2xx(r.webhook_status))
		h->check(p->c, name, VS_CHECK_FAIL,
			 "%s: webhook accepted with %d (no answer within %lld ms): the target takes webhooks that are "
			 "not signed by Telnyx",
			 what, r.webhook_status, p->reject_wait_ms);
	else
		h->check(p->c, name, VS_CHECK_FAIL, "%s: webhook answered %d, expected a 4xx rejection%s", what,
			 r.webhook_status, r.webhook_status ? "" : " (no HTTP answer)");
	vs_tcall_result_clear(&r);
}

void tprobe_check_signatures(struct tprobe *p)
{
	int tx = p->tel.telephony == VS_TEL_TEXML;

	one_signature(p, VS_SIG_FORGED, "signature.forged",
		      tx ? "TeXML fetch signed with another key" : "call.initiated signed with another key");
	one_signature(p, VS_SIG_STALE, "signature.stale",
		      tx ? "TeXML fetch with a 600 s old timestamp" : "call.initiated with a 600 s old timestamp");
	one_signature(p, VS_SIG_NONE, "signature.missing",
		      tx ? "TeXML fetch without signature headers" : "call.initiated without signature headers");
}

void tprobe_check_replay(struct tprobe *p)
{
	const struct vs_host *h = p->h;
	struct vs_tcall_cfg cfg = {.to = p->routed, .answer_timeout_ms = (int)p->answer_within_ms, .no_media = 1,
				   .replay_initiated = 1, .settle_ms = 1500};
	struct vs_tcall_result r;
	int n;

	tprobe_call(p, "replay", NULL, &cfg, &r);
	n = vs_tcall_count_action(&r, "answer", NULL) + vs_tcall_count_action(&r, "streaming_start", NULL);
	if (is_texml(&r))
		h->check(p->c, "replay", VS_CHECK_SKIP,
			 "texml: the agent answers with TeXML; a replayed call.initiated event id is a Call Control matter");
	else if (!r.answered)
		h->check(p->c, "replay", VS_CHECK_FAIL, "the first call.initiated was not answered (webhook %d): %s",
			 r.webhook_status, r.error);
	else
		h->check(p->c, "replay", n == 1 ? VS_CHECK_PASS : VS_CHECK_FAIL,
			 "call.initiated sent twice with event id of %s (%d, then %d): %d answer command%s%s",
			 r.call_control_id, r.webhook_status, r.replay_status, n, n == 1 ? "" : "s",
			 n == 1 ? "" : ": the replayed event was acted on again");
	vs_tcall_result_clear(&r);
}

static long wait_error_rows(struct tprobe *p, const char *ccid, char *err, size_t errlen)
{
	long n = -1;
	for (long long waited = 0;; waited += 250) {
		n = tprobe_db_count(p->db_url, p->system_errors_sql, p->since, ccid, err, errlen);
		if (n != 0 || waited >= p->errors_wait_ms)
			return n;
		struct timespec ts = {0, 250000000L};
		nanosleep(&ts, NULL);
	}
}

static void fallback_checks(struct tprobe *p, const struct vs_tcall_result *r)
{
	const struct vs_host *h = p->h;
	const json_t *tr = NULL, *sp = NULL;
	const char *to, *said;
	int ntr = vs_tcall_count_action(r, "transfer", &tr), nsp = vs_tcall_count_action(r, "speak", &sp);
	const struct vs_call_turn *heard = NULL;
	char err[300];
	long rows;

	for (size_t i = 0; r->media_started && i < r->media.nturns; i++)
		if (r->media.turns[i].ref_ms > 0 && r->media.turns[i].replied)
			heard = &r->media.turns[i];
	said = json_string_value(json_object_get(sp, "payload"));
	if (heard)
		h->check(p->c, "fallback.heard", VS_CHECK_PASS,
			 "with every LLM failing the agent spoke %.0f ms after the caller's question (the fallback "
			 "message)%s%.100s",
			 heard->latency_ms, nsp ? "; speak: " : "", said ? said : "");
	else if (nsp)
		h->check(p->c, "fallback.heard", said && strcasestr(said, p->fallback_phrase) ? VS_CHECK_PASS : VS_CHECK_FAIL,
			 "fallback spoken through Call Control speak: \"%.120s\"", said ? said : "");
	else
		h->check(p->c, "fallback.heard", VS_CHECK_FAIL,
			 "with every LLM failing the agent said nothing after the caller's question (dead air)%s%s",
			 r->error[0] ? ": " : "", r->error);
	to = json_string_value(json_object_get(tr, "to"));
	if (!ntr)
		h->check(p->c, "fallback.transfer", VS_CHECK_FAIL,
			 "with every LLM failing no transfer command was sent (caller stuck; expected transfer to %s)",
			 p->fallback_number);
	else
		h->check(p->c, "fallback.transfer", to && !strcmp(to, p->fallback_number) ? VS_CHECK_PASS : VS_CHECK_FAIL,
			 "transfer to %s (expected the tenant's fallback %s)", to ? to : "(no to)", p->fallback_number);
	if (!p->db_url || !p->since[0] || !p->system_errors_sql) {
		h->check(p->c, "fallback.system_errors", VS_CHECK_SKIP, "no database (db_url) to look for the error row");
		return;
	}
	rows = wait_error_rows(p, r->call_control_id, err, sizeof(err));
	if (rows < 0)
		h->check(p->c, "fallback.system_errors", VS_CHECK_FAIL, "system_errors_sql failed: %s", err);
	else
		h->check(p->c, "fallback.system_errors", rows > 0 ? VS_CHECK_PASS : VS_CHECK_FAIL,
			 "%ld matching system_errors row%s since the test started%s", rows, rows == 1 ? "" : "s",
			 rows > 0 ? "" : " (expected the all-providers-failed row)");
}

void tprobe_check_fallback(struct tprobe *p)
{
	const struct vs_host *h = p->h;
	struct vs_tcall_cfg cfg = {.to = p->routed, .answer_timeout_ms = (int)p->answer_within_ms};
	struct vs_tcall_result r;
	json_t **ids = NULL;
	char **targets = NULL, err[300];
	size_t nt = vs_split_list(p->llm_fault_targets, &targets), i;

	ids = calloc(nt ? nt : 1, sizeof(*ids));
	if (!ids)
		goto out;
	for (i = 0; i < nt; i++)
		if (vs_wfaults_install(p->control_url, targets[i], p->llm_faults, &ids[i], err, sizeof(err)) != 0) {
			h->check(p->c, "fallback.transfer", VS_CHECK_FAIL, "could not install world fault %s on %s: %s",
				 p->llm_faults, targets[i], err);
			goto out;
		}
	h->log(p->c, VS_LOG_INFO, "fallback: fault %s on %s", p->llm_faults, p->llm_fault_targets);
	tprobe_call(p, "fallback", p->fallback_script, &cfg, &r);
	for (i = 0; i < nt; i++) { /* the agent's breakers may stay open a while: remove before checking */
		vs_wfaults_remove(p->control_url, ids[i]);
		ids[i] = NULL;
	}
	fallback_checks(p, &r);
	vs_tcall_result_clear(&r);
out:
	for (i = 0; ids && i < nt; i++)
		vs_wfaults_remove(p->control_url, ids[i]);
	free(ids);
	free(targets);
}
