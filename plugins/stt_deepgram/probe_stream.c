/* stt_deepgram probe: one sample over Deepgram's live WebSocket, as Pipecat
 * streams it: /v1/listen?<Pipecat's query>, Authorization: Token, binary
 * audio in chunk_ms pieces paced at `realtime`, then Finalize (as on
 * VADUserStoppedSpeaking) and CloseStream.  Final Results (is_final) with
 * text are joined into the hypothesis; the latency is end of audio -> the
 * Results carrying from_finalize:true. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "vstress/net/wsclient.h"
#include "probe.h"

struct st {
	const struct vs_stt_cfg *cfg;
	struct vs_stt_sample *s;
	uint64_t t0, audio_end;
	int finalized;
	long msgs;
	char *hyp;
	size_t hyplen;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int left_ms(const struct st *t)
{
	int64_t left = (int64_t)t->cfg->timeout_ms - (int64_t)((mono_ns() - t->t0) / 1000000);
	return left > 0 ? (int)left : 0;
}

static void s_fail(struct vs_stt_sample *s, int cls, const char *msg)
{
	if (s->cls != VS_SPEECH_OK)
		return; /* the first failure wins */
	s->cls = cls;
	snprintf(s->msg, sizeof s->msg, "%s", msg);
}

static void ws_fail(struct vs_stt_sample *s, const struct vs_wsc_err *e)
{
	int cls = VS_SPEECH_CLOSED_EARLY;
	if (e->fail == VS_WSC_F_HANDSHAKE)
		cls = e->http_status ? vs_speech_class_of_status(e->http_status) : VS_SPEECH_MALFORMED;
	else if (e->fail == VS_WSC_F_TIMEOUT)
		cls = VS_SPEECH_TIMEOUT;
	else if (e->fail == VS_WSC_F_CONNECT)
		cls = VS_SPEECH_CONNECT;
	else if (e->fail == VS_WSC_F_TOOBIG)
		cls = VS_SPEECH_MALFORMED;
	else if (e->close_code == 1011)
		cls = VS_SPEECH_SERVER_ERROR; /* NET-0000 / NET-0001 */
	else if (e->close_code == 1008 || e->close_code == 1002)
		cls = VS_SPEECH_BAD_REQUEST; /* DATA-0000: audio not decodable */
	s_fail(s, cls, e->msg);
}

static void add_text(struct st *t, const char *tr)
{
	size_t l = strlen(tr);
	char *n = realloc(t->hyp, t->hyplen + l + 2);
	if (!n)
		return;
	t->hyp = n;
	if (t->hyplen)
		t->hyp[t->hyplen++] = ' ';
	memcpy(t->hyp + t->hyplen, tr, l + 1);
	t->hyplen += l;
}

/* One server message: -1 the sample failed, else 0. */
static int on_msg(struct st *t, const struct vs_wsc_msg *m)
{
	json_t *j = m->binary ? NULL : json_loadb(m->data, m->len, 0, NULL);
	char buf[200];
	int rc = -1;
	t->msgs++;
	const char *type = json_string_value(json_object_get(j, "type"));
	if (!json_is_object(j) || !type) {
		snprintf(buf, sizeof buf, "unparseable message %ld: %.60s", t->msgs, m->binary ? "(binary)" : m->data);
		s_fail(t->s, VS_SPEECH_MALFORMED, buf);
		goto out;
	}
	rc = 0;
	if (strcmp(type, "Results"))
		goto out; /* Metadata, SpeechStarted, UtteranceEnd; unknown types are skipped, as the SDK does */
	const json_t *alt = json_array_get(json_object_get(json_object_get(j, "channel"), "alternatives"), 0);
	const char *tr = json_string_value(json_object_get(alt, "transcript"));
	if (!tr) {
		s_fail(t->s, VS_SPEECH_MALFORMED, "Results without channel.alternatives[0].transcript");
		rc = -1;
		goto out;
	}
	if (json_is_true(json_object_get(j, "is_final")) && *tr)
		add_text(t, tr);
	if (json_is_true(json_object_get(j, "from_finalize")) && t->audio_end && !t->finalized) {
		t->finalized = 1;
		t->s->latency_ms = (double)(mono_ns() - t->audio_end) / 1e6;
	}
out:
	json_decref(j);
	return rc;
}

/* Receives for up to ms (or until cond), handling messages: -1 on failure. */
static int pump(struct vs_wsc *ws, struct st *t, int ms, const int *until)
{
	uint64_t end = mono_ns() + (uint64_t)(ms > 0 ? ms : 0) * 1000000ull;
	do {
		struct vs_wsc_msg m;
		uint64_t now = mono_ns();
		int wait = now < end ? (int)((end - now) / 1000000) : 0;
		int r = vs_wsc_recv(ws, wait, &m);
		if (r < 0) {
			ws_fail(t->s, vs_wsc_error(ws));
			return -1;
		}
		if (r == 0)
			return 0;
		if (on_msg(t, &m))
			return -1;
	} while (!(until && *until) && mono_ns() < end);
	return 0;
}

static int send_json(struct vs_wsc *ws, struct st *t, const char *type)
{
	char buf[64];
	snprintf(buf, sizeof buf, "{\"type\":\"%s\"}", type);
	if (vs_wsc_send(ws, 0, buf, strlen(buf), left_ms(t))) {
		ws_fail(t->s, vs_wsc_error(ws));
		return -1;
	}
	return 0;
}

void dg_stream(const struct vs_stt_cfg *cfg, struct vs_stt_sample *s)
{
	char url[2048], auth[512], hint[40] = "";
	struct vs_wsc *ws = NULL;
	struct vs_wsc_err e;
	struct st t = {.cfg = cfg, .s = s, .t0 = mono_ns()};
	s->cls = VS_SPEECH_OK;
	s->latency_ms = -1;
	if (cfg->phrase_hint)
		snprintf(hint, sizeof hint, "&vstress_phrase=%d", s->index);
	snprintf(url, sizeof url,
		 "%s/v1/listen?channels=1&detect_entities=false&diarize=false&dictation=false&encoding=%s"
		 "&interim_results=true&language=%s&model=%s&multichannel=false&numerals=false&profanity_filter=true"
		 "&punctuate=true&sample_rate=%d&smart_format=false%s",
		 cfg->url, cfg->mulaw ? "mulaw" : "linear16", cfg->language, cfg->model, cfg->rate, hint);
	snprintf(auth, sizeof auth, "Authorization: Token %s", cfg->api_key);
	const char *headers[] = {auth, NULL};
	struct vs_wsc_cfg wc = {.url = url, .headers = headers, .timeout_ms = left_ms(&t), .max_message = 4u << 20};
	if (vs_wsc_connect(&ws, &wc, &e)) {
		ws_fail(s, &e);
		goto out;
	}
	s->connect_ms = (double)(mono_ns() - t.t0) / 1e6;
	size_t bps = cfg->mulaw ? 1 : 2, chunk = (size_t)cfg->rate * (size_t)cfg->chunk_ms / 1000 * bps;
	uint64_t start = mono_ns();
	for (size_t off = 0, k = 0; off < s->len; off += chunk, k++) {
		size_t n = s->len - off < chunk ? s->len - off : chunk;
		if (vs_wsc_send(ws, 1, s->audio + off, n, left_ms(&t))) {
			ws_fail(s, vs_wsc_error(ws));
			goto out;
		}
		if (cfg->realtime > 0) { /* the next chunk is due at (k+1) chunks of audio / realtime */
			uint64_t due = start + (uint64_t)((double)(k + 1) * cfg->chunk_ms * 1e6 / cfg->realtime);
			uint64_t now = mono_ns();
			if (due > now && pump(ws, &t, (int)((due - now) / 1000000), NULL))
				goto out;
		} else if (pump(ws, &t, 0, NULL)) {
			goto out;
		}
		if (!left_ms(&t)) {
			char tb[120];
			snprintf(tb, sizeof tb, "request_timeout (%d ms) while streaming audio (chunk %zu)", cfg->timeout_ms, k);
			s_fail(s, VS_SPEECH_TIMEOUT, tb);
			goto out;
		}
	}
	t.audio_end = mono_ns();
	if (send_json(ws, &t, "Finalize"))
		goto out;
	int fw = cfg->final_timeout_ms < left_ms(&t) ? cfg->final_timeout_ms : left_ms(&t);
	uint64_t fend = mono_ns() + (uint64_t)fw * 1000000ull;
	while (!t.finalized && mono_ns() < fend)
		if (pump(ws, &t, (int)((fend - mono_ns()) / 1000000), &t.finalized))
			goto out;
	if (!t.finalized) {
		s_fail(s, VS_SPEECH_TIMEOUT, "no from_finalize result within final_timeout");
		goto out;
	}
	if (send_json(ws, &t, "CloseStream") == 0) {
		struct vs_wsc_msg m;
		while (vs_wsc_recv(ws, 500, &m) > 0) /* flushed finals, Metadata, then the close */
			if (on_msg(&t, &m))
				break;
	}
	s->cls = s->cls == VS_SPEECH_OK ? VS_SPEECH_OK : s->cls;
out:
	vs_wsc_free(ws);
	s->hyp = t.hyp ? t.hyp : strdup("");
}
