/* The vs_world table handed to stand-ins: thin wrappers over the server,
 * configuration, counters, dialogue and events.  The top of the world's
 * layers: nothing below calls into this file (the server reaches the table
 * through W->api, which main.c sets). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world/conn.h"

int w_ws_close(vs_ws *ws, uint32_t delay_ms, int code, const char *reason);

static int api_add_http_route(vs_wctx *wc, const char *method, const char *pattern, vs_http_handler fn, void *arg)
{
	if (!wc || !wc->in_hook)
		return -1;
	return world_route_add(wc->W, wc, method, pattern, 0, fn, NULL, arg);
}

static int api_add_ws_route(vs_wctx *wc, const char *pattern, const struct vs_ws_handlers *h, void *arg)
{
	if (!wc || !wc->in_hook)
		return -1;
	return world_route_add(wc->W, wc, "GET", pattern, 1, NULL, h, arg);
}

static int api_set_error_builder(vs_wctx *wc, vs_error_builder fn)
{
	wc->err = fn;
	return 0;
}

static int api_set_ws_error_builder(vs_wctx *wc, vs_ws_error_builder fn)
{
	wc->ws_err = fn;
	return 0;
}

static const char *api_req_method(const vs_wreq *rq) { return rq->method; }
static const char *api_req_path(const vs_wreq *rq) { return rq->path; }

static const char *api_req_body(const vs_wreq *rq, size_t *len)
{
	if (len)
		*len = rq->body_len;
	return rq->body ? rq->body : "";
}

static json_t *api_req_json(const vs_wreq *rq)
{
	if (!rq->body || !rq->body_len)
		return NULL;
	return json_loadb(rq->body, rq->body_len, 0, NULL);
}

static int api_resp_stream(vs_wresp *rs, int mode)
{
	return wresp_begin_stream(rs, mode);
}

/* Queues one WebSocket message, corrupting it for a malformed fault. */
static int ws_send(vs_ws *ws, uint32_t delay_ms, int op, const void *d, size_t n)
{
	struct wconn *c = ws->c;
	if (ws->close_sent || c->dead)
		return -1;
	long long idx = c->rs.msgs++;
	if (c->hit.malformed && idx == c->hit.malformed_after_msgs && op == 1) {
		char *bad = malloc(n / 2 + 16);
		if (!bad)
			return -1;
		memcpy(bad, d, n / 2);
		memcpy(bad + n / 2, "}{\"malformed", 12);
		int rc = ws_frame(c, delay_ms, op, bad, n / 2 + 12, 0);
		free(bad);
		return rc;
	}
	return ws_frame(c, delay_ms, op, d, n, 0);
}

static int api_ws_send_text(vs_ws *ws, uint32_t delay_ms, const char *text, size_t len)
{
	return ws_send(ws, delay_ms, 1, text, len);
}

static int api_ws_send_binary(vs_ws *ws, uint32_t delay_ms, const void *data, size_t len)
{
	return ws_send(ws, delay_ms, 2, data, len);
}

static void api_ws_set_data(vs_ws *ws, void *data) { ws->data = data; }
static void *api_ws_data(const vs_ws *ws) { return ws->data; }
static const vs_wreq *api_ws_request(const vs_ws *ws) { return &ws->c->rq; }

/* ws timers are run by run_timers() through their wsfn. */
static void ws_timer_fire(struct world *W, struct wconn *c, void *arg, void *unused)
{
	(void)W;
	(void)c;
	(void)arg;
	(void)unused;
}

static long api_ws_timer(vs_ws *ws, uint32_t delay_ms, vs_ws_timer_cb fn, void *arg)
{
	struct wconn *c = ws->c;
	if (c->dead || ws->closed_cb || !fn)
		return -1; /* closed: on_close has run, nothing may fire after it */
	long id = world_timer_add(ws->wc->W, c, delay_ms, ws_timer_fire, arg, NULL);
	if (id > 0)
		world_timer_set_ws(ws->wc->W, id, fn);
	return id;
}

static void api_ws_timer_cancel(vs_ws *ws, long id)
{
	world_timer_cancel(ws->wc->W, id);
}

static uint64_t api_ws_backlog_ms(const vs_ws *ws)
{
	uint64_t now = w_now_ms();
	return ws->c->last_due > now && ws->c->qh ? ws->c->last_due - now : 0;
}

static const char *api_conf(vs_wctx *wc, const char *key)
{
	return wconf_get(&wc->W->conf, wc->name, key);
}

static long long api_conf_int(vs_wctx *wc, const char *key, long long def)
{
	const char *v = api_conf(wc, key);
	char *end;
	if (!v || !*v)
		return def;
	long long r = strtoll(v, &end, 10);
	return *end ? def : r;
}

static double api_conf_double(vs_wctx *wc, const char *key, double def)
{
	const char *v = api_conf(wc, key);
	double d;
	if (!v || !*v)
		return def;
	/* durations ("250ms", "1.5s") read as milliseconds */
	if (w_parse_ms(v, &d) == 0)
		return d;
	return def;
}

static const char *api_conf_any(vs_wctx *wc, const char *section, const char *key)
{
	return wconf_get(&wc->W->conf, section, key);
}

static void api_log(vs_wctx *wc, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void api_log(vs_wctx *wc, int level, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	w_log(wc->W, wc->name, level, "%s", buf);
}

static uint64_t api_rand(vs_wctx *wc)
{
	return w_splitmix(&wc->rng);
}

static int api_dialogue_reply(vs_wctx *wc, const char *user_text, struct vs_reply *out)
{
	struct world *W = wc->W;
	const char *path = api_conf(wc, "dialogue");
	if (!path)
		path = wconf_get(&W->conf, "world", "dialogue");
	if (!path)
		path = "conf.d/dialogue/default.ini";
	struct wdialogue *d = NULL;
	for (size_t i = 0; i < W->ndialogues; i++)
		if (!strcmp(W->dialogue_cache[i].k, path))
			d = W->dialogues[i];
	if (!d && W->ndialogues < 16) {
		char err[256] = "";
		d = wdialogue_load(path, err, sizeof err);
		if (!d) {
			w_log(W, wc->name, VS_LOG_WARN, "dialogue: %s; using the built-in default reply", err);
			d = wdialogue_load(NULL, err, sizeof err); /* the empty dialogue */
		}
		if (d) {
			W->dialogue_cache[W->ndialogues].k = strdup(path);
			W->dialogues[W->ndialogues++] = d;
		}
	}
	if (!d) {
		memset(out, 0, sizeof *out);
		out->text = "Sorry, I did not catch that.";
		out->tool_args = "{}";
		out->rule = "default";
		return 0;
	}
	wdialogue_reply(d, user_text, out);
	return 0;
}

static uint64_t api_publish(vs_wctx *wc, const char *topic, json_t *ev)
{
	return world_publish(wc->W, topic, ev);
}

static int api_subscribe(vs_wctx *wc, const char *topic, vs_event_cb fn, void *arg)
{
	return world_subscribe(wc->W, topic, fn, arg);
}

static const char *api_base_url(vs_wctx *wc, char scheme)
{
	return scheme == 'w' ? wc->url_ws : wc->url_http;
}

static int api_export_env(vs_wctx *wc, const char *name, const char *value)
{
	if (!wc->in_hook || wc->nenv >= sizeof wc->env / sizeof wc->env[0] || !name || !value)
		return -1;
	wc->env[wc->nenv].k = strdup(name);
	wc->env[wc->nenv].v = strdup(value);
	wc->nenv++;
	return 0;
}

static int api_at_exit(vs_wctx *wc, void (*fn)(void *arg), void *arg)
{
	if (!wc->in_hook)
		return -1;
	wc->exit_fn = fn;
	wc->exit_arg = arg;
	return 0;
}

static void api_resp_status(vs_wresp *rs, int s) { wresp_status(rs, s); }
static void api_resp_header(vs_wresp *rs, const char *n, const char *v) { wresp_header(rs, n, v); }
static int api_resp_body(vs_wresp *rs, uint32_t d, const void *b, size_t n) { return wresp_body(rs, d, b, n); }
static int api_resp_json(vs_wresp *rs, int s, json_t *j) { return wresp_json_steal(rs, s, j); }
static int api_resp_chunk(vs_wresp *rs, uint32_t d, const void *b, size_t n) { return wresp_item(rs, d, b, n); }
static int api_resp_sse(vs_wresp *rs, uint32_t d, const char *e, const char *x) { return wresp_sse(rs, d, e, x); }
static int api_resp_error(vs_wresp *rs, int s, const char *m) { return wresp_error(rs, s, m); }

const struct vs_world w_api = {
	.abi_version = VS_WORLD_ABI_VERSION,
	.size = sizeof(struct vs_world),
	.add_http_route = api_add_http_route,
	.add_ws_route = api_add_ws_route,
	.set_error_builder = api_set_error_builder,
	.req_method = api_req_method,
	.req_path = api_req_path,
	.req_param = wreq_param,
	.req_query = wreq_query,
	.req_header = wreq_header,
	.req_body = api_req_body,
	.req_json = api_req_json,
	.resp_status = api_resp_status,
	.resp_header = api_resp_header,
	.resp_body = api_resp_body,
	.resp_json_steal = api_resp_json,
	.resp_stream = api_resp_stream,
	.resp_chunk = api_resp_chunk,
	.resp_sse = api_resp_sse,
	.resp_error = api_resp_error,
	.ws_send_text = api_ws_send_text,
	.ws_send_binary = api_ws_send_binary,
	.ws_close = w_ws_close,
	.ws_set_data = api_ws_set_data,
	.ws_data = api_ws_data,
	.ws_request = api_ws_request,
	.ws_timer = api_ws_timer,
	.ws_timer_cancel = api_ws_timer_cancel,
	.ws_backlog_ms = api_ws_backlog_ms,
	.conf = api_conf,
	.conf_int = api_conf_int,
	.conf_double = api_conf_double,
	.conf_any = api_conf_any,
	.count = world_counter_add,
	.log = api_log,
	.now_ms = w_now_ms,
	.rand = api_rand,
	.dialogue_reply = api_dialogue_reply,
	.publish = api_publish,
	.subscribe = api_subscribe,
	.base_url = api_base_url,
	.export_env = api_export_env,
	.at_exit = api_at_exit,
	.set_ws_error_builder = api_set_ws_error_builder,
};
