/* The world's control API (docs/world.md), every route behind the run's
 * bearer token (world_token_ok):
 *   GET  /_vstress/health             {"ok":true}
 *   GET  /_vstress/urls               every stand-in's URLs and env
 *   GET  /_vstress/stats              counters per stand-in; DELETE resets
 *   GET  /_vstress/faults             the fault table
 *   POST /_vstress/faults             add one fault object or an array
 *   DELETE /_vstress/faults[?target=] remove all (of a target)
 *   DELETE /_vstress/faults/{id}      remove one
 *   GET  /_vstress/events?topic=&since=&wait_ms=&<field>=<value>
 *                                     (topic=wf.* : every topic starting "wf.")
 *                                     the event log, long-polling */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "world/conn.h"


struct wpoll_wait {
	struct wpoll_wait *next;
	struct world *W;
	struct wconn *c;
	long timer;
};

static int reply(vs_wresp *rs, int status, json_t *j)
{
	return wresp_json_steal(rs, status, j);
}

static int h_health(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)w, (void)wc, (void)rq;
	struct world *W = arg;
	/* mono_ns: this host's CLOCK_MONOTONIC, for a remote caller's clock offset (docs/waterfall.md) */
	return reply(rs, 200, json_pack("{s:b,s:I,s:I}", "ok", 1, "uptime_ms", (json_int_t)(w_now_ms() - W->started_ms),
					"mono_ns", (json_int_t)w_now_ns()));
}

json_t *world_urls_json(struct world *W)
{
	json_t *o = json_object(), *st = json_object(), *env = json_object();
	json_object_set_new(o, "control", json_string(W->control_url));
	for (size_t i = 0; i < W->nctx; i++) {
		vs_wctx *wc = W->ctx[i];
		if (!wc->ls)
			continue;
		json_object_set_new(st, wc->name,
				    json_pack("{s:s,s:s,s:i}", "http", wc->url_http, "ws", wc->url_ws, "port", wc->ls->port));
		for (size_t k = 0; k < wc->nenv; k++) {
			/* expand {http}, {ws} and {hostport} */
			struct wbuf b = {0};
			for (const char *p = wc->env[k].v; *p;) {
				if (!strncmp(p, "{http}", 6)) {
					wbuf_add(&b, wc->url_http, strlen(wc->url_http));
					p += 6;
				} else if (!strncmp(p, "{ws}", 4)) {
					wbuf_add(&b, wc->url_ws, strlen(wc->url_ws));
					p += 4;
				} else if (!strncmp(p, "{hostport}", 10)) {
					/* host:port alone (a URL with userinfo: a Sentry DSN) */
					const char *hp = strstr(wc->url_http, "://");
					hp = hp ? hp + 3 : wc->url_http;
					wbuf_add(&b, hp, strcspn(hp, "/"));
					p += 10;
				} else {
					wbuf_add(&b, p++, 1);
				}
			}
			json_object_set_new(env, wc->env[k].k, json_string(b.p ? b.p : ""));
			wbuf_free(&b);
		}
	}
	for (struct wlistener *l = W->listeners; l; l = l->next) {
		if (!l->pgproxy)
			continue;
		char u[96];
		snprintf(u, sizeof u, "%s:%d", W->pg_bind_addr[0] ? W->pg_bind_addr : "127.0.0.1", l->port);
		json_object_set_new(st, "postgres", json_pack("{s:s,s:i,s:s}", "addr", u, "port", l->port, "upstream",
								l->up_host));
		json_object_set_new(env, "VSTRESS_PG_PROXY_PORT", json_integer(l->port));
	}
	json_object_set_new(env, "VSTRESS_WORLD_CONTROL_URL", json_string(W->control_url));
	json_object_set_new(o, "standins", st);
	json_object_set_new(o, "env", env);
	return o;
}

static int h_urls(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)w, (void)wc, (void)rq;
	return reply(rs, 200, world_urls_json(arg));
}

static int h_stats(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)w, (void)wc;
	struct world *W = arg;
	int reset = !strcmp(rq->method, "DELETE");
	json_t *o = json_object();
	for (size_t i = 0; i < W->nctx; i++) {
		vs_wctx *x = W->ctx[i];
		if (!x->ls)
			continue;
		json_t *c = json_object();
		for (size_t k = 0; k < x->nctr; k++) {
			double v = x->ctr[k].v;
			json_object_set_new(c, x->ctr[k].name, v == (double)(json_int_t)v ? json_integer((json_int_t)v) : json_real(v));
			if (reset)
				x->ctr[k].v = 0;
		}
		json_object_set_new(o, x->name, c);
	}
	return reply(rs, 200, o);
}

static int target_known(struct world *W, const char *t)
{
	if (!strcmp(t, "*") || !strcmp(t, "postgres") || !strcmp(t, "pg"))
		return 1;
	for (size_t i = 0; i < W->nctx; i++)
		if (!strcmp(W->ctx[i]->name, t) || !strcmp(W->ctx[i]->alias, t))
			return 1;
	return 0;
}

static int h_faults(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)w, (void)wc;
	struct world *W = arg;
	if (!strcmp(rq->method, "GET"))
		return reply(rs, 200, json_pack("{s:o}", "data", wfaults_to_json(&W->faults)));
	if (!strcmp(rq->method, "DELETE")) {
		const char *t = wreq_query(rq, "target");
		int n = wfaults_delete(&W->faults, t, 0);
		w_log(W, "control", VS_LOG_INFO, "deleted %d fault(s)", n);
		return reply(rs, 200, json_pack("{s:i}", "deleted", n));
	}
	json_error_t je;
	json_t *j = json_loadb(rq->body, rq->body_len, 0, &je);
	if (!j)
		return reply(rs, 400, json_pack("{s:s}", "error", "body is not JSON"));
	json_t *list = json_is_array(j) ? json_incref(j) : json_pack("[O]", j);
	json_t *added = json_array();
	size_t i;
	json_t *f;
	int status = 201;
	char err[256] = "";
	json_array_foreach(list, i, f)
	{
		const char *t = json_string_value(json_object_get(f, "target"));
		if (t && !target_known(W, t)) {
			snprintf(err, sizeof err, "unknown target \"%s\"", t);
			status = 400;
			break;
		}
		if (wfault_from_json(&W->faults, f, "api", err, sizeof err) < 0) {
			status = 400;
			break;
		}
		const struct wfault *nf = &W->faults.f[W->faults.n - 1];
		w_log(W, "control", VS_LOG_INFO, "fault %llu added: %s %s rate %.3f", (unsigned long long)nf->id,
		      nf->target, wfault_kind_name(nf->kind), nf->rate);
		json_array_append_new(added, json_integer((json_int_t)nf->id));
	}
	json_decref(list);
	json_decref(j);
	if (status != 201) {
		json_decref(added);
		return reply(rs, status, json_pack("{s:s}", "error", err));
	}
	return reply(rs, 201, json_pack("{s:o,s:o}", "ids", added, "data", wfaults_to_json(&W->faults)));
}

static int h_fault_one(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)w, (void)wc;
	struct world *W = arg;
	const char *id = wreq_param(rq, "id");
	int n = wfaults_delete(&W->faults, NULL, id ? strtoull(id, NULL, 10) : 0);
	return reply(rs, n ? 200 : 404, json_pack("{s:i}", "deleted", n));
}

/* --- events -------------------------------------------------------------- */

static int event_matches(const vs_wreq *rq, const json_t *ev)
{
	const char *topic = wreq_query(rq, "topic");
	const char *since = wreq_query(rq, "since");
	const char *et = json_string_value(json_object_get(ev, "topic"));
	size_t tl = topic ? strlen(topic) : 0;
	if (!et)
		return 0;
	if (tl > 2 && !strcmp(topic + tl - 2, ".*")) { /* "wf.*": a topic family */
		if (strncmp(et, topic, tl - 1))
			return 0;
	} else if (topic && *topic && strcmp(topic, "*") && strcmp(topic, et)) {
		return 0;
	}
	if (since && json_integer_value(json_object_get(ev, "seq")) <= strtoll(since, NULL, 10))
		return 0;
	const json_t *data = json_object_get(ev, "data");
	for (int i = 0; i < rq->nqs; i++) {
		const char *k = rq->qs[i].k;
		if (!strcmp(k, "topic") || !strcmp(k, "since") || !strcmp(k, "wait_ms") || !strcmp(k, "limit"))
			continue;
		const json_t *v = json_object_get(data, k);
		char num[64];
		const char *s = json_string_value(v);
		if (json_is_integer(v)) {
			snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
			s = num;
		} else if (json_is_boolean(v)) {
			s = json_is_true(v) ? "true" : "false";
		}
		if (!s || strcmp(s, rq->qs[i].v))
			return 0;
	}
	return 1;
}

static json_t *events_select(struct world *W, const vs_wreq *rq)
{
	json_t *out = json_array();
	const char *lim = wreq_query(rq, "limit");
	size_t limit = lim ? strtoul(lim, NULL, 10) : 1000;
	size_t i;
	json_t *ev;
	json_array_foreach(W->events, i, ev)
	{
		if (json_array_size(out) >= limit)
			break;
		if (event_matches(rq, ev))
			json_array_append(out, ev);
	}
	return out;
}

static void answer_events(struct world *W, struct wconn *c)
{
	json_t *evs = events_select(W, &c->rq);
	json_int_t last = (json_int_t)W->next_seq - 1;
	reply(&c->rs, 200, json_pack("{s:o,s:I}", "events", evs, "last_seq", last));
	c->rs.deferred = 0;
	wresp_finish(&c->rs);
}

static void wait_remove(struct world *W, struct wpoll_wait *pw)
{
	for (struct wpoll_wait **p = &W->waits; *p; p = &(*p)->next) {
		if (*p == pw) {
			*p = pw->next;
			break;
		}
	}
	pw->c->wait = NULL;
	free(pw);
}

static void wait_timeout(struct world *W, struct wconn *c, void *a1, void *a2)
{
	(void)a2;
	struct wpoll_wait *pw = a1;
	wait_remove(W, pw);
	answer_events(W, c);
}

static void waits_conn_gone(struct world *W, struct wconn *c)
{
	if (c->wait)
		wait_remove(W, c->wait); /* its timer dies with the connection */
}

static int h_events(const struct vs_world *w, vs_wctx *wc, const vs_wreq *rq, vs_wresp *rs, void *arg)
{
	(void)w, (void)wc;
	struct world *W = arg;
	const char *wait = wreq_query(rq, "wait_ms");
	json_t *evs = events_select(W, rq);
	long wait_ms = wait ? strtol(wait, NULL, 10) : 0;
	if (json_array_size(evs) || wait_ms <= 0) {
		json_int_t last = (json_int_t)W->next_seq - 1;
		return reply(rs, 200, json_pack("{s:o,s:I}", "events", evs, "last_seq", last));
	}
	json_decref(evs);
	struct wpoll_wait *pw = calloc(1, sizeof *pw);
	if (!pw)
		return -1;
	pw->W = W;
	pw->c = rs->c;
	pw->timer = world_timer_add(W, rs->c, (uint64_t)(wait_ms > 600000 ? 600000 : wait_ms), wait_timeout, pw, NULL);
	pw->next = W->waits;
	W->waits = pw;
	rs->c->wait = pw;
	rs->deferred = 1;
	return 0;
}

int world_write_urls(struct world *W, const char *path)
{
	json_t *u = world_urls_json(W);
	char tmp[4096];
	int rc = -1;
	size_t pl = strlen(path);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	/* 0600: a token the world made itself is in it */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!fp) {
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (W->token_generated)
		json_object_set_new(u, "token", json_string(W->token));
	if (pl > 5 && !strcmp(path + pl - 5, ".json")) {
		json_dumpf(u, fp, JSON_INDENT(2));
		fputc('\n', fp);
	} else {
		const char *k;
		json_t *v;
		if (W->token_generated)
			fprintf(fp, "VSTRESS_WORLD_TOKEN=%s\n", W->token);
		json_object_foreach(json_object_get(u, "env"), k, v)
		{
			if (json_is_string(v))
				fprintf(fp, "%s=%s\n", k, json_string_value(v));
			else
				fprintf(fp, "%s=%lld\n", k, (long long)json_integer_value(v));
		}
		json_object_foreach(json_object_get(u, "standins"), k, v)
		{
			char up[64];
			snprintf(up, sizeof up, "%s", k);
			for (char *p = up; *p; p++)
				if (*p >= 'a' && *p <= 'z')
					*p = (char)(*p - 'a' + 'A');
			if (json_object_get(v, "http"))
				fprintf(fp, "VSTRESS_WORLD_%s_URL=%s\nVSTRESS_WORLD_%s_WS=%s\n", up,
					json_string_value(json_object_get(v, "http")), up,
					json_string_value(json_object_get(v, "ws")));
		}
	}
	if (fclose(fp) != 0)
		goto out;
	rc = rename(tmp, path);
out:
	json_decref(u);
	return rc;
}

/* Every published event: answer the long-polls it matches. */
static void on_event(void *arg, uint64_t seq, const char *topic, const json_t *data)
{
	(void)seq, (void)topic, (void)data;
	struct world *W = arg;
	const json_t *e = json_array_get(W->events, json_array_size(W->events) - 1);
	for (struct wpoll_wait *pw = W->waits, *next; pw; pw = next) {
		next = pw->next;
		if (!e || !event_matches(&pw->c->rq, e))
			continue;
		struct wconn *c = pw->c;
		world_timer_cancel(W, pw->timer);
		wait_remove(W, pw);
		answer_events(W, c);
	}
}

int world_control_register(struct world *W)
{
	int rc = 0;
	W->on_conn_gone = waits_conn_gone;
	rc |= world_subscribe(W, "*", on_event, W);
	rc |= world_route_add(W, NULL, "GET", "/_vstress/health", 0, h_health, NULL, W);
	rc |= world_route_add(W, NULL, "GET", "/_vstress/urls", 0, h_urls, NULL, W);
	rc |= world_route_add(W, NULL, "GET", "/_vstress/stats", 0, h_stats, NULL, W);
	rc |= world_route_add(W, NULL, "DELETE", "/_vstress/stats", 0, h_stats, NULL, W);
	rc |= world_route_add(W, NULL, "*", "/_vstress/faults", 0, h_faults, NULL, W);
	rc |= world_route_add(W, NULL, "DELETE", "/_vstress/faults/{id}", 0, h_fault_one, NULL, W);
	rc |= world_route_add(W, NULL, "GET", "/_vstress/events", 0, h_events, NULL, W);
	return rc ? -1 : 0;
}
