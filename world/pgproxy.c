/* A TCP fault proxy in front of Postgres: pass-through, latency per chunk
 * (both directions), stall, refuse (at accept) and cut (every open
 * connection reset while the fault is active).  Target name "postgres". */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "world/conn.h"

static int connect_upstream(const char *host, int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		close(fd);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

int wpg_accept(struct world *W, struct wlistener *ls, int cfd)
{
	struct wconn *c = W->conns; /* conn_new() put it first */
	if (!c || c->fd != cfd)
		return -1;
	c->state = C_PG;
	struct wfault_hit h;
	wfaults_draw(&W->faults, "postgres", "pg", 0, &h);
	int ufd = connect_upstream(ls->up_host, ls->up_port);
	if (ufd < 0) {
		w_log(W, "postgres", VS_LOG_WARN, "upstream %s:%d: %s", ls->up_host, ls->up_port, strerror(errno));
		return -1;
	}
	struct wconn *u = calloc(1, sizeof *u);
	if (!u) {
		close(ufd);
		return -1;
	}
	u->fd = ufd;
	u->ls = ls;
	u->state = C_PG;
	u->rs.c = u;
	u->ws.c = u;
	wfault_hit_init(&u->hit);
	u->next = W->conns;
	W->conns = u;
	c->peer = u;
	u->peer = c;
	c->pg_latency_ms = u->pg_latency_ms = h.latency_ms;
	c->pg_stall = u->pg_stall = h.stall;
	if (h.reset_after_bytes >= 0 || h.reset_after_msgs >= 0) /* reset after N bytes towards the client */
		c->hit.reset_after_bytes = h.reset_after_bytes >= 0 ? h.reset_after_bytes : 0;
	return 0;
}

void wpg_forward(struct world *W, struct wconn *c, const char *buf, size_t n);
void wpg_forward(struct world *W, struct wconn *c, const char *buf, size_t n)
{
	(void)W;
	if (!c->peer || c->pg_stall)
		return;
	cq_push_at(c->peer, w_now_ms() + (uint64_t)c->pg_latency_ms, O_DATA, 0, buf, n);
}

void wpg_cut_all(struct world *W, struct wlistener *ls)
{
	for (struct wconn *c = W->conns; c; c = c->next)
		if (c->ls == ls && c->state == C_PG)
			conn_reset(W, c);
}
