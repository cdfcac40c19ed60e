/* The TeXML path of a simulated Telnyx call: fetch the agent's TeXML as
 * Telnyx does (form-encoded, Ed25519-signed), parse it with the bounded
 * libxml2 reader (vstress/telnyx/texml.h) and follow its verbs in order.
 * Every verb the agent gave is recorded in out->commands in Call Control's
 * terms (Say -> speak, Dial -> transfer, Hangup -> hangup, a stream ->
 * streaming_start) so that the checks read both paths alike; fetches,
 * verbs and status callbacks go to out->texml_log. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "telnyx_call_int.h"
#include "vstress/telnyx/texml.h"

#define QUOTE_MAX 160 /* the agent's own words, truncated */

struct tx {
	struct tc *t;
	struct vs_call_engine *eng;
	const struct vs_call_script *script;
	char account_sid[37];
	char stream_id[37];
	char url[1024];    /* the document being followed (relative Redirects resolve against it) */
	uint64_t deadline; /* mono ns */
	int media_done;    /* the one media leg of the call ran (or was tried) */
	int ended;         /* the call is over: Hangup, Dial, the caller hung up, a problem */
	struct vs_call *bg; /* a <Start><Stream> leg running while the verbs go on */
	const struct vs_texml_verb *bg_verb;
};

static double at_ms(const struct tx *x)
{
	return tc_since_ms(x->t->t_sent_ns);
}

static void logj(struct tx *x, json_t *e)
{
	if (!e)
		return;
	if (!x->t->out->texml_log)
		x->t->out->texml_log = json_array();
	json_object_set_new(e, "at_ms", json_real(at_ms(x)));
	json_array_append_new(x->t->out->texml_log, e);
}

/* A verb in Call Control's terms (what the checks read). */
static void command(struct tx *x, const char *action, const struct vs_texml_verb *v, json_t *body)
{
	struct vs_tcall_result *o = x->t->out;

	if (!o->commands)
		o->commands = json_array();
	if (!body)
		body = json_object();
	json_object_set_new(body, "texml_verb", json_string(v->name));
	json_object_set_new(body, "line", json_integer(v->line));
	json_array_append_new(o->commands, json_pack("{s:s,s:f,s:o}", "action", action, "at_ms", at_ms(x), "body", body));
}

/* printf into texml_problem once (the first problem is the one reported). */
static void problem(struct tx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct tx *x, const char *fmt, ...)
{
	va_list ap;

	x->ended = 1;
	if (x->t->out->texml_problem[0])
		return;
	va_start(ap, fmt);
	vsnprintf(x->t->out->texml_problem, sizeof(x->t->out->texml_problem), fmt, ap);
	va_end(ap);
}

/* The agent's words for a message: the start of a body, one line. */
static char *quote(const char *s, size_t n, char *buf, size_t len)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k + 4 < len && k < QUOTE_MAX; i++)
		buf[k++] = s[i] == '\n' || s[i] == '\r' || s[i] == '\t' ? ' ' : s[i];
	if (n > k)
		k += (size_t)snprintf(buf + k, len - k, "...");
	buf[k < len ? k : len - 1] = '\0';
	return buf;
}

/* application/x-www-form-urlencoded from name/value pairs (NULL values
 * skipped); malloc'd or NULL. */
char *tc_form_encode(const char *const *kv, size_t npairs)
{
	size_t cap = 1, n = 0;
	char *out, *e;

	for (size_t i = 0; i < npairs; i++)
		if (kv[2 * i + 1])
			cap += 3 * (strlen(kv[2 * i]) + strlen(kv[2 * i + 1])) + 2;
	out = malloc(cap);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < npairs; i++) {
		if (!kv[2 * i + 1])
			continue;
		for (int k = 0; k < 2; k++) {
			e = curl_easy_escape(NULL, kv[2 * i + k], 0);
			if (!e) {
				free(out);
				return NULL;
			}
			n += (size_t)snprintf(out + n, cap - n, "%s%s%s", k ? "=" : n ? "&" : "", "", e);
			curl_free(e);
		}
	}
	return out;
}

/* The parameters Telnyx sends with a TeXML fetch (telnyx-protocol.md §4),
 * then extra pairs; form-encoded, malloc'd. */
static char *call_form(struct tx *x, const char *const *extra, size_t nextra)
{
	const struct vs_telnyx_call *c = &x->t->call;
	char from_sip[64], to_sip[64];
	const char *kv[2 * 20];
	size_t n = 0;

	snprintf(from_sip, sizeof(from_sip), "%s@127.0.0.1:5060", c->from[0] == '+' ? c->from + 1 : c->from);
	snprintf(to_sip, sizeof(to_sip), "%s@127.0.0.1:5060", c->to);
#define KV(k, v) (kv[2 * n] = (k), kv[2 * n + 1] = (v), n++)
	KV("AccountSid", x->account_sid);
	KV("CallSid", c->call_control_id);
	KV("CallSidLegacy", c->call_leg_id);
	KV("CallerId", c->from);
	KV("CallingPartyType", "pstn");
	KV("From", c->from);
	KV("FromSipUri", from_sip);
	KV("To", c->to);
	KV("ToSipUri", to_sip);
	KV("ConnectionId", c->connection_id);
	for (size_t i = 0; i < nextra && n < 20; i++)
		KV(extra[2 * i], extra[2 * i + 1]);
#undef KV
	return tc_form_encode(kv, n);
}

/* ref resolved against base: absolute, "/path" on base's origin, or
 * relative to base's folder. */
void tc_resolve_url(const char *base, const char *ref, char *out, size_t len)
{
	const char *hs = strstr(base, "://"), *slash;

	if (strstr(ref, "://") || !hs) {
		snprintf(out, len, "%s", ref);
	} else if (ref[0] == '/') {
		snprintf(out, len, "%.*s%s", (int)(hs + 3 - base + strcspn(hs + 3, "/?")), base, ref);
	} else {
		slash = strrchr(hs + 3, '/');
		if (!slash || slash > hs + 3 + strcspn(hs + 3, "?"))
			snprintf(out, len, "%.*s/%s", (int)(hs + 3 - base + strcspn(hs + 3, "/?")), base, ref);
		else
			snprintf(out, len, "%.*s%s", (int)(slash + 1 - base), base, ref);
	}
}

/* Fetch TeXML: POST form (or GET with a query).  The body (cap
 * VS_TCALL_BODY_MAX) in *body; 0 with o filled, -1 on a local failure. */
static int fetch(struct tx *x, const char *url, const char *method, const char *const *extra, size_t nextra,
		 char **body, struct post_out *o, char *prob, size_t plen)
{
	char *form = call_form(x, extra, nextra), *full = NULL;
	int get = method && !strcasecmp(method, "GET"), rc = -1;

	*body = malloc(VS_TCALL_BODY_MAX + 1);
	if (!form || !*body)
		goto out;
	*o = (struct post_out){.body = *body, .cap = VS_TCALL_BODY_MAX + 1, .problem = prob, .plen = plen};
	if (get) {
		if (asprintf(&full, "%s%c%s", url, strchr(url, '?') ? '&' : '?', form) < 0) {
			full = NULL;
			goto out;
		}
		rc = tc_http(x->t, "GET", full, NULL, NULL, o);
	} else {
		rc = tc_http(x->t, "POST", url, "application/x-www-form-urlencoded", form, o);
	}
	logj(x, json_pack("{s:s,s:s,s:s,s:i,s:f,s:s?}", "what", "fetch", "method", get ? "GET" : "POST", "url", url,
			  "status", o->status, "ms", o->ms, "problem", prob[0] ? prob : NULL));
out:
	free(form);
	free(full);
	return rc;
}

/* A stream's statusCallback (StreamEvent stream-started, stream-stopped,
 * stream-error), signed and form-encoded as Telnyx sends callbacks. */
static void stream_callback(struct tx *x, const struct vs_texml_verb *v, const char *event, const char *error)
{
	const char *extra[] = {"StreamSid", x->stream_id, "StreamName", v->stream_name, "StreamEvent", event,
			       "StreamError", error, "StreamUrl", v->url};
	char url[1024], prob[200] = "";
	char *form, *full = NULL;
	int get = v->status_callback_method && !strcasecmp(v->status_callback_method, "GET");
	struct post_out o = {.problem = prob, .plen = sizeof(prob)};

	if (!v->status_callback || !*v->status_callback)
		return;
	tc_resolve_url(x->url, v->status_callback, url, sizeof(url));
	form = call_form(x, extra, 5);
	if (!form)
		return;
	if (get && asprintf(&full, "%s%c%s", url, strchr(url, '?') ? '&' : '?', form) < 0)
		full = NULL;
	if (get && full)
		tc_http(x->t, "GET", full, NULL, NULL, &o);
	else if (!get)
		tc_http(x->t, "POST", url, "application/x-www-form-urlencoded", form, &o);
	logj(x, json_pack("{s:s,s:s,s:s,s:i,s:s?}", "what", "status_callback", "event", event, "url", url, "status",
			  o.status, "problem", prob[0] ? prob : NULL));
	free(form);
	free(full);
}

/* start.custom_parameters from the <Parameter>s (NULL: none). */
static char *params_json(const struct vs_texml_verb *v)
{
	json_t *o;
	char *s;

	if (!v->nparams)
		return NULL;
	o = json_object();
	for (size_t i = 0; i < v->nparams; i++)
		json_object_set_new(o, v->param_names[i], json_string(v->param_values[i]));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* Telnyx answers a TeXML call when it runs the first verb that needs the
 * call up: one `answer` command, as Call Control's, for the checks that
 * count answers (pipeline, load). */
static void mark_answered(struct tx *x, const struct vs_texml_verb *v)
{
	struct vs_tcall_result *o = x->t->out;

	if (o->answered)
		return;
	o->answered = 1;
	o->answer_ms = at_ms(x);
	command(x, "answer", v, NULL);
}

/* A stream verb: recorded; the one media leg of the call opened on it. */
static int stream_verb(struct tx *x, const struct vs_texml_verb *v)
{
	struct vs_tcall_result *o = x->t->out;

	mark_answered(x, v);
	command(x, "streaming_start", v,
		json_pack("{s:s,s:s?}", "stream_url", v->url, "stream_bidirectional_mode", v->bidirectional_mode));
	if (x->media_done || x->t->cfg->no_media) {
		logj(x, json_pack("{s:s,s:s,s:i,s:s}", "what", "verb", "verb", v->name, "line", v->line, "note",
				  x->media_done ? "not opened: the caller script plays once per call"
						: "not opened (no_media)"));
		if (x->t->cfg->no_media)
			x->ended = 1; /* a no_media call stops once it is answered with a stream */
		return 0;
	}
	x->media_done = 1;
	snprintf(o->stream_url, sizeof(o->stream_url), "%s", v->url);
	o->stream_line = v->line;
	return 1;
}

/* The result of a finished (or stopped) media leg, as tc_run_media keeps it. */
static void keep_media(struct tx *x, struct vs_call *c, int stopped)
{
	struct vs_tcall_result *o = x->t->out;

	if (vs_call_done(c)) {
		const struct vs_call_result *r = vs_call_get_result(c);

		if (tc_copy_media(&o->media, r) != 0)
			snprintf(o->error, sizeof(o->error), "out of memory");
		o->media_started = r->connect_ms > 0 || r->hangup_by != VS_HANGUP_ERROR;
		o->media_stopped = stopped;
		if (r->hangup_by == VS_HANGUP_ERROR && !o->error[0])
			snprintf(o->error, sizeof(o->error), "media: %.200s", r->error);
	} else {
		o->media_started = 1;
		o->media.hangup_by = VS_HANGUP_AGENT;
		o->media.first_reply_ms = -1;
		snprintf(o->media.error, sizeof(o->media.error), "media leg still open after the TeXML call ended");
	}
}

/* Start/Stream: the leg runs while the verbs go on. */
static void start_bg(struct tx *x, const struct vs_texml_verb *v)
{
	struct vs_tcall_result *o = x->t->out;
	char *cp = params_json(v);
	struct vs_call_params p = {.stream_url = o->stream_url_local,
				   .stream_id = x->stream_id,
				   .call_control_id = x->t->call.call_control_id,
				   .call_session_id = x->t->call.call_session_id,
				   .from = x->t->call.from,
				   .to = x->t->call.to,
				   .custom_parameters_json = cp,
				   .keep_heard_ms = x->t->cfg->keep_heard_ms};

	tc_map_stream_url(x->t->cfg, o->stream_url, o->stream_url_local, sizeof(o->stream_url_local));
	if (vs_call_start(x->eng, x->script, &p, &x->bg) != 0) {
		snprintf(o->error, sizeof(o->error), "could not start the media leg on %.200s", o->stream_url_local);
		x->bg = NULL;
	} else {
		x->bg_verb = v;
		stream_callback(x, v, "stream-started", NULL);
	}
	free(cp);
}

/* The call ends (or a Connect replaces the fork): Telnyx stops the stream. */
static void stop_bg(struct tx *x)
{
	int stopped = 0;

	if (!x->bg)
		return;
	if (!vs_call_done(x->bg))
		stopped = vs_call_hangup(x->bg, 3000) == 0;
	keep_media(x, x->bg, stopped);
	stream_callback(x, x->bg_verb, x->t->out->media.hangup_by == VS_HANGUP_ERROR ? "stream-error" : "stream-stopped",
			x->t->out->media.hangup_by == VS_HANGUP_ERROR ? x->t->out->media.error : NULL);
	if (x->t->out->media.hangup_by == VS_HANGUP_CALLER)
		x->ended = 1;
	vs_call_free(x->bg);
	x->bg = NULL;
}

/* Wait ms (bounded by the deadline); a background leg whose caller hung
 * up ends the call. */
static void pause_ms(struct tx *x, long long ms)
{
	uint64_t until = tc_mono_ns() + (uint64_t)ms * 1000000ull;

	if (until > x->deadline)
		until = x->deadline;
	while (tc_mono_ns() < until) {
		if (x->bg) {
			vs_call_wait(x->bg, 50);
			if (vs_call_done(x->bg) && vs_call_get_result(x->bg)->hangup_by == VS_HANGUP_CALLER) {
				stop_bg(x);
				return;
			}
		} else {
			tc_sleep_ms(50);
		}
	}
}

static void connect_verb(struct tx *x, const struct vs_texml_verb *v)
{
	struct vs_tcall_result *o = x->t->out;
	char *cp;

	stop_bg(x); /* one stream per call: a Connect replaces a fork */
	if (!stream_verb(x, v))
		return;
	cp = params_json(v);
	stream_callback(x, v, "stream-started", NULL);
	x->t->call.stream_url = o->stream_url;
	tc_run_media(x->t, x->eng, x->script, cp); /* synchronous: the verbs after it run when it stops */
	free(cp);
	stream_callback(x, v, o->media.hangup_by == VS_HANGUP_ERROR ? "stream-error" : "stream-stopped",
			o->media.hangup_by == VS_HANGUP_ERROR ? o->media.error : NULL);
	if (!o->media_started || o->media.hangup_by != VS_HANGUP_AGENT || o->agent_hangup)
		x->ended = 1; /* the caller hung up, the stream failed, or the agent hung up through Call Control */
}

/* Run one document's verbs; *next is set by a <Redirect>. */
static void run_doc(struct tx *x, const struct vs_texml_doc *d, const struct vs_texml_verb **next)
{
	*next = NULL;
	for (size_t i = 0; i < d->n && !x->ended && tc_mono_ns() < x->deadline; i++) {
		const struct vs_texml_verb *v = &d->verbs[i];

		logj(x, json_pack("{s:s,s:s,s:i}", "what", "verb", "verb", v->name, "line", v->line));
		switch (v->kind) {
		case VS_TEXML_CONNECT_STREAM:
			connect_verb(x, v);
			break;
		case VS_TEXML_START_STREAM:
			if (stream_verb(x, v))
				start_bg(x, v);
			break;
		case VS_TEXML_SAY:
			mark_answered(x, v);
			command(x, "speak", v, json_pack("{s:s}", "payload", v->text ? v->text : ""));
			break;
		case VS_TEXML_PAUSE:
			mark_answered(x, v);
			if (!x->t->cfg->no_media)
				pause_ms(x, (long long)v->length_s * 1000);
			break;
		case VS_TEXML_HANGUP:
			command(x, "hangup", v, NULL);
			x->t->out->agent_hangup = 1;
			x->ended = 1;
			break;
		case VS_TEXML_DIAL: /* the caller is bridged elsewhere: a transfer, and our part of the call ends */
			mark_answered(x, v);
			command(x, "transfer", v, json_pack("{s:s}", "to", v->text ? v->text : ""));
			x->ended = 1;
			break;
		case VS_TEXML_REDIRECT:
			*next = v;
			return;
		default: /* a TeXML verb vstress does not follow */
			command(x, "unsupported", v, NULL);
			problem(x, "<%s> at line %d is a TeXML verb vstress does not follow (Connect/Start Stream, Say, "
				   "Pause, Hangup, Redirect, Dial)",
				v->name, v->line);
			break;
		}
	}
}

/* Parse body (from url) and describe it into out->texml; 0 or -1 (problem set). */
static int parse(struct tx *x, const char *url, const char *body, size_t len, struct vs_texml_doc *d)
{
	struct vs_tcall_result *o = x->t->out;
	char err[200], verbs[260], q[QUOTE_MAX + 8];
	size_t have = strlen(o->texml);

	if (!vs_texml_looks_xml(body, len)) {
		problem(x, "%s answered %s, which is not TeXML: \"%s\"", url, len ? "a body" : "an empty body",
			quote(body, len, q, sizeof(q)));
		return -1;
	}
	if (vs_texml_parse(body, len, NULL, d, err, sizeof(err)) != 0) {
		snprintf(o->texml + have, sizeof(o->texml) - have, "%sagent answered the webhook with XML that is not usable "
			 "TeXML: %s", have ? "; " : "", err);
		problem(x, "TeXML from %.200s: %s; it began \"%s\"", url, err, quote(body, len, q, sizeof(q)));
		return -1;
	}
	vs_texml_describe(d, verbs, sizeof(verbs));
	snprintf(o->texml + have, sizeof(o->texml) - have, "%s%s", have ? "; " : "",
		 d->n ? verbs : "an empty <Response>");
	return 0;
}

void tc_texml_run(struct tc *t, struct vs_call_engine *eng, const struct vs_call_script *script, const char *doc,
		  size_t len)
{
	const struct vs_tcall_cfg *cfg = t->cfg;
	struct tx x = {.t = t, .eng = eng, .script = script};
	struct vs_tcall_result *o = t->out;
	struct vs_texml_doc d = {0};
	const struct vs_texml_verb *next = NULL;
	const char *method = cfg->tel.texml_get ? "GET" : "POST";
	int max_redir = cfg->tel.max_redirects > 0 ? cfg->tel.max_redirects : 10, nredir = 0;
	int media_ms = script ? script->m.max_call_ms + 5000 : 0;
	long long max_ms = cfg->tel.max_ms > 0 ? cfg->tel.max_ms
					       : (cfg->answer_timeout_ms > 0 ? cfg->answer_timeout_ms : 5000) +
							 (cfg->media_timeout_ms > 0 ? cfg->media_timeout_ms : media_ms) + 10000;
	char *body = NULL, prob[300] = "", q[QUOTE_MAX + 8];
	struct post_out po = {0};

	vs_uuid4(x.account_sid, &t->rng);
	vs_uuid4(x.stream_id, &t->rng);
	x.deadline = tc_mono_ns() + (uint64_t)max_ms * 1000000ull;
	snprintf(x.url, sizeof(x.url), "%s", cfg->tel.texml_url && *cfg->tel.texml_url ? cfg->tel.texml_url
										     : cfg->webhook_url);
	if (doc) { /* auto: call.initiated was answered with XML */
		snprintf(x.url, sizeof(x.url), "%s", cfg->webhook_url);
		logj(&x, json_pack("{s:s,s:s,s:i}", "what", "webhook", "url", cfg->webhook_url, "status", o->webhook_status));
		if (o->webhook_problem[0])
			problem(&x, "%s: %s; it began \"%s\"", cfg->webhook_url, o->webhook_problem, quote(doc, len, q, sizeof(q)));
		else if (parse(&x, x.url, doc, len, &d) == 0)
			run_doc(&x, &d, &next);
	} else {
		if (fetch(&x, x.url, method, NULL, 0, &body, &po, o->webhook_problem, sizeof(o->webhook_problem)) != 0) {
			snprintf(o->error, sizeof(o->error), "could not fetch the TeXML (out of memory)");
			goto out;
		}
		o->webhook_status = po.status;
		o->webhook_ms = po.ms;
		snprintf(o->webhook_body, sizeof(o->webhook_body), "%s", body);
		if (o->webhook_problem[0] || po.status != 200)
			problem(&x, "TeXML fetch (%s %.200s) %s%s%d: \"%s\"", method, x.url,
				o->webhook_problem[0] ? o->webhook_problem : "answered ",
				o->webhook_problem[0] ? "; status " : "", po.status, quote(body, po.blen, q, sizeof(q)));
		else if (parse(&x, x.url, body, po.blen, &d) == 0)
			run_doc(&x, &d, &next);
	}
	while (next && !x.ended && tc_mono_ns() < x.deadline) {
		char url[1024], m[16];

		/* copied: next points into d, which is freed before the fetch */
		snprintf(m, sizeof(m), "%s", next->method && *next->method ? next->method : "POST");

		if (++nredir > max_redir) {
			problem(&x, "more than %d <Redirect>s (a loop?): the last, at line %d, to %.200s", max_redir,
				next->line, next->url ? next->url : "");
			break;
		}
		if (!next->url || !*next->url) {
			problem(&x, "<Redirect> at line %d has no URL", next->line);
			break;
		}
		tc_resolve_url(x.url, next->url, url, sizeof(url));
		snprintf(x.url, sizeof(x.url), "%s", url);
		vs_texml_free(&d);
		free(body);
		body = NULL;
		prob[0] = '\0';
		if (fetch(&x, x.url, m, NULL, 0, &body, &po, prob, sizeof(prob)) != 0)
			break;
		if (prob[0] || po.status != 200) {
			problem(&x, "<Redirect> to %.200s %s%s%d: \"%s\"", x.url, prob[0] ? prob : "answered ",
				prob[0] ? "; status " : "", po.status, quote(body, po.blen, q, sizeof(q)));
			break;
		}
		if (parse(&x, x.url, body, po.blen, &d) != 0)
			break;
		run_doc(&x, &d, &next);
	}
	if (!x.ended && tc_mono_ns() >= x.deadline) /* a long <Pause>, Redirects that take their time */
		problem(&x, "the TeXML call did not end within %lld ms (the bound of the call)", max_ms);
	stop_bg(&x); /* the document ended: Telnyx hangs up, the fork stops */
	if (!x.media_done && !cfg->no_media && !o->texml_problem[0])
		snprintf(o->texml_problem, sizeof(o->texml_problem), "the TeXML never opened a media stream (%.300s)",
			 o->texml[0] ? o->texml : "no verbs");
	if (!o->error[0] && !cfg->no_media && o->texml_problem[0])
		snprintf(o->error, sizeof(o->error), "TeXML: %.240s", o->texml_problem);
	if (o->answered)
		snprintf(o->hangup_source, sizeof(o->hangup_source), "%s",
			 o->agent_hangup || o->media.hangup_by == VS_HANGUP_AGENT ? "callee" : "caller");
out:
	vs_texml_free(&d);
	free(body);
}

int vs_telephony_parse(const char *s, enum vs_telephony *out)
{
	static const char *const names[] = {"auto", "call_control", "texml"};

	for (int i = 0; i < 3; i++)
		if (s && !strcmp(s, names[i])) {
			*out = (enum vs_telephony)i;
			return 0;
		}
	return -1;
}

const char *vs_telephony_name(enum vs_telephony t)
{
	return t == VS_TEL_CALL_CONTROL ? "call_control" : t == VS_TEL_TEXML ? "texml" : "auto";
}
