/* The engine's event loops: one thread each, epoll over the calls'
 * sockets, one timerfd armed for the earliest deadline of all its calls
 * (a min-heap of the calls' deadlines), an eventfd for submissions and aborts from
 * other threads.  A wake costs O(log n) per due call and nothing per idle
 * connection.  call_engine.c holds what a call does on each event. */
#include <errno.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "call_int.h"

uint64_t call_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* --- the deadline heap ----------------------------------------------------- */

static void heap_set(struct call_loop *l, size_t i, struct call_hent h)
{
	l->heap[i] = h;
	h.c->hidx = i + 1;
}

static void sift_up(struct call_loop *l, size_t i)
{
	struct call_hent h = l->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (l->heap[p].due <= h.due)
			break;
		heap_set(l, i, l->heap[p]);
		i = p;
	}
	heap_set(l, i, h);
}

static void sift_down(struct call_loop *l, size_t i)
{
	struct call_hent h = l->heap[i];

	for (;;) {
		size_t k = 2 * i + 1;

		if (k >= l->nheap)
			break;
		if (k + 1 < l->nheap && l->heap[k + 1].due < l->heap[k].due)
			k++;
		if (l->heap[k].due >= h.due)
			break;
		heap_set(l, i, l->heap[k]);
		i = k;
	}
	heap_set(l, i, h);
}

void call_loop_unschedule(struct vs_call *c)
{
	struct call_loop *l = c->loop;
	size_t i;

	if (!c->hidx)
		return;
	i = c->hidx - 1;
	c->hidx = 0;
	if (i == --l->nheap)
		return;
	{
		struct vs_call *m = l->heap[l->nheap].c;

		heap_set(l, i, l->heap[l->nheap]);
		sift_up(l, i);
		sift_down(l, m->hidx - 1);
	}
}

void call_loop_schedule(struct vs_call *c, uint64_t due)
{
	struct call_loop *l = c->loop;

	if (c->hidx) {
		size_t i = c->hidx - 1;
		uint64_t old = l->heap[i].due;

		l->heap[i].due = due;
		if (due < old)
			sift_up(l, i);
		else
			sift_down(l, i);
		return;
	}
	if (l->nheap == l->capheap) {
		size_t ncap = l->capheap ? l->capheap * 2 : 256;
		struct call_hent *n = realloc(l->heap, ncap * sizeof(*n));

		if (!n)
			return; /* out of memory: the call stalls until an event; reported by its timing */
		l->heap = n;
		l->capheap = ncap;
	}
	l->heap[l->nheap++] = (struct call_hent){due, c};
	sift_up(l, l->nheap - 1);
}

static void arm_timer(struct call_loop *l)
{
	uint64_t due = l->nheap ? l->heap[0].due : 0;
	struct itimerspec its;

	if (due == l->armed)
		return;
	memset(&its, 0, sizeof(its));
	if (due) {
		its.it_value.tv_sec = (time_t)(due / 1000000000ull);
		its.it_value.tv_nsec = (long)(due % 1000000000ull);
	}
	timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
	l->armed = due;
}

/* --- sockets --------------------------------------------------------------- */

int call_loop_watch(struct vs_call *c)
{
	uint32_t want = ws_conn_events(&c->ws);
	struct epoll_event ev = {.events = want, .data.ptr = c};

	if (c->ws.fd < 0 || want == c->ev_armed)
		return 0;
	if (epoll_ctl(c->loop->ep, c->ev_armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->ws.fd, &ev) != 0)
		return -1;
	c->ev_armed = want;
	return 0;
}

void call_loop_unwatch(struct vs_call *c)
{
	struct call_loop *l = c->loop;

	if (c->ev_armed && c->ws.fd >= 0)
		epoll_ctl(l->ep, EPOLL_CTL_DEL, c->ws.fd, NULL);
	c->ev_armed = 0;
	/* an event of this call still waiting in the batch must not reach it:
	 * an ended call may be freed by its owner before the batch is done */
	for (int i = l->batch_at + 1; i < l->nbatch; i++)
		if (l->batch[i].data.ptr == c)
			l->batch[i].data.ptr = NULL;
}

/* --- the loop -------------------------------------------------------------- */

/* Every deadline that has come: frames to send, timeouts. */
static void run_due(struct call_loop *l)
{
	uint64_t now = call_now_ns();

	while (l->nheap && l->heap[0].due <= now) {
		struct vs_call *c = l->heap[0].c;

		call_loop_unschedule(c);
		l->e->ops->on_timer(c, now);
	}
}

static void on_wake(struct call_loop *l)
{
	struct vs_call *todo, *next, *rev = NULL;
	uint64_t v;
	unsigned gen;

	if (read(l->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&l->mu);
	todo = l->pending;
	l->pending = NULL;
	gen = l->abort_gen;
	pthread_mutex_unlock(&l->mu);
	for (; todo; todo = next) { /* reverse: start in submission order */
		next = todo->next;
		todo->next = rev;
		rev = todo;
	}
	for (todo = rev; todo; todo = next) {
		next = todo->next;
		todo->next = l->active;
		l->active = todo;
		l->e->ops->begin(todo);
		run_due(l); /* thousands of connects at once must not hold back due frames */
	}
	if (gen == l->abort_seen)
		return;
	l->abort_seen = gen;
	for (struct vs_call *c = l->active; c; c = next) {
		int req;

		next = c->next;
		pthread_mutex_lock(&l->mu);
		req = c->abort_req;
		pthread_mutex_unlock(&l->mu);
		if (req)
			l->e->ops->on_abort(c, req);
	}
}

static void *loop_main(void *arg)
{
	struct call_loop *l = arg;
	struct epoll_event evs[256];

	for (;;) {
		int n = epoll_wait(l->ep, evs, 256, -1), stop;

		if (n < 0 && errno != EINTR)
			break;
		l->batch = evs;
		l->nbatch = n;
		for (l->batch_at = 0; l->batch_at < n; l->batch_at++) {
			void *p = evs[l->batch_at].data.ptr;

			if (!p) /* its call ended earlier in this batch */
				continue;
			if (p == &l->efd) {
				on_wake(l);
			} else if (p == &l->tfd) {
				uint64_t x;

				if (read(l->tfd, &x, sizeof(x)) < 0 && errno != EAGAIN)
					perror("call engine: timerfd");
				l->armed = 0; /* expired: arm again below */
			} else {
				l->e->ops->on_io(p, evs[l->batch_at].events);
			}
			/* a frame due goes out before the rest of the batch is read:
			 * hundreds of connection set-ups (or echoes) in one batch
			 * must not hold back the calls already streaming */
			run_due(l);
		}
		l->nbatch = 0;
		run_due(l);
		arm_timer(l);
		pthread_mutex_lock(&l->mu);
		stop = l->stop;
		pthread_mutex_unlock(&l->mu);
		if (stop)
			break;
	}
	/* calls handed over but not begun end too, so no vs_call_wait hangs */
	pthread_mutex_lock(&l->mu);
	while (l->pending) {
		struct vs_call *c = l->pending;

		l->pending = c->next;
		c->next = l->active;
		l->active = c;
	}
	pthread_mutex_unlock(&l->mu);
	while (l->active)
		l->e->ops->kill(l->active, "aborted: the engine was freed");
	return NULL;
}

static void loop_poke(struct call_loop *l)
{
	uint64_t one = 1;

	if (write(l->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		perror("call engine: eventfd");
}

static void loop_destroy(struct call_loop *l)
{
	if (l->started) {
		pthread_mutex_lock(&l->mu);
		l->stop = 1;
		pthread_mutex_unlock(&l->mu);
		loop_poke(l);
		pthread_join(l->thr, NULL);
	}
	if (l->ep >= 0)
		close(l->ep);
	if (l->tfd >= 0)
		close(l->tfd);
	if (l->efd >= 0)
		close(l->efd);
	free(l->heap);
	pthread_mutex_destroy(&l->mu);
	pthread_mutex_destroy(&l->stat_mu);
}

static int loop_init(struct vs_call_engine *e, struct call_loop *l)
{
	struct epoll_event ev = {.events = EPOLLIN};

	l->e = e;
	l->ep = l->tfd = l->efd = -1;
	pthread_mutex_init(&l->mu, NULL);
	pthread_mutex_init(&l->stat_mu, NULL);
	call_lat_reset(&l->lat);
	if (getrandom(&l->rng, sizeof(l->rng), 0) != sizeof(l->rng))
		l->rng = call_now_ns();
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->ep < 0 || l->tfd < 0 || l->efd < 0)
		return -1;
	ev.data.ptr = &l->tfd;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, l->tfd, &ev) != 0)
		return -1;
	ev.data.ptr = &l->efd;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, l->efd, &ev) != 0)
		return -1;
	if (pthread_create(&l->thr, NULL, loop_main, l) != 0)
		return -1;
	l->started = 1;
	return 0;
}

/* --- the engine ------------------------------------------------------------ */

/* Each call needs one descriptor: raise the soft limit towards the hard one. */
static void raise_nofile(int want)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= (rlim_t)want)
		return;
	r.rlim_cur = r.rlim_max == RLIM_INFINITY || r.rlim_max >= (rlim_t)want ? (rlim_t)want : r.rlim_max;
	setrlimit(RLIMIT_NOFILE, &r);
}

int call_engine_create(struct vs_call_engine **out, const struct vs_call_engine_opts *o, const struct call_loop_ops *ops,
		       char *err, size_t errlen)
{
	struct vs_call_engine *e;
	int n = o && o->engines > 0 ? o->engines : 0;
	const char *env = getenv("VS_CALL_ENGINES");

	*out = NULL;
	if (!n && env && *env) {
		char *end = NULL;
		long v = strtol(env, &end, 10);

		if (*end || v < 1 || v > 64) {
			snprintf(err, errlen, "VS_CALL_ENGINES=%s: want a number of engine threads, 1..64", env);
			return -1;
		}
		n = (int)v;
	}
	if (n > 64) {
		snprintf(err, errlen, "engines = %d: at most 64 engine threads", n);
		return -1;
	}
	if (!n)
		n = 1;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->loops = calloc((size_t)n, sizeof(*e->loops)))) {
		free(e);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	e->ops = ops;
	e->max_calls = o && o->max_calls > 0 ? o->max_calls : 1024;
	raise_nofile(e->max_calls + 256);
	e->ssl = SSL_CTX_new(TLS_client_method());
	if (!e->ssl) {
		snprintf(err, errlen, "OpenSSL: cannot create the client context");
		goto fail;
	}
	SSL_CTX_set_mode(e->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (o && o->tls_insecure) {
		SSL_CTX_set_verify(e->ssl, SSL_VERIFY_NONE, NULL);
	} else {
		SSL_CTX_set_verify(e->ssl, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_default_verify_paths(e->ssl);
	}
	for (; e->nloops < n; e->nloops++)
		if (loop_init(e, &e->loops[e->nloops]) != 0) {
			snprintf(err, errlen, "call engine %d: cannot set up its epoll loop: %s", e->nloops + 1,
				 strerror(errno));
			e->nloops++;
			goto fail;
		}
	*out = e;
	return 0;
fail:
	vs_call_engine_free(e);
	return -1;
}

void vs_call_engine_free(struct vs_call_engine *e)
{
	if (!e)
		return;
	for (int i = 0; i < e->nloops; i++)
		loop_destroy(&e->loops[i]);
	if (e->ssl)
		SSL_CTX_free(e->ssl);
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cv);
	free(e->loops);
	free(e);
}

/* The loop with the fewest calls takes the next one. */
void call_loop_submit(struct vs_call_engine *e, struct vs_call *c)
{
	struct call_loop *l = &e->loops[0];

	pthread_mutex_lock(&e->mu);
	for (int i = 1; i < e->nloops; i++)
		if (e->loops[i].load < l->load)
			l = &e->loops[i];
	l->load++;
	pthread_mutex_unlock(&e->mu);
	c->loop = l;
	pthread_mutex_lock(&l->mu);
	c->next = l->pending;
	l->pending = c;
	pthread_mutex_unlock(&l->mu);
	loop_poke(l);
}

void call_loop_request_abort(struct vs_call *c, int req)
{
	struct call_loop *l = c->loop;

	pthread_mutex_lock(&l->mu);
	if (!c->abort_req) {
		c->abort_req = req;
		l->abort_gen++;
	}
	pthread_mutex_unlock(&l->mu);
	loop_poke(l);
}

void call_loop_release(struct vs_call *c)
{
	pthread_mutex_lock(&c->e->mu);
	if (c->loop && c->loop->load)
		c->loop->load--;
	pthread_mutex_unlock(&c->e->mu);
}

int vs_call_engine_stats(struct vs_call_engine *e, struct vs_call_engine_stats *st)
{
	struct call_lat *all;

	memset(st, 0, sizeof(*st));
	if (!e || !(all = calloc(1, sizeof(*all))))
		return -1;
	for (int i = 0; i < e->nloops; i++) {
		struct call_loop *l = &e->loops[i];

		pthread_mutex_lock(&l->stat_mu);
		call_lat_add(all, &l->lat);
		st->frames_sent += l->frames_sent;
		st->frames_received += l->frames_received;
		st->late_frames += l->late_frames;
		st->calls_done += l->calls_done;
		pthread_mutex_unlock(&l->stat_mu);
	}
	st->engines = e->nloops;
	st->late_count = all->count;
	st->late_p50_ms = (double)call_lat_percentile(all, 50) / 1e6;
	st->late_p99_ms = (double)call_lat_percentile(all, 99) / 1e6;
	st->late_p999_ms = (double)call_lat_percentile(all, 99.9) / 1e6;
	st->late_max_ms = (double)all->max / 1e6;
	free(all);
	return 0;
}
