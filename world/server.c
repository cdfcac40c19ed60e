/* The world's server: one epoll loop on 127.0.0.1 serving HTTP/1.1 and
 * WebSocket for every stand-in, with faults applied per request.
 *
 * Our own loop rather than libwebsockets' server: faults need exact control
 * of the socket (reset after N body bytes, stall, a refusing listener,
 * trickling a few bytes at a time), which lws' buffering hides.  See
 * docs/world.md. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "world/conn.h"

int w_ws_accept_key(const char *key, char out[64]);
int w_ws_input(struct world *W, struct wconn *c);
void w_ws_closed_cb(struct wconn *c, int code);

/* --- connections --------------------------------------------------------- */

static struct wconn *conn_new(struct world *W, int fd, struct wlistener *ls)
{
	struct wconn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->fd = fd;
	c->ls = ls;
	c->keepalive = 1;
	c->rs.c = c;
	c->ws.c = c;
	wfault_hit_init(&c->hit);
	c->next = W->conns;
	W->conns = c;
	return c;
}

static void conn_free(struct world *W, struct wconn *c)
{
	if (c->is_ws)
		w_ws_closed_cb(c, 1006);
	world_timers_drop_conn(W, c);
	if (W->on_conn_gone)
		W->on_conn_gone(W, c);
	if (c->peer) {
		c->peer->peer = NULL;
		if (!c->peer->dead)
			cq_push(c->peer, 0, O_CLOSE, 0, NULL, 0); /* after what is queued */
	}
	c->qt = NULL;
	while (c->qh) {
		struct wout *o = c->qh;
		c->qh = o->next;
		free(o);
	}
	close(c->fd);
	wbuf_free(&c->in);
	wbuf_free(&c->rs.hdrs);
	wbuf_free(&c->ws.frag);
	wreq_clear(&c->rq);
	free(c);
}

/* --- routes and counters ------------------------------------------------ */

int world_route_add(struct world *W, vs_wctx *owner, const char *method, const char *pattern, int is_ws,
		    vs_http_handler fn, const struct vs_ws_handlers *h, void *arg)
{
	if (!pattern || *pattern != '/' || (!is_ws && !fn) || (is_ws && !h))
		return -1;
	struct wroute *r = calloc(1, sizeof *r);
	if (!r)
		return -1;
	snprintf(r->method, sizeof r->method, "%s", method ? method : "*");
	r->pattern = strdup(pattern);
	if (!r->pattern) {
		free(r);
		return -1;
	}
	r->is_ws = is_ws;
	r->fn = fn;
	if (h)
		r->wsh = *h;
	r->arg = arg;
	r->owner = owner;
	/* appended, so earlier registrations win */
	struct wroute **list = !strncmp(pattern, "/_vstress/", 10) ? &W->control_routes : &W->routes;
	while (*list)
		list = &(*list)->next;
	*list = r;
	return 0;
}

void world_counter_add(vs_wctx *wc, const char *name, double d)
{
	for (size_t i = 0; i < wc->nctr; i++) {
		if (!strcmp(wc->ctr[i].name, name)) {
			wc->ctr[i].v += d;
			return;
		}
	}
	if (wc->nctr == wc->capctr) {
		size_t cap = wc->capctr ? wc->capctr * 2 : 16;
		struct wcounter *n = realloc(wc->ctr, cap * sizeof *n);
		if (!n)
			return;
		wc->ctr = n;
		wc->capctr = cap;
	}
	snprintf(wc->ctr[wc->nctr].name, sizeof wc->ctr[wc->nctr].name, "%s", name);
	wc->ctr[wc->nctr].v = d;
	wc->nctr++;
}

/* --- listeners --------------------------------------------------------- */

static int listen_fd(const char *addr, int port, int *bound)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr && *addr ? addr : "127.0.0.1", &a.sin_addr) != 1) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	socklen_t al = sizeof a;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 512) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
		close(fd);
		return -1;
	}
	*bound = ntohs(a.sin_port);
	return fd;
}

/* The URL prefix a listener on port is advertised under: [world]
 * public_url (scheme://host) when set, else the bound address (0.0.0.0
 * names no host: loopback then). ws = 1: ws:// or wss://. */
static void advertised(const struct world *W, int port, int ws, char *out, size_t n)
{
	const char *pub = W->public_url, *host = W->bind_addr[0] && strcmp(W->bind_addr, "0.0.0.0") ? W->bind_addr
												   : "127.0.0.1";
	if (!*pub) {
		snprintf(out, n, "%s://%s:%d", ws ? "ws" : "http", host, port);
		return;
	}
	int tls = !strncmp(pub, "https://", 8);
	const char *rest = strstr(pub, "://");
	rest = rest ? rest + 3 : pub;
	snprintf(out, n, "%s://%.*s:%d", ws ? (tls ? "wss" : "ws") : (tls ? "https" : "http"),
		 (int)strcspn(rest, "/"), rest, port);
}

int world_listen(struct world *W, int port, vs_wctx *owner, struct wlistener **out)
{
	struct wlistener *l = calloc(1, sizeof *l);
	if (!l)
		return -1;
	l->fd = listen_fd(W->bind_addr, port, &l->port);
	if (l->fd < 0) {
		w_log(W, owner ? owner->name : "control", VS_LOG_ERROR, "cannot listen on %s:%d: %s",
		      W->bind_addr[0] ? W->bind_addr : "127.0.0.1", port, strerror(errno));
		free(l);
		return -1;
	}
	l->owner = owner;
	l->next = W->listeners;
	W->listeners = l;
	if (owner) {
		owner->ls = l;
		advertised(W, l->port, 0, owner->url_http, sizeof owner->url_http);
		advertised(W, l->port, 1, owner->url_ws, sizeof owner->url_ws);
	} else {
		advertised(W, l->port, 0, W->control_url, sizeof W->control_url);
	}
	if (out)
		*out = l;
	return 0;
}

int world_pgproxy_listen(struct world *W, int port, const char *up_host, int up_port)
{
	struct wlistener *l = calloc(1, sizeof *l);
	if (!l)
		return -1;
	/* loopback unless [world] pg_proxy_listen says otherwise */
	l->fd = listen_fd(W->pg_bind_addr, port, &l->port);
	if (l->fd < 0) {
		w_log(W, "postgres", VS_LOG_ERROR, "cannot listen on %s:%d: %s",
		      W->pg_bind_addr[0] ? W->pg_bind_addr : "127.0.0.1", port, strerror(errno));
		free(l);
		return -1;
	}
	l->pgproxy = 1;
	snprintf(l->up_host, sizeof l->up_host, "%s", up_host);
	l->up_port = up_port;
	l->next = W->listeners;
	W->listeners = l;
	return l->port;
}

static const char *ls_target(const struct wlistener *l, const char **alias)
{
	if (l->pgproxy) {
		*alias = "pg";
		return "postgres";
	}
	*alias = l->owner ? l->owner->alias : "";
	return l->owner ? l->owner->name : NULL;
}

/* A rate-1 refuse fault closes the listener, so connecting gets ECONNREFUSED;
 * it is reopened on the same port when the fault ends. */
static void check_refusing(struct world *W)
{
	for (struct wlistener *l = W->listeners; l; l = l->next) {
		const char *alias, *t = ls_target(l, &alias);
		if (!t)
			continue;
		int refusing = wfaults_refusing(&W->faults, t, alias);
		if (refusing && !l->closed_for_refuse) {
			close(l->fd); /* leaves the epoll set */
			l->fd = -1;
			l->ep_added = 0;
			l->closed_for_refuse = 1;
			w_log(W, t, VS_LOG_INFO, "refusing connections on port %d", l->port);
		} else if (!refusing && l->closed_for_refuse) {
			int p;
			l->fd = listen_fd(l->pgproxy ? W->pg_bind_addr : W->bind_addr, l->port, &p);
			if (l->fd >= 0) {
				l->closed_for_refuse = 0;
				w_log(W, t, VS_LOG_INFO, "accepting connections again on port %d", l->port);
			}
		}
	}
}

/* A "cut" fault resets every open connection of its target while active. */
static void check_cut(struct world *W)
{
	for (struct wconn *c = W->conns; c; c = c->next) {
		if (c->dead || (c->ls == NULL))
			continue;
		const char *alias, *t = ls_target(c->ls, &alias);
		if (!t)
			continue;
		struct wfault_hit h;
		(void)h;
		for (size_t i = 0; i < W->faults.n; i++) {
			struct wfault *f = &W->faults.f[i];
			uint64_t now = w_now_ms();
			if (f->kind != WF_CUT || now < f->start_ms || (f->end_ms && now >= f->end_ms))
				continue;
			if (strcmp(f->target, "*") && strcmp(f->target, t) && strcmp(f->target, alias))
				continue;
			conn_reset(W, c);
			break;
		}
	}
}

static void do_accept(struct world *W, struct wlistener *l)
{
	for (int i = 0; i < 64; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		const char *alias, *t = ls_target(l, &alias);
		struct wfault_hit h;
		if (t && wfaults_draw(&W->faults, t, alias, 1, &h) && h.refuse) {
			struct linger lg = {.l_onoff = 1, .l_linger = 0};
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
			close(fd);
			if (l->owner)
				world_counter_add(l->owner, "faults.refuse", 1);
			continue;
		}
		struct wconn *c = conn_new(W, fd, l);
		if (!c) {
			close(fd);
			return;
		}
		if (l->pgproxy && wpg_accept(W, l, fd) < 0)
			conn_reset(W, c);
	}
}

/* --- HTTP dispatch ----------------------------------------------------- */

static const struct wroute *find_route(struct world *W, struct wconn *c, int want_ws, int *method_ok)
{
	vs_wreq *rq = &c->rq;
	int control = !strncmp(rq->path, "/_vstress/", 10) || !strcmp(rq->path, "/_vstress");
	struct wroute *list = control ? W->control_routes : W->routes;
	*method_ok = 1;
	int path_seen = 0;
	for (const struct wroute *r = list; r; r = r->next) {
		if (!control && r->owner != c->ls->owner)
			continue;
		if (r->is_ws != want_ws)
			continue;
		if (!w_route_match(r->pattern, rq->path, NULL))
			continue;
		path_seen = 1;
		if (!r->is_ws && strcmp(r->method, "*") && strcasecmp(r->method, rq->method))
			continue;
		w_route_match(r->pattern, rq->path, rq);
		return r;
	}
	if (path_seen)
		*method_ok = 0;
	return NULL;
}

static void simple_error(vs_wresp *rs, int status, const char *msg)
{
	wresp_json_steal(rs, status, json_pack("{s:s}", "error", msg));
}

/* A fault took effect on c: its refuse_for (if any) starts now. */
static void fault_fired(struct world *W, struct wconn *c)
{
	struct wfault_hit *h = &c->hit;
	if (h->refuse_for_ms <= 0)
		return;
	if (wfaults_refuse_for(&W->faults, h->refuse_target, h->refuse_for_ms) == 0)
		w_log(W, h->refuse_target, VS_LOG_INFO, "refusing connections for %.0f ms after the fault", h->refuse_for_ms);
	h->refuse_for_ms = 0;
}

static void msg_faults(struct world *W, struct wconn *c);

static void http_ws_upgrade(struct world *W, struct wconn *c, const struct wroute *r)
{
	vs_wresp *rs = &c->rs;
	(void)W;
	const char *key = wreq_header(&c->rq, "Sec-WebSocket-Key");
	char acc[64];
	if (!key || w_ws_accept_key(key, acc) < 0) {
		simple_error(rs, 400, "bad websocket handshake");
		wresp_finish(rs);
		return;
	}
	if (c->hit.stall && c->hit.stall_after_msgs < 0)
		return; /* never answer the upgrade */
	if (c->hit.error_status && c->hit.error_after_msgs < 0) {
		wresp_error(rs, c->hit.error_status, c->hit.error_message[0] ? c->hit.error_message : NULL);
		c->keepalive = 0;
		wresp_finish(rs);
		return;
	}
	if (r->wsh.on_upgrade && r->wsh.on_upgrade(W->api, r->owner, &c->rq, rs, r->arg) != 0) {
		if (!rs->started)
			wresp_error(rs, 403, NULL);
		c->keepalive = 0;
		wresp_finish(rs);
		return;
	}
	struct wbuf h = {0};
	wbuf_printf(&h,
		    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		    "Sec-WebSocket-Accept: %s\r\n\r\n",
		    acc);
	cq_push(c, 0, O_HDR, 0, h.p, h.len);
	wbuf_free(&h);
	c->state = C_WS;
	c->is_ws = 1;
	c->busy = 0;
	c->ws.wc = r->owner;
	c->ws.route = r;
	if (r->wsh.on_open && r->wsh.on_open(W->api, r->owner, &c->ws, r->arg) != 0 && !c->ws.close_sent) {
		extern int w_ws_close(vs_ws * ws, uint32_t delay_ms, int code, const char *reason);
		w_ws_close(&c->ws, 0, 1011, "rejected");
	}
	msg_faults(W, c); /* after_messages=0: at once */
}

static void http_dispatch(struct world *W, struct wconn *c)
{
	vs_wreq *rq = &c->rq;
	vs_wresp *rs = &c->rs;
	const char *up = wreq_header(rq, "Upgrade");
	int want_ws = up && !strcasecmp(up, "websocket");
	int method_ok;

	wbuf_free(&rs->hdrs);
	memset(rs, 0, sizeof *rs);
	rs->c = c;
	wfault_hit_init(&c->hit);
	c->body_bytes = c->msgs_sent = 0;
	c->stalled = 0;
	c->busy = 1;
	const char *conn = wreq_header(rq, "Connection");
	if (!strcmp(rq->version, "HTTP/1.0") || (conn && !strcasecmp(conn, "close")))
		c->keepalive = 0;

	const struct wroute *r = find_route(W, c, want_ws, &method_ok);
	int control = !strncmp(rq->path, "/_vstress", 9);
	if (!r && want_ws)
		r = NULL;
	vs_wctx *owner = r ? r->owner : c->ls->owner;
	rs->wc = owner;
	w_log(W, owner ? owner->name : "control", VS_LOG_DEBUG, "%s %s%s%s", rq->method, rq->path,
	      *rq->query ? "?" : "", rq->query);
	if (!control && owner) {
		world_counter_add(owner, "requests", 1);
		if (wfaults_draw_req(&W->faults, owner->name, owner->alias, rq->body, rq->body_len, &c->hit)) {
			if (c->hit.latency_ms > 0)
				c->last_due = w_now_ms() + (uint64_t)c->hit.latency_ms;
			if (c->hit.error_status)
				world_counter_add(owner, "faults.error", 1);
			if (c->hit.stall)
				world_counter_add(owner, "faults.stall", 1);
		}
	}
	if (control && !world_token_ok(W, wreq_header(rq, "Authorization"))) {
		w_log(W, "control", VS_LOG_WARN, "%s %s refused: no valid bearer token", rq->method, rq->path);
		wresp_header(rs, "WWW-Authenticate", "Bearer");
		simple_error(rs, 401, "the control API needs the run's bearer token (Authorization: Bearer ...)");
		wresp_finish(rs);
		return;
	}
	if (!r) {
		simple_error(rs, method_ok ? 404 : 405, method_ok ? "no such route" : "method not allowed");
		wresp_finish(rs);
		return;
	}
	if (r->is_ws) {
		http_ws_upgrade(W, c, r);
		return;
	}
	if (c->hit.stall && c->hit.stall_after_msgs < 0) {
		fault_fired(W, c);
		return; /* accepted, never answered */
	}
	if (c->hit.error_status && c->hit.error_after_msgs < 0) {
		fault_fired(W, c);
		wresp_error(rs, c->hit.error_status, c->hit.error_message[0] ? c->hit.error_message : NULL);
		wresp_finish(rs);
		return;
	}
	int rc = r->fn(W->api, owner, rq, rs, r->arg);
	if (rc < 0 && !rs->started)
		simple_error(rs, 500, "stand-in handler failed");
	if (!rs->deferred)
		wresp_finish(rs);
}

static void http_input(struct world *W, struct wconn *c)
{
	while (!c->busy && !c->dead && c->state == C_HTTP && c->in.len) {
		struct wbuf body = {0};
		long total = w_http_request(&c->rq, c->in.p, c->in.len, &body);
		if (total <= 0) {
			wbuf_free(&body);
			if (total < 0) {
				conn_reset(W, c);
				return;
			}
			const char *ex = c->rq.method ? wreq_header(&c->rq, "Expect") : NULL;
			if (ex && !strcasecmp(ex, "100-continue") && !c->sent_continue) {
				c->sent_continue = 1;
				cq_push_front(c, O_HDR, "HTTP/1.1 100 Continue\r\n\r\n", 25);
			}
			return;
		}
		c->sent_continue = 0;
		c->rq.body = body.p ? body.p : calloc(1, 1);
		c->rq.body_len = body.len;
		wbuf_consume(&c->in, (size_t)total);
		http_dispatch(W, c);
	}
}

static void conn_input(struct world *W, struct wconn *c)
{
	if (c->state == C_HTTP)
		http_input(W, c);
	if (c->state == C_WS && !c->dead)
		w_ws_input(W, c);
	else if (c->state == C_CLOSING)
		c->in.len = 0;
}

/* --- writing ------------------------------------------------------------ */

/* The faults that act after N messages went out (also checked once right
 * after a WebSocket opens, for N = 0). */
static void msg_faults(struct world *W, struct wconn *c)
{
	struct wfault_hit *h = &c->hit;
	if (h->reset_after_msgs >= 0 && c->msgs_sent >= h->reset_after_msgs) {
		fault_fired(W, c);
		conn_reset(W, c);
	} else if (h->close_after_msgs >= 0 && c->msgs_sent >= h->close_after_msgs) {
		fault_fired(W, c);
		if (c->is_ws) {
			conn_ws_fault_close(c, h->close_code);
			h->close_after_msgs = -1;
		} else {
			cq_clear(c);
			conn_begin_close(c);
		}
	} else if (c->is_ws && h->error_status && h->error_after_msgs >= 0 && c->msgs_sent >= h->error_after_msgs &&
		   !c->ws.close_sent) {
		int st = h->error_status;
		vs_wctx *wc = c->ws.wc;
		h->error_after_msgs = -1;
		h->error_status = 0;
		fault_fired(W, c);
		cq_clear(c);
		if (wc && wc->ws_err)
			wc->ws_err(W->api, wc, &c->ws, st, h->error_message[0] ? h->error_message : NULL);
		else
			conn_ws_fault_close(c, 1011);
	} else if (h->stall && h->stall_after_msgs >= 0 && c->msgs_sent >= h->stall_after_msgs && !c->stalled) {
		fault_fired(W, c);
		cq_clear(c);
		c->stalled = 1;
	}
}

static void after_msg(struct world *W, struct wconn *c)
{
	c->msgs_sent++;
	msg_faults(W, c);
}

static void conn_flush(struct world *W, struct wconn *c)
{
	c->want_write = 0;
	while (c->qh && !c->dead) {
		struct wout *o = c->qh;
		uint64_t now = w_now_ms();
		if (o->due > now || c->next_write > now)
			return;
		if (o->kind != O_DATA && o->kind != O_HDR) {
			c->qh = o->next;
			if (!c->qh)
				c->qt = NULL;
			int kind = o->kind;
			free(o);
			if (kind == O_END) {
				c->busy = 0;
				if (!c->keepalive)
					conn_begin_close(c);
				else
					http_input(W, c);
			} else if (kind == O_CLOSE) {
				cq_clear(c);
				conn_begin_close(c);
				return;
			} else if (kind == O_RESET) {
				conn_reset(W, c);
				return;
			}
			continue;
		}
		if (c->state == C_CLOSING)
			return;
		size_t n = o->len - o->off;
		int counted = o->kind == O_DATA;
		struct wfault_hit *h = &c->hit;
		if (counted && h->reset_after_bytes >= 0) {
			long long lim = h->reset_after_bytes - c->body_bytes;
			if (lim <= 0) {
				fault_fired(W, c);
				conn_reset(W, c);
				return;
			}
			if ((long long)n > lim)
				n = (size_t)lim;
		}
		if (counted && h->close_after_bytes >= 0) {
			long long lim = h->close_after_bytes - c->body_bytes;
			if (lim <= 0) {
				fault_fired(W, c);
				if (c->is_ws) {
					conn_ws_fault_close(c, h->close_code);
					h->close_after_bytes = -1;
					continue;
				}
				cq_clear(c);
				conn_begin_close(c);
				return;
			}
			if ((long long)n > lim)
				n = (size_t)lim;
		}
		if (counted && h->trickle_bytes > 0 && (long long)n > h->trickle_bytes)
			n = (size_t)h->trickle_bytes;
		ssize_t w = send(c->fd, o->data + o->off, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				c->want_write = 1;
			else
				c->dead = 1;
			return;
		}
		o->off += (size_t)w;
		if (counted) {
			c->body_bytes += w;
			if (h->trickle_bytes > 0)
				c->next_write = now + (uint64_t)h->trickle_ms;
		}
		if (o->off == o->len) {
			int msg = o->is_msg;
			c->qh = o->next;
			if (!c->qh)
				c->qt = NULL;
			free(o);
			if (msg)
				after_msg(W, c);
		}
	}
}

static void conn_read(struct world *W, struct wconn *c)
{
	char buf[65536];
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof buf, 0);
		if (n > 0) {
			if (c->state == C_PG) {
				extern void wpg_forward(struct world *, struct wconn *, const char *, size_t);
				wpg_forward(W, c, buf, (size_t)n);
				continue;
			}
			if (c->state != C_CLOSING && wbuf_add(&c->in, buf, (size_t)n) < 0) {
				c->dead = 1;
				return;
			}
			if (c->in.len > W_MAX_BODY + 65536) {
				conn_reset(W, c);
				return;
			}
			continue;
		}
		if (n == 0) {
			if (c->state == C_PG && c->peer && !c->peer->dead)
				cq_push(c->peer, 0, O_CLOSE, 0, NULL, 0);
			c->dead = 1;
			return;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		c->dead = 1;
		return;
	}
}

/* --- the loop ------------------------------------------------------------ */

static int next_timeout(struct world *W)
{
	uint64_t now = w_now_ms(), next = now + 100; /* faults windows, refusals */
	for (struct wconn *c = W->conns; c; c = c->next) {
		if (c->qh && !c->want_write && c->state != C_CLOSING) {
			uint64_t d = c->qh->due > c->next_write ? c->qh->due : c->next_write;
			if (d < next)
				next = d;
		}
		if (c->state == C_CLOSING && c->closing_deadline < next)
			next = c->closing_deadline;
	}
	uint64_t t = world_timers_next(W);
	if (t && t < next)
		next = t;
	return next <= now ? 0 : (int)(next - now);
}

/* Every listener and connection in the epoll set with the events it wants
 * now (a new one added, a changed want_write modified); a closed descriptor
 * left the set when it was closed.  Listeners carry a tagged pointer. */
static int ep_sync(struct world *W)
{
	for (struct wlistener *l = W->listeners; l; l = l->next) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)(uintptr_t)l | 1u};
		if (l->fd < 0 || l->ep_added)
			continue;
		if (epoll_ctl(W->epfd, EPOLL_CTL_ADD, l->fd, &ev) != 0)
			return -1;
		l->ep_added = 1;
	}
	for (struct wconn *c = W->conns; c; c = c->next) {
		uint32_t want = EPOLLIN | (c->want_write ? EPOLLOUT : 0);
		struct epoll_event ev = {.events = want, .data.ptr = c};
		if (c->fd < 0 || want == c->ep_mask)
			continue;
		if (epoll_ctl(W->epfd, c->ep_mask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev) != 0) {
			c->dead = 1; /* a descriptor epoll refuses cannot be served */
			continue;
		}
		c->ep_mask = want;
	}
	return 0;
}

int world_run(struct world *W)
{
	struct epoll_event evs[256];
	int rc = -1;

	W->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (W->epfd < 0)
		return -1;
	while (!W->stop) {
		check_refusing(W);
		check_cut(W);
		world_timers_run(W);
		for (struct wconn *c = W->conns; c; c = c->next)
			if (!c->dead)
				conn_flush(W, c);
		/* reap */
		uint64_t now = w_now_ms();
		for (struct wconn **pc = &W->conns; *pc;) {
			struct wconn *c = *pc;
			if (c->state == C_CLOSING && now >= c->closing_deadline)
				c->dead = 1;
			if (c->dead) {
				*pc = c->next;
				conn_free(W, c);
			} else {
				pc = &c->next;
			}
		}
		if (ep_sync(W) != 0)
			goto out;
		/* one wait over the ready descriptors only (not a walk of every
		 * connection, as poll() was: the world serves thousands of streams) */
		int r = epoll_wait(W->epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), next_timeout(W));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		for (int i = 0; i < r; i++) {
			uint32_t re = evs[i].events;
			if (evs[i].data.u64 & 1u) {
				do_accept(W, (struct wlistener *)(uintptr_t)(evs[i].data.u64 & ~(uint64_t)1));
				continue;
			}
			struct wconn *c = evs[i].data.ptr;
			if (c->dead)
				continue;
			if (re & (EPOLLIN | EPOLLHUP | EPOLLERR))
				conn_read(W, c);
			if (!c->dead)
				conn_input(W, c);
			if (!c->dead && (re & EPOLLOUT))
				conn_flush(W, c);
		}
	}
	rc = 0;
out:
	close(W->epfd);
	W->epfd = -1;
	return rc;
}

int world_init(struct world *W)
{
	memset(W, 0, sizeof *W);
	W->log_level = VS_LOG_INFO;
	W->events = json_array();
	W->next_seq = 1;
	W->started_ms = w_now_ms();
	return W->events ? 0 : -1;
}

void world_free(struct world *W)
{
	while (W->conns) {
		struct wconn *c = W->conns;
		W->conns = c->next;
		conn_free(W, c);
	}
	while (W->listeners) {
		struct wlistener *l = W->listeners;
		W->listeners = l->next;
		if (l->fd >= 0)
			close(l->fd);
		free(l);
	}
	world_timers_free(W);
	struct wroute *lists[2] = {W->routes, W->control_routes};
	for (int i = 0; i < 2; i++) {
		while (lists[i]) {
			struct wroute *r = lists[i];
			lists[i] = r->next;
			free(r->pattern);
			free(r);
		}
	}
	for (size_t i = 0; i < W->nctx; i++) {
		vs_wctx *wc = W->ctx[i];
		if (wc->exit_fn)
			wc->exit_fn(wc->exit_arg);
		free(wc->ctr);
		for (size_t k = 0; k < wc->nenv; k++) {
			free(wc->env[k].k);
			free(wc->env[k].v);
		}
		free(wc);
	}
	free(W->ctx);
	for (size_t i = 0; i < W->ndialogues; i++) {
		wdialogue_free(W->dialogues[i]);
		free(W->dialogue_cache[i].k);
	}
	json_decref(W->events);
	free(W->subs);
	free(W->faults.f);
	wconf_free(&W->conf);
	memset(W, 0, sizeof *W);
}
