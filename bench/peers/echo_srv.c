/* echo_srv: the far end of `make bench` (bench/README.md).  An epoll
 * WebSocket server on loopback that answers the upgrade and sends every
 * text or binary message back unmasked, as it came (a Telnyx `media` message
 * comes back as agent audio).  One thread; run pinned to its own core so the
 * generators, not the echo, are what is measured.
 *   echo_srv [--port N]     prints "LISTENING <port>", runs until SIGTERM
 * On SIGTERM it prints "ECHO frames=<n> cpu_s=<user+sys>". */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vstress/crypto/b64.h"

#define GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define BUF 16384

struct conn {
	int fd, upgraded;
	size_t n;
	uint8_t in[BUF];
};

static volatile sig_atomic_t stopping;
static unsigned long long frames;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t r = send(fd, b, n, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) { /* loopback buffers full: wait a little */
			usleep(100);
			continue;
		}
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int upgrade(struct conn *c)
{
	char *end, *k, key[64], cat[128], acc[64], h[256];
	unsigned char sha[SHA_DIGEST_LENGTH];
	size_t used;
	int n;

	c->in[c->n < BUF ? c->n : BUF - 1] = '\0';
	end = strstr((char *)c->in, "\r\n\r\n");
	if (!end)
		return c->n >= BUF - 1 ? -1 : 0;
	k = strcasestr((char *)c->in, "\r\nSec-WebSocket-Key:");
	if (!k || sscanf(k + 20, " %63[^\r\n ]", key) != 1)
		return -1;
	snprintf(cat, sizeof(cat), "%s%s", key, GUID);
	SHA1((const unsigned char *)cat, strlen(cat), sha);
	vs_b64_encode(sha, sizeof(sha), acc, sizeof(acc));
	n = snprintf(h, sizeof(h),
		     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Accept: %s\r\n\r\n",
		     acc);
	if (write_all(c->fd, h, (size_t)n))
		return -1;
	used = (size_t)(end + 4 - (char *)c->in);
	memmove(c->in, c->in + used, c->n - used);
	c->n -= used;
	c->upgraded = 1;
	return 0;
}

/* Echo every complete frame in c->in; -1 to close. */
static int echo(struct conn *c)
{
	size_t off = 0;
	uint8_t out[BUF + 16];

	while (c->n - off >= 2) {
		uint8_t *p = c->in + off;
		uint64_t len = p[1] & 0x7f;
		size_t hl = 2, o = 0;
		int op = p[0] & 0x0f, masked = p[1] & 0x80;

		if (len == 126)
			hl = 4;
		else if (len == 127)
			return -1; /* not for this bench */
		if (c->n - off < hl + (masked ? 4 : 0))
			break;
		if (len == 126)
			len = (uint64_t)p[2] << 8 | p[3];
		if (hl + 4 + len > BUF)
			return -1;
		if (c->n - off < hl + (masked ? 4 : 0) + len)
			break;
		if (op == 8) {
			uint8_t cl[4] = {0x88, 0};

			write_all(c->fd, cl, 2);
			return -1;
		}
		out[o++] = p[0];
		if (len < 126) {
			out[o++] = (uint8_t)len;
		} else {
			out[o++] = 126;
			out[o++] = (uint8_t)(len >> 8);
			out[o++] = (uint8_t)len;
		}
		for (size_t i = 0; i < len; i++)
			out[o + i] = masked ? p[hl + 4 + i] ^ p[hl + (i & 3)] : p[hl + i];
		if (op == 9)
			out[0] = 0x8a; /* ping -> pong */
		if (op == 1 || op == 2 || op == 9) {
			if (write_all(c->fd, out, o + len))
				return -1;
			frames += op != 9;
		}
		off += hl + (masked ? 4 : 0) + len;
	}
	memmove(c->in, c->in + off, c->n - off);
	c->n -= off;
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct epoll_event ev, evs[256];
	struct sigaction sa;
	struct rlimit rl;
	struct rusage ru;
	socklen_t al = sizeof(a);
	int lfd, ep, one = 1, port = 0;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: echo_srv [--port N]\n");
			return 2;
		}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_port = htons((uint16_t)port);
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 4096) ||
	    getsockname(lfd, (struct sockaddr *)&a, &al)) {
		perror("echo_srv: listen");
		return 1;
	}
	printf("LISTENING %d\n", ntohs(a.sin_port));
	fflush(stdout);
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	while (!stopping) {
		int n = epoll_wait(ep, evs, 256, 200);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (!c) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					c = calloc(1, sizeof(*c));
					if (!c) {
						close(fd);
						continue;
					}
					c->fd = fd;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			for (;;) {
				ssize_t r = read(c->fd, c->in + c->n, BUF - 1 - c->n);

				if (r < 0 && errno == EAGAIN)
					break;
				if (r > 0)
					c->n += (size_t)r;
				/* closed, a bad upgrade or frame, or a frame larger than the buffer */
				if (r <= 0 || (!c->upgraded && upgrade(c) != 0) || (c->upgraded && echo(c) != 0) ||
				    c->n >= BUF - 1) {
					close(c->fd);
					free(c);
					break;
				}
			}
		}
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("ECHO frames=%llu cpu_s=%.3f\n", frames,
	       (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		       ru.ru_stime.tv_usec / 1e6);
	return 0;
}
