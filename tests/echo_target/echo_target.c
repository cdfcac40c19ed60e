/* echo_target: a tiny stand-in voice agent for vstress's call proofs.
 *
 * One libwebsockets server on loopback:
 *   POST /webhook   Telnyx webhooks; on call.initiated, if --call-control URL
 *                   is given, POSTs {URL}/calls/{id}/actions/answer with
 *                   stream_url ws://127.0.0.1:<port>/media (libcurl, own thread).
 *   GET  /stats     JSON per stream: frames counted, replies, marks, dtmf.
 *   WS   /media     the Telnyx media stream.  Its own energy VAD (vs_vad,
 *                   same threshold as the caller) finds the end of the
 *                   caller's speech; the reply's first audible sample is
 *                   played exactly --delay ms after it.  The reply is sent as
 *                   soon as the end is detected, prefixed with as many
 *                   silent samples as are needed to land on that instant
 *                   (computed when the message is written), so the delay is
 *                   exact to one sample regardless of service jitter.
 * Options: --port N (0 = any; prints "LISTENING <port>")  --delay MS
 *   --reply-ms MS  --freq HZ  --gap-ms MS (a silence inside each reply)
 *   --false-trigger-at MS (an unprompted 300 ms tone at stream time MS)
 *   --hangover MS  --threshold DB  --chunk-ms MS (split replies)
 *   --call-control URL  --hangup-after N (close after N replies)
 *   --stats-out FILE (the /stats JSON written to FILE when it exits)
 *   --no-clear (do not send clear when the caller barges in)
 *   --delay-per-call MS (an agent fault, off by default: every reply comes
 *   MS later for each other media stream open at the moment, so the turn
 *   latency is delay + MS x (streams - 1): a known capacity).
 * More agent faults, off by default: --mute (never sends audio back)
 *   --answer-twice (two answer commands
 *   per call)  --error-metrics (GET /metrics counts every media stream as
 *   agent_calls_total{outcome="error"})  --spin (a thread burns one core
 *   for the process's life). */
#include <curl/curl.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vstress/telnyx/media_msg.h"
#include "vstress/audio/ulaw.h"
#include "vstress/audio/vad.h"

#define RATE 8000
#define MAX_STREAMS 4096

struct opts {
	int port, delay_ms, per_call_ms, reply_ms, freq, gap_ms, false_at_ms, hangover_ms, chunk_ms, hangup_after, clear;
	int answer_twice, error_metrics, spin, mute;
	double threshold;
	const char *call_control;
	const char *stats_out; /* --stats-out: the /stats JSON written here at exit */
};

static struct opts o = {.port = 0, .delay_ms = 400, .reply_ms = 600, .freq = 500, .gap_ms = 0,
			.false_at_ms = -1, .hangover_ms = 300, .chunk_ms = 0, .hangup_after = 0, .clear = 1,
			.threshold = -40};
static volatile sig_atomic_t stopping;
static int listen_port;

struct stream_stats {
	char id[VS_MEDIA_ID_MAX];
	long frames, bytes, replies, marks_echoed, dtmf, false_sent, clears;
	int stopped;
	double last_end_ms; /* caller speech end as the echo target saw it */
};

static struct stream_stats *streams[MAX_STREAMS];
static int nstreams;
static int open_streams; /* media WebSockets connected now (--delay-per-call) */
static long webhooks, answers;

struct outq {
	struct outq *next;
	char *text;          /* ready message, or NULL for audio */
	int16_t *pcm;        /* audio to play at target_ns (first audible sample) */
	size_t n;
	uint64_t target_ns;
	int reply;           /* counts as a reply (mark follows) */
};

struct pss {
	int is_ws;
	/* http */
	char uri[64];
	char *body;
	size_t blen;
	/* ws */
	struct stream_stats *st;
	struct vs_vad vad;
	int64_t nsamples;
	uint64_t anchor;     /* stream time 0 (ns): min(arrival - idx/8000) */
	int have_anchor;
	int false_done;
	uint64_t speaking_until; /* our reply plays until then */
	struct outq *q;
	char *rx;
	size_t rxlen, rxcap;
	int close_after;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct stream_stats *stats_new(const char *id)
{
	struct stream_stats *s = calloc(1, sizeof(*s));

	if (!s || nstreams >= MAX_STREAMS) {
		free(s);
		return NULL;
	}
	snprintf(s->id, sizeof(s->id), "%s", id);
	streams[nstreams++] = s;
	return s;
}

/* A tone starting at its peak (cosine), so its first sample is audible. */
static int16_t *tone(size_t n, int with_gap, size_t *out_n)
{
	size_t gap = with_gap && o.gap_ms > 0 ? (size_t)o.gap_ms * RATE / 1000 : 0;
	size_t half = n / 2;
	size_t total = gap ? n + gap : n;
	int16_t *p = calloc(total ? total : 1, sizeof(*p));

	if (!p)
		return NULL;
	for (size_t i = 0, k = 0; i < total; i++) {
		if (gap && i >= half && i < half + gap)
			continue;
		p[i] = (int16_t)lrint(8000 * cos(2 * M_PI * o.freq * (double)k / RATE));
		k++;
	}
	*out_n = total;
	return p;
}

static void q_push(struct pss *s, struct outq *it, int front)
{
	if (front) {
		it->next = s->q;
		s->q = it;
		return;
	}
	struct outq **pp = &s->q;

	while (*pp)
		pp = &(*pp)->next;
	it->next = NULL;
	*pp = it;
}

static void q_text(struct pss *s, char *text, int front)
{
	struct outq *it = calloc(1, sizeof(*it));

	if (!it || !text) {
		free(it);
		free(text);
		return;
	}
	it->text = text;
	q_push(s, it, front);
}

static void q_audio(struct lws *wsi, struct pss *s, int16_t *pcm, size_t n, uint64_t target, int reply)
{
	struct outq *it = calloc(1, sizeof(*it));

	if (!it) {
		free(pcm);
		return;
	}
	it->pcm = pcm;
	it->n = n;
	it->target_ns = target;
	it->reply = reply;
	q_push(s, it, 0);
	lws_callback_on_writable(wsi);
}

static int ws_write(struct lws *wsi, const char *text)
{
	size_t len = strlen(text);
	unsigned char *buf = malloc(LWS_PRE + len);
	int rc;

	if (!buf)
		return -1;
	memcpy(buf + LWS_PRE, text, len);
	rc = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len ? -1 : 0;
	free(buf);
	return rc;
}

/* Turn an audio item into media message(s) now: pad with silence so the
 * first sample plays at target_ns (the caller starts playing on arrival). */
static int send_audio(struct lws *wsi, struct pss *s, struct outq *it)
{
	uint64_t now = now_ns();
	size_t pad = it->target_ns > now ? (size_t)((it->target_ns - now) * RATE / 1000000000ull) : 0;
	size_t total = pad + it->n;
	size_t chunk = o.chunk_ms > 0 ? (size_t)o.chunk_ms * RATE / 1000 : total;
	uint8_t *u = malloc(total ? total : 1);
	struct outq *tail_first = NULL, **tail = &tail_first;
	int rc = -1;

	if (!u)
		return -1;
	memset(u, 0xFF, pad);
	vs_ulaw_encode_buf(it->pcm, it->n, u + pad);
	s->speaking_until = now + (uint64_t)total * 1000000000ull / RATE;
	for (size_t off = 0; off < total; off += chunk) {
		size_t n = total - off < chunk ? total - off : chunk;
		char *m = vs_media_out_media(u + off, n);

		if (!m)
			goto out;
		if (off == 0) {
			if (ws_write(wsi, m) != 0) {
				free(m);
				goto out;
			}
			free(m);
		} else {
			struct outq *q = calloc(1, sizeof(*q));

			if (!q) {
				free(m);
				goto out;
			}
			q->text = m;
			*tail = q;
			tail = &q->next;
		}
	}
	if (it->reply) {
		char name[32];
		struct outq *q = calloc(1, sizeof(*q));

		s->st->replies++;
		snprintf(name, sizeof(name), "reply-%ld", s->st->replies);
		if (q && (q->text = vs_media_out_mark(name))) {
			*tail = q;
			tail = &q->next;
		} else {
			free(q);
		}
	}
	*tail = s->q;
	s->q = tail_first;
	rc = 0;
out:
	free(u);
	return rc;
}

static void on_media(struct lws *wsi, struct pss *s, const struct vs_media_msg *m)
{
	uint64_t now = now_ns();
	int16_t pcm[VS_VAD_MAX_FRAME];
	struct vs_vad_event ev[2];
	uint64_t est;

	if (!s->st)
		return;
	s->st->frames++;
	s->st->bytes += (long)m->payload_len;
	if (m->payload_len != 160)
		return;
	/* anchor: the earliest-arriving frame gives the best estimate of t0 */
	est = now - (uint64_t)s->nsamples * 1000000000ull / RATE;
	if (!s->have_anchor || est < s->anchor) {
		s->anchor = est;
		s->have_anchor = 1;
	}
	vs_ulaw_decode_buf(m->payload, 160, pcm);
	for (int k = vs_vad_feed(&s->vad, pcm, ev), i = 0; i < k; i++) {
		if (ev[i].type == VS_VAD_START && o.clear && now < s->speaking_until) {
			/* the caller barges in while we speak: stop our audio */
			q_text(s, vs_media_out_clear(), 0);
			s->speaking_until = now;
			s->st->clears++;
			lws_callback_on_writable(wsi);
		}
		if (ev[i].type == VS_VAD_END) {
			uint64_t end_ns = s->anchor + (uint64_t)ev[i].sample * 1000000000ull / RATE;
			size_t n = 0;
			int16_t *p = o.mute ? NULL : tone((size_t)o.reply_ms * RATE / 1000, 1, &n);

			s->st->last_end_ms = (double)ev[i].sample / 8.0;
			if (p)
				q_audio(wsi, s, p, n,
					end_ns + (uint64_t)(o.delay_ms + o.per_call_ms * (open_streams > 1 ? open_streams - 1 : 0)) *
							 1000000ull,
					1);
		}
	}
	s->nsamples += 160;
	if (o.false_at_ms >= 0 && !s->false_done &&
	    now + 100000000ull >= s->anchor + (uint64_t)o.false_at_ms * 1000000ull) {
		size_t n = 0;
		int16_t *p = tone(300 * RATE / 1000, 0, &n);

		s->false_done = 1;
		s->st->false_sent++;
		if (p)
			q_audio(wsi, s, p, n, s->anchor + (uint64_t)o.false_at_ms * 1000000ull, 0);
	}
}

static void on_ws_message(struct lws *wsi, struct pss *s)
{
	struct vs_media_msg m;
	char err[128];

	if (vs_media_parse(s->rx, s->rxlen, 0, &m, err, sizeof(err)) != 0) {
		fprintf(stderr, "echo_target: bad message: %s\n", err);
		goto out;
	}
	switch (m.event) {
	case VS_MEV_START:
		if (!s->st)
			s->st = stats_new(m.stream_id);
		break;
	case VS_MEV_MEDIA:
		on_media(wsi, s, &m);
		break;
	case VS_MEV_MARK:
		if (s->st)
			s->st->marks_echoed++;
		break;
	case VS_MEV_DTMF:
		if (s->st)
			s->st->dtmf++;
		break;
	case VS_MEV_STOP:
		if (s->st)
			s->st->stopped = 1;
		break;
	default:
		break;
	}
out:
	vs_media_msg_free(&m);
}

/* --- Call Control answer (libcurl, in its own thread) ----------------------- */

struct answer_job {
	char url[512];
	char body[512];
};

static void *answer_thread(void *arg)
{
	struct answer_job *j = arg;
	CURL *cu = curl_easy_init();
	struct curl_slist *h = NULL;

	if (cu) {
		h = curl_slist_append(h, "Content-Type: application/json");
		h = curl_slist_append(h, "Authorization: Bearer echo-target");
		curl_easy_setopt(cu, CURLOPT_URL, j->url);
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, j->body);
		curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(cu, CURLOPT_TIMEOUT_MS, 5000L);
		if (curl_easy_perform(cu) == CURLE_OK)
			__atomic_add_fetch(&answers, 1, __ATOMIC_SEQ_CST);
		curl_slist_free_all(h);
		curl_easy_cleanup(cu);
	}
	free(j);
	return NULL;
}

static void on_webhook(const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *data = json_object_get(root, "data");
	const char *type = json_string_value(json_object_get(data, "event_type"));
	const char *ccid = json_string_value(json_object_get(json_object_get(data, "payload"), "call_control_id"));

	webhooks++;
	if (type && ccid && strcmp(type, "call.initiated") == 0 && o.call_control) {
		struct answer_job *j = calloc(1, sizeof(*j));
		pthread_t t;

		if (j) {
			snprintf(j->url, sizeof(j->url), "%s/calls/%s/actions/answer", o.call_control, ccid);
			snprintf(j->body, sizeof(j->body),
				 "{\"stream_url\":\"ws://127.0.0.1:%d/media\",\"stream_track\":\"both_tracks\","
				 "\"stream_bidirectional_mode\":\"rtp\",\"stream_bidirectional_codec\":\"PCMU\"}",
				 listen_port);
			/* --answer-twice: the second job is copied before the first
			 * thread starts (the thread frees its job) */
			struct answer_job *jobs[2] = {j, NULL};
			if (o.answer_twice && (jobs[1] = malloc(sizeof(*j))))
				*jobs[1] = *j;
			for (int k = 0; k < 2 && jobs[k]; k++) {
				if (pthread_create(&t, NULL, answer_thread, jobs[k]) == 0)
					pthread_detach(t);
				else
					free(jobs[k]);
			}
		}
	}
	json_decref(root);
}

static char *stats_json(void)
{
	json_t *root = json_object(), *st = json_object();

	for (int i = 0; i < nstreams; i++) {
		struct stream_stats *s = streams[i];

		json_object_set_new(st, s->id,
				    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:f}", "frames", (json_int_t)s->frames,
					      "bytes", (json_int_t)s->bytes, "replies", (json_int_t)s->replies,
					      "marks_echoed", (json_int_t)s->marks_echoed, "dtmf", (json_int_t)s->dtmf,
					      "false_sent", (json_int_t)s->false_sent, "clears", (json_int_t)s->clears,
					      "stopped", s->stopped, "last_end_ms", s->last_end_ms));
	}
	json_object_set_new(root, "streams", st);
	json_object_set_new(root, "webhooks", json_integer(webhooks));
	json_object_set_new(root, "answers", json_integer(__atomic_load_n(&answers, __ATOMIC_SEQ_CST)));
	{
		char *s = json_dumps(root, JSON_COMPACT);

		json_decref(root);
		return s;
	}
}

static int http_reply(struct lws *wsi, int status, const char *body)
{
	size_t len = strlen(body);
	unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof(hdr) - 1;
	unsigned char *buf;
	int rc;

	if (lws_add_http_common_headers(wsi, (unsigned int)status, "application/json", (lws_filepos_t)len, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	buf = malloc(LWS_PRE + len + 1);
	if (!buf)
		return -1;
	memcpy(buf + LWS_PRE, body, len);
	rc = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_HTTP_FINAL) < (int)len ? -1 : 0;
	free(buf);
	if (rc)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct pss *s = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		snprintf(s->uri, sizeof(s->uri), "%s", (const char *)in);
		if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
			return 0; /* wait for the body */
		if (o.error_metrics && strcmp(s->uri, "/metrics") == 0) {
			char m[128];
			snprintf(m, sizeof(m), "agent_calls_total{outcome=\"error\"} %d\n", nstreams);
			return http_reply(wsi, 200, m);
		}
		if (strcmp(s->uri, "/stats") == 0) {
			char *j = stats_json();
			int rc = http_reply(wsi, 200, j ? j : "{}");

			free(j);
			return rc;
		}
		return http_reply(wsi, 404, "{\"error\":\"not found\"}");
	case LWS_CALLBACK_HTTP_BODY: {
		char *n = realloc(s->body, s->blen + len + 1);

		if (!n || s->blen + len > (1u << 20))
			return -1;
		s->body = n;
		memcpy(s->body + s->blen, in, len);
		s->blen += len;
		return 0;
	}
	case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
		int hook = strcmp(s->uri, "/webhook") == 0;

		if (hook)
			on_webhook(s->body ? s->body : "", s->blen);
		free(s->body);
		s->body = NULL;
		s->blen = 0;
		/* last use of s: completing the transaction may free it */
		return http_reply(wsi, hook ? 200 : 404, hook ? "{}" : "{\"error\":\"not found\"}");
	}
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		free(s->body);
		s->body = NULL;
		return 0;
	case LWS_CALLBACK_ESTABLISHED: {
		struct vs_vad_cfg vc = {.rate = RATE, .threshold_dbfs = o.threshold, .hangover_ms = o.hangover_ms};

		memset(s, 0, sizeof(*s));
		s->is_ws = 1;
		open_streams++;
		vs_vad_init(&s->vad, &vc);
		return 0;
	}
	case LWS_CALLBACK_RECEIVE: {
		if (s->rxlen + len + 1 > s->rxcap) {
			size_t ncap = s->rxcap ? s->rxcap * 2 : 4096;
			char *n;

			while (ncap < s->rxlen + len + 1)
				ncap *= 2;
			n = realloc(s->rx, ncap);
			if (!n)
				return -1;
			s->rx = n;
			s->rxcap = ncap;
		}
		memcpy(s->rx + s->rxlen, in, len);
		s->rxlen += len;
		if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
			on_ws_message(wsi, s);
			s->rxlen = 0;
		}
		return 0;
	}
	case LWS_CALLBACK_SERVER_WRITEABLE: {
		struct outq *it = s->q;
		int rc;

		if (!it) {
			if (s->close_after)
				return -1;
			return 0;
		}
		s->q = it->next;
		if (it->text)
			rc = ws_write(wsi, it->text);
		else
			rc = send_audio(wsi, s, it);
		if (it->reply && o.hangup_after > 0 && s->st && s->st->replies >= o.hangup_after)
			s->close_after = 1;
		free(it->text);
		free(it->pcm);
		free(it);
		if (rc)
			return -1;
		if (s->q || s->close_after)
			lws_callback_on_writable(wsi);
		return 0;
	}
	case LWS_CALLBACK_CLOSED:
		if (s->is_ws && open_streams > 0)
			open_streams--;
		while (s->q) {
			struct outq *it = s->q;

			s->q = it->next;
			free(it->text);
			free(it->pcm);
			free(it);
		}
		free(s->rx);
		s->rx = NULL;
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
	{"echo", callback, sizeof(struct pss), 65536, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--no-clear") == 0) {
			o.clear = 0;
			continue;
		}
		if (!strcmp(a, "--answer-twice") || !strcmp(a, "--error-metrics") || !strcmp(a, "--spin") ||
		    !strcmp(a, "--mute")) {
			*(a[2] == 'a' ? &o.answer_twice : a[2] == 'e' ? &o.error_metrics : a[2] == 's' ? &o.spin : &o.mute) = 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "echo_target: %s needs a value\n", a);
			return -1;
		}
		i++;
		if (strcmp(a, "--port") == 0)
			o.port = atoi(v);
		else if (strcmp(a, "--delay") == 0)
			o.delay_ms = atoi(v);
		else if (strcmp(a, "--delay-per-call") == 0)
			o.per_call_ms = atoi(v);
		else if (strcmp(a, "--reply-ms") == 0)
			o.reply_ms = atoi(v);
		else if (strcmp(a, "--freq") == 0)
			o.freq = atoi(v);
		else if (strcmp(a, "--gap-ms") == 0)
			o.gap_ms = atoi(v);
		else if (strcmp(a, "--false-trigger-at") == 0)
			o.false_at_ms = atoi(v);
		else if (strcmp(a, "--hangover") == 0)
			o.hangover_ms = atoi(v);
		else if (strcmp(a, "--threshold") == 0)
			o.threshold = atof(v);
		else if (strcmp(a, "--chunk-ms") == 0)
			o.chunk_ms = atoi(v);
		else if (strcmp(a, "--hangup-after") == 0)
			o.hangup_after = atoi(v);
		else if (strcmp(a, "--call-control") == 0)
			o.call_control = v;
		else if (strcmp(a, "--stats-out") == 0)
			o.stats_out = v;
		else {
			fprintf(stderr, "echo_target: unknown option %s\n", a);
			return -1;
		}
	}
	return 0;
}

/* --spin: a busy loop for the process's life (an agent that eats a core). */
static void *spin_thread(void *arg)
{
	volatile unsigned long x = 0;
	(void)arg;
	while (!stopping)
		x++;
	return NULL;
}

int main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	struct lws_vhost *vh;

	if (parse_args(argc, argv) != 0)
		return 2;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (o.spin) {
		pthread_t t;
		if (pthread_create(&t, NULL, spin_thread, NULL) == 0)
			pthread_detach(t);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = o.port;
	info.iface = "127.0.0.1";
	info.protocols = protocols;
	info.gid = -1;
	info.uid = -1;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
	info.fd_limit_per_thread = 4096;
	ctx = lws_create_context(&info);
	if (!ctx) {
		fprintf(stderr, "echo_target: cannot listen on 127.0.0.1:%d\n", o.port);
		return 1;
	}
	vh = lws_get_vhost_by_name(ctx, "default");
	listen_port = vh ? lws_get_vhost_listen_port(vh) : o.port;
	printf("LISTENING %d\n", listen_port);
	fflush(stdout);
	while (!stopping)
		if (lws_service(ctx, 0) < 0)
			break;
	lws_context_destroy(ctx);
	if (o.stats_out) { /* what /stats would say now, every stream ended */
		char *j = stats_json();
		FILE *f = j ? fopen(o.stats_out, "w") : NULL;
		int bad = !f || fputs(j, f) < 0;

		if ((f && fclose(f) != 0) || bad)
			fprintf(stderr, "echo_target: cannot write %s\n", o.stats_out);
		free(j);
	}
	for (int i = 0; i < nstreams; i++)
		free(streams[i]);
	curl_global_cleanup();
	return 0;
}
