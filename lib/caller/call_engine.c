/* The caller engine: many calls on one libwebsockets context and one
 * service thread.  Each call connects to a stream_url as Telnyx would, sends
 * connected + start, then one 20 ms PCMU frame per slot on one monotonic
 * clock (frame k is due at t0 + k * 20 ms), answers marks, honours clear
 * and listens to the agent through call_ear. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "call_int.h"
#include "vstress/telnyx/media_msg.h"
#include "vstress/telnyx/telnyx_event.h"
#include "vstress/audio/ulaw.h"

#define DTMF_FRAMES 10 /* 200 ms per digit */

struct vs_call_engine {
	struct lws_context *ctx;
	pthread_t thr, ticker;
	int thr_started, ticker_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	struct vs_call *pending; /* under mu: to connect */
	struct vs_call *active;  /* service thread only */
	int tls_insecure;
	unsigned abort_gen;      /* under mu: bumped by each abort request */
	unsigned abort_seen;     /* service thread */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int64_t listen_idx(const struct vs_call *c, uint64_t t)
{
	if (!c->t0 || t < c->t0)
		return 0;
	return (int64_t)((t - c->t0) * CALL_RATE / 1000000000ull);
}

/* --- control messages ------------------------------------------------- */

static int ctl_push(struct vs_call *c, char *msg)
{
	if (!msg)
		return -1;
	if (c->nctl == c->capctl) {
		size_t ncap = c->capctl ? c->capctl * 2 : 8;
		char **n = realloc(c->ctl, ncap * sizeof(*n));

		if (!n) {
			free(msg);
			return -1;
		}
		c->ctl = n;
		c->capctl = ncap;
	}
	c->ctl[c->nctl++] = msg;
	if (c->wsi)
		lws_callback_on_writable(c->wsi);
	return 0;
}

static char *ctl_pop(struct vs_call *c)
{
	char *m;

	if (!c->nctl)
		return NULL;
	m = c->ctl[0];
	memmove(c->ctl, c->ctl + 1, (c->nctl - 1) * sizeof(*c->ctl));
	c->nctl--;
	return m;
}

static int send_text(struct vs_call *c, const char *msg)
{
	size_t len = strlen(msg);

	if (LWS_PRE + len > c->txcap) {
		unsigned char *n = realloc(c->tx, LWS_PRE + len + 1);

		if (!n)
			return -1;
		c->tx = n;
		c->txcap = LWS_PRE + len + 1;
	}
	memcpy(c->tx + LWS_PRE, msg, len);
	return lws_write(c->wsi, c->tx + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len ? -1 : 0;
}

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

static void begin_hangup(struct vs_call *c)
{
	struct vs_stream_info si;

	if (c->hangup_sent)
		return;
	c->hangup_sent = 1;
	c->res.hangup_by = VS_HANGUP_CALLER;
	c->state = CALL_CLOSING;
	if (c->sent_start) {
		stream_info(c, &si);
		ctl_push(c, vs_media_stop(&si, ++c->seq));
	}
	if (c->wsi)
		lws_callback_on_writable(c->wsi);
}

static void flush_marks(struct vs_call *c)
{
	char *name;

	while ((name = call_ear_due_mark(&c->ear))) {
		if (ctl_push(c, vs_media_mark(c->stream_id, ++c->seq, name)) == 0)
			c->res.marks_echoed++;
		free(name);
	}
}

/* --- the script cursor ---------------------------------------------------- */

static void log_step_start(struct vs_call *c, int64_t at)
{
	struct call_step_log *l = &c->log[c->nlog++];

	memset(l, 0, sizeof(*l));
	l->step = (int)c->step;
	l->kind = c->s->steps[c->step].kind;
	l->start = at;
	l->end = at;
	l->speech_end = -1;
	l->barge_at = -1;
	c->step_start = at;
	c->clip_pos = 0;
	c->phase = 0;
	c->phase_at = at;
	c->dtmf_i = 0;
}

static void step_done(struct vs_call *c, int64_t at)
{
	c->log[c->nlog - 1].end = at;
	c->step++;
}

/* Frame `c->frame`: fill out[160].  Returns 1 when the caller hangs up. */
static int next_frame(struct vs_call *c, uint8_t out[CALL_FRAME])
{
	const struct vs_call_script *s = c->s;
	int64_t at = (int64_t)c->frame * CALL_FRAME;
	int64_t heard = c->ear.pos; /* how far the ear has played */

	memset(out, 0xFF, CALL_FRAME);
	for (;;) {
		const struct vs_call_step *st;
		struct call_step_log *l;

		if (c->step >= s->nsteps)
			return 1;
		if (c->nlog == c->step)
			log_step_start(c, at);
		st = &s->steps[c->step];
		l = &c->log[c->nlog - 1];
		switch (st->kind) {
		case VS_STEP_SAY:
		case VS_STEP_WAV:
		case VS_STEP_TONE:
		case VS_STEP_SILENCE:
		case VS_STEP_NOISE:
			if (c->clip_pos == 0 && st->speech_end >= 0)
				l->speech_end = at + st->speech_end;
			memcpy(out, st->ulaw + c->clip_pos, CALL_FRAME);
			c->clip_pos += CALL_FRAME;
			if (c->clip_pos >= st->n)
				step_done(c, at + CALL_FRAME);
			return 0;
		case VS_STEP_DTMF:
			if (c->phase == 0) {
				char d[2] = {st->arg[c->dtmf_i], '\0'};
				char when[32];

				vs_iso8601_now(when);
				ctl_push(c, vs_media_dtmf(c->stream_id, ++c->seq, d, when));
				c->res.dtmf_sent++;
				l->speech_end = at;
			}
			if (++c->phase >= DTMF_FRAMES) {
				c->phase = 0;
				if (st->arg[++c->dtmf_i] == '\0')
					step_done(c, at + CALL_FRAME);
			}
			return 0;
		case VS_STEP_WAIT_REPLY: {
			int64_t timeout = (int64_t)st->duration_ms * CALL_RATE / 1000;
			int64_t turn_end = (int64_t)s->m.turn_end_ms * CALL_RATE / 1000;

			if (c->phase == 0) {
				if (c->ear.speaking || c->ear.last_on >= c->step_start - CALL_FRAME)
					c->phase = 1;
				else if (at - c->step_start >= timeout) {
					step_done(c, at);
					continue;
				}
			}
			if (c->phase == 1 && !c->ear.speaking && c->ear.last_off >= 0 &&
			    heard - c->ear.last_off >= turn_end) {
				step_done(c, at);
				continue;
			}
			return 0;
		}
		case VS_STEP_BARGE_IN: {
			int64_t timeout = (int64_t)st->duration_ms * CALL_RATE / 1000;
			int64_t after = (int64_t)st->after_ms * CALL_RATE / 1000;

			if (c->phase == 0) {
				if (c->ear.speaking) {
					c->phase = 1;
					c->phase_at = c->ear.last_on;
				} else if (at - c->step_start >= timeout) {
					step_done(c, at);
					continue;
				} else {
					return 0;
				}
			}
			if (c->phase == 1) {
				if (at < c->phase_at + after)
					return 0;
				c->phase = 2;
				c->clip_pos = 0;
				/* the barge-in starts with the frame that carries the caller's
				 * first audible sample (the agent gets it at that frame's slot) */
				l->barge_at = at + (st->speech_start > 0 ? st->speech_start / CALL_FRAME * CALL_FRAME : 0);
				if (st->speech_end >= 0)
					l->speech_end = at + st->speech_end;
			}
			memcpy(out, st->ulaw + c->clip_pos, CALL_FRAME);
			c->clip_pos += CALL_FRAME;
			if (c->clip_pos >= st->n)
				step_done(c, at + CALL_FRAME);
			return 0;
		}
		case VS_STEP_HANGUP:
			step_done(c, at);
			return 1;
		}
	}
}

/* --- writeable ------------------------------------------------------------ */

static void call_sul_cb(lws_sorted_usec_list_t *sul)
{
	struct vs_call *c = lws_container_of(sul, struct vs_call, sul);

	if (c->wsi)
		lws_callback_on_writable(c->wsi);
}

static void schedule(struct vs_call *c, uint64_t now)
{
	uint64_t due = c->t0 + c->frame * CALL_FRAME_NS;
	uint64_t held = call_messy_next_ns(c);

	if (held < due) /* messy-caller hook: wake for a held (impaired) frame */
		due = held;
	if (c->nctl || now >= due) {
		lws_callback_on_writable(c->wsi);
		return;
	}
	lws_sul_schedule(c->e->ctx, 0, &c->sul, call_sul_cb, (lws_usec_t)((due - now) / 1000));
}

/* One write per callback.  Returns -1 to close the connection. */
static int call_writeable(struct vs_call *c)
{
	uint64_t now = now_ns();
	char *msg;
	int rc;

	pthread_mutex_lock(&c->e->mu);
	rc = c->abort_req;
	pthread_mutex_unlock(&c->e->mu);
	if (rc && !c->hangup_sent) {
		begin_hangup(c);
		if (rc == 2) /* the far end hung up: a normal end, measured as such */
			c->res.hangup_by = VS_HANGUP_AGENT;
		else
			snprintf(c->res.error, sizeof(c->res.error), "aborted");
	}
	if (c->nctl) {
		msg = ctl_pop(c);
		rc = send_text(c, msg);
		if (msg && strstr(msg, "\"event\":\"start\"")) {
			c->sent_start = 1;
			c->t0 = now_ns();
		}
		free(msg);
		if (rc != 0)
			return -1;
		if (c->hangup_sent && !c->nctl) {
			lws_close_reason(c->wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
			return -1;
		}
		schedule(c, now_ns());
		return 0;
	}
	if (c->hangup_sent || !c->t0)
		return 0;
	if (now < c->t0 + c->frame * CALL_FRAME_NS && !call_messy_pump(c, now, send_text))
		return -1; /* messy-caller hook: a held (impaired) frame due between slots */
	else if (now >= c->t0 + c->frame * CALL_FRAME_NS) {
		uint64_t due = c->t0 + c->frame * CALL_FRAME_NS;
		double late_ms = (double)(now - due) / 1e6;
		uint8_t fr[CALL_FRAME];

		call_ear_advance(&c->ear, listen_idx(c, now));
		flush_marks(c);
		if (now - c->t0 >= (uint64_t)c->s->m.max_call_ms * 1000000ull) {
			c->res.timed_out = 1;
			begin_hangup(c);
			return 0;
		}
		if (next_frame(c, fr)) {
			begin_hangup(c);
			return 0;
		}
		/* messy-caller hook: noise, backchannel, impairment (call_messy.c) */
		if (call_messy_frame(c, fr, due, send_text) != 0) {
			snprintf(c->res.error, sizeof(c->res.error), "write failed");
			return -1;
		}
		c->res.frames_sent++;
		if (late_ms > c->res.max_late_ms)
			c->res.max_late_ms = late_ms;
		if (late_ms > c->s->m.late_ms)
			c->res.late_frames++;
		c->frame++;
	}
	schedule(c, now_ns());
	return 0;
}

/* --- receiving --------------------------------------------------------------- */

/* The first bad message: the parser's reason and a quoted, printable excerpt. */
static void note_bad(struct vs_call *c, const char *why, const char *text, size_t len)
{
	char q[64];
	size_t j = 0;

	if (!strncmp(why, "not JSON", 8))
		c->res.bad_json++;
	else if (strstr(why, "base64"))
		c->res.bad_base64++;
	else
		c->res.bad_fields++;
	if (c->res.first_bad[0])
		return;
	for (size_t i = 0; i < len && j + 5 < sizeof(q); i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch >= 0x20 && ch < 0x7f)
			q[j++] = (char)ch;
		else
			j += (size_t)snprintf(q + j, sizeof(q) - j, "\\x%02x", ch);
	}
	q[j] = '\0';
	snprintf(c->res.first_bad, sizeof(c->res.first_bad), "%.100s (message: '%s%s')", why, q, j < len ? "..." : "");
}

/* Agent audio: played on arrival or queued behind what plays, at most
 * VS_CALL_MAX_AHEAD_MS ahead (beyond that it is faster than real time:
 * dropped and reported). */
static void on_agent_media(struct vs_call *c, const struct vs_media_msg *m, uint64_t now)
{
	const size_t max_ahead = (size_t)VS_CALL_MAX_AHEAD_MS * CALL_RATE / 1000;
	int16_t *pcm;

	c->res.frames_received++;
	c->res.samples_received += m->payload_len;
	if (!c->first_media_ns)
		c->first_media_ns = now;
	c->last_media_ns = now;
	c->res.agent_audio_ms = (double)c->res.samples_received * 1000.0 / CALL_RATE;
	c->res.agent_wall_ms = (double)(c->last_media_ns - c->first_media_ns) / 1e6;
	if (!c->t0 || !m->payload_len)
		return;
	/* play out what is due before queueing, so the queue anchors at now */
	call_ear_advance(&c->ear, listen_idx(c, now));
	if (c->ear.qlen && c->ear.qlen + m->payload_len > max_ahead) {
		c->res.audio_dropped_ms += (double)m->payload_len * 1000.0 / CALL_RATE;
		return;
	}
	pcm = malloc(m->payload_len * sizeof(*pcm));
	if (!pcm)
		return;
	vs_ulaw_decode_buf(m->payload, m->payload_len, pcm);
	call_ear_push(&c->ear, listen_idx(c, now), pcm, m->payload_len);
	free(pcm);
	if ((double)c->ear.qlen * 1000.0 / CALL_RATE > c->res.ahead_max_ms)
		c->res.ahead_max_ms = (double)c->ear.qlen * 1000.0 / CALL_RATE;
}

/* Marks: at most VS_CALL_MARK_BURST at once and VS_CALL_MARK_RATE a second. */
static int mark_allowed(struct vs_call *c, uint64_t now)
{
	if (!c->mark_ns) {
		c->mark_tokens = VS_CALL_MARK_BURST;
	} else {
		c->mark_tokens += (double)(now - c->mark_ns) / 1e9 * VS_CALL_MARK_RATE;
		if (c->mark_tokens > VS_CALL_MARK_BURST)
			c->mark_tokens = VS_CALL_MARK_BURST;
	}
	c->mark_ns = now;
	if (c->mark_tokens < 1.0)
		return 0;
	c->mark_tokens -= 1.0;
	return 1;
}

static void call_message(struct vs_call *c, const char *text, size_t len)
{
	struct vs_media_msg m;
	char err[128];
	uint64_t now = now_ns();

	c->res.msgs_received++;
	if (vs_media_parse(text, len, VS_CALL_MAX_FRAME, &m, err, sizeof(err)) != 0) {
		c->res.bad_messages++;
		note_bad(c, err, text, len);
		goto out;
	}
	switch (m.event) {
	case VS_MEV_MEDIA:
		on_agent_media(c, &m, now);
		break;
	case VS_MEV_MARK:
		c->res.marks_received++;
		if (!mark_allowed(c, now)) {
			c->res.marks_dropped++;
			break;
		}
		call_ear_mark(&c->ear, m.mark_name);
		flush_marks(c);
		break;
	case VS_MEV_CLEAR:
		c->res.clears_received++;
		call_ear_advance(&c->ear, listen_idx(c, now));
		call_ear_clear(&c->ear, listen_idx(c, now));
		flush_marks(c);
		break;
	default:
		break;
	}
out:
	vs_media_msg_free(&m);
}

/* One chunk of an agent frame.  A frame over VS_CALL_MAX_FRAME is refused
 * on its first chunk (from its declared length), before it is buffered. */
static int call_rx(struct vs_call *c, struct lws *wsi, const void *in, size_t len)
{
	size_t left = lws_remaining_packet_payload(wsi);

	if (!c->in_frame) {
		c->frame_size = len + left;
		c->frame_got = 0;
	}
	c->frame_got += len;
	c->in_frame = left > 0;
	if (c->frame_size > VS_CALL_MAX_FRAME || c->rxlen + len > VS_CALL_MAX_FRAME) {
		if (c->frame_size > VS_CALL_MAX_FRAME)
			snprintf(c->res.frame_error, sizeof(c->res.frame_error),
				 "frame of %zu bytes over the %u MiB limit (connection closed)", c->frame_size,
				 VS_CALL_MAX_FRAME >> 20);
		else
			snprintf(c->res.frame_error, sizeof(c->res.frame_error),
				 "fragmented message of more than %u bytes over the %u MiB limit (connection closed)",
				 VS_CALL_MAX_FRAME, VS_CALL_MAX_FRAME >> 20);
		snprintf(c->res.error, sizeof(c->res.error), "%s", c->res.frame_error);
		c->in_frame = 0;
		return -1;
	}
	if (c->rxlen + len + 1 > c->rxcap) {
		size_t ncap = c->rxcap ? c->rxcap : 4096;
		char *n;

		while (ncap < c->rxlen + len + 1)
			ncap *= 2;
		n = realloc(c->rx, ncap);
		if (!n)
			return -1;
		c->rx = n;
		c->rxcap = ncap;
	}
	memcpy(c->rx + c->rxlen, in, len);
	c->rxlen += len;
	if (lws_is_final_fragment(wsi) && !left) {
		c->rx[c->rxlen] = '\0';
		call_message(c, c->rx, c->rxlen);
		c->rxlen = 0;
	}
	return 0;
}

/* --- lifecycle ------------------------------------------------------------ */

static void signal_done(struct vs_call *c)
{
	pthread_mutex_lock(&c->e->mu);
	c->done = 1;
	pthread_cond_broadcast(&c->e->cv);
	pthread_mutex_unlock(&c->e->mu);
}

static void unlink_active(struct vs_call *c)
{
	for (struct vs_call **pp = &c->e->active; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->next = NULL;
}

static int call_finalized(const struct vs_call *c)
{
	return c->state == CALL_DONE;
}

static void finalize(struct vs_call *c, int in_connect)
{
	uint64_t now = now_ns();

	if (call_finalized(c))
		return;
	lws_sul_cancel(&c->sul);
	c->state = CALL_DONE;
	c->wsi = NULL;
	if (c->t0) {
		call_ear_advance(&c->ear, listen_idx(c, now));
		c->res.duration_ms = (double)(now - c->t0) / 1e6;
	}
	if (c->nlog && c->log[c->nlog - 1].end < (int64_t)c->frame * CALL_FRAME)
		c->log[c->nlog - 1].end = (int64_t)c->frame * CALL_FRAME;
	if (c->res.hangup_by == VS_HANGUP_NONE)
		c->res.hangup_by = c->sent_start ? VS_HANGUP_AGENT : VS_HANGUP_ERROR;
	if (call_result_compute(c) != 0 && !c->res.error[0])
		snprintf(c->res.error, sizeof(c->res.error), "out of memory computing results");
	c->res.ok = c->res.error[0] == '\0' && c->res.hangup_by != VS_HANGUP_ERROR;
	unlink_active(c);
	if (!in_connect)
		signal_done(c);
}

static void call_connect(struct vs_call_engine *e, struct vs_call *c)
{
	struct lws_client_connect_info i;
	struct lws *wsi;

	memset(&i, 0, sizeof(i));
	i.context = e->ctx;
	i.address = c->host;
	i.port = c->port;
	i.path = c->path;
	i.host = c->host;
	i.origin = c->host;
	i.ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;
	if (c->tls && e->tls_insecure)
		i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
				    LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
	i.local_protocol_name = "vs-call";
	i.opaque_user_data = c;
	i.pwsi = &c->wsi;
	c->state = CALL_CONNECTING;
	c->connect_ns = now_ns();
	c->next = e->active;
	e->active = c;
	c->in_connect = 1;
	wsi = lws_client_connect_via_info(&i);
	c->in_connect = 0;
	if (call_finalized(c)) {
		signal_done(c);
		return;
	}
	if (!wsi) {
		if (!c->res.error[0])
			snprintf(c->res.error, sizeof(c->res.error), "connect to %s failed", c->url);
		c->res.hangup_by = VS_HANGUP_ERROR;
		finalize(c, 0);
	}
}

static void engine_wakeup(struct vs_call_engine *e)
{
	struct vs_call *todo, *next;

	pthread_mutex_lock(&e->mu);
	todo = e->pending;
	e->pending = NULL;
	pthread_mutex_unlock(&e->mu);
	/* reverse to start calls in submission order */
	{
		struct vs_call *rev = NULL;

		for (; todo; todo = next) {
			next = todo->next;
			todo->next = rev;
			rev = todo;
		}
		todo = rev;
	}
	for (; todo; todo = next) {
		int ab;

		next = todo->next;
		todo->next = NULL;
		pthread_mutex_lock(&e->mu);
		ab = todo->abort_req;
		pthread_mutex_unlock(&e->mu);
		if (ab) {
			snprintf(todo->res.error, sizeof(todo->res.error), "aborted before connecting");
			todo->res.hangup_by = VS_HANGUP_ERROR;
			finalize(todo, 0);
			continue;
		}
		call_connect(e, todo);
	}
	/* aborts of running calls (only when one was requested) */
	pthread_mutex_lock(&e->mu);
	if (e->abort_gen == e->abort_seen) {
		pthread_mutex_unlock(&e->mu);
		return;
	}
	e->abort_seen = e->abort_gen;
	pthread_mutex_unlock(&e->mu);
	for (struct vs_call *c = e->active; c; c = c->next) {
		int ab;

		pthread_mutex_lock(&e->mu);
		ab = c->abort_req;
		pthread_mutex_unlock(&e->mu);
		if (ab && c->wsi)
			lws_callback_on_writable(c->wsi);
	}
}

static int call_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct vs_call *c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
	(void)user;

	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
		struct vs_call_engine *e = lws_context_user(lws_get_context(wsi));

		if (e)
			engine_wakeup(e);
		return 0;
	}
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (c && c->auth_token) {
			unsigned char **p = (unsigned char **)in, *end = (*p) + len;

			if (lws_add_http_header_by_name(wsi, (const unsigned char *)"x-telnyx-streaming-auth-token:",
							(const unsigned char *)c->auth_token,
							(int)strlen(c->auth_token), p, end))
				return -1;
		}
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED: {
		struct vs_stream_info si;

		if (!c)
			return -1;
		c->wsi = wsi;
		c->state = CALL_STREAMING;
		c->res.connect_ms = (double)(now_ns() - c->connect_ns) / 1e6;
		stream_info(c, &si);
		ctl_push(c, vs_media_connected());
		ctl_push(c, vs_media_start(&si, ++c->seq));
		lws_callback_on_writable(wsi);
		return 0;
	}
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (!c || call_finalized(c))
			return -1;
		return call_writeable(c);
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (!c || call_finalized(c))
			return -1;
		return call_rx(c, wsi, in, len);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (c && !call_finalized(c)) {
			snprintf(c->res.error, sizeof(c->res.error), "connect to %s: %s", c->url,
				 in ? (const char *)in : "error");
			c->res.hangup_by = VS_HANGUP_ERROR;
		}
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		if (c && !call_finalized(c) && c->in_frame && !c->res.frame_error[0])
			snprintf(c->res.frame_error, sizeof(c->res.frame_error),
				 "the agent closed the connection mid-frame (%zu of the frame's %zu bytes delivered)",
				 c->frame_got, c->frame_size);
		if (c && !call_finalized(c)) {
			lws_set_opaque_user_data(wsi, NULL);
			if (c->res.hangup_by == VS_HANGUP_NONE && !c->sent_start && !c->res.error[0]) {
				snprintf(c->res.error, sizeof(c->res.error), "connection to %s closed before start", c->url);
				c->res.hangup_by = VS_HANGUP_ERROR;
			}
			finalize(c, c->in_connect);
		}
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols call_protocols[] = {
	{"vs-call", call_callback, 0, 65536, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

/* lws 4.1 does not always leave poll() for a sul timer armed between
 * services (also seen by lib/net/wsclient.c), which would make frames late
 * when the sockets are quiet.  A ticker wakes the service thread every
 * millisecond with lws_cancel_service(), so timers are never missed while
 * poll() still returns at once for socket events. */
static void *ticker_main(void *arg)
{
	struct vs_call_engine *e = arg;
	struct timespec ts = {0, 1000000};

	for (;;) {
		int stop;

		pthread_mutex_lock(&e->mu);
		stop = e->stop;
		pthread_mutex_unlock(&e->mu);
		if (stop)
			break;
		nanosleep(&ts, NULL);
		lws_cancel_service(e->ctx);
	}
	return NULL;
}

static void *service_main(void *arg)
{
	struct vs_call_engine *e = arg;

	for (;;) {
		int stop;

		pthread_mutex_lock(&e->mu);
		stop = e->stop;
		pthread_mutex_unlock(&e->mu);
		if (stop)
			break;
		if (lws_service(e->ctx, 0) < 0)
			break;
	}
	return NULL;
}

int vs_call_engine_new(struct vs_call_engine **out, const struct vs_call_engine_opts *o, char *err, size_t errlen)
{
	struct lws_context_creation_info info;
	struct vs_call_engine *e = NULL;
	int max = o && o->max_calls > 0 ? o->max_calls : 1024;
	int rc = -1;

	*out = NULL;
	e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	e->tls_insecure = o ? o->tls_insecure : 0;
	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = call_protocols;
	info.gid = -1;
	info.uid = -1;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.fd_limit_per_thread = (unsigned int)max + 64;
	info.count_threads = 1;
	info.timeout_secs = 10;
	info.user = e;
	e->ctx = lws_create_context(&info);
	if (!e->ctx) {
		snprintf(err, errlen, "libwebsockets: cannot create the client context");
		goto out;
	}
	if (pthread_create(&e->thr, NULL, service_main, e) != 0) {
		snprintf(err, errlen, "cannot start the service thread");
		goto out;
	}
	e->thr_started = 1;
	if (pthread_create(&e->ticker, NULL, ticker_main, e) != 0) {
		snprintf(err, errlen, "cannot start the ticker thread");
		goto out;
	}
	e->ticker_started = 1;
	*out = e;
	e = NULL;
	rc = 0;
out:
	if (e && e->thr_started) {
		vs_call_engine_free(e);
		e = NULL;
	}
	if (e) {
		if (e->ctx)
			lws_context_destroy(e->ctx);
		pthread_mutex_destroy(&e->mu);
		pthread_cond_destroy(&e->cv);
		free(e);
	}
	return rc;
}

void vs_call_engine_free(struct vs_call_engine *e)
{
	if (!e)
		return;
	if (e->thr_started) {
		pthread_mutex_lock(&e->mu);
		e->stop = 1;
		pthread_mutex_unlock(&e->mu);
		lws_cancel_service(e->ctx);
		pthread_join(e->thr, NULL);
	}
	if (e->ticker_started)
		pthread_join(e->ticker, NULL);
	lws_context_destroy(e->ctx);
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cv);
	free(e);
}

/* ws[s]://host[:port][/path] */
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
	if (!c->stream_id || !c->call_control_id || !c->call_session_id || !c->from || !c->to)
		goto out;
	snprintf(c->res.stream_id, sizeof(c->res.stream_id), "%s", c->stream_id);
	snprintf(c->res.script, sizeof(c->res.script), "%s", s->name ? s->name : "");
	c->res.first_reply_ms = -1;
	pthread_mutex_lock(&e->mu);
	c->next = e->pending;
	e->pending = c;
	pthread_mutex_unlock(&e->mu);
	lws_cancel_service(e->ctx);
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
	int done;

	pthread_mutex_lock(&c->e->mu);
	done = c->done;
	if (!done && !c->abort_req) {
		c->abort_req = 2;
		c->e->abort_gen++;
	}
	pthread_mutex_unlock(&c->e->mu);
	if (done)
		return 0;
	lws_cancel_service(c->e->ctx);
	return vs_call_wait(c, timeout_ms);
}

void vs_call_free(struct vs_call *c)
{
	int done;

	if (!c)
		return;
	pthread_mutex_lock(&c->e->mu);
	done = c->done;
	if (!done) {
		c->abort_req = 1;
		c->e->abort_gen++;
	}
	pthread_mutex_unlock(&c->e->mu);
	if (!done) {
		lws_cancel_service(c->e->ctx);
		vs_call_wait(c, -1);
	}
	for (size_t i = 0; i < c->nctl; i++)
		free(c->ctl[i]);
	free(c->ctl);
	free(c->log);
	free(c->rx);
	free(c->tx);
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
