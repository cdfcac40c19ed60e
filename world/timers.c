/* The world's timers: one list, each due at a time and optionally bound to a
 * connection (dropped with it).  Below the server loop, which runs what is
 * due, and the WebSocket layer, whose stand-in timers go when a stream closes. */
#include <stdlib.h>

#include "world/conn.h"

long world_timer_add(struct world *W, struct wconn *c, uint64_t delay_ms,
		     void (*fn)(struct world *, struct wconn *, void *, void *), void *a1, void *a2)
{
	struct wtimer *t = calloc(1, sizeof *t);
	if (!t)
		return -1;
	t->id = ++W->next_timer;
	t->due = w_now_ms() + delay_ms;
	t->c = c;
	t->fn = fn;
	t->arg1 = a1;
	t->arg2 = a2;
	t->next = W->timers;
	W->timers = t;
	return t->id;
}

void world_timer_cancel(struct world *W, long id)
{
	for (struct wtimer **t = &W->timers; *t; t = &(*t)->next) {
		if ((*t)->id == id) {
			struct wtimer *x = *t;
			*t = x->next;
			free(x);
			return;
		}
	}
}

void world_timers_drop_ws(struct world *W, struct wconn *c)
{
	for (struct wtimer **t = &W->timers; *t;) {
		if ((*t)->c == c && (*t)->wsfn) {
			struct wtimer *x = *t;
			*t = x->next;
			free(x);
		} else {
			t = &(*t)->next;
		}
	}
}

void world_timers_run(struct world *W)
{
	uint64_t now = w_now_ms();
	for (;;) {
		struct wtimer **t, *due = NULL;
		for (t = &W->timers; *t; t = &(*t)->next) {
			if ((*t)->due <= now && !((*t)->c && (*t)->c->dead)) {
				due = *t;
				*t = due->next;
				break;
			}
		}
		if (!due)
			return;
		if (due->wsfn && due->c)
			due->wsfn(W->api, due->c->ws.wc, &due->c->ws, due->arg1);
		else
			due->fn(W, due->c, due->arg1, due->arg2);
		free(due);
	}
}

void world_timers_drop_conn(struct world *W, struct wconn *c)
{
	for (struct wtimer **t = &W->timers; *t;) {
		if ((*t)->c == c) {
			struct wtimer *x = *t;
			*t = x->next;
			free(x);
		} else {
			t = &(*t)->next;
		}
	}
}
