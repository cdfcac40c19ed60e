/* floor: the raw epoll floor of `make bench` (bench/README.md).  N
 * WebSocket connections to the echo, then one shared 20 ms tick (timerfd)
 * that writes the same pre-built masked 160-byte binary frame to every
 * socket; epoll reads the echoes back and counts them.  No JSON, no base64,
 * no audio work: what moving the bytes alone costs.  Prints the same line
 * shape as bench/calls (lateness = each write's time minus the tick's
 * intended time, in core/hist's HDR histogram).
 *   floor --port P [--calls N] [--seconds S] */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "hist.h"

#define FRAME 160
#define TICK_NS 20000000LL

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static long rss_kib(void)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &res) != 2)
		res = 0;
	fclose(f);
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Blocking connect + upgrade (setup is not measured), then non-blocking. */
static int open_ws(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	static const char req[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
				  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
	char buf[512];
	size_t n = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
		return -1;
	while (n < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);

		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			break;
	}
	if (strncmp(buf, "HTTP/1.1 101", 12) != 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

int main(int argc, char **argv)
{
	int n = 100, secs = 10, port = 0, tfd, ep;
	int *fds;
	uint8_t frame[4 + 4 + FRAME];
	struct vs_hist *h = NULL;
	struct itimerspec its;
	struct epoll_event ev, evs[256];
	unsigned long long sent = 0, rx_bytes = 0;
	int64_t start, end, tick;
	double c0, c1, t0, t1;
	long rss0, rss_mid = 0;
	struct rlimit rl;
	static uint8_t buf[65536];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--calls") && i + 1 < argc)
			n = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			secs = atoi(argv[++i]);
		else
			port = 0, i = argc;
	}
	if (!port || n < 1 || secs < 1) {
		fprintf(stderr, "usage: floor --port P [--calls N] [--seconds S]\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (vs_hist_new(1000, 60000000000LL, 3, &h) != 0 || !(fds = calloc((size_t)n, sizeof(*fds))))
		return 1;
	frame[0] = 0x82; /* binary, FIN; 160 > 125: 16-bit length */
	frame[1] = 0x80 | 126;
	frame[2] = FRAME >> 8;
	frame[3] = FRAME & 0xff;
	memcpy(frame + 4, "\x12\x34\x56\x78", 4);
	for (int i = 0; i < FRAME; i++)
		frame[8 + i] = (uint8_t)(0xff ^ frame[4 + (i & 3)]);
	ep = epoll_create1(0);
	tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	rss0 = rss_kib();
	for (int i = 0; i < n; i++) {
		fds[i] = open_ws(port);
		if (fds[i] < 0) {
			fprintf(stderr, "floor: connection %d failed: %s\n", i + 1, strerror(errno));
			return 1;
		}
		ev.events = EPOLLIN;
		ev.data.fd = fds[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	ev.events = EPOLLIN;
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	start = now_ns() + TICK_NS;
	end = start + (int64_t)secs * 1000000000LL;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = start / 1000000000LL;
	its.it_value.tv_nsec = start % 1000000000LL;
	its.it_interval.tv_nsec = TICK_NS;
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
	tick = start;
	t0 = (double)now_ns() / 1e9;
	c0 = cpu_s();
	for (;;) {
		int k = epoll_wait(ep, evs, 256, 100);
		int64_t now = now_ns();

		for (int i = 0; i < k; i++) {
			if (evs[i].data.fd == tfd) {
				uint64_t x;

				if (read(tfd, &x, sizeof(x)) < 0)
					continue;
				/* every tick that has passed: one frame per socket each */
				while (tick <= now && tick < end) {
					for (int j = 0; j < n; j++) {
						if (write(fds[j], frame, sizeof(frame)) == (ssize_t)sizeof(frame))
							sent++;
						vs_hist_record(h, now_ns() - tick);
					}
					tick += TICK_NS;
				}
				if (!rss_mid && now >= start + (end - start) / 2)
					rss_mid = rss_kib();
				continue;
			}
			for (;;) {
				ssize_t r = read(evs[i].data.fd, buf, sizeof(buf));

				if (r <= 0)
					break;
				rx_bytes += (unsigned long long)r;
				if ((size_t)r < sizeof(buf))
					break;
			}
		}
		if (now >= end + 500000000LL || (now >= end && rx_bytes >= sent * (4 + FRAME)))
			break;
	}
	t1 = (double)now_ns() / 1e9;
	c1 = cpu_s();
	printf("FLOOR n=%d s=%d call_s=%.1f cpu_s=%.3f wall_s=%.2f cores=%.3f cs_per_cpus=%.1f late_p50_ms=%.3f "
	       "late_p99_ms=%.3f late_max_ms=%.3f sent=%llu echoed=%llu accounted_pct=%.3f rss_kib_per_call=%.1f\n",
	       n, secs, (double)n * secs, c1 - c0, t1 - t0, (c1 - c0) / (t1 - t0),
	       c1 > c0 ? (double)n * secs / (c1 - c0) : 0, (double)vs_hist_percentile(h, 50) / 1e6,
	       (double)vs_hist_percentile(h, 99) / 1e6, (double)vs_hist_max(h) / 1e6, sent, rx_bytes / (4 + FRAME),
	       sent ? 100.0 * (double)(rx_bytes / (4 + FRAME)) / (double)sent : 0, (double)(rss_mid - rss0) / n);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	vs_hist_free(h);
	return 0;
}
