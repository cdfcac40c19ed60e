/* Whole Telnyx calls (Call Control) from one thread: see
 * vstress/caller/callflow.h.  The steps are vs_tcall_run's as they were
 * written blocking (the TeXML path still is, on its thread); each state
 * below names the blocking step it stands for. */
#include "vstress/caller/callflow.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <curl/curl.h>

#include "telnyx_call_int.h"
#include "vstress/net/httpc.h"
#include "vstress/telnyx/telnyx_event.h"
#include "vstress/telnyx/texml.h"

#define POLL_WAIT_MS 2000   /* the shared long-poll's wait */
#define POLL_RETRY_MS 200   /* after a failed poll */
#define STOP_WAIT_MS 3000   /* after we stop the stream (the agent's hangup): how long the leg may take to end */
#define HASH_BUCKETS 4096
#define MAX_SLEEP_MS 1000

enum fst {
	F_START,     /* checks, the key, the ids */
	F_BASE,      /* tc_baseline: where the world's logs stand */
	F_INITIATED, /* call.initiated (and its replay) */
	F_ANSWER,    /* wait_answer */
	F_UNTIL,     /* wait_until (no media) */
	F_PREMEDIA,  /* call.answered, streaming.started */
	F_MEDIA,     /* tc_run_media */
	F_SETTLE,    /* streaming.stopped sent, settle_ms, call.hangup */
	F_COLLECT,   /* tc_collect */
	F_TEXML,     /* tc_texml_run and tc_collect on the call's thread */
};

enum rkind { RK_EVENT, RK_INITIATED, RK_REPLAY, RK_BASE_EVENTS, RK_BASE_CMDS, RK_COLLECT, RK_POLL };

struct flow;

struct freq {
	struct freq *next;
	struct flow *fl; /* NULL: the shared poll */
	enum rkind kind;
	enum vs_telnyx_ev ev;
	char *body;      /* a webhook's (owned) */
	char *url;       /* a control GET's (owned) */
	struct tc_xfer x;
	struct vs_httpc_req hr;
	struct post_out po;
	int running;
};

struct flow {
	struct flow *next, *prev, *hnext;
	struct vs_cflow *f;
	struct tc t;
	struct vs_tcall_cfg cfg;
	const struct vs_call_script *script;
	void (*done)(void *arg, int rc);
	void *arg;
	enum fst st;
	int sub;                 /* a step inside the state */
	int rc;
	struct freq *q, *qtail;  /* this call's requests, in order; the head runs */
	json_t *cmds;            /* commands the poll brought, not yet seen */
	uint64_t deadline;       /* the state's wait (0: none) */
	int base_left, base_failed, init_failed;
	char *init_body;
	char *wbody;             /* call.initiated's answer */
	struct post_out po;
	struct vs_call *media;
	atomic_int media_end;
	int media_ms, grace;
	uint64_t media_t0, hung_at, stop_at;
	int poll_failed;
	int dirty;               /* something happened: look at it on the next turn */
	uint64_t due;            /* when step asked to look again (0: only on an event) */
	pthread_t thr;
	int thr_started;
	atomic_int thr_done;
	size_t texml_len;
};

struct vs_cflow {
	struct vs_call_engine *eng;
	CURLM *multi;
	int efd;
	struct flow *active;
	size_t nactive;
	struct flow *hash[HASH_BUCKETS];
	char *control_url;
	long long poll_since;
	int poll_known;
	struct freq *poll;
	uint64_t poll_retry_at;
};

/* --- small helpers --------------------------------------------------------- */

static uint64_t ms_ns(long ms)
{
	return (uint64_t)ms * 1000000ull;
}

static unsigned hash_id(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % HASH_BUCKETS;
}

static void wake(struct vs_cflow *f)
{
	uint64_t one = 1;

	while (write(f->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void on_media_end(void *arg)
{
	struct flow *fl = arg;

	atomic_store(&fl->media_end, 1);
	wake(fl->f);
}

/* --- requests -------------------------------------------------------------- */

static void req_free(struct freq *r)
{
	if (!r)
		return;
	if (r->x.easy)
		tc_xfer_drop(&r->x);
	if (r->hr.easy) {
		long st;
		char err[8];
		vs_httpc_req_end(&r->hr, CURLE_ABORTED_BY_CALLBACK, &st, NULL, err, sizeof(err));
	}
	free(r->body);
	free(r->url);
	free(r);
}

static struct freq *req_new(struct flow *fl, enum rkind kind)
{
	struct freq *r = calloc(1, sizeof(*r));

	if (r) {
		r->fl = fl;
		r->kind = kind;
	}
	return r;
}

/* Starts request r on the multi handle; -1 when it could not be set up. */
static int req_start(struct vs_cflow *f, struct freq *r)
{
	char err[256];
	CURL *easy;

	if (r->url) {
		if (vs_httpc_req_init(&r->hr, "GET", r->url, NULL,
				      r->kind == RK_POLL ? POLL_WAIT_MS + 3000 : 5000, err, sizeof(err)) != 0)
			return -1;
		easy = r->hr.easy;
	} else {
		struct flow *fl = r->fl;
		if (tc_xfer_init(&fl->t, &r->x, "POST", fl->cfg.webhook_url, "application/json", r->body, &r->po) != 0)
			return -1;
		easy = r->x.easy;
	}
	curl_easy_setopt(easy, CURLOPT_PRIVATE, r);
	if (curl_multi_add_handle(f->multi, easy) != CURLM_OK)
		return -1;
	r->running = 1;
	return 0;
}

static void flow_request_done(struct flow *fl, struct freq *r, int ok, long status, const char *resp);

/* The head of a call's queue runs; when it cannot start it ends at once
 * (as a blocking request that failed locally). */
static void q_kick(struct flow *fl)
{
	while (fl->q && !fl->q->running) {
		struct freq *r = fl->q;
		if (req_start(fl->f, r) == 0)
			return;
		fl->q = r->next;
		if (!fl->q)
			fl->qtail = NULL;
		flow_request_done(fl, r, 0, 0, NULL);
		req_free(r);
	}
}

static void q_push(struct flow *fl, struct freq *r)
{
	if (fl->qtail)
		fl->qtail->next = r;
	else
		fl->q = r;
	fl->qtail = r;
	q_kick(fl);
}

static int q_idle(const struct flow *fl)
{
	return fl->q == NULL;
}

/* A webhook event, built now (ids and timestamps in the order the blocking
 * path drew them), sent after what is queued. */
static void emit_event(struct tc *t, enum vs_telnyx_ev ev, const char *hangup_source)
{
	struct flow *fl = (struct flow *)((char *)t - offsetof(struct flow, t));
	struct vs_telnyx_event_opts o = {.hangup_source = hangup_source};
	struct freq *r = req_new(fl, RK_EVENT);

	if (!r)
		return;
	r->ev = ev;
	r->body = vs_telnyx_event_build(ev, &t->call, &o, &t->rng);
	if (!r->body) { /* as tc_send_event: not sent */
		free(r);
		return;
	}
	q_push(fl, r);
}

static void get_push(struct flow *fl, enum rkind kind, const char *url)
{
	struct freq *r = req_new(fl, kind);

	if (r && !(r->url = strdup(url))) {
		free(r);
		r = NULL;
	}
	if (!r) { /* out of memory: the request failed */
		if (kind == RK_BASE_EVENTS || kind == RK_BASE_CMDS) {
			fl->base_failed = 1;
			fl->base_left--;
		}
		return;
	}
	q_push(fl, r);
}

/* --- the end of a call ----------------------------------------------------- */

static void unlink_flow(struct vs_cflow *f, struct flow *fl)
{
	struct flow **pp = &f->hash[hash_id(fl->t.call.call_control_id)];

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == fl) {
			*pp = fl->hnext;
			break;
		}
	if (fl->prev)
		fl->prev->next = fl->next;
	else
		f->active = fl->next;
	if (fl->next)
		fl->next->prev = fl->prev;
	f->nactive--;
}

static void flow_free(struct flow *fl)
{
	while (fl->q) {
		struct freq *r = fl->q;
		fl->q = r->next;
		if (r->running)
			curl_multi_remove_handle(fl->f->multi, r->x.easy ? r->x.easy : r->hr.easy);
		req_free(r);
	}
	if (fl->media)
		vs_call_free(fl->media);
	if (fl->thr_started)
		pthread_join(fl->thr, NULL);
	curl_free(fl->t.esc_id);
	free(fl->init_body);
	free(fl->wbody);
	json_decref(fl->cmds);
	free(fl);
}

static void finish(struct flow *fl, int rc)
{
	struct vs_cflow *f = fl->f;
	void (*done)(void *, int) = fl->done;
	void *arg = fl->arg;

	unlink_flow(f, fl);
	flow_free(fl);
	if (done)
		done(arg, rc);
}

static void fail(struct flow *fl, const char *what)
{
	if (what)
		snprintf(fl->t.out->error, sizeof(fl->t.out->error), "%s", what);
	finish(fl, -1);
}

static void fail_world(struct flow *fl)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "world control API %s did not answer", fl->cfg.control_url);
	fail(fl, msg);
}

/* --- the TeXML path, on the call's thread ---------------------------------- */

static void *texml_main(void *arg)
{
	struct flow *fl = arg;

	tc_texml_run(&fl->t, fl->f->eng, fl->script, fl->wbody, fl->texml_len);
	tc_collect(&fl->t);
	atomic_store(&fl->thr_done, 1);
	wake(fl->f);
	return NULL;
}

/* doc: call.initiated's XML answer in fl->wbody (len), or none (fetch).
 * 0, or -1 when the call failed (fl is freed). */
static int to_texml(struct flow *fl, size_t len)
{
	snprintf(fl->t.out->telephony, sizeof(fl->t.out->telephony), "texml");
	if (!len) {
		free(fl->wbody);
		fl->wbody = NULL;
	}
	fl->texml_len = len;
	fl->t.emit = NULL; /* its thread sends its own events, blocking */
	fl->st = F_TEXML;
	if (pthread_create(&fl->thr, NULL, texml_main, fl) != 0) {
		fail(fl, "could not start the TeXML call's thread");
		return -1;
	}
	fl->thr_started = 1;
	return 0;
}

/* --- the steps ------------------------------------------------------------- */

static void consume_commands(struct flow *fl)
{
	json_t *c;
	size_t i;

	if (!fl->cmds || !json_array_size(fl->cmds))
		return;
	json_array_foreach(fl->cmds, i, c)
		tc_on_command(&fl->t, c);
	json_array_clear(fl->cmds);
}

static void enter_settle(struct flow *fl)
{
	fl->st = F_SETTLE;
	fl->sub = 0;
	fl->deadline = 0;
}

/* After wait_answer: the media leg, the until-wait, or the end. */
static void after_answer(struct flow *fl)
{
	struct vs_tcall_result *out = fl->t.out;
	const struct vs_tcall_cfg *cfg = &fl->cfg;

	fl->deadline = 0;
	if (!out->answered) {
		snprintf(out->error, sizeof(out->error), "no answer within %d ms (webhook status %d)",
			 cfg->answer_timeout_ms > 0 ? cfg->answer_timeout_ms : 5000, out->webhook_status);
		enter_settle(fl);
	} else if (cfg->no_media || !out->stream_url[0]) {
		if (!cfg->no_media)
			snprintf(out->error, sizeof(out->error), "the answer has no stream_url");
		if (cfg->until_action) {
			fl->st = F_UNTIL;
			fl->deadline = tc_mono_ns() + ms_ns(cfg->until_ms > 0 ? cfg->until_ms : 8000);
		} else {
			enter_settle(fl);
		}
	} else {
		tc_emit(&fl->t, VS_TEV_CALL_ANSWERED, NULL);
		fl->t.call.stream_url = out->stream_url;
		tc_emit(&fl->t, VS_TEV_STREAMING_STARTED, NULL);
		fl->st = F_PREMEDIA;
	}
}

static void media_done(struct flow *fl, int hung)
{
	tc_media_finish(&fl->t, fl->media, hung, fl->media_ms);
	fl->media = NULL;
	atomic_store(&fl->media_end, 0); /* its callback has run (the leg is freed) */
	tc_emit(&fl->t, VS_TEV_STREAMING_STOPPED, NULL);
	enter_settle(fl);
}

static uint64_t min_due(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/* One look at a call: moves it on as far as it can go now.  Returns the
 * instant it next needs a look without an event (0: none), or 1 when the
 * call has ended (fl is freed). */
static uint64_t step(struct flow *fl)
{
	struct vs_tcall_result *out = fl->t.out;
	const struct vs_tcall_cfg *cfg = &fl->cfg;
	uint64_t now;

	for (;;) {
		now = tc_mono_ns();
		switch (fl->st) {
		case F_START: {
			char ev[1024], cmds[1024];
			if (fl->rc) { /* vs_cflow_add found the config unusable (out->error) */
				fail(fl, NULL);
				return 1;
			}
			tc_baseline_urls(&fl->t, ev, cmds, sizeof(ev));
			fl->st = F_BASE;
			fl->base_left = 2;
			get_push(fl, RK_BASE_EVENTS, ev);
			get_push(fl, RK_BASE_CMDS, cmds);
			continue;
		}
		case F_BASE: {
			struct vs_telnyx_event_opts o = {0};
			char ev_id[37];
			if (fl->base_left > 0)
				return 0;
			if (fl->base_failed) {
				fail_world(fl);
				return 1;
			}
			fl->t.t_sent_ns = now;
			if (cfg->tel.telephony == VS_TEL_TEXML) /* no call.initiated: Telnyx fetches the TeXML */
				return to_texml(fl, 0) == 0 ? 0 : 1;
			vs_uuid4(ev_id, &fl->t.rng);
			o.event_id = ev_id;
			fl->init_body = vs_telnyx_event_build(VS_TEV_CALL_INITIATED, &fl->t.call, &o, &fl->t.rng);
			if (!fl->init_body) {
				fail(fl, "could not build call.initiated");
				return 1;
			}
			fl->wbody = malloc(VS_TCALL_BODY_MAX + 1);
			if (!fl->wbody) {
				fail(fl, "out of memory");
				return 1;
			}
			fl->t.t_sent_ns = tc_mono_ns();
			fl->st = F_INITIATED;
			fl->sub = 0;
			struct freq *r = req_new(fl, RK_INITIATED);
			if (!r || !(r->body = strdup(fl->init_body))) {
				free(r);
				fail(fl, "out of memory");
				return 1;
			}
			r->po = (struct post_out){.body = fl->wbody, .cap = VS_TCALL_BODY_MAX + 1,
						  .problem = out->webhook_problem, .plen = sizeof(out->webhook_problem)};
			q_push(fl, r);
			continue;
		}
		case F_INITIATED:
			/* sub 0: call.initiated out; 1: answered in JSON (call_control), the
			 * replay if any out; 2: answered in XML (TeXML) */
			if (fl->init_failed) {
				fail(fl, "could not send call.initiated");
				return 1;
			}
			if (fl->sub == 2)
				return to_texml(fl, fl->texml_len) == 0 ? 0 : 1;
			if (fl->sub == 0 || !q_idle(fl))
				return 0;
			fl->st = F_ANSWER;
			fl->deadline = now + ms_ns(cfg->answer_timeout_ms > 0 ? cfg->answer_timeout_ms : 5000);
			continue;
		case F_ANSWER:
			consume_commands(fl);
			if (fl->poll_failed && !out->answered) {
				fail_world(fl);
				return 1;
			}
			if (!out->answered && now < fl->deadline)
				return fl->deadline;
			after_answer(fl);
			continue;
		case F_UNTIL: {
			int due;
			consume_commands(fl);
			due = tc_speak_due(&fl->t);
			if (!fl->t.seen_until && now < fl->deadline && !fl->poll_failed)
				return min_due(fl->deadline, due > 0 ? now + ms_ns(due) : 0);
			tc_speak_due(&fl->t);
			enter_settle(fl);
			continue;
		}
		case F_PREMEDIA:
			if (!q_idle(fl))
				return 0;
			fl->media_ms = tc_media_ms(&fl->t, fl->script);
			fl->grace = cfg->hangup_grace_ms > 0 ? cfg->hangup_grace_ms : 1500;
			fl->media_t0 = tc_mono_ns();
			fl->hung_at = fl->stop_at = 0;
			atomic_store(&fl->media_end, 0);
			fl->media = tc_media_start(&fl->t, fl->f->eng, fl->script, NULL, on_media_end, fl);
			if (!fl->media) {
				tc_emit(&fl->t, VS_TEV_STREAMING_STOPPED, NULL);
				enter_settle(fl);
				continue;
			}
			fl->st = F_MEDIA;
			continue;
		case F_MEDIA: {
			uint64_t due_at;
			int due;
			if (atomic_load(&fl->media_end)) {
				vs_call_wait(fl->media, -1); /* the engine is about to say done */
				if (fl->stop_at)
					out->media_stopped = 1;
				media_done(fl, fl->hung_at != 0);
				continue;
			}
			if (now - fl->media_t0 > ms_ns(fl->media_ms)) {
				media_done(fl, fl->hung_at != 0);
				continue;
			}
			if (fl->stop_at) {
				if (now - fl->stop_at > ms_ns(STOP_WAIT_MS)) {
					out->media_stopped = 0;
					media_done(fl, 1);
					continue;
				}
				return min_due(fl->stop_at + ms_ns(STOP_WAIT_MS) + 1, fl->media_t0 + ms_ns(fl->media_ms) + 1);
			}
			if (fl->hung_at && now - fl->hung_at > ms_ns(fl->grace)) {
				/* as Telnyx does after `hangup`: stop and close the stream */
				vs_call_hangup(fl->media, 0);
				fl->stop_at = now;
				continue;
			}
			due = tc_speak_due(&fl->t);
			if (!out->agent_hangup && !out->agent_transfer)
				consume_commands(fl); /* hangup, transfer and speak have effects */
			if ((out->agent_hangup || out->agent_transfer) && !fl->hung_at) {
				fl->hung_at = tc_mono_ns();
				continue;
			}
			due_at = fl->media_t0 + ms_ns(fl->media_ms) + 1;
			if (fl->hung_at)
				due_at = min_due(due_at, fl->hung_at + ms_ns(fl->grace) + 1);
			if (due > 0)
				due_at = min_due(due_at, now + ms_ns(due));
			return due_at;
		}
		case F_SETTLE:
			/* sub 0: streaming.stopped out, settle_ms; 1: call.hangup */
			if (!q_idle(fl))
				return 0;
			if (fl->sub == 0) {
				fl->sub = 1;
				fl->deadline = cfg->settle_ms > 0 ? now + ms_ns(cfg->settle_ms) : 0;
			}
			if (fl->deadline && now < fl->deadline)
				return fl->deadline;
			if (out->answered) {
				const char *src = out->agent_hangup || out->media.hangup_by == VS_HANGUP_AGENT ? "callee"
													    : "caller";
				snprintf(out->hangup_source, sizeof(out->hangup_source), "%s", src);
				tc_emit(&fl->t, VS_TEV_CALL_HANGUP, src);
			}
			fl->st = F_COLLECT;
			fl->sub = 0;
			continue;
		case F_COLLECT:
			/* sub 0: call.hangup out; 1: the commands asked for; 2: read */
			if (!q_idle(fl))
				return 0;
			if (fl->sub == 0) {
				char url[1024];
				fl->sub = 1;
				tc_collect_url(&fl->t, url, sizeof(url));
				get_push(fl, RK_COLLECT, url);
				if (!q_idle(fl))
					return 0;
			}
			if (!out->commands && !out->error[0])
				snprintf(out->error, sizeof(out->error), "could not read the commands from %s",
					 cfg->control_url);
			finish(fl, 0);
			return 1;
		case F_TEXML:
			if (!atomic_load(&fl->thr_done))
				return 0;
			finish(fl, 0);
			return 1;
		}
	}
}

/* What a finished request means for its call. */
static void flow_request_done(struct flow *fl, struct freq *r, int ok, long status, const char *resp)
{
	struct vs_tcall_result *out = fl->t.out;

	fl->dirty = 1;
	switch (r->kind) {
	case RK_EVENT:
		if (r->ev == VS_TEV_SPEAK_ENDED) /* tc_speak_due: the moment it was sent */
			out->speak_ended_ms = tc_since_ms(fl->t.t_sent_ns);
		break;
	case RK_BASE_EVENTS:
	case RK_BASE_CMDS:
		if (!ok || status != 200 ||
		    (r->kind == RK_BASE_EVENTS ? tc_baseline_events(&fl->t, resp) : tc_baseline_commands(&fl->t, resp)))
			fl->base_failed = 1;
		else if (r->kind == RK_BASE_EVENTS && (!fl->f->poll_known || fl->t.last_seq < fl->f->poll_since)) {
			fl->f->poll_since = fl->t.last_seq;
			fl->f->poll_known = 1;
		}
		fl->base_left--;
		break;
	case RK_INITIATED:
		if (!ok) {
			fl->init_failed = 1;
			break;
		}
		out->webhook_status = r->po.status;
		out->webhook_ms = r->po.ms;
		snprintf(out->webhook_body, sizeof(out->webhook_body), "%s", fl->wbody);
		if (fl->cfg.tel.telephony == VS_TEL_AUTO && vs_texml_looks_xml(fl->wbody, r->po.blen)) {
			/* the agent answered call.initiated with TeXML: follow it (after this request is freed) */
			fl->sub = 2;
			fl->texml_len = r->po.blen;
			break;
		}
		snprintf(out->telephony, sizeof(out->telephony), "call_control");
		tc_judge_texml(out, fl->wbody, r->po.blen);
		free(fl->wbody);
		fl->wbody = NULL;
		fl->sub = 1;
		if (fl->cfg.replay_initiated) { /* a Telnyx retry: same event id, signed anew */
			struct freq *rp = req_new(fl, RK_REPLAY);
			if (rp && (rp->body = strdup(fl->init_body)))
				q_push(fl, rp);
			else
				free(rp);
		}
		break;
	case RK_REPLAY:
		out->replay_status = r->po.status;
		break;
	case RK_COLLECT:
		if (ok && status == 200 && resp)
			tc_collect_parse(&fl->t, resp);
		fl->sub = 2;
		break;
	case RK_POLL:
		break;
	}
}

/* --- the shared poll of the world's command log ---------------------------- */

static struct flow *find_flow(struct vs_cflow *f, const char *id)
{
	for (struct flow *fl = f->hash[hash_id(id)]; fl; fl = fl->hnext)
		if (!strcmp(fl->t.call.call_control_id, id))
			return fl;
	return NULL;
}

static void poll_start(struct vs_cflow *f, uint64_t now)
{
	char url[1024];
	struct freq *r;

	if (f->poll || !f->poll_known || !f->active || now < f->poll_retry_at)
		return;
	snprintf(url, sizeof(url), "%s/_vstress/events?topic=telnyx.command&since=%lld&wait_ms=%d", f->control_url,
		 f->poll_since, POLL_WAIT_MS);
	if (!(r = req_new(NULL, RK_POLL)) || !(r->url = strdup(url)) || req_start(f, r) != 0) {
		req_free(r);
		f->poll_retry_at = now + ms_ns(POLL_RETRY_MS);
		return;
	}
	f->poll = r;
}

/* The poll's answer: each command to its call (kept until the call looks);
 * a failure fails the calls that wait for their answer, as a failed
 * long-poll of their own would have. */
static void poll_done(struct vs_cflow *f, int ok, long status, const char *resp)
{
	json_t *j = ok && status == 200 && resp ? json_loads(resp, 0, NULL) : NULL;
	json_t *evs = json_object_get(j, "events"), *ev;
	size_t i;

	if (!json_is_array(evs)) {
		for (struct flow *fl = f->active; fl; fl = fl->next)
			if (fl->st == F_ANSWER || fl->st == F_UNTIL)
				fl->poll_failed = fl->dirty = 1;
		f->poll_retry_at = tc_mono_ns() + ms_ns(POLL_RETRY_MS);
		json_decref(j);
		return;
	}
	json_array_foreach(evs, i, ev) {
		json_int_t seq = json_integer_value(json_object_get(ev, "seq"));
		json_t *d = json_object_get(ev, "data");
		const char *id = json_string_value(json_object_get(d, "call_control_id"));
		struct flow *fl = id ? find_flow(f, id) : NULL;

		if (seq > f->poll_since)
			f->poll_since = seq;
		if (!fl || fl->st == F_TEXML || seq <= fl->t.last_seq)
			continue;
		fl->t.last_seq = seq;
		fl->dirty = 1;
		if (!fl->cmds)
			fl->cmds = json_array();
		json_array_append(fl->cmds, d);
	}
	json_decref(j);
}

/* --- the loop -------------------------------------------------------------- */

static void read_done(struct vs_cflow *f)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(f->multi, &left))) {
		struct freq *r;
		char *priv = NULL;
		long status = 0;
		char *resp = NULL, err[256];
		int ok;

		CURL *easy = m->easy_handle;
		CURLcode res = m->data.result; /* m is not valid after the handle is removed */

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		r = (struct freq *)(void *)priv;
		curl_multi_remove_handle(f->multi, easy);
		r->running = 0;
		if (r->url) {
			ok = vs_httpc_req_end(&r->hr, res, &status, &resp, err, sizeof(err)) == 0;
		} else {
			tc_xfer_end(&r->x, res);
			ok = 1;
			status = r->po.status;
		}
		if (!r->fl) {
			f->poll = NULL;
			poll_done(f, ok, status, resp);
		} else {
			struct flow *fl = r->fl;
			fl->q = r->next;
			if (!fl->q)
				fl->qtail = NULL;
			flow_request_done(fl, r, ok, status, resp);
			q_kick(fl);
		}
		free(resp);
		req_free(r);
	}
}

int vs_cflow_new(struct vs_cflow **out, struct vs_call_engine *eng, char *err, size_t errlen)
{
	struct vs_cflow *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	f->eng = eng;
	f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f->multi = curl_multi_init();
	if (f->efd < 0 || !f->multi) {
		snprintf(err, errlen, "call flow: %s", f->efd < 0 ? "no eventfd" : "curl_multi_init failed");
		vs_cflow_free(f);
		return -1;
	}
	*out = f;
	return 0;
}

int vs_cflow_add(struct vs_cflow *f, const struct vs_call_script *script, const struct vs_tcall_cfg *cfg,
		 struct vs_tcall_result *out, void (*done)(void *arg, int rc), void *arg)
{
	struct flow *fl;
	unsigned h;

	tc_result_init(out);
	if (cfg->control_url && *cfg->control_url) {
		if (!f->control_url && !(f->control_url = strdup(cfg->control_url))) {
			snprintf(out->error, sizeof(out->error), "out of memory");
			return -1;
		}
		if (strcmp(f->control_url, cfg->control_url)) {
			snprintf(out->error, sizeof(out->error), "a call flow reports to one world: %.100s, not %.100s",
				 f->control_url, cfg->control_url);
			return -1;
		}
	}
	if (!(fl = calloc(1, sizeof(*fl)))) {
		snprintf(out->error, sizeof(out->error), "out of memory");
		return -1;
	}
	fl->f = f;
	fl->cfg = *cfg;
	fl->script = script;
	fl->done = done;
	fl->arg = arg;
	fl->t.cfg = &fl->cfg;
	fl->t.out = out;
	fl->t.emit = emit_event;
	fl->t.rng = cfg->seed ? cfg->seed : tc_mono_ns();
	fl->st = F_START;
	fl->dirty = 1;
	/* in vs_tcall_run's order: the key (a forged one draws from rng) before the ids */
	if (tc_check_cfg(cfg, out->error, sizeof(out->error)) != 0 ||
	    tc_load_key(&fl->t, out->error, sizeof(out->error)) != 0) {
		fl->rc = -1; /* F_START fails it */
	} else if (!cfg->no_media && (!f->eng || !script)) {
		snprintf(out->error, sizeof(out->error), "a call engine and a script are required for the media leg");
		fl->rc = -1;
	} else {
		vs_telnyx_call_init(&fl->t.call, &fl->t.rng, cfg->from, cfg->to);
		if (cfg->connection_id)
			snprintf(fl->t.call.connection_id, sizeof(fl->t.call.connection_id), "%s", cfg->connection_id);
		snprintf(out->call_control_id, sizeof(out->call_control_id), "%s", fl->t.call.call_control_id);
		fl->t.esc_id = curl_easy_escape(NULL, fl->t.call.call_control_id, 0);
		if (!fl->t.esc_id) {
			snprintf(out->error, sizeof(out->error), "out of memory");
			fl->rc = -1;
		}
	}
	h = hash_id(fl->t.call.call_control_id);
	fl->hnext = f->hash[h];
	f->hash[h] = fl;
	fl->next = f->active;
	if (f->active)
		f->active->prev = fl;
	f->active = fl;
	f->nactive++;
	return 0;
}

size_t vs_cflow_active(const struct vs_cflow *f)
{
	return f->nactive;
}

void vs_cflow_run(struct vs_cflow *f, int (*tick)(void *arg, int *more), void *arg)
{
	for (;;) {
		uint64_t now, due = 0, u;
		int more = 0, next = -1, running = 0;
		long tmo = -1, ct = -1;
		struct flow *fl, *nx;
		struct curl_waitfd wfd = {.fd = f->efd, .events = CURL_WAIT_POLLIN};

		if (tick)
			next = tick(arg, &more);
		curl_multi_perform(f->multi, &running);
		read_done(f);
		now = tc_mono_ns();
		for (fl = f->active; fl; fl = nx) {
			nx = fl->next;
			if (fl->dirty || (fl->due && now >= fl->due) || atomic_load(&fl->media_end) ||
			    atomic_load(&fl->thr_done)) {
				fl->dirty = 0;
				u = step(fl);
				if (u == 1) /* ended, freed */
					continue;
				fl->due = u;
			}
			due = min_due(due, fl->due);
		}
		if (!f->active && !more)
			break;
		now = tc_mono_ns();
		poll_start(f, now);
		if (due)
			tmo = due > now ? (long)((due - now + 999999) / 1000000) : 0;
		if (next >= 0 && (tmo < 0 || next < tmo))
			tmo = next;
		if (f->poll_retry_at > now && !f->poll && f->active) {
			long pr = (long)((f->poll_retry_at - now + 999999) / 1000000);
			if (tmo < 0 || pr < tmo)
				tmo = pr;
		}
		curl_multi_timeout(f->multi, &ct);
		if (ct >= 0 && (tmo < 0 || ct < tmo))
			tmo = ct;
		if (tmo < 0 || tmo > MAX_SLEEP_MS)
			tmo = MAX_SLEEP_MS;
		if (tmo > 0)
			curl_multi_poll(f->multi, &wfd, 1, (int)tmo, NULL);
		{
			uint64_t v;
			while (read(f->efd, &v, sizeof(v)) > 0)
				;
		}
	}
}

void vs_cflow_free(struct vs_cflow *f)
{
	if (!f)
		return;
	while (f->active) {
		struct flow *fl = f->active;
		unlink_flow(f, fl);
		flow_free(fl);
	}
	if (f->poll) {
		curl_multi_remove_handle(f->multi, f->poll->hr.easy);
		req_free(f->poll);
	}
	if (f->multi)
		curl_multi_cleanup(f->multi);
	if (f->efd >= 0)
		close(f->efd);
	free(f->control_url);
	free(f);
}
