/* hostile_agent: a voice agent that misbehaves in one chosen way, so that
 * vstress's call path can be shown to end every call with a failed check
 * naming the behaviour, in bounded time and memory
 * (tests/integration/test_hostile.sh).
 *
 * Plain POSIX sockets (one thread per connection), so every byte on the
 * wire is under control:
 *   GET  /health    200 (always: vstress launches it as a target)
 *   POST anything   a Telnyx webhook: the behaviour decides the answer; the
 *                   well-behaved path answers 200 and, on call.initiated,
 *                   POSTs Call Control `answer` with stream_url
 *                   ws://127.0.0.1:<port>/media?call=<call_control_id>
 *   GET  /media     the media WebSocket (RFC 6455 server, unmasked frames)
 *
 * --behave NAME:
 *   ok                 answers and streams nothing wrong (a short tone per message)
 *   no_webhook_answer  holds every webhook connection open, never answers
 *   no_command         answers 200 but never sends a Call Control command
 *   silent_media       opens the media socket and sends nothing
 *   huge_frame         sends one 16 MiB text frame (streamed from a small buffer)
 *   bad_json           sends text frames that are not JSON
 *   bad_base64         sends media whose payload is not base64
 *   bad_encoding       sends media messages with wrongly typed fields
 *   fast_media         sends 200 ms of audio every 20 ms (10x real time)
 *   trickle_webhook    answers a webhook one byte per second
 *   close_mid_frame    declares a 200000-byte frame, sends half, closes the socket
 *   mark_flood         sends `mark` events as fast as the socket takes them
 *   redirect_loop      answers every webhook 302 to itself
 *   texml_nested       answers the webhook with TeXML nesting 10,000 elements
 *   texml_connect      a working TeXML agent: <Connect><Stream> on its own /media (with a
 *                      statusCallback and a <Parameter>), then <Hangup>; media as `ok`,
 *                      but a `start` without custom_parameters {"customer":"hostile"}
 *                      closes the stream
 *   texml_wrong_url    <Connect><Stream> on a path it refuses (404 to the upgrade)
 *   texml_no_stream    <Say>, <Pause>, <Hangup>: never opens a stream
 *   texml_unknown_verb a <Transfer> verb (not TeXML) on line 4
 *   texml_huge         a well-formed TeXML document of 1 MiB + 64 KiB
 *   texml_redirect     <Redirect> to /texml/next, which serves texml_connect's document
 *   texml_redirect_loop <Redirect> to itself, every time
 *   texml_dial         <Connect><Stream> (the agent closes the stream after 2.5 s), then
 *                      <Dial><Number>+15550100099</Number></Dial>
 *   texml_start_hangup <Start><Stream>, <Pause length="3">, <Hangup>
 * The TeXML behaviours answer a form POST (CallSid=...) or a JSON
 * call.initiated alike, a GET with CallSid in the query too, and 400 to
 * anything else; POST /status* (stream status callbacks) answers 200.
 * Options: --port N (0: any; prints "LISTENING <port>"), --public-url PREFIX (the TeXML
 * stream URLs handed out start with it), --call-control URL
 * (default: $TELNYX_API_BASE). */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vstress/crypto/b64.h"
#include "vstress/telnyx/media_msg.h"
#include "vstress/audio/ulaw.h"

#define REQ_MAX 16384
#define BODY_MAX (1 << 20)
#define HOLD_MS 60000 /* the longest any misbehaviour lasts */

enum behave {
	B_OK,
	B_NO_WEBHOOK_ANSWER,
	B_NO_COMMAND,
	B_SILENT_MEDIA,
	B_HUGE_FRAME,
	B_BAD_JSON,
	B_BAD_BASE64,
	B_BAD_ENCODING,
	B_FAST_MEDIA,
	B_TRICKLE_WEBHOOK,
	B_CLOSE_MID_FRAME,
	B_MARK_FLOOD,
	B_REDIRECT_LOOP,
	B_TEXML_NESTED,
	B_TEXML_CONNECT,
	B_TEXML_WRONG_URL,
	B_TEXML_NO_STREAM,
	B_TEXML_UNKNOWN_VERB,
	B_TEXML_HUGE,
	B_TEXML_REDIRECT,
	B_TEXML_REDIRECT_LOOP,
	B_TEXML_DIAL,
	B_TEXML_START_HANGUP,
};

static const char *const behave_names[] = {
	"ok",           "no_webhook_answer", "no_command",      "silent_media", "huge_frame",
	"bad_json",     "bad_base64",        "bad_encoding",    "fast_media",   "trickle_webhook",
	"close_mid_frame", "mark_flood",     "redirect_loop",   "texml_nested",
	"texml_connect", "texml_wrong_url", "texml_no_stream", "texml_unknown_verb", "texml_huge",
	"texml_redirect", "texml_redirect_loop", "texml_dial", "texml_start_hangup",
};

static enum behave behave = B_OK;
static const char *call_control;
static const char *public_ws; /* --public-url: the prefix of the stream URLs handed out ("": ws://127.0.0.1:port) */
static int listen_port;
static volatile sig_atomic_t stopping;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stopping)
		;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t k = send(fd, c, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Wait until the peer closes (or ms pass). */
static void hold(int fd, int ms)
{
	char buf[4096];
	uint64_t until = now_ms() + (uint64_t)ms;

	while (!stopping && now_ms() < until) {
		struct pollfd p = {fd, POLLIN, 0};

		if (poll(&p, 1, 200) > 0 && recv(fd, buf, sizeof(buf), 0) <= 0)
			return;
	}
}

/* --- HTTP ---------------------------------------------------------------- */

struct req {
	char method[8], path[256];
	char ws_key[64];
	int upgrade;
	size_t clen;
	char *body; /* NUL-terminated */
	size_t blen;
};

static const char *hdr_val(const char *h, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);

	for (const char *p = h; (p = strstr(p, "\r\n")); ) {
		p += 2;
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;
			size_t n;

			while (*v == ' ')
				v++;
			n = strcspn(v, "\r\n");
			snprintf(out, cap, "%.*s", (int)n, v);
			return out;
		}
	}
	return NULL;
}

static int read_req(int fd, struct req *r)
{
	static __thread char buf[REQ_MAX + 1];
	size_t n = 0;
	char *end = NULL, v[64];

	memset(r, 0, sizeof(*r));
	while (!end) {
		ssize_t k;

		if (n >= REQ_MAX)
			return -1;
		k = recv(fd, buf + n, REQ_MAX - n, 0);
		if (k <= 0)
			return -1;
		n += (size_t)k;
		buf[n] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	*end = '\0';
	if (sscanf(buf, "%7s %255s", r->method, r->path) != 2)
		return -1;
	if (hdr_val(buf, "Content-Length", v, sizeof(v)))
		r->clen = (size_t)strtoul(v, NULL, 10);
	if (hdr_val(buf, "Upgrade", v, sizeof(v)) && !strcasecmp(v, "websocket"))
		r->upgrade = 1;
	hdr_val(buf, "Sec-WebSocket-Key", r->ws_key, sizeof(r->ws_key));
	if (r->clen > BODY_MAX)
		return -1;
	r->body = malloc(r->clen + 1);
	if (!r->body)
		return -1;
	r->blen = n - (size_t)(end + 4 - buf);
	if (r->blen > r->clen)
		r->blen = r->clen;
	memcpy(r->body, end + 4, r->blen);
	while (r->blen < r->clen) {
		ssize_t k = recv(fd, r->body + r->blen, r->clen - r->blen, 0);

		if (k <= 0)
			return -1;
		r->blen += (size_t)k;
	}
	r->body[r->blen] = '\0';
	return 0;
}

static int reply(int fd, int status, const char *reason, const char *ctype, const char *extra, const char *body,
		 size_t blen)
{
	char h[512];
	int n = snprintf(h, sizeof(h), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
			 status, reason, ctype, blen, extra ? extra : "");

	return write_all(fd, h, (size_t)n) || write_all(fd, body, blen) ? -1 : 0;
}

/* --- Call Control -------------------------------------------------------- */

static size_t discard(char *d, size_t sz, size_t nm, void *arg)
{
	(void)d;
	(void)arg;
	return sz * nm;
}

static void send_answer(const char *ccid)
{
	char url[1024], body[1024], *esc;
	struct curl_slist *h = NULL;
	CURL *cu;

	if (!call_control || !(cu = curl_easy_init()))
		return;
	esc = curl_easy_escape(cu, ccid, 0);
	snprintf(url, sizeof(url), "%s/calls/%s/actions/answer", call_control, ccid);
	snprintf(body, sizeof(body),
		 "{\"stream_url\":\"ws://127.0.0.1:%d/media?call=%s\",\"stream_track\":\"both_tracks\","
		 "\"stream_bidirectional_mode\":\"rtp\",\"stream_bidirectional_codec\":\"PCMU\"}",
		 listen_port, esc ? esc : "");
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Authorization: Bearer hostile-agent");
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, discard);
	if (curl_easy_perform(cu) != CURLE_OK)
		fprintf(stderr, "hostile_agent: answer to %s failed\n", url);
	curl_free(esc);
	curl_slist_free_all(h);
	curl_easy_cleanup(cu);
}

#define TEXML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>\n"

/* Where the agent says its stream is: its public URL, or itself. */
static const char *ws_base(void)
{
	static __thread char b[300];

	if (public_ws && *public_ws)
		snprintf(b, sizeof(b), "%s", public_ws);
	else
		snprintf(b, sizeof(b), "ws://127.0.0.1:%d", listen_port);
	return b;
}

/* The TeXML behaviours: one document each (see the list at the top). */
static void on_texml(int fd, const struct req *r)
{
	char doc[1024];
	int n = 0;

	if (!strncmp(r->path, "/status", 7)) {
		reply(fd, 200, "OK", "text/plain", NULL, "", 0);
		return;
	}
	if (!strstr(r->body, "CallSid=") && !strstr(r->path, "CallSid=") && !strstr(r->body, "\"call.initiated\"")) {
		static const char bad[] = "expected a TeXML request (CallSid) or call.initiated";

		reply(fd, 400, "Bad Request", "text/plain", NULL, bad, sizeof(bad) - 1);
		return;
	}
	switch (behave) {
	case B_TEXML_CONNECT:
	case B_TEXML_REDIRECT:
		if (behave == B_TEXML_REDIRECT && strncmp(r->path, "/texml/next", 11) != 0) {
			n = snprintf(doc, sizeof(doc), TEXML_HEAD "  <Redirect method=\"POST\">/texml/next</Redirect>\n</Response>\n");
			break;
		}
		n = snprintf(doc, sizeof(doc),
			     TEXML_HEAD "  <Connect>\n    <Stream url=\"%s/media\" bidirectionalMode=\"rtp\" "
					"statusCallback=\"/status\">\n      <Parameter name=\"customer\" value=\"hostile\"/>\n"
					"    </Stream>\n  </Connect>\n  <Hangup/>\n</Response>\n",
			     ws_base());
		break;
	case B_TEXML_WRONG_URL:
		n = snprintf(doc, sizeof(doc),
			     TEXML_HEAD "  <Connect>\n    <Stream url=\"%s/no-such-stream\" "
					"bidirectionalMode=\"rtp\"/>\n  </Connect>\n</Response>\n",
			     ws_base());
		break;
	case B_TEXML_NO_STREAM:
		n = snprintf(doc, sizeof(doc),
			     TEXML_HEAD "  <Say>Thanks for calling, goodbye.</Say>\n  <Pause length=\"1\"/>\n  <Hangup/>\n</Response>\n");
		break;
	case B_TEXML_UNKNOWN_VERB:
		n = snprintf(doc, sizeof(doc),
			     TEXML_HEAD "  <Say>One moment.</Say>\n  <Transfer>+15550100099</Transfer>\n</Response>\n");
		break;
	case B_TEXML_REDIRECT_LOOP:
		n = snprintf(doc, sizeof(doc), TEXML_HEAD "  <Redirect>/texml/again</Redirect>\n</Response>\n");
		break;
	case B_TEXML_DIAL:
		n = snprintf(doc, sizeof(doc),
			     TEXML_HEAD "  <Connect>\n    <Stream url=\"%s/media\" bidirectionalMode=\"rtp\"/>\n"
					"  </Connect>\n  <Say>Transferring you now.</Say>\n"
					"  <Dial><Number>+15550100099</Number></Dial>\n</Response>\n",
			     ws_base());
		break;
	case B_TEXML_START_HANGUP:
		n = snprintf(doc, sizeof(doc),
			     TEXML_HEAD "  <Start>\n    <Stream url=\"%s/media\"/>\n  </Start>\n"
					"  <Pause length=\"3\"/>\n  <Hangup/>\n</Response>\n",
			     ws_base());
		break;
	case B_TEXML_HUGE: {
		size_t len = (1u << 20) + (64u << 10), k = 0;
		char *big = malloc(len + 64);

		if (!big)
			return;
		k += (size_t)sprintf(big, TEXML_HEAD "<Say>");
		memset(big + k, 'a', len - k);
		k = len;
		k += (size_t)sprintf(big + k, "</Say>\n</Response>\n");
		reply(fd, 200, "OK", "application/xml", NULL, big, k);
		free(big);
		return;
	}
	default:
		break;
	}
	reply(fd, 200, "OK", "application/xml", NULL, doc, (size_t)n);
}

static void on_webhook(int fd, const struct req *r)
{
	static const char ok[] = "{}";
	char extra[400];
	json_t *root;
	const char *type, *ccid;

	switch (behave) {
	case B_NO_WEBHOOK_ANSWER:
		hold(fd, HOLD_MS);
		return;
	case B_TRICKLE_WEBHOOK: {
		static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

		for (size_t i = 0; i < sizeof(resp) - 1 && !stopping; i++) {
			if (write_all(fd, resp + i, 1))
				return;
			sleep_ms(1000);
		}
		return;
	}
	case B_REDIRECT_LOOP:
		snprintf(extra, sizeof(extra), "Location: http://127.0.0.1:%d%s\r\n", listen_port, r->path);
		reply(fd, 302, "Found", "text/plain", extra, "", 0);
		return;
	case B_TEXML_NESTED: {
		size_t n = 10000, len = 0;
		char *doc = malloc(n * 7 + 128);

		if (!doc)
			return;
		len += (size_t)sprintf(doc + len, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>\n<Say>");
		for (size_t i = 0; i < n; i++)
			len += (size_t)sprintf(doc + len, "<a>");
		for (size_t i = 0; i < n; i++)
			len += (size_t)sprintf(doc + len, "</a>");
		len += (size_t)sprintf(doc + len, "</Say>\n</Response>\n");
		reply(fd, 200, "OK", "application/xml", NULL, doc, len);
		free(doc);
		return;
	}
	case B_TEXML_CONNECT:
	case B_TEXML_WRONG_URL:
	case B_TEXML_NO_STREAM:
	case B_TEXML_UNKNOWN_VERB:
	case B_TEXML_HUGE:
	case B_TEXML_REDIRECT:
	case B_TEXML_REDIRECT_LOOP:
	case B_TEXML_DIAL:
	case B_TEXML_START_HANGUP:
		on_texml(fd, r);
		return;
	default:
		break;
	}
	reply(fd, 200, "OK", "application/json", NULL, ok, sizeof(ok) - 1);
	if (behave == B_NO_COMMAND)
		return;
	root = json_loads(r->body, 0, NULL);
	type = json_string_value(json_object_get(json_object_get(root, "data"), "event_type"));
	ccid = json_string_value(
		json_object_get(json_object_get(json_object_get(root, "data"), "payload"), "call_control_id"));
	if (type && ccid && !strcmp(type, "call.initiated"))
		send_answer(ccid);
	json_decref(root);
}

/* --- WebSocket ----------------------------------------------------------- */

static int ws_header(int fd, int opcode, uint64_t len)
{
	unsigned char h[10];
	size_t n;

	h[0] = (unsigned char)(0x80 | opcode);
	if (len < 126) {
		h[1] = (unsigned char)len;
		n = 2;
	} else if (len < 65536) {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		n = 4;
	} else {
		h[1] = 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)(len >> (56 - 8 * i));
		n = 10;
	}
	return write_all(fd, h, n);
}

static int ws_text(int fd, const char *s)
{
	size_t n = strlen(s);

	return ws_header(fd, 1, n) || write_all(fd, s, n) ? -1 : 0;
}

struct wsin {
	unsigned char buf[65536];
	size_t n;
	int closed; /* peer sent close or went away */
	int seen_start;
};

/* Read what is there (waiting up to ms) and consume whole client frames;
 * answers a close frame.  Returns -1 once the peer is gone. */
static int ws_poll(int fd, struct wsin *w, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	ssize_t k;

	if (w->closed)
		return -1;
	if (poll(&p, 1, ms) <= 0)
		return 0;
	k = recv(fd, w->buf + w->n, sizeof(w->buf) - w->n, 0);
	if (k <= 0) {
		w->closed = 1;
		return -1;
	}
	w->n += (size_t)k;
	for (;;) {
		uint64_t len;
		size_t hl = 2;

		if (w->n < 2)
			break;
		len = w->buf[1] & 0x7f;
		if (len == 126) {
			if (w->n < 4)
				break;
			len = (uint64_t)w->buf[2] << 8 | w->buf[3];
			hl = 4;
		} else if (len == 127) {
			if (w->n < 10)
				break;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | w->buf[2 + i];
			hl = 10;
		}
		if (w->buf[1] & 0x80)
			hl += 4;
		if (hl + len > sizeof(w->buf)) { /* vstress never sends that much: drop it */
			w->closed = 1;
			return -1;
		}
		if (w->n < hl + len)
			break;
		if ((w->buf[0] & 0x0f) == 1 && (w->buf[1] & 0x80) && len < 4096 && !w->seen_start) {
			/* a text frame: is it `start`, and does it carry what the TeXML said? */
			char txt[4096];

			for (uint64_t i = 0; i < len; i++)
				txt[i] = (char)(w->buf[hl + i] ^ w->buf[hl - 4 + i % 4]);
			txt[len] = '\0';
			if (strstr(txt, "\"event\":\"start\"")) {
				w->seen_start = 1;
				if (behave == B_TEXML_CONNECT && !strstr(txt, "\"custom_parameters\":{\"customer\":\"hostile\"}")) {
					fprintf(stderr, "hostile_agent: start without the <Parameter>: %s\n", txt);
					w->closed = 1; /* the stream fails: the test sees it */
					return -1;
				}
			}
		}
		if ((w->buf[0] & 0x0f) == 8) {
			static const unsigned char close_frame[] = {0x88, 0x02, 0x03, 0xe8};

			write_all(fd, close_frame, sizeof(close_frame));
			w->closed = 1;
			return -1;
		}
		memmove(w->buf, w->buf + hl + len, w->n - (size_t)(hl + len));
		w->n -= (size_t)(hl + len);
	}
	if (w->n == sizeof(w->buf))
		w->n = 0;
	return 0;
}

static int ws_handshake(int fd, const struct req *r)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	unsigned char sha[SHA_DIGEST_LENGTH];
	char cat[160], acc[64], h[300];
	int n;

	snprintf(cat, sizeof(cat), "%s%s", r->ws_key, guid);
	SHA1((const unsigned char *)cat, strlen(cat), sha);
	if (vs_b64_encode(sha, sizeof(sha), acc, sizeof(acc)) < 0)
		return -1;
	n = snprintf(h, sizeof(h),
		     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Accept: %s\r\n\r\n",
		     acc);
	return write_all(fd, h, (size_t)n);
}

/* n ms of a 500 Hz tone as one agent media message. */
static char *tone_msg(int ms)
{
	size_t n = (size_t)ms * 8;
	uint8_t *u = malloc(n);
	char *m;

	if (!u)
		return NULL;
	for (size_t i = 0; i < n; i++)
		u[i] = vs_ulaw_encode((int16_t)lrint(8000 * sin(2 * M_PI * 500 * (double)i / 8000)));
	m = vs_media_out_media(u, n);
	free(u);
	return m;
}

/* Send msgs[] in turn every period_ms (on one clock) until the peer goes
 * or max_ms pass; what the peer sends meanwhile is read and dropped. */
static void send_every(int fd, struct wsin *w, const char *const *msgs, size_t nmsg, int period_ms, int max_ms)
{
	uint64_t t0 = now_ms(), until = t0 + (uint64_t)max_ms;

	for (size_t i = 0; !stopping && now_ms() < until; i++) {
		uint64_t next = t0 + (uint64_t)(i + 1) * (uint64_t)period_ms;

		if (ws_text(fd, msgs[i % nmsg]))
			return;
		for (uint64_t t; (t = now_ms()) < next;)
			if (ws_poll(fd, w, (int)(next - t)) < 0)
				return;
	}
}

static void on_media(int fd, const struct req *r)
{
	static __thread struct wsin w;
	static const char *const bad_json[] = {"{\"event\":\"media\",\"media\":{\"payload\":", "not json at all",
					      "\x01\x02 binary-ish text", "[1,2,"};
	static const char *const bad_b64[] = {"{\"event\":\"media\",\"media\":{\"payload\":\"!!not*base64??\"}}"};
	static const char *const bad_enc[] = {"{\"event\":\"media\",\"media\":{\"payload\":12345}}",
					      "{\"event\":\"media\",\"media\":\"PCMU\"}", "{\"event\":42}",
					      "{\"event\":\"mark\",\"mark\":{\"name\":7}}"};
	char *m;

	memset(&w, 0, sizeof(w));
	if (ws_handshake(fd, r))
		return;
	switch (behave) {
	case B_HUGE_FRAME: {
		static __thread char chunk[65536];
		uint64_t total = 16u << 20;

		memset(chunk, 'a', sizeof(chunk));
		ws_poll(fd, &w, 200);
		if (ws_header(fd, 1, total))
			return;
		for (uint64_t sent = 0; sent < total && !stopping; sent += sizeof(chunk))
			if (write_all(fd, chunk, sizeof(chunk)))
				return;
		break;
	}
	case B_CLOSE_MID_FRAME: {
		static __thread char chunk[100000];

		memset(chunk, 'a', sizeof(chunk));
		ws_poll(fd, &w, 500);
		if (!ws_header(fd, 1, 200000))
			write_all(fd, chunk, sizeof(chunk));
		sleep_ms(300);
		return; /* the caller closes the socket: mid-frame */
	}
	case B_BAD_JSON:
		send_every(fd, &w, bad_json, 4, 100, HOLD_MS);
		break;
	case B_BAD_BASE64:
		send_every(fd, &w, bad_b64, 1, 100, HOLD_MS);
		break;
	case B_BAD_ENCODING:
		send_every(fd, &w, bad_enc, 4, 100, HOLD_MS);
		break;
	case B_FAST_MEDIA:
		if ((m = tone_msg(200)) != NULL) {
			const char *one[] = {m};

			send_every(fd, &w, one, 1, 20, HOLD_MS);
			free(m);
		}
		break;
	case B_MARK_FLOOD: {
		char mk[64];
		uint64_t until = now_ms() + HOLD_MS;

		for (unsigned long i = 0; !stopping && now_ms() < until; i++) {
			snprintf(mk, sizeof(mk), "{\"event\":\"mark\",\"mark\":{\"name\":\"flood-%lu\"}}", i);
			if (ws_text(fd, mk) || ws_poll(fd, &w, 0) < 0)
				return;
		}
		break;
	}
	case B_OK:
	case B_TEXML_CONNECT:
	case B_TEXML_REDIRECT:
	case B_TEXML_START_HANGUP:
	case B_TEXML_DIAL:
		if ((m = tone_msg(600)) != NULL) {
			const char *one[] = {m};

			/* texml_dial: the agent ends the stream itself, then <Dial> runs */
			send_every(fd, &w, one, 1, 2000, behave == B_TEXML_DIAL ? 2500 : HOLD_MS);
			free(m);
		}
		if (behave == B_TEXML_DIAL) {
			static const unsigned char close_frame[] = {0x88, 0x02, 0x03, 0xe8};

			write_all(fd, close_frame, sizeof(close_frame));
			ws_poll(fd, &w, 500);
			return;
		}
		break;
	default: /* silent_media and the webhook behaviours: listen only */
		break;
	}
	while (!stopping && ws_poll(fd, &w, 200) == 0)
		;
}

/* --- connections ----------------------------------------------------------- */

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct req r;

	if (read_req(fd, &r) == 0) {
		if (!strcmp(r.method, "GET") && !strcmp(r.path, "/health"))
			reply(fd, 200, "OK", "application/json", NULL, "{\"status\":\"ok\"}", 15);
		else if (r.upgrade && !strncmp(r.path, "/media", 6))
			on_media(fd, &r);
		else if (!strcmp(r.method, "POST") || (!strcmp(r.method, "GET") && strstr(r.path, "CallSid=")))
			on_webhook(fd, &r);
		else
			reply(fd, 404, "Not Found", "text/plain", NULL, "", 0);
	}
	free(r.body);
	close(fd);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int parse_args(int argc, char **argv, int *port)
{
	call_control = getenv("TELNYX_API_BASE");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		size_t k;

		if (!v) {
			fprintf(stderr, "hostile_agent: %s needs a value\n", a);
			return -1;
		}
		i++;
		if (!strcmp(a, "--port")) {
			*port = atoi(v);
		} else if (!strcmp(a, "--public-url")) {
			public_ws = v;
		} else if (!strcmp(a, "--call-control")) {
			call_control = v;
		} else if (!strcmp(a, "--behave")) {
			for (k = 0; k < sizeof(behave_names) / sizeof(behave_names[0]); k++)
				if (!strcmp(v, behave_names[k]))
					break;
			if (k == sizeof(behave_names) / sizeof(behave_names[0])) {
				fprintf(stderr, "hostile_agent: unknown behaviour %s\n", v);
				return -1;
			}
			behave = (enum behave)k;
		} else {
			fprintf(stderr, "hostile_agent: unknown option %s\n", a);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int port = 0, lfd, one = 1;
	pthread_attr_t attr;

	if (parse_args(argc, argv, &port) != 0)
		return 2;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 64) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl)) {
		fprintf(stderr, "hostile_agent: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
		return 1;
	}
	listen_port = ntohs(sa.sin_port);
	printf("LISTENING %d (%s)\n", listen_port, behave_names[behave]);
	fflush(stdout);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	while (!stopping) {
		struct pollfd p = {lfd, POLLIN, 0};
		pthread_t t;
		int fd;

		if (poll(&p, 1, 200) <= 0)
			continue;
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		if (pthread_create(&t, &attr, conn_main, (void *)(intptr_t)fd) != 0)
			close(fd);
	}
	/* connection threads may still be holding sockets: leave without
	 * waiting for them (a fixture; its memory goes with the process) */
	fflush(stdout);
	_exit(0);
}
