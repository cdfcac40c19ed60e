/* A connection's output queue (paced items, each due at a time) and the two
 * ways a connection ends (a reset, a graceful close); below the server loop,
 * the HTTP and WebSocket layers and the Postgres proxy, which all queue output. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "world/conn.h"

static struct wout *wout_new(uint64_t due, int kind, int is_msg, const void *d, size_t n)
{
	struct wout *o = malloc(sizeof *o + n + 1);
	if (!o)
		return NULL;
	o->next = NULL;
	o->due = due;
	o->kind = kind;
	o->is_msg = is_msg;
	o->len = n;
	o->off = 0;
	if (n)
		memcpy(o->data, d, n);
	return o;
}

int cq_push_at(struct wconn *c, uint64_t due, int kind, int is_msg, const void *d, size_t n)
{
	if (due < c->last_due)
		due = c->last_due;
	struct wout *o = wout_new(due, kind, is_msg, d, n);
	if (!o)
		return -1;
	c->last_due = due;
	if (c->qt)
		c->qt->next = o;
	else
		c->qh = o;
	c->qt = o;
	return 0;
}

int cq_push(struct wconn *c, uint32_t delay_ms, int kind, int is_msg, const void *d, size_t n)
{
	uint64_t now = w_now_ms();
	uint64_t base = c->last_due > now ? c->last_due : now;
	if (c->stalled && kind != O_RESET)
		return 0; /* a stalled peer sends nothing (not even its own close): the socket stays open */
	return cq_push_at(c, base + delay_ms, kind, is_msg, d, n);
}

int cq_push_front(struct wconn *c, int kind, const void *d, size_t n)
{
	struct wout *o = wout_new(w_now_ms(), kind, 0, d, n);
	if (!o)
		return -1;
	if (c->qh && c->qh->off > 0) { /* never split a frame being written */
		o->next = c->qh->next;
		c->qh->next = o;
		if (c->qt == c->qh)
			c->qt = o;
	} else {
		o->next = c->qh;
		c->qh = o;
		if (!c->qt)
			c->qt = o;
	}
	return 0;
}

void cq_clear(struct wconn *c)
{
	struct wout *keep = NULL;
	while (c->qh) {
		struct wout *o = c->qh;
		c->qh = o->next;
		if (o->off > 0 && !keep) { /* finish the frame on the wire */
			keep = o;
			o->next = NULL;
		} else {
			free(o);
		}
	}
	c->qh = c->qt = keep;
	c->last_due = w_now_ms();
}

void conn_reset(struct world *W, struct wconn *c)
{
	(void)W;
	if (c->dead)
		return;
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	c->dead = 1;
	if (c->peer && !c->peer->dead)
		conn_reset(W, c->peer);
}

void conn_begin_close(struct wconn *c)
{
	if (c->dead || c->state == C_CLOSING)
		return;
	shutdown(c->fd, SHUT_WR);
	c->state = C_CLOSING;
	c->closing_deadline = w_now_ms() + 2000;
}
