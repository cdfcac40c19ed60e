/* errors plugin, the pipeline-failure scenarios (plan 6.3): during a call a
 * provider's WebSocket fails mid-stream (world faults, docs/world.md):
 *   stt_loss   Deepgram closes 1011 mid-utterance and refuses reconnects;
 *   tts_error  Cartesia sends its error message after the first audio chunk;
 *   tts_stall  ElevenLabs (voicing because Cartesia is down) stops sending
 *              mid-reply, its socket left open.
 * Judged per scenario: the dead air the caller sat in, the fallback message
 * (its words in a TTS stand-in's text or a `speak` command), the transfer
 * to the tenant's fallback number ("handoff" scenarios), the system_errors
 * rows the agent wrote for the call, and a normal call once the fault is
 * gone (recovery). */
#include "errors.h"
#include "er_midstream.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mid {
	const char *name; /* scenario and check prefix */
	int bit;
	const char *standin_key, *fault_key, *expect_key;
	const char *primary_fault_key; /* an extra fault on tts_standin, or NULL */
};

static const struct mid MIDS[] = {
	{"stt_loss", ER_MID_STT_LOSS, "stt_loss_standin", "stt_loss_fault", "stt_loss_expect", NULL},
	{"tts_error", ER_MID_TTS_ERROR, "tts_error_standin", "tts_error_fault", "tts_error_expect", NULL},
	{"tts_stall", ER_MID_TTS_STALL, "tts_stall_standin", "tts_stall_fault", "tts_stall_expect",
	 "tts_stall_primary_fault"},
};

static void chk(struct er *e, const struct mid *m, const char *what, int st, const char *msg)
{
	char name[96];
	snprintf(name, sizeof(name), "%s.%s", m->name, what);
	e->h->check(e->c, name, st, "%s", msg);
}

/* The world's event log: the last sequence number, or the events of topic
 * since seq (new reference; NULL when the world did not answer). */
static json_t *events_since(struct er *e, const char *topic, long long since, long long *last)
{
	char url[1400], *body = NULL;
	json_t *j;
	snprintf(url, sizeof(url), "%s/_vstress/events?topic=%s&since=%lld", e->t.control_url, topic, since);
	if (er_get(url, 3000, &body, NULL) != 200 || !body) {
		free(body);
		return NULL;
	}
	j = json_loads(body, 0, NULL);
	free(body);
	if (last)
		*last = (long long)json_integer_value(json_object_get(j, "last_seq"));
	return j;
}

static int contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (!n)
		return 0;
	for (; *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return 1;
	return 0;
}

/* Where the fallback message was seen: "tts_cartesia" (its text), "speak"
 * (a Call Control command), or NULL. */
static const char *fallback_seen(struct er *e, const struct er_call *c, long long since)
{
	static char where[64];
	const char *words = er_str(e, "fallback_words");
	json_t *j = events_since(e, "tts.text", since, NULL), *ev;
	size_t i;
	const char *found = NULL;

	json_array_foreach(json_object_get(j, "events"), i, ev) {
		json_t *d = json_object_get(ev, "data");
		const char *t = json_string_value(json_object_get(d, "text"));
		if (t && contains_ci(t, words)) {
			const char *st = json_string_value(json_object_get(d, "standin"));
			snprintf(where, sizeof(where), "%s's text", st ? st : "a TTS stand-in");
			found = where;
			break;
		}
	}
	json_decref(j);
	if (found)
		return found;
	json_array_foreach(c->r.commands, i, ev) {
		const char *a = json_string_value(json_object_get(ev, "action"));
		const char *p = json_string_value(json_object_get(json_object_get(ev, "body"), "payload"));
		if (a && !strcmp(a, "speak") && p && contains_ci(p, words))
			return "a speak command";
	}
	return NULL;
}

/* The first command with this action: its time on the media's clock (ms
 * since stream start, approximately: the answer and the connect are taken
 * off), -1 when none. */
static double command_ms(const struct er_call *c, const char *action, const char **to)
{
	json_t *x;
	size_t i;
	json_array_foreach(c->r.commands, i, x) {
		const char *a = json_string_value(json_object_get(x, "action"));
		if (!a || strcmp(a, action))
			continue;
		if (to)
			*to = json_string_value(json_object_get(json_object_get(x, "body"), "to"));
		if (!json_is_number(json_object_get(x, "at_ms")))
			return 0;
		return json_number_value(json_object_get(x, "at_ms")) - c->r.answer_ms - c->r.media.connect_ms;
	}
	return -1;
}

/* The longest silence after a caller turn (or the stream's start, for the
 * greeting): until the agent's next speech,
 * else until it handed off (speak/transfer/hangup), else the end of the
 * stream; and the longest gap inside the agent's speech. */
static double dead_air(const struct er_call *c, char *how, size_t len)
{
	const struct vs_call_result *m = &c->r.media;
	double worst = 0, end = m->duration_ms;
	static const char *const hand[] = {"speak", "transfer", "hangup"};
	const char *why = "none";

	for (size_t i = 0; i < 3; i++) {
		double t = command_ms(c, hand[i], NULL);
		if (t >= 0 && t < end)
			end = t;
	}
	for (size_t t = 0; t < m->nturns; t++) {
		const struct vs_call_turn *u = &m->turns[t];
		double d;
		if (u->ref_ms < 0 || u->ref_ms >= end) /* ref 0: the greeting, from stream start */
			continue;
		d = u->replied ? u->latency_ms : end - u->ref_ms;
		if (u->replied && u->ref_ms + d > end)
			d = end - u->ref_ms;
		if (d > worst) {
			worst = d;
			why = u->replied ? "before a reply" : "no reply: until the handoff or the end of the stream";
		}
	}
	for (size_t g = 0; g < m->ngaps; g++)
		if (m->gaps[g].at_ms < end && m->gaps[g].duration_ms > worst) {
			worst = m->gaps[g].duration_ms;
			why = "a gap inside the agent's speech";
		}
	snprintf(how, len, "%s", why);
	return worst;
}

/* The shortest reply (the greeting included): agent speech heard between
 * its onset and the next caller turn (or the end); -1 when none replied. */
static double shortest_reply(const struct er_call *c)
{
	const struct vs_call_result *m = &c->r.media;
	double best = -1;
	for (size_t t = 0; t < m->nturns; t++) {
		const struct vs_call_turn *u = &m->turns[t];
		double from, to = m->duration_ms, got = 0;
		if (u->ref_ms < 0 || !u->replied)
			continue;
		from = u->ref_ms + u->latency_ms;
		for (size_t k = t + 1; k < m->nturns; k++)
			if (m->turns[k].ref_ms > from) {
				to = m->turns[k].ref_ms;
				break;
			}
		for (size_t g = 0; g < m->nsegs; g++) {
			double on = (double)m->segs[g].on / 8.0, off = (double)m->segs[g].off / 8.0;
			if (on < from)
				on = from;
			if (off > to)
				off = to;
			if (off > on)
				got += off - on;
		}
		if (best < 0 || got < best)
			best = got;
	}
	return best;
}

/* system_errors rows for the call since `since`; -1 with err. */
static long errors_for(struct er *e, const struct er_call *c, const char *since, char *err, size_t errlen)
{
	const char *tmpl = er_str(e, "pipeline_error_sql");
	char lit[300], *sql;
	size_t o = 0, cap;
	const char *id = c->r.call_control_id;
	long n;

	/* the id is ours (generated by the caller), quoted all the same */
	lit[o++] = '\'';
	for (; *id && o < sizeof(lit) - 3; id++) {
		if (*id == '\'')
			lit[o++] = '\'';
		lit[o++] = *id;
	}
	lit[o++] = '\'';
	lit[o] = 0;
	cap = strlen(tmpl) * 2 + sizeof(lit) * 4 + 1;
	sql = malloc(cap);
	if (!sql)
		return -1;
	o = 0;
	for (const char *p = tmpl; *p && o < cap - 1;) {
		if (!strncmp(p, "{call}", 6)) {
			o += (size_t)snprintf(sql + o, cap - o, "%s", lit);
			p += 6;
		} else
			sql[o++] = *p++;
	}
	sql[o] = 0;
	n = er_db_count(e, sql, since, err, errlen);
	free(sql);
	return n;
}

/* Waits until no refuse_for window of the world's is active (at most ms). */
static void wait_refusals(struct er *e, long long ms)
{
	double t0 = (double)e->h->now_ns() / 1e6;
	while ((double)e->h->now_ns() / 1e6 - t0 < (double)ms && !e->h->should_stop(e->c)) {
		char url[1200], *body = NULL;
		json_t *j, *f;
		size_t i;
		int refusing = 0;
		snprintf(url, sizeof(url), "%s/_vstress/faults", e->t.control_url);
		if (er_get(url, 3000, &body, NULL) != 200 || !body) {
			free(body);
			return;
		}
		j = json_loads(body, 0, NULL);
		free(body);
		json_array_foreach(json_object_get(j, "data"), i, f) {
			const char *o = json_string_value(json_object_get(f, "origin"));
			refusing |= o && !strcmp(o, "refuse_for") && json_is_true(json_object_get(f, "active"));
		}
		json_decref(j);
		if (!refusing)
			return;
		er_sleep_ms(e, 500);
	}
}

static void one(struct er *e, const struct mid *m)
{
	const char *standin = er_str(e, m->standin_key), *expect = er_str(e, m->expect_key);
	int handoff = !strcmp(expect, "handoff"), want_transfer = 1;
	long long since_seq = 0, limit = er_ms(e, "pipeline_dead_air");
	struct er_call c = {0}, r = {0};
	char err[400], why[600], how[120], msg[900];
	char *since;
	double air, tr_ms;
	const char *where, *to = NULL;
	long rows = -1;

	e->h->opt_bool(e->c, "handoff_transfer", &want_transfer);
	since = er_db_now(e, err, sizeof(err));
	json_decref(events_since(e, "tts.text", 0, &since_seq));
	if (m->primary_fault_key &&
	    er_fault_on(e, er_str(e, "tts_standin"), er_str(e, m->primary_fault_key), err, sizeof(err)) != 0) {
		snprintf(msg, sizeof(msg), "could not inject the fault: %s", err);
		goto skip;
	}
	if (er_fault_on(e, standin, er_str(e, m->fault_key), err, sizeof(err)) != 0) {
		snprintf(msg, sizeof(msg), "could not inject the fault: %s", err);
		goto skip;
	}
	er_call(e, e->pipe_script, m->name, &c);
	er_faults_off(e);
	if (c.failed || !c.r.answered || !c.r.media_started) {
		er_call_normal(&c, why, sizeof(why));
		snprintf(msg, sizeof(msg), "the faulted call did not stream: %s", why);
		chk(e, m, "dead_air", VS_CHECK_FAIL, msg);
		goto recover;
	}
	/* what the caller heard */
	air = dead_air(&c, how, sizeof(how));
	snprintf(msg, sizeof(msg), "longest silence %.0f ms (%s; limit %lld ms); caller turns: %zu, agent audio %.0f ms",
		 air, how, limit, c.r.media.nturns, c.r.media.agent_audio_ms);
	chk(e, m, "dead_air", air <= (double)limit ? VS_CHECK_PASS : VS_CHECK_FAIL, msg);
	where = fallback_seen(e, &c, since_seq);
	tr_ms = command_ms(&c, "transfer", &to);
	if (handoff) {
		snprintf(msg, sizeof(msg), where ? "the fallback message ('%s') was voiced: seen in %s"
					     : "no fallback message: '%s' in no TTS stand-in's text and no speak command%s",
			 er_str(e, "fallback_words"), where ? where : "");
		chk(e, m, "fallback_message", where ? VS_CHECK_PASS : VS_CHECK_FAIL, msg);
		if (!want_transfer)
			chk(e, m, "transfer", VS_CHECK_SKIP, "handoff_transfer = false");
		else {
			int ok = tr_ms >= 0 && to && e->t.fallback && !strcmp(to, e->t.fallback);
			if (tr_ms < 0)
				snprintf(msg, sizeof(msg), "no transfer command (%zu commands in all)",
					 json_array_size(c.r.commands));
			else
				snprintf(msg, sizeof(msg), "transfer to %s: %s the tenant's fallback number (%s)",
					 to ? to : "(no 'to')", ok ? "that is" : "NOT", e->t.fallback ? e->t.fallback : "unset");
			chk(e, m, "transfer", ok ? VS_CHECK_PASS : VS_CHECK_FAIL, msg);
		}
	} else {
		int normal = er_call_normal(&c, why, sizeof(why));
		long long min_reply = er_ms(e, "pipeline_min_reply");
		double shortest = shortest_reply(&c);
		normal = normal && shortest >= (double)min_reply;
		snprintf(msg, sizeof(msg), "the call carried on through the fault: %s; the shortest reply %.0f ms of speech "
			 "(at least %lld ms)%s%s", why, shortest, min_reply,
			 where ? "; the fallback message was voiced too" : "", tr_ms >= 0 ? "; it was transferred" : "");
		chk(e, m, "replies", normal ? VS_CHECK_PASS : VS_CHECK_FAIL, msg);
	}
	/* the agent's own record of it */
	if (!*er_str(e, "pipeline_error_sql"))
		chk(e, m, "error_logged", VS_CHECK_SKIP, "pipeline_error_sql is empty");
	else if (!since)
		chk(e, m, "error_logged", VS_CHECK_SKIP, err);
	else {
		/* written after the fact by some agents: a little time */
		for (int i = 0; i < 10; i++) {
			rows = errors_for(e, &c, since, err, sizeof(err));
			if (rows != 0)
				break;
			er_sleep_ms(e, 500);
		}
		if (rows < 0)
			chk(e, m, "error_logged", VS_CHECK_SKIP, err);
		else {
			snprintf(msg, sizeof(msg), "%ld system_errors row%s for call %s", rows, rows == 1 ? "" : "s",
				 c.r.call_control_id);
			chk(e, m, "error_logged", rows > 0 ? VS_CHECK_PASS : VS_CHECK_FAIL, msg);
		}
	}
recover:
	json_object_set_new(e->data, m->name,
			    json_pack("{s:s,s:s,s:s,s:o}", "standin", standin, "fault", er_str(e, m->fault_key), "expect",
				      expect, "call", er_call_json(&c)));
	/* recovery: the refusals over, then a normal call */
	wait_refusals(e, er_ms(e, "pipeline_recover_within"));
	er_sleep_ms(e, e->pause_ms);
	er_call(e, e->key_script, "recovery", &r);
	{
		int normal = er_call_normal(&r, why, sizeof(why));
		snprintf(msg, sizeof(msg), "the call after the fault: %s", why);
		chk(e, m, "recovered", normal ? VS_CHECK_PASS : VS_CHECK_FAIL, msg);
	}
	er_call_clear(&c);
	er_call_clear(&r);
	free(since);
	er_sleep_ms(e, e->pause_ms);
	return;
skip:
	er_faults_off(e);
	free(since);
	{
		static const char *const W[] = {"dead_air", "fallback_message", "transfer", "replies", "error_logged",
						"recovered"};
		for (size_t i = 0; i < sizeof(W) / sizeof(*W); i++)
			if ((handoff && strcmp(W[i], "replies")) ||
			    (!handoff && strcmp(W[i], "fallback_message") && strcmp(W[i], "transfer")))
				chk(e, m, W[i], VS_CHECK_SKIP, msg);
	}
}

void er_midstream_scenarios(struct er *e, int which)
{
	for (size_t i = 0; i < sizeof(MIDS) / sizeof(*MIDS) && !e->h->should_stop(e->c); i++)
		if (which & MIDS[i].bit) {
			e->m_turn = e->h->metric(e->c, "turn_latency_pipeline", "ms");
			one(e, &MIDS[i]);
		}
}
