/* The world's timers: a min-heap on (due, id), an id index for cancelling,
 * each timer optionally bound to a connection (dropped with it).  Below the
 * server loop, which runs what is due and sleeps until the earliest, and the
 * WebSocket layer, whose stand-in timers go when a stream closes.  Adding,
 * cancelling and firing cost O(log n) however many streams hold timers. */
#include <stdlib.h>

#include "world/conn.h"

static int before(const struct wtimer *a, const struct wtimer *b)
{
	return a->due < b->due || (a->due == b->due && a->id < b->id);
}

static void put(struct world *W, size_t i, struct wtimer *t)
{
	W->theap[i] = t;
	t->hidx = i;
}

static void sift_up(struct world *W, size_t i)
{
	struct wtimer *t = W->theap[i];

	while (i > 0 && before(t, W->theap[(i - 1) / 2])) {
		put(W, i, W->theap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	put(W, i, t);
}

static void sift_down(struct world *W, size_t i)
{
	struct wtimer *t = W->theap[i];

	for (;;) {
		size_t l = 2 * i + 1, m = i;
		const struct wtimer *best = t;
		if (l < W->ntimers && before(W->theap[l], best))
			m = l, best = W->theap[l];
		if (l + 1 < W->ntimers && before(W->theap[l + 1], best))
			m = l + 1;
		if (m == i)
			break;
		put(W, i, W->theap[m]);
		i = m;
	}
	put(W, i, t);
}

static struct wtimer **id_slot(struct world *W, long id)
{
	struct wtimer **pp = &W->tbyid[(unsigned long)id % W_TIMER_BUCKETS];

	while (*pp && (*pp)->id != id)
		pp = &(*pp)->idnext;
	return pp;
}

/* Out of the heap and the index, and freed. */
static void remove_timer(struct world *W, struct wtimer *t)
{
	struct wtimer **pp = id_slot(W, t->id);
	size_t i = t->hidx;

	if (*pp)
		*pp = t->idnext;
	W->ntimers--;
	if (i < W->ntimers) { /* the last one takes its place, then finds its own */
		struct wtimer *x = W->theap[W->ntimers];
		put(W, i, x);
		sift_up(W, i);
		sift_down(W, x->hidx);
	}
	free(t);
}

long world_timer_add(struct world *W, struct wconn *c, uint64_t delay_ms,
		     void (*fn)(struct world *, struct wconn *, void *, void *), void *a1, void *a2)
{
	struct wtimer *t;

	if (W->ntimers == W->captimers) {
		size_t cap = W->captimers ? W->captimers * 2 : 64;
		struct wtimer **h = realloc(W->theap, cap * sizeof(*h));
		if (!h)
			return -1;
		W->theap = h;
		W->captimers = cap;
	}
	if (!(t = calloc(1, sizeof *t)))
		return -1;
	t->id = ++W->next_timer;
	t->due = w_now_ms() + delay_ms;
	t->c = c;
	t->fn = fn;
	t->arg1 = a1;
	t->arg2 = a2;
	t->idnext = W->tbyid[(unsigned long)t->id % W_TIMER_BUCKETS];
	W->tbyid[(unsigned long)t->id % W_TIMER_BUCKETS] = t;
	put(W, W->ntimers++, t);
	sift_up(W, t->hidx);
	return t->id;
}

void world_timer_set_ws(struct world *W, long id, vs_ws_timer_cb fn)
{
	struct wtimer *t = *id_slot(W, id);

	if (t)
		t->wsfn = fn;
}

void world_timer_cancel(struct world *W, long id)
{
	struct wtimer *t = *id_slot(W, id);

	if (t)
		remove_timer(W, t);
}

/* Removes every timer that matches (ws: only the stand-in timers) of c. */
static void drop_matching(struct world *W, struct wconn *c, int ws_only)
{
	for (size_t i = W->ntimers; i-- > 0;) {
		if (i >= W->ntimers) /* a removal moved the tail below us */
			continue;
		struct wtimer *t = W->theap[i];
		if (t->c == c && (!ws_only || t->wsfn)) {
			remove_timer(W, t);
			i = W->ntimers; /* the heap was reordered: look again from its end */
		}
	}
}

void world_timers_drop_ws(struct world *W, struct wconn *c)
{
	drop_matching(W, c, 1);
}

void world_timers_drop_conn(struct world *W, struct wconn *c)
{
	drop_matching(W, c, 0);
}

void world_timers_run(struct world *W)
{
	uint64_t now = w_now_ms();

	while (W->ntimers && W->theap[0]->due <= now) {
		struct wtimer *t = W->theap[0], **pp = id_slot(W, t->id);
		/* out first: the callback may add and cancel timers */
		if (*pp)
			*pp = t->idnext;
		W->ntimers--;
		if (W->ntimers) {
			put(W, 0, W->theap[W->ntimers]);
			sift_down(W, 0);
		}
		if (t->c && t->c->dead) { /* its connection is going: it never fires */
			free(t);
			continue;
		}
		if (t->wsfn && t->c)
			t->wsfn(W->api, t->c->ws.wc, &t->c->ws, t->arg1);
		else
			t->fn(W, t->c, t->arg1, t->arg2);
		free(t);
	}
}

uint64_t world_timers_next(const struct world *W)
{
	return W->ntimers ? W->theap[0]->due : 0;
}

void world_timers_free(struct world *W)
{
	for (size_t i = 0; i < W->ntimers; i++)
		free(W->theap[i]);
	free(W->theap);
	W->theap = NULL;
	W->ntimers = W->captimers = 0;
	for (size_t b = 0; b < W_TIMER_BUCKETS; b++)
		W->tbyid[b] = NULL;
}
