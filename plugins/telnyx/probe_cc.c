/* telnyx probe: the Call Control commands themselves (stress-test plan 9.2).
 * Three calls: the caller asks for a person (the agent must `transfer` to
 * the number's fallback line), the caller says goodbye (the agent must
 * `hangup`), and a call to an unknown number (the agent must `speak`, then
 * hang up once Telnyx reports call.speak.ended).  Each command's payload is
 * judged against Telnyx's documented fields; the effects are played back by
 * the call simulator as Telnyx plays them (call.speak.started/ended, the
 * stream stopped after hangup or transfer, call.hangup). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "probe.h"

/* E.164: '+' then 2..15 digits, the first not 0. */
static int is_e164(const char *s, size_t n)
{
	size_t i;

	if (n < 3 || n > 16 || s[0] != '+' || s[1] == '0')
		return 0;
	for (i = 1; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A transfer destination: E.164 or a SIP URI, optionally ",digits" (DTMF after answer). */
static int is_destination(const char *s)
{
	size_t n = strcspn(s, ",");

	if (s[n] && strspn(s + n + 1, "0123456789*#wW") != strlen(s + n + 1))
		return 0;
	return is_e164(s, n) || (!strncmp(s, "sip:", 4) && n > 4 && memchr(s + 4, '@', n - 4));
}

/* voice: "<Provider>.<Model>.<VoiceId>" (AWS.Polly.Joanna-Neural) or male / female. */
static int is_voice(const char *v)
{
	const char *a = strchr(v, '.'), *b = a ? strchr(a + 1, '.') : NULL;

	if (!strcmp(v, "male") || !strcmp(v, "female"))
		return 1;
	return a && b && a > v && b > a + 1 && b[1];
}

/* language: "en-US" style (two or three letters, '-', a region). */
static int is_language(const char *l)
{
	size_t n = strspn(l, "abcdefghijklmnopqrstuvwxyz");

	return (n == 2 || n == 3) && l[n] == '-' && strlen(l + n + 1) >= 2 && strlen(l + n + 1) <= 3;
}

static int one_of(const char *v, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(v, *list))
			return 1;
	return 0;
}

/* Fields the command carries that Telnyx does not document for it: listed in the message, not failed. */
static void undocumented(const json_t *body, const char *const *known, char *out, size_t len)
{
	json_t *copy = json_deep_copy(body), *v; /* jansson iterates non-const objects only */
	const char *k;
	size_t n = 0;

	out[0] = '\0';
	json_object_foreach(copy, k, v) {
		(void)v;
		if (one_of(k, known))
			continue;
		n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s%s", n ? ", " : "; undocumented: ", k);
		if (n >= len)
			break;
	}
	json_decref(copy);
}

/* 0 and a summary when the speak body is as documented; else 1 and the field at fault. */
static int speak_payload(const json_t *b, char *msg, size_t len)
{
	static const char *const known[] = {"payload", "voice", "language", "payload_type", "service_level", "stop",
					    "target_legs", "loop", "voice_settings", "client_state", "command_id",
					    NULL};
	const json_t *pl = json_object_get(b, "payload"), *vo = json_object_get(b, "voice"),
		     *la = json_object_get(b, "language"), *pt = json_object_get(b, "payload_type"),
		     *sl = json_object_get(b, "service_level");
	char extra[200];

	if (!json_is_string(pl) || !json_string_length(pl))
		return snprintf(msg, len, "speak: field `payload` %s", pl ? "is not a non-empty string" : "is missing"), 1;
	if (json_string_length(pl) > 3000)
		return snprintf(msg, len, "speak: field `payload` has %zu characters (Telnyx: at most 3000)",
				json_string_length(pl)), 1;
	if (!json_is_string(vo))
		return snprintf(msg, len, "speak: field `voice` %s", vo ? "is not a string" : "is missing (required)"), 1;
	if (!is_voice(json_string_value(vo)))
		return snprintf(msg, len, "speak: field `voice` \"%.80s\" is not <Provider>.<Model>.<VoiceId> nor male/female",
				json_string_value(vo)), 1;
	if (la && (!json_is_string(la) || !is_language(json_string_value(la))))
		return snprintf(msg, len, "speak: field `language` %s%.40s%s is not a language tag like en-US",
				json_is_string(la) ? "\"" : "", json_is_string(la) ? json_string_value(la) : "(not a string)",
				json_is_string(la) ? "\"" : ""), 1;
	if (pt && (!json_is_string(pt) || !one_of(json_string_value(pt), (const char *const[]){"text", "ssml", NULL})))
		return snprintf(msg, len, "speak: field `payload_type` must be text or ssml"), 1;
	if (sl && (!json_is_string(sl) || !one_of(json_string_value(sl), (const char *const[]){"basic", "premium", NULL})))
		return snprintf(msg, len, "speak: field `service_level` must be basic or premium"), 1;
	undocumented(b, known, extra, sizeof(extra));
	snprintf(msg, len, "speak: payload \"%.80s\", voice %s%s%s%s", json_string_value(pl), json_string_value(vo),
		 la ? ", language " : "", la ? json_string_value(la) : "", extra);
	return 0;
}

static int transfer_payload(const json_t *b, const char *want_to, char *msg, size_t len)
{
	static const char *const known[] = {"to", "from", "from_display_name", "timeout_secs", "time_limit_secs",
					    "target_leg_client_state", "audio_url", "early_media",
					    "answering_machine_detection", "answering_machine_detection_config",
					    "custom_headers", "sip_headers", "sip_auth_username", "sip_auth_password",
					    "webhook_url", "webhook_url_method", "client_state", "command_id",
					    "media_name", "mute_dtmf", "park_after_unbridge", NULL};
	const json_t *to = json_object_get(b, "to"), *from = json_object_get(b, "from"),
		     *ts = json_object_get(b, "timeout_secs");
	char extra[200];

	if (!json_is_string(to))
		return snprintf(msg, len, "transfer: field `to` %s", to ? "is not a string" : "is missing (required)"), 1;
	if (!is_destination(json_string_value(to)))
		return snprintf(msg, len, "transfer: field `to` \"%.60s\" is neither E.164 nor a sip: URI",
				json_string_value(to)), 1;
	if (want_to && *want_to && strcmp(json_string_value(to), want_to))
		return snprintf(msg, len, "transfer: field `to` is %.60s, expected the number's fallback line %s",
				json_string_value(to), want_to), 1;
	if (from && (!json_is_string(from) || !is_destination(json_string_value(from))))
		return snprintf(msg, len, "transfer: field `from` %s%.60s is neither E.164 nor a sip: URI",
				json_is_string(from) ? "" : "(not a string)", json_is_string(from) ? json_string_value(from) : ""), 1;
	if (ts && (!json_is_integer(ts) || json_integer_value(ts) < 5 || json_integer_value(ts) > 600))
		return snprintf(msg, len, "transfer: field `timeout_secs` must be an integer 5..600"), 1;
	undocumented(b, known, extra, sizeof(extra));
	snprintf(msg, len, "transfer: to %s%s%s%s", json_string_value(to), from ? ", from " : "",
		 from ? json_string_value(from) : "", extra);
	return 0;
}

static int hangup_payload(const json_t *b, char *msg, size_t len)
{
	static const char *const known[] = {"client_state", "command_id", "custom_headers", NULL};
	const json_t *cs = json_object_get(b, "client_state"), *ch = json_object_get(b, "custom_headers");
	char extra[200];

	if (b && !json_is_object(b))
		return snprintf(msg, len, "hangup: the body is not a JSON object"), 1;
	if (cs && !json_is_string(cs))
		return snprintf(msg, len, "hangup: field `client_state` is not a (base64) string"), 1;
	if (ch && !json_is_array(ch))
		return snprintf(msg, len, "hangup: field `custom_headers` is not an array"), 1;
	undocumented(b, known, extra, sizeof(extra));
	snprintf(msg, len, "hangup: %s%s", json_object_size(b) ? "body as documented" : "empty body", extra);
	return 0;
}

/* "answer, speak, hangup" */
static const char *actions(const struct vs_tcall_result *r, char *buf, size_t len)
{
	size_t i, n = 0;
	json_t *c;

	buf[0] = '\0';
	json_array_foreach(r->commands, i, c)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? ", " : "",
				      json_string_value(json_object_get(c, "action")));
	if (!n)
		snprintf(buf, len, "none");
	return buf;
}

/* The command's HTTP status at the stand-in (422: Telnyx refused it). */
static int cmd_status(const struct vs_tcall_result *r, const char *action)
{
	size_t i;
	json_t *c;

	json_array_foreach(r->commands, i, c) {
		const char *a = json_string_value(json_object_get(c, "action"));
		if (a && !strcmp(a, action))
			return (int)json_integer_value(json_object_get(c, "status"));
	}
	return 0;
}

static size_t last_replied_turn(const struct vs_call_result *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nturns; i++)
		if (m->turns[i].replied)
			n = i + 1;
	return n;
}

static void judge_transfer(struct tprobe *p, const struct vs_tcall_result *r)
{
	const json_t *b = NULL;
	char msg[600], acts[200];
	int n = vs_tcall_count_action(r, "transfer", &b);

	if (!r->answered || !r->media_started) {
		p->h->check(p->c, "callcontrol.transfer", VS_CHECK_FAIL, "the call was not set up: %s",
			    r->error[0] ? r->error : "no media stream");
		return;
	}
	if (!n) {
		p->h->check(p->c, "callcontrol.transfer", VS_CHECK_FAIL,
			    "the caller asked for a human; no transfer command (commands: %s)", actions(r, acts, sizeof(acts)));
		return;
	}
	if (transfer_payload(b, p->fallback_number, msg, sizeof(msg))) {
		p->h->check(p->c, "callcontrol.transfer", VS_CHECK_FAIL, "%s (Telnyx answered %d)", msg,
			    cmd_status(r, "transfer"));
		return;
	}
	p->h->check(p->c, "callcontrol.transfer", VS_CHECK_PASS, "%s; accepted (%d); the agent's stream %s", msg,
		    cmd_status(r, "transfer"), r->media_stopped ? "was stopped as Telnyx does after a transfer" : "ended");
}

static void judge_hangup(struct tprobe *p, const struct vs_tcall_result *r)
{
	const json_t *b = NULL;
	char msg[600], acts[200];
	int n = vs_tcall_count_action(r, "hangup", &b);

	if (!r->answered || !r->media_started) {
		p->h->check(p->c, "callcontrol.hangup", VS_CHECK_FAIL, "the call was not set up: %s",
			    r->error[0] ? r->error : "no media stream");
		return;
	}
	if (!n) {
		p->h->check(p->c, "callcontrol.hangup", VS_CHECK_FAIL,
			    "the caller said goodbye and stayed on the line; the agent never hung up (commands: %s)",
			    actions(r, acts, sizeof(acts)));
		return;
	}
	if (hangup_payload(b, msg, sizeof(msg))) {
		p->h->check(p->c, "callcontrol.hangup", VS_CHECK_FAIL, "%s", msg);
		return;
	}
	if (last_replied_turn(&r->media) < 2)
		p->h->check(p->c, "callcontrol.hangup", VS_CHECK_FAIL,
			    "%s, but the caller heard no goodbye before it (%zu of %zu turns answered)", msg,
			    last_replied_turn(&r->media), r->media.nturns);
	else
		p->h->check(p->c, "callcontrol.hangup", VS_CHECK_PASS,
			    "%s, %.1f s into the call after the goodbye was heard; stream %s, call.hangup (source %s) sent",
			    msg, r->agent_hangup_ms / 1000.0, r->media_stopped ? "stopped" : "ended", r->hangup_source);
}

static void judge_speak(struct tprobe *p, const struct vs_tcall_result *r)
{
	const json_t *b = NULL;
	char msg[600], acts[200];
	int n = vs_tcall_count_action(r, "speak", &b);

	if (!n) {
		p->h->check(p->c, "callcontrol.speak", VS_CHECK_FAIL, "call to unknown %s: no speak command (commands: %s)",
			    p->unknown, actions(r, acts, sizeof(acts)));
		return;
	}
	if (speak_payload(b, msg, sizeof(msg))) {
		p->h->check(p->c, "callcontrol.speak", VS_CHECK_FAIL, "%s (Telnyx answered %d)", msg, cmd_status(r, "speak"));
		return;
	}
	if (!r->agent_hangup)
		p->h->check(p->c, "callcontrol.speak", VS_CHECK_FAIL, "%s; no hangup after call.speak.ended", msg);
	else if (r->speak_ended_ms < 0)
		p->h->check(p->c, "callcontrol.speak", VS_CHECK_FAIL,
			    "%s; hung up %.1f s into the call, before call.speak.ended: the message was cut off", msg,
			    r->agent_hangup_ms / 1000.0);
	else
		p->h->check(p->c, "callcontrol.speak", VS_CHECK_PASS,
			    "%s; call.speak.ended sent at %.1f s, hangup %.0f ms after it", msg, r->speak_ended_ms / 1000.0,
			    r->agent_hangup_ms - r->speak_ended_ms);
}

void tprobe_check_callcontrol(struct tprobe *p)
{
	struct vs_tcall_cfg cfg = {.to = p->routed, .answer_timeout_ms = (int)p->answer_within_ms};
	struct vs_tcall_cfg ucfg = {.to = p->unknown, .answer_timeout_ms = (int)p->answer_within_ms, .no_media = 1,
				    .until_action = "hangup", .until_ms = 12000};
	struct vs_tcall_result r;

	if (p->tel.telephony == VS_TEL_TEXML) {
		p->h->check(p->c, "callcontrol.transfer", VS_CHECK_SKIP,
			    "texml: the agent answers with TeXML; Call Control commands are not its path");
		return;
	}
	tprobe_call(p, "cc_transfer", p->transfer_script, &cfg, &r);
	judge_transfer(p, &r);
	vs_tcall_result_clear(&r);
	if (p->h->should_stop(p->c))
		return;
	tprobe_call(p, "cc_goodbye", p->goodbye_script, &cfg, &r);
	judge_hangup(p, &r);
	vs_tcall_result_clear(&r);
	if (p->h->should_stop(p->c))
		return;
	tprobe_call(p, "cc_speak", NULL, &ucfg, &r);
	judge_speak(p, &r);
	vs_tcall_result_clear(&r);
}
