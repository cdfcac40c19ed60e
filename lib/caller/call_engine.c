/* One call's life on its engine loop (call_loop.c): connect and upgrade
 * (ws_conn.c), `connected` + `start`, then one 20 ms PCMU frame per slot on
 * one monotonic clock (frame k is due at t0 + k * 20 ms, t0 the intended
 * start instant), marks answered, clear honoured, the agent heard through
 * call_ear (call_rx.c); the public API of include/vstress/caller/call.h. */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "call_int.h"
#include "vstress/telnyx/media_msg.h"
#include "vstress/telnyx/telnyx_event.h"

#define CONNECT_TIMEOUT_NS (10 * 1000000000ull) /* connect + TLS + upgrade */
#define CLOSE_TIMEOUT_NS (2 * 1000000000ull)    /* our close frame -> the socket closed */
#define GRID_NS 1000000ull                      /* starts are put on a 1 ms grid ... */
#define PHASES 20                               /* ... in the least used of the next 20 slots */

static void stream_info(const struct vs_call *c, struct vs_stream_info *si)
{
	memset(si, 0, sizeof(*si));
	si->stream_id = c->stream_id;
	si->user_id = c->call_session_id;
	si->call_control_id = c->call_control_id;
	si->call_session_id = c->call_session_id;
	si->from = c->from;
	si->to = c->to;
	si->client_state = c->client_state;
	si->custom_parameters_json = c->custom_params;
}

/* --- the end ------------------------------------------------------------- */

static void signal_done(struct vs_call *c)
{
	pthread_mutex_lock(&c->e->mu);
	c->done = 1;
	pthread_cond_broadcast(&c->e->cv);
	pthread_mutex_unlock(&c->e->mu);
}

static void unlink_active(struct vs_call *c)
{
	for (struct vs_call **pp = &c->loop->active; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->next = NULL;
}

static void finalize(struct vs_call *c)
{
	uint64_t now = call_now_ns();
	struct call_loop *l = c->loop;

	if (c->state == CALL_DONE)
		return;
	call_loop_unschedule(c);
	call_loop_unwatch(c);
	ws_conn_free(&c->ws);
	c->state = CALL_DONE;
	if (c->t0) {
		l->phase_load[(c->t0 / GRID_NS) % PHASES]--;
		call_ear_advance(&c->ear, call_listen_idx(c, now));
		c->res.duration_ms = now > c->t0 ? (double)(now - c->t0) / 1e6 : 0;
	}
	if (c->nlog && c->log[c->nlog - 1].end < (int64_t)c->frame * CALL_FRAME)
		c->log[c->nlog - 1].end = (int64_t)c->frame * CALL_FRAME;
	if (c->res.hangup_by == VS_HANGUP_NONE)
		c->res.hangup_by = c->sent_start ? VS_HANGUP_AGENT : VS_HANGUP_ERROR;
	if (call_result_compute(c) != 0 && !c->res.error[0])
		snprintf(c->res.error, sizeof(c->res.error), "out of memory computing results");
	c->res.ok = c->res.error[0] == '\0' && c->res.hangup_by != VS_HANGUP_ERROR;
	unlink_active(c);
	pthread_mutex_lock(&l->stat_mu);
	l->frames_received += c->res.frames_received;
	l->calls_done++;
	pthread_mutex_unlock(&l->stat_mu);
	if (c->on_end) /* before done: its owner frees c (and what arg points to) only after done */
		c->on_end(c->on_end_arg);
	signal_done(c); /* c may be freed by its owner from here on */
}

static void fail_call(struct vs_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_call(struct vs_call *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!c->res.error[0])
		vsnprintf(c->res.error, sizeof(c->res.error), fmt, ap);
	va_end(ap);
	if (!c->sent_start)
		c->res.hangup_by = VS_HANGUP_ERROR;
	finalize(c);
}

static void call_kill(struct vs_call *c, const char *why)
{
	fail_call(c, "%s%s", why, "");
}

/* The socket is over: say why, from what the connection saw. */
static void conn_ended(struct vs_call *c)
{
	struct ws_conn *w = &c->ws;

	if (w->err[0] && (!strncmp(w->err, "frame of ", 9) || !strncmp(w->err, "fragmented message", 18))) {
		snprintf(c->res.frame_error, sizeof(c->res.frame_error), "%s", w->err);
		snprintf(c->res.error, sizeof(c->res.error), "%s", w->err);
	} else if (w->in_frame && w->eof && !c->res.frame_error[0] && c->state == CALL_STREAMING) {
		snprintf(c->res.frame_error, sizeof(c->res.frame_error),
			 "the agent closed the connection mid-frame (%llu of the frame's %llu bytes delivered)",
			 (unsigned long long)w->frame_got, (unsigned long long)w->frame_size);
	}
	if (c->state == CALL_CONNECTING) {
		fail_call(c, "connect to %s: %s", c->url, w->err[0] ? w->err : "the connection closed during the upgrade");
		return;
	}
	if (w->err[0] && !c->res.error[0] && !c->hangup_sent)
		snprintf(c->res.error, sizeof(c->res.error), "media socket: %s", w->err);
	if (c->res.hangup_by == VS_HANGUP_NONE && !c->sent_start && !c->res.error[0]) {
		snprintf(c->res.error, sizeof(c->res.error), "connection to %s closed before start", c->url);
		c->res.hangup_by = VS_HANGUP_ERROR;
	}
	finalize(c);
}

static void begin_hangup(struct vs_call *c)
{
	struct vs_stream_info si;

	if (c->hangup_sent)
		return;
	c->hangup_sent = 1;
	c->res.hangup_by = VS_HANGUP_CALLER;
	if (c->state != CALL_STREAMING) {
		finalize(c);
		return;
	}
	c->state = CALL_CLOSING;
	if (c->sent_start) {
		stream_info(c, &si);
		call_send_text(c, vs_media_stop(&si, ++c->seq));
	}
	ws_conn_close(&c->ws, 1000);
	call_loop_watch(c);
	call_loop_schedule(c, call_now_ns() + CLOSE_TIMEOUT_NS);
}

static void call_on_abort(struct vs_call *c, int req)
{
	if (c->state == CALL_DONE || c->hangup_sent)
		return;
	if (c->state != CALL_STREAMING) {
		fail_call(c, "%s%s", req == 2 ? "hung up before the stream started" : "aborted", "");
		return;
	}
	begin_hangup(c);
	if (req == 2) /* the far end hung up: a normal end, measured as such */
		c->res.hangup_by = VS_HANGUP_AGENT;
	else if (!c->res.error[0])
		snprintf(c->res.error, sizeof(c->res.error), "aborted");
}

/* --- streaming ------------------------------------------------------------ */

static void on_open(void *user)
{
	struct vs_call *c = user;
	struct call_loop *l = c->loop;
	uint64_t now = call_now_ns(), g = (now + GRID_NS - 1) / GRID_NS, best = g;

	c->state = CALL_STREAMING;
	c->res.connect_ms = (double)(now - c->connect_ns) / 1e6;
	call_send_text(c, vs_media_connected());
	/* start on the least used 1 ms slot of the 20 ms frame period: calls
	 * that share a slot share a wake-up, and slots spread the work */
	for (uint64_t k = g; k < g + PHASES; k++)
		if (l->phase_load[k % PHASES] < l->phase_load[best % PHASES])
			best = k;
	l->phase_load[best % PHASES]++;
	c->t0 = best * GRID_NS;
	call_loop_schedule(c, c->t0);
}

static void on_message(void *user, int op, const char *data, size_t len)
{
	(void)op;
	call_message(user, data, len);
}

static const struct ws_conn_cb conn_cb = {.on_open = on_open, .on_message = on_message};

static int send_frame(struct vs_call *c, uint64_t frame, uint64_t due, const uint8_t fr[CALL_FRAME])
{
	struct call_loop *l = c->loop;
	uint64_t now = call_now_ns();
	double late_ms = now > due ? (double)(now - due) / 1e6 : 0;

	if (call_send_media(c, frame, fr) != 0) {
		snprintf(c->res.error, sizeof(c->res.error), "write failed%s%s", c->ws.err[0] ? ": " : "", c->ws.err);
		return -1;
	}
	c->res.frames_sent++;
	if (late_ms > c->res.max_late_ms)
		c->res.max_late_ms = late_ms;
	if (late_ms > c->s->m.late_ms)
		c->res.late_frames++;
	pthread_mutex_lock(&l->stat_mu);
	call_lat_record(&l->lat, now > due ? (int64_t)(now - due) : 0);
	l->frames_sent++;
	if (late_ms > c->s->m.late_ms)
		l->late_frames++;
	pthread_mutex_unlock(&l->stat_mu);
	return 0;
}

/* The messy caller's writes: it builds its own `media` messages (with the
 * noise and backchannel mixed in) and may hold, repeat or drop them. */
static int messy_send(struct vs_call *c, const char *msg)
{
	char *m = strdup(msg);
	return m ? call_send_text(c, m) : -1;
}

/* One frame through call_messy_frame: counted as sent by the caller (the
 * impairment's own figures say what reached the wire), lateness from its
 * slot as for every frame. */
static int messy_frame(struct vs_call *c, uint64_t due, uint8_t fr[CALL_FRAME])
{
	uint64_t now = call_now_ns();
	double late_ms = now > due ? (double)(now - due) / 1e6 : 0;
	if (call_messy_frame(c, fr, due, messy_send) != 0) {
		snprintf(c->res.error, sizeof(c->res.error), "write failed%s%s", c->ws.err[0] ? ": " : "", c->ws.err);
		return -1;
	}
	c->res.frames_sent++;
	if (late_ms > c->res.max_late_ms)
		c->res.max_late_ms = late_ms;
	if (late_ms > c->s->m.late_ms)
		c->res.late_frames++;
	return 0;
}

/* Every frame that is due: made, passed through the send hook, sent. */
static void stream_tick(struct vs_call *c, uint64_t now)
{
	if (!c->sent_start) {
		struct vs_stream_info si;

		stream_info(c, &si);
		if (call_send_text(c, vs_media_start(&si, ++c->seq)) != 0) {
			fail_call(c, "write failed%s%s", c->ws.err[0] ? ": " : "", c->ws.err);
			return;
		}
		c->sent_start = 1;
	}
	for (;;) {
		uint64_t due, hold = 0;
		uint8_t fr[CALL_FRAME];
		enum call_send_action a = CALL_SEND_NOW;

		if (call_messy_pump(c, now, messy_send) == 0) {
			snprintf(c->res.error, sizeof(c->res.error), "write failed%s%s", c->ws.err[0] ? ": " : "", c->ws.err);
			goto dead;
		}
		if (c->held) {
			if (now < c->held_until) {
				call_loop_schedule(c, c->held_until);
				return;
			}
			c->held = 0;
			if (send_frame(c, c->held_frame, c->held_due, c->held_fr) != 0)
				goto dead;
		}
		due = c->t0 + c->frame * CALL_FRAME_NS;
		if (due > now)
			break;
		call_ear_advance(&c->ear, call_listen_idx(c, now));
		call_flush_marks(c);
		if (now - c->t0 >= (uint64_t)c->s->m.max_call_ms * 1000000ull) {
			c->res.timed_out = 1;
			begin_hangup(c);
			return;
		}
		if (call_next_frame(c, fr)) {
			begin_hangup(c);
			return;
		}
		if (c->s->noise_bed || c->s->bc_pcm || vs_impair_active(&c->s->impair)) {
			/* the messy caller (call_messy.c): noise, a backchannel and
			 * the script's [network] between the script and the socket */
			if (messy_frame(c, due, fr) != 0)
				goto dead;
			c->frame++;
			now = call_now_ns();
			continue;
		}
		if (c->send_hook.fn)
			a = c->send_hook.fn(c->send_hook.arg, c->frame, due, fr, &hold);
		if (a == CALL_SEND_HOLD && hold) {
			c->held = 1;
			c->held_frame = c->frame;
			c->held_due = due;
			c->held_until = now + hold;
			memcpy(c->held_fr, fr, CALL_FRAME);
		} else if (a != CALL_SEND_DROP && send_frame(c, c->frame, due, fr) != 0) {
			goto dead;
		}
		c->frame++;
		now = call_now_ns();
	}
	call_loop_watch(c);
	uint64_t next = c->t0 + c->frame * CALL_FRAME_NS, held = call_messy_next_ns(c);
	call_loop_schedule(c, held < next ? held : next);
	return;
dead:
	finalize(c);
}

static void call_on_timer(struct vs_call *c, uint64_t now)
{
	switch (c->state) {
	case CALL_CONNECTING:
		fail_call(c, "connect to %s: %s", c->url, "no WebSocket upgrade within 10 s");
		break;
	case CALL_STREAMING:
		stream_tick(c, now);
		break;
	case CALL_CLOSING: /* the agent did not close after our close frame: */
	default:           /* what it sent before is still heard (a late loop) */
		if (c->ws.fd >= 0)
			ws_conn_io(&c->ws, EPOLLIN, c->loop->scratch, sizeof(c->loop->scratch));
		finalize(c);
		break;
	}
}

static void call_on_io(struct vs_call *c, uint32_t events)
{
	enum call_state was = c->state;

	if (c->state == CALL_DONE)
		return;
	if (ws_conn_io(&c->ws, events, c->loop->scratch, sizeof(c->loop->scratch)) != 0) {
		conn_ended(c);
		return;
	}
	if (c->state == CALL_DONE)
		return;
	if (call_loop_watch(c) != 0) {
		fail_call(c, "epoll: %s%s", strerror(errno), "");
		return;
	}
	/* fresh audio may have moved the script on (wait_reply): nothing to do
	 * until the next slot, the timer is already armed for it */
	(void)was;
}

static void call_begin(struct vs_call *c)
{
	char hdr[600];
	int req;

	pthread_mutex_lock(&c->loop->mu);
	req = c->abort_req;
	pthread_mutex_unlock(&c->loop->mu);
	c->connect_ns = call_now_ns();
	c->state = CALL_CONNECTING;
	if (req) {
		fail_call(c, "%s%s", "aborted before connecting", "");
		return;
	}
	if (c->resolve_err[0]) {
		fail_call(c, "connect to %s: %s", c->url, c->resolve_err);
		return;
	}
	if (c->auth_token)
		snprintf(hdr, sizeof(hdr), "x-telnyx-streaming-auth-token: %s", c->auth_token);
	c->ws.cb = &conn_cb;
	c->ws.user = c;
	c->ws.max_msg = VS_CALL_MAX_FRAME;
	c->loop->rng = c->loop->rng * 6364136223846793005ull + 1442695040888963407ull;
	if (ws_conn_start(&c->ws, (const struct sockaddr *)&c->addr, c->alen, c->host, c->port, c->path,
			  c->auth_token ? hdr : NULL, c->tls ? c->e->ssl : NULL, c->loop->rng) != 0 ||
	    call_loop_watch(c) != 0) {
		fail_call(c, "connect to %s: %s", c->url, c->ws.err[0] ? c->ws.err : strerror(errno));
		return;
	}
	call_loop_schedule(c, c->connect_ns + CONNECT_TIMEOUT_NS);
}

/* --- the API ---------------------------------------------------------------- */

static const struct call_loop_ops call_ops = {
	.begin = call_begin,
	.on_io = call_on_io,
	.on_timer = call_on_timer,
	.on_abort = call_on_abort,
	.kill = call_kill,
};

int vs_call_engine_new(struct vs_call_engine **out, const struct vs_call_engine_opts *o, char *err, size_t errlen)
{
	return call_engine_create(out, o, &call_ops, err, errlen);
}

static int parse_url(struct vs_call *c, const char *url)
{
	const char *p, *hs, *he, *slash;
	char port[8];

	if (strncmp(url, "ws://", 5) == 0) {
		p = url + 5;
		c->tls = 0;
		c->port = 80;
	} else if (strncmp(url, "wss://", 6) == 0) {
		p = url + 6;
		c->tls = 1;
		c->port = 443;
	} else {
		return -1;
	}
	slash = strchr(p, '/');
	if (!slash)
		slash = p + strlen(p);
	hs = p;
	if (*p == '[') {
		he = memchr(p, ']', (size_t)(slash - p));
		if (!he)
			return -1;
		hs = p + 1;
		p = he + 1;
	} else {
		he = memchr(p, ':', (size_t)(slash - p));
		if (!he)
			he = slash;
		p = he;
	}
	if (he == hs)
		return -1;
	if (*p == ':') {
		size_t n = (size_t)(slash - p - 1);
		char *end = NULL;
		long v;

		if (n == 0 || n >= sizeof(port))
			return -1;
		memcpy(port, p + 1, n);
		port[n] = '\0';
		v = strtol(port, &end, 10);
		if (*end || v <= 0 || v > 65535)
			return -1;
		c->port = (int)v;
	}
	c->host = strndup(hs, (size_t)(he - hs));
	c->path = strdup(*slash ? slash : "/");
	return c->host && c->path ? 0 : -1;
}

/* The host's address, looked up here (the caller's thread) so the loop
 * never blocks on DNS; a failure is the call's error, reported by the loop. */
static void resolve(struct vs_call *c)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%d", c->port);
	rc = getaddrinfo(c->host, port, &hints, &ai);
	if (rc != 0 || !ai) {
		snprintf(c->resolve_err, sizeof(c->resolve_err), "cannot resolve %s: %s", c->host,
			 rc ? gai_strerror(rc) : "no address");
		return;
	}
	memcpy(&c->addr, ai->ai_addr, ai->ai_addrlen);
	c->alen = ai->ai_addrlen;
	freeaddrinfo(ai);
}

static char *dup_or_gen(const char *v, const char *fallback)
{
	return strdup(v ? v : fallback);
}

int vs_call_start(struct vs_call_engine *e, const struct vs_call_script *s, const struct vs_call_params *p,
		  struct vs_call **out)
{
	struct vs_call *c = NULL;
	char sid[37], ccid[80], csid[37];
	int rc = -1;

	*out = NULL;
	if (!e || !s || !p || !p->stream_url)
		goto out;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto out;
	c->e = e;
	c->s = s;
	c->log = calloc(s->nsteps + 1, sizeof(*c->log));
	if (!c->log || call_ear_init(&c->ear, &s->m) != 0)
		goto out;
	if (p->keep_heard_ms > 0 && call_ear_keep(&c->ear, (size_t)p->keep_heard_ms * CALL_RATE / 1000) != 0)
		goto out;
	if (!(c->url = strdup(p->stream_url)) || parse_url(c, p->stream_url) != 0)
		goto out;
	vs_uuid4(sid, NULL);
	vs_uuid4(csid, NULL);
	snprintf(ccid, sizeof(ccid), "v3:%s", sid);
	c->stream_id = dup_or_gen(p->stream_id, sid);
	c->call_control_id = dup_or_gen(p->call_control_id, ccid);
	c->call_session_id = dup_or_gen(p->call_session_id, csid);
	c->from = dup_or_gen(p->from, "+13125550100");
	c->to = dup_or_gen(p->to, "+13125550199");
	c->client_state = p->client_state ? strdup(p->client_state) : NULL;
	c->auth_token = p->auth_token ? strdup(p->auth_token) : NULL;
	c->custom_params = p->custom_parameters_json ? strdup(p->custom_parameters_json) : NULL;
	c->on_end = p->on_end;
	c->on_end_arg = p->on_end_arg;
	if (!c->stream_id || !c->call_control_id || !c->call_session_id || !c->from || !c->to)
		goto out;
	snprintf(c->res.stream_id, sizeof(c->res.stream_id), "%s", c->stream_id);
	snprintf(c->res.script, sizeof(c->res.script), "%s", s->name ? s->name : "");
	c->res.first_reply_ms = -1;
	c->ws.fd = -1;
	call_send_init(c);
	if (call_impair_attach(c) != 0)
		goto out;
	resolve(c);
	call_loop_submit(e, c);
	*out = c;
	c = NULL;
	rc = 0;
out:
	if (c) {
		c->done = 1;
		vs_call_free(c);
	}
	return rc;
}

int vs_call_wait(struct vs_call *c, int timeout_ms)
{
	struct timespec dl;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	if (timeout_ms >= 0) {
		dl.tv_sec += timeout_ms / 1000;
		dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&c->e->mu);
	while (!c->done && rc == 0)
		rc = timeout_ms < 0 ? pthread_cond_wait(&c->e->cv, &c->e->mu)
				    : pthread_cond_timedwait(&c->e->cv, &c->e->mu, &dl);
	rc = c->done ? 0 : -1;
	pthread_mutex_unlock(&c->e->mu);
	return rc;
}

int vs_call_done(struct vs_call *c)
{
	int d;

	pthread_mutex_lock(&c->e->mu);
	d = c->done;
	pthread_mutex_unlock(&c->e->mu);
	return d;
}

const struct vs_call_result *vs_call_get_result(const struct vs_call *c)
{
	return &c->res;
}

int vs_call_hangup(struct vs_call *c, int timeout_ms)
{
	if (vs_call_done(c))
		return 0;
	call_loop_request_abort(c, 2);
	return vs_call_wait(c, timeout_ms);
}

void vs_call_free(struct vs_call *c)
{
	if (!c)
		return;
	if (c->loop) {
		if (!vs_call_done(c)) {
			call_loop_request_abort(c, 1);
			vs_call_wait(c, -1);
		}
		call_loop_release(c);
	}
	if (c->send_hook.free)
		c->send_hook.free(c->send_hook.arg);
	ws_conn_free(&c->ws);
	free(c->log);
	call_ear_free(&c->ear);
	vs_call_result_clear(&c->res);
	free(c->url);
	free(c->host);
	free(c->path);
	free(c->auth_token);
	free(c->stream_id);
	free(c->call_control_id);
	free(c->call_session_id);
	free(c->from);
	free(c->to);
	free(c->client_state);
	free(c->custom_params);
	free(c);
}
