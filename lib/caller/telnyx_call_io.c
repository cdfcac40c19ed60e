/* The network side both call paths share (telnyx_call.c: Call Control,
 * texml_call.c: TeXML): signed requests with what their socket received,
 * the world's command log for the call, and the media leg. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <unistd.h>

#include "telnyx_call_int.h"
#include "vstress/net/httpc.h"
#include "vstress/telnyx/telnyx_event.h"

#define POLL_MS 400
/* How long a Telnyx speak plays: about 15 characters a second of read text. */
#define SPEAK_BASE_MS 300
#define SPEAK_MS_PER_CHAR 65.0

int tc_speak_due(struct tc *t)
{
	uint64_t now = tc_mono_ns();

	if (!t->speak_end_ns)
		return 0;
	if (now < t->speak_end_ns)
		return (int)((t->speak_end_ns - now) / 1000000ull) + 1;
	t->speak_end_ns = 0;
	if (t->out->agent_hangup)
		return 0; /* the call ended first: Telnyx would say status call_hangup; not sent */
	if (tc_emit(t, VS_TEV_SPEAK_ENDED, NULL) == 0) /* sent (queued: set when it is) */
		t->out->speak_ended_ms = tc_since_ms(t->t_sent_ns);
	return 0;
}

int tc_emit(struct tc *t, enum vs_telnyx_ev ev, const char *hangup_source)
{
	if (t->emit) {
		t->emit(t, ev, hangup_source);
		return 1;
	}
	tc_send_event(t, ev, hangup_source);
	return 0;
}


uint64_t tc_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double tc_since_ms(uint64_t t0)
{
	return (double)(tc_mono_ns() - t0) / 1e6;
}

void tc_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static size_t on_body(char *d, size_t sz, size_t nm, void *arg)
{
	struct tc_wbuf *b = arg;
	size_t n = sz * nm, k = n;

	if (!b->cap) /* body not wanted */
		return n;
	if (b->n + k >= b->cap) {
		k = b->cap - 1 - b->n;
		b->over = 1;
	}
	memcpy(b->p + b->n, d, k);
	b->n += k;
	b->p[b->n] = '\0';
	return b->over ? 0 : n; /* 0: curl stops (bounded) */
}

/* The webhook's socket is ours, so that what it received can be counted
 * when curl closes it (TCP_INFO): a held-open connection (0 bytes) and a
 * trickled answer (some) look the same to curl before the timeout. */
static curl_socket_t open_sock(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct tc_sockwatch *w = arg;

	(void)purpose;
	w->fd = socket(a->family, a->socktype, a->protocol);
	return w->fd;
}

static int close_sock(void *arg, curl_socket_t fd)
{
	struct tc_sockwatch *w = arg;
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (fd == w->fd && getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 &&
	    tl >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received))
		w->bytes_in = (long long)ti.tcpi_bytes_received;
	return close(fd);
}

_Static_assert(sizeof(((struct tc_xfer *)0)->cerr) >= CURL_ERROR_SIZE, "curl error buffer");

int tc_xfer_init(struct tc *t, struct tc_xfer *x, const char *method, const char *url, const char *ctype,
		 const char *body, struct post_out *o)
{
	struct vs_telnyx_headers h;
	char line[160];
	long long ts = (long long)time(NULL);
	CURL *c;

	memset(x, 0, sizeof(*x));
	x->o = o;
	x->b = (struct tc_wbuf){o->body ? o->body : x->dummy, 0, o->body ? o->cap : 0, 0};
	x->w = (struct tc_sockwatch){CURL_SOCKET_BAD, -1};
	x->tmo = (long)(t->cfg->webhook_timeout_ms > 0 ? t->cfg->webhook_timeout_ms : 5000);
	x->b.p[0] = '\0';
	o->status = 0;
	if (o->problem && o->plen)
		o->problem[0] = '\0';
	if (!(c = x->easy = curl_easy_init()))
		return -1;
	if (body) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		x->hdr = curl_slist_append(x->hdr, line);
	}
	x->hdr = curl_slist_append(x->hdr, "Accept: */*");
	if (t->cfg->signature != VS_SIG_NONE && t->have_key) {
		if (t->cfg->signature == VS_SIG_STALE)
			ts -= 600;
		if (vs_telnyx_sign_headers(&t->key, ts, body ? body : "", body ? strlen(body) : 0, &h) != 0) {
			tc_xfer_drop(x);
			return -1;
		}
		snprintf(line, sizeof(line), "telnyx-signature-ed25519: %s", h.signature);
		x->hdr = curl_slist_append(x->hdr, line);
		snprintf(line, sizeof(line), "telnyx-timestamp: %s", h.timestamp);
		x->hdr = curl_slist_append(x->hdr, line);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->hdr);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "telnyx-webhooks");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, x->tmo);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* Telnyx does not follow webhook redirects */
	/* one connection per request, closed when it ends (also in a multi
	 * handle): what its socket received is counted then (close_sock) */
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	if (strcmp(method, body ? "POST" : "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x->b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->cerr);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_sock);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &x->w);
	curl_easy_setopt(c, CURLOPT_CLOSESOCKETFUNCTION, close_sock);
	curl_easy_setopt(c, CURLOPT_CLOSESOCKETDATA, &x->w);
	x->t0 = tc_mono_ns();
	return 0;
}

void tc_xfer_drop(struct tc_xfer *x)
{
	if (x->easy)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->hdr);
	x->easy = NULL;
	x->hdr = NULL;
}

void tc_xfer_end(struct tc_xfer *x, int curlcode)
{
	struct post_out *o = x->o;
	CURLcode cr = (CURLcode)curlcode;
	char loc[256] = "";
	const char *redir = NULL;
	long code = 0;

	if (cr == CURLE_OK || (cr == CURLE_WRITE_ERROR && x->b.over))
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	o->ms = tc_since_ms(x->t0);
	if (code >= 300 && code < 400 && curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &redir) == CURLE_OK && redir)
		snprintf(loc, sizeof(loc), "%s", redir);
	tc_xfer_drop(x); /* closes the socket (if still open): w.bytes_in */
	o->status = (int)code;
	o->blen = x->b.n;
	if (o->problem && o->plen) {
		if (cr == CURLE_OPERATION_TIMEDOUT && x->w.bytes_in == 0)
			snprintf(o->problem, o->plen,
				 "no byte of an answer within %ld ms: the agent held the connection open", x->tmo);
		else if (cr == CURLE_OPERATION_TIMEDOUT && x->w.bytes_in > 0)
			snprintf(o->problem, o->plen,
				 "the answer was still incomplete after %ld ms (%lld bytes received): a trickled response",
				 x->tmo, x->w.bytes_in);
		else if (cr == CURLE_OPERATION_TIMEDOUT)
			snprintf(o->problem, o->plen, "no complete answer within %ld ms", x->tmo);
		else if (x->b.over)
			snprintf(o->problem, o->plen, "the answer's body is over %zu bytes (reading stopped)", x->b.cap - 1);
		else if (cr != CURLE_OK)
			snprintf(o->problem, o->plen, "%.200s", x->cerr[0] ? x->cerr : curl_easy_strerror(cr));
		else if (code >= 300 && code < 400)
			snprintf(o->problem, o->plen,
				 "a %ld redirect to %.200s: Telnyx does not follow webhook redirects (a failed delivery)",
				 code, loc[0] ? loc : "(no Location)");
	}
}

/* One request signed as cfg->signature says (over "timestamp|body", the
 * empty body for GET).  0 with o->status (0: no answer), or -1 on a local
 * failure. */
int tc_http(struct tc *t, const char *method, const char *url, const char *ctype, const char *body,
	    struct post_out *o)
{
	struct tc_xfer *x = malloc(sizeof(*x));
	int rc = -1;

	if (x && tc_xfer_init(t, x, method, url, ctype, body, o) == 0) {
		tc_xfer_end(x, curl_easy_perform(x->easy));
		rc = 0;
	}
	free(x);
	return rc;
}

int tc_send_event(struct tc *t, enum vs_telnyx_ev ev, const char *hangup_source)
{
	struct vs_telnyx_event_opts o = {.hangup_source = hangup_source};
	char *body = vs_telnyx_event_build(ev, &t->call, &o, &t->rng);
	struct post_out po = {0};
	int rc;

	if (!body)
		return -1;
	rc = tc_http(t, "POST", t->cfg->webhook_url, "application/json", body, &po);
	free(body);
	return rc;
}

int tc_poll_commands(struct tc *t, const char *action, int wait_ms)
{
	char url[1024], err[256];
	char *resp = NULL;
	long st = 0;
	json_t *j = NULL, *evs, *ev;
	size_t i;
	int rc = -1;

	snprintf(url, sizeof(url), "%s/_vstress/events?topic=telnyx.command&call_control_id=%s&since=%lld&wait_ms=%d%s%s",
		 t->cfg->control_url, t->esc_id, t->last_seq, wait_ms, action ? "&action=" : "", action ? action : "");
	if (vs_httpc("GET", url, NULL, wait_ms + 3000, &st, &resp, err, sizeof(err)) != 0 || st != 200 || !resp)
		goto out;
	j = json_loads(resp, 0, NULL);
	evs = json_object_get(j, "events");
	if (!json_is_array(evs))
		goto out;
	json_array_foreach(evs, i, ev) {
		json_int_t seq = json_integer_value(json_object_get(ev, "seq"));
		if (seq > t->last_seq)
			t->last_seq = seq;
		tc_on_command(t, json_object_get(ev, "data"));
	}
	rc = 0;
out:
	json_decref(j);
	free(resp);
	return rc;
}

void tc_on_command(struct tc *t, json_t *d)
{
	const char *a = json_string_value(json_object_get(d, "action"));
	const char *su;
	json_t *w = json_object_get(d, "time_ms");

	if (!a)
		return;
	if ((!strcmp(a, "answer") || !strcmp(a, "streaming_start")) && !t->out->answered) {
		t->out->answered = 1;
		t->out->answer_ms = tc_since_ms(t->t_sent_ns);
		if (json_is_number(w)) {
			t->world_off_ms = t->out->answer_ms - json_number_value(w);
			t->have_off = 1;
		}
		su = json_string_value(json_object_get(d, "stream_url"));
		if (!su)
			su = json_string_value(json_object_get(json_object_get(d, "params"), "stream_url"));
		if (su)
			snprintf(t->out->stream_url, sizeof(t->out->stream_url), "%s", su);
	}
	if ((!strcmp(a, "hangup") || !strcmp(a, "reject")) && !t->out->agent_hangup) {
		t->out->agent_hangup = 1;
		t->out->agent_hangup_ms = tc_since_ms(t->t_sent_ns);
	}
	if (!strcmp(a, "transfer") && json_is_string(json_object_get(json_object_get(d, "params"), "to")))
		t->out->agent_transfer = 1; /* accepted by the stand-in: the caller is bridged away */
	if (!strcmp(a, "speak") && json_integer_value(json_object_get(d, "status")) == 200) {
		/* as Telnyx plays it: started now, ended when the text would have been read */
		size_t n = json_string_length(json_object_get(json_object_get(d, "params"), "payload"));
		tc_emit(t, VS_TEV_SPEAK_STARTED, NULL);
		t->out->speaks++;
		t->speak_end_ns = tc_mono_ns() + (uint64_t)(SPEAK_BASE_MS + SPEAK_MS_PER_CHAR * (double)n) * 1000000ull;
	}
	if (t->cfg->until_action && !strcmp(a, t->cfg->until_action))
		t->seen_until = 1;
}

void tc_baseline_urls(const struct tc *t, char *events, char *cmds, size_t len)
{
	snprintf(events, len, "%s/_vstress/events?topic=telnyx.command&call_control_id=%s&limit=0", t->cfg->control_url,
		 t->esc_id);
	snprintf(cmds, len, "%s/_vstress/telnyx/commands?call_control_id=%s", t->cfg->control_url, t->esc_id);
}

int tc_baseline_events(struct tc *t, const char *resp)
{
	json_t *j = resp ? json_loads(resp, 0, NULL) : NULL;

	if (!j)
		return -1;
	t->last_seq = json_integer_value(json_object_get(j, "last_seq"));
	json_decref(j);
	return 0;
}

int tc_baseline_commands(struct tc *t, const char *resp)
{
	json_t *j = resp ? json_loads(resp, 0, NULL) : NULL, *c;
	size_t i;

	if (!j)
		return -1;
	json_array_foreach(json_object_get(j, "data"), i, c) {
		long long seq = json_integer_value(json_object_get(c, "seq"));
		if (seq > t->cmd_since)
			t->cmd_since = seq;
	}
	json_decref(j);
	return 0;
}

/* Where the world's event and command logs stand before the call, so that
 * a call_control_id used before (same seed against a long-running world)
 * is not mistaken for this call.  0, or -1 when the world does not answer. */
int tc_baseline(struct tc *t)
{
	char ev[1024], cmds[1024], err[256];
	char *resp = NULL;
	long st = 0;
	int rc = -1;

	tc_baseline_urls(t, ev, cmds, sizeof(ev));
	if (vs_httpc("GET", ev, NULL, 5000, &st, &resp, err, sizeof(err)) != 0 || st != 200 ||
	    tc_baseline_events(t, resp) != 0)
		goto out;
	free(resp);
	resp = NULL;
	if (vs_httpc("GET", cmds, NULL, 5000, &st, &resp, err, sizeof(err)) != 0 || st != 200 ||
	    tc_baseline_commands(t, resp) != 0)
		goto out;
	rc = 0;
out:
	free(resp);
	return rc;
}

void tc_collect_url(const struct tc *t, char *url, size_t len)
{
	snprintf(url, len, "%s/_vstress/telnyx/commands?call_control_id=%s&since=%lld", t->cfg->control_url, t->esc_id,
		 t->cmd_since);
}

/* Every command for this call, as [{action, at_ms, body, status, ...}]. */
void tc_collect_parse(struct tc *t, const char *resp)
{
	json_t *j = resp ? json_loads(resp, 0, NULL) : NULL, *arr, *c;
	size_t i, first;

	arr = json_object_get(j, "data");
	if (!json_is_array(arr))
		goto out;
	if (!t->out->commands) /* the TeXML path put its verbs there first */
		t->out->commands = json_array();
	first = json_array_size(t->out->commands);
	json_array_foreach(arr, i, c) {
		double w = json_number_value(json_object_get(c, "time_ms"));
		json_t *e = json_pack("{s:O?,s:f,s:O?,s:O?}", "action", json_object_get(c, "action"), "at_ms",
				      t->have_off ? w + t->world_off_ms : -1.0, "body", json_object_get(c, "params"),
				      "status", json_object_get(c, "status"));
		if (!e)
			continue;
		if (json_object_get(c, "error_code"))
			json_object_set(e, "error_code", json_object_get(c, "error_code"));
		json_array_append_new(t->out->commands, e);
	}
	if (!t->have_off) /* no answer: times relative to the first command */
		json_array_foreach(t->out->commands, i, c) if (i >= first) json_object_set_new(c, "at_ms", json_null());
out:
	json_decref(j);
}

void tc_collect(struct tc *t)
{
	char url[1024], err[256];
	char *resp = NULL;
	long st = 0;

	tc_collect_url(t, url, sizeof(url));
	if (vs_httpc("GET", url, NULL, 5000, &st, &resp, err, sizeof(err)) == 0 && st == 200 && resp)
		tc_collect_parse(t, resp);
	free(resp);
}

/* The media leg: until the script ends, the agent closes, or the agent
 * hangs up through Call Control (then Telnyx closes the stream). */
void tc_map_stream_url(const struct vs_tcall_cfg *cfg, const char *url, char *out, size_t len)
{
	const char *pub = cfg->tel.public_url, *loc = cfg->tel.local_url;
	size_t n = pub ? strlen(pub) : 0;

	while (n && pub[n - 1] == '/') /* "wss://x.ngrok.io/" and "wss://x.ngrok.io" alike */
		n--;
	size_t ln = loc ? strlen(loc) : 0;

	while (ln && loc[ln - 1] == '/')
		ln--;
	if (n && ln && !strncmp(url, pub, n) && (url[n] == '/' || url[n] == '?' || !url[n]))
		snprintf(out, len, "%.*s%s", (int)ln, loc, url + n);
	else
		snprintf(out, len, "%s", url);
}

struct vs_call *tc_media_start(struct tc *t, struct vs_call_engine *eng, const struct vs_call_script *script,
			       const char *custom_params, void (*on_end)(void *), void *arg)
{
	const struct vs_tcall_cfg *cfg = t->cfg;
	struct vs_call *c = NULL;
	struct vs_call_params p = {.stream_url = t->out->stream_url_local,
				   .custom_parameters_json = custom_params,
				   .keep_heard_ms = t->cfg->keep_heard_ms,
				   .call_control_id = t->call.call_control_id,
				   .call_session_id = t->call.call_session_id,
				   .from = t->call.from,
				   .to = t->call.to,
				   .on_end = on_end,
				   .on_end_arg = arg};

	tc_map_stream_url(cfg, t->out->stream_url, t->out->stream_url_local, sizeof(t->out->stream_url_local));
	if (vs_call_start(eng, script, &p, &c) != 0) {
		snprintf(t->out->error, sizeof(t->out->error), "could not start the media leg on %.200s",
			 t->out->stream_url_local);
		return NULL;
	}
	t->out->media_started = 1;
	return c;
}

int tc_media_ms(const struct tc *t, const struct vs_call_script *script)
{
	return t->cfg->media_timeout_ms > 0 ? t->cfg->media_timeout_ms : script->m.max_call_ms + 5000;
}

void tc_media_finish(struct tc *t, struct vs_call *c, int hung, int media_ms)
{
	if (vs_call_done(c)) {
		const struct vs_call_result *r = vs_call_get_result(c);
		if (tc_copy_media(&t->out->media, r) != 0)
			snprintf(t->out->error, sizeof(t->out->error), "out of memory");
		t->out->media_started = r->connect_ms > 0 || r->hangup_by != VS_HANGUP_ERROR;
		if (r->hangup_by == VS_HANGUP_ERROR && !t->out->error[0])
			snprintf(t->out->error, sizeof(t->out->error), "media: %.200s", r->error);
	} else {
		/* the engine frees the result with the call: keep what we know */
		t->out->media_stopped = 0;
		t->out->media.hangup_by = hung ? VS_HANGUP_AGENT : VS_HANGUP_CALLER;
		t->out->media.timed_out = !hung;
		t->out->media.first_reply_ms = -1;
		snprintf(t->out->media.error, sizeof(t->out->media.error), "%s",
			 hung ? "media leg stopped after the agent's hangup command (stream still open)"
			      : "media leg did not end within media_timeout");
		if (!hung)
			snprintf(t->out->error, sizeof(t->out->error), "media leg did not end within %d ms", media_ms);
	}
	vs_call_free(c);
}

void tc_run_media(struct tc *t, struct vs_call_engine *eng, const struct vs_call_script *script,
		  const char *custom_params)
{
	const struct vs_tcall_cfg *cfg = t->cfg;
	int media_ms = tc_media_ms(t, script);
	int grace = cfg->hangup_grace_ms > 0 ? cfg->hangup_grace_ms : 1500;
	uint64_t t0 = tc_mono_ns(), hung_at = 0;
	struct vs_call *c = tc_media_start(t, eng, script, custom_params, NULL, NULL);

	if (!c)
		return;
	while (vs_call_wait(c, 0) != 0) {
		if (tc_since_ms(t0) > media_ms)
			break;
		if (hung_at && tc_since_ms(hung_at) > grace) {
			/* as Telnyx does after `hangup`: stop and close the stream */
			t->out->media_stopped = vs_call_hangup(c, 3000) == 0;
			break;
		}
		tc_speak_due(t);
		if (cfg->control_url && !t->out->agent_hangup && !t->out->agent_transfer)
			tc_poll_commands(t, NULL, POLL_MS); /* hangup, transfer and speak have effects */
		else
			vs_call_wait(c, 50);
		if ((t->out->agent_hangup || t->out->agent_transfer) && !hung_at)
			hung_at = tc_mono_ns();
	}
	tc_media_finish(t, c, hung_at != 0, media_ms);
}
