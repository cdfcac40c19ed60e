/* bench/world: N calls' worth of provider traffic through the world (the
 * `vstress world` process, docs/world.md), then one line of figures
 * (bench/README.md "make bench-world").  Per call:
 *   - one Deepgram-style STT stream (/v1/listen): 20 ms frames of 8 kHz
 *     mu-law (or linear16) sent in real time on one shared timerfd tick,
 *     the caller phrases of tests/fixtures/stt/flite-*.wav with 1.5 s of
 *     silence between them, each call at its own offset in that loop;
 *     CloseStream at the end, then the Metadata is awaited;
 *   - one Cartesia TTS WebSocket (/tts/websocket): a reply every
 *     --tts-every seconds (phase spread over the calls), 8 kHz mu-law
 *     chunks until `done`.
 * Measured: the world's CPU from the first frame to the end of the drain
 * (its /proc threads: the loop thread and the others, i.e. the grammar
 * decoder; set-up apart), the time its threads waited for a CPU (the
 * machine's contention), call-seconds per world CPU-second,
 * STT final latency (its receipt minus the slot of the speech end the world
 * reports), TTS time to first audio and stalls (the audio arriving after
 * the caller would have played all it had), and how many streams were
 * fully served.  Our own send lateness is printed so that a starved driver
 * shows.  Raw epoll + our own WebSocket framing, as bench/peers/floor.c.
 *   world --stt-port P --tts-port Q --world-pid PID [--calls N] [--seconds S]
 *         [--encoding mulaw|linear16] [--tts-every S] [--drain S]
 *         [--audio-dir DIR] [--check]
 * --check: exit 1 unless every call's streams completed (functional only:
 * late audio is counted in the figures, not judged). */
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
#include <dirent.h>

#include <jansson.h>

#include "hist.h"
#include "vstress/audio/resample.h"
#include "vstress/audio/ulaw.h"
#include "vstress/audio/wav.h"

#define TICK_NS 20000000LL
#define RATE 8000
#define FSAMP 160 /* samples per 20 ms frame */
#define GAP_S 1.5 /* silence after each phrase */
#define STALL_OK_NS 20000000LL /* a TTS stream is served if it stalled < one frame */

static const char *reply_text = "Sure, I can book that for you. Which day would suit you best?";

struct conn {
	int fd, call, tts;
	uint8_t *in, *out;
	size_t inlen, incap, outlen, outcap;
	int closed;
};

struct call {
	struct conn stt, tts;
	long off;          /* frame offset into the audio loop */
	int metadata, finals, finals_text, onsets;
	int stt_bad;       /* an error, a close before Metadata */
	/* TTS: one reply in flight at a time */
	int64_t next_req, req_ns, first_ns, play_end, stall_ns;
	int inflight, seq, tts_req, tts_done, tts_ok, tts_bad;
};

static struct call *calls;
static int ncalls, ep, mulaw = 1;
static int64_t t_start, t_end;
static struct vs_hist *h_send, *h_final, *h_ttfa, *h_stall;
static unsigned long long frames_sent, protocol_errors;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

/* Seconds the world's threads were runnable but waiting for a CPU
 * (/proc/PID/task/TID/schedstat, second field, ns): the contention gauge. */
static double world_wait_s(int pid)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	double s = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if (!(d = opendir(path)))
		return 0;
	while ((de = readdir(d))) {
		unsigned long long run = 0, wait = 0;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat", pid, de->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fscanf(f, "%llu %llu", &run, &wait) == 2)
			s += (double)wait / 1e9;
		fclose(f);
	}
	closedir(d);
	return s;
}

/* The world's CPU seconds: its loop thread (tid == pid) and the others. */
static int world_cpu(int pid, double *main_s, double *other_s)
{
	char path[64], line[1024];
	DIR *d;
	struct dirent *de;
	double hz = (double)sysconf(_SC_CLK_TCK);

	*main_s = *other_s = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if (!(d = opendir(path)))
		return -1;
	while ((de = readdir(d))) {
		unsigned long ut = 0, st = 0;
		FILE *f;
		char *p;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stat", pid, de->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		/* fields 14 and 15 (utime, stime), counted after the ")" of comm */
		if (fgets(line, sizeof(line), f) && (p = strrchr(line, ')')) &&
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2) {
			if (atoi(de->d_name) == pid)
				*main_s += (double)(ut + st) / hz;
			else
				*other_s += (double)(ut + st) / hz;
		}
		fclose(f);
	}
	closedir(d);
	return 0;
}

/* --- audio: the phrases, 1.5 s of silence after each, as one loop -------- */
static uint8_t *loop_bytes; /* per frame: FSAMP mu-law bytes or 2 * FSAMP s16le */
static uint8_t *loop_onset; /* 1: a phrase starts in this frame */
static long loop_frames;

static int load_audio(const char *dir)
{
	int16_t *pcm = NULL;
	size_t npcm = 0;
	long nphr = 0;

	loop_onset = NULL;
	for (int k = 1; k <= 9; k++) {
		char path[512], err[256], pat[16];
		DIR *d = opendir(dir);
		struct dirent *de;
		int16_t *s = NULL, *r = NULL;
		size_t n = 0, rn = 0;
		int rate = 0;

		if (!d)
			return -1;
		snprintf(pat, sizeof(pat), "flite-%d-", k);
		*path = '\0';
		while ((de = readdir(d)))
			if (!strncmp(de->d_name, pat, strlen(pat)) && strstr(de->d_name, ".wav"))
				snprintf(path, sizeof(path), "%s/%.200s", dir, de->d_name);
		closedir(d);
		if (!*path)
			continue;
		if (vs_wav_read(path, &s, &n, &rate, err, sizeof(err)) != 0) {
			fprintf(stderr, "world bench: %s: %s\n", path, err);
			return -1;
		}
		if (rate != RATE) {
			if (vs_resample_alloc(s, n, rate, RATE, &r, &rn) != 0)
				return -1;
			free(s);
			s = r;
			n = rn;
		}
		size_t frames = (n + FSAMP - 1) / FSAMP + (size_t)(GAP_S * RATE / FSAMP);
		int16_t *np = realloc(pcm, (npcm + frames * FSAMP) * sizeof(*pcm));
		uint8_t *no = realloc(loop_onset, (size_t)npcm / FSAMP + frames);

		if (!np || !no)
			return -1;
		pcm = np;
		loop_onset = no;
		memset(pcm + npcm, 0, frames * FSAMP * sizeof(*pcm));
		memcpy(pcm + npcm, s, n * sizeof(*s));
		memset(loop_onset + npcm / FSAMP, 0, frames);
		loop_onset[npcm / FSAMP] = 1;
		npcm += frames * FSAMP;
		nphr++;
		free(s);
	}
	if (!nphr) {
		fprintf(stderr, "world bench: no flite-N-*.wav phrases in %s\n", dir);
		return -1;
	}
	loop_frames = (long)(npcm / FSAMP);
	loop_bytes = malloc(npcm * 2);
	if (!loop_bytes)
		return -1;
	if (mulaw)
		vs_ulaw_encode_buf(pcm, npcm, loop_bytes);
	else
		memcpy(loop_bytes, pcm, npcm * 2); /* little-endian host */
	free(pcm);
	return 0;
}

/* --- WebSocket client framing ------------------------------------------- */
static void want_out(struct conn *c, int on)
{
	struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};

	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static int conn_write(struct conn *c, const uint8_t *b, size_t n)
{
	if (c->closed)
		return -1;
	if (!c->outlen) {
		ssize_t w = write(c->fd, b, n);

		if (w < 0 && errno != EAGAIN)
			return -1;
		if (w > 0) {
			b += w;
			n -= (size_t)w;
		}
		if (!n)
			return 0;
		want_out(c, 1);
	}
	if (c->outlen + n > c->outcap) {
		size_t cap = (c->outlen + n) * 2;
		uint8_t *o = realloc(c->out, cap);

		if (!o)
			return -1;
		c->out = o;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, b, n);
	c->outlen += n;
	return 0;
}

/* One masked client frame (the mask is fixed: loopback, nothing to hide). */
static int ws_send(struct conn *c, int opcode, const void *p, size_t n)
{
	static const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
	uint8_t stackbuf[1024], *f = n + 14 <= sizeof(stackbuf) ? stackbuf : malloc(n + 14);
	size_t h = 2;
	int rc;

	if (!f)
		return -1;
	f[0] = (uint8_t)(0x80 | opcode);
	if (n < 126) {
		f[1] = (uint8_t)(0x80 | n);
	} else if (n < 65536) {
		f[1] = 0x80 | 126;
		f[2] = (uint8_t)(n >> 8);
		f[3] = (uint8_t)n;
		h = 4;
	} else {
		f[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			f[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
		h = 10;
	}
	memcpy(f + h, mask, 4);
	for (size_t i = 0; i < n; i++)
		f[h + 4 + i] = ((const uint8_t *)p)[i] ^ mask[i & 3];
	rc = conn_write(c, f, h + 4 + n);
	if (f != stackbuf)
		free(f);
	return rc;
}

/* Blocking connect + upgrade (set-up is not what is measured), then
 * non-blocking; bytes after the 101 stay in c->in. */
static int ws_open(struct conn *c, int port, const char *path, const char *auth)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	char req[768], buf[4096];
	size_t n = 0;
	int one = 1;
	char *end;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
		 path, port, auth);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    write(c->fd, req, strlen(req)) != (ssize_t)strlen(req))
		return -1;
	for (;;) {
		ssize_t r = read(c->fd, buf + n, sizeof(buf) - 1 - n);

		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")))
			break;
		if (n == sizeof(buf) - 1)
			return -1;
	}
	if (strncmp(buf, "HTTP/1.1 101", 12) != 0) {
		fprintf(stderr, "world bench: %s answered %.*s\n", path, (int)strcspn(buf, "\r\n"), buf);
		errno = EPROTO;
		return -1;
	}
	end += 4;
	c->incap = 65536;
	if (!(c->in = malloc(c->incap)))
		return -1;
	c->inlen = (size_t)(buf + n - end);
	memcpy(c->in, end, c->inlen);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->closed = 1;
}

/* --- what the stand-ins say --------------------------------------------- */
static void on_stt_text(struct call *k, const char *p, size_t n, int64_t now)
{
	json_t *j = json_loadb(p, n, 0, NULL);
	const char *type = json_string_value(json_object_get(j, "type"));

	if (!type) {
		protocol_errors++;
	} else if (!strcmp(type, "Results") && json_is_true(json_object_get(j, "is_final"))) {
		const char *tr = json_string_value(json_object_get(
			json_array_get(json_object_get(json_object_get(j, "channel"), "alternatives"), 0), "transcript"));
		double t1 = json_number_value(json_object_get(j, "start")) +
			    json_number_value(json_object_get(j, "duration"));

		k->finals++;
		k->finals_text += tr && *tr;
		/* the speech's end as the world timed it, at its slot in our stream */
		if (json_is_true(json_object_get(j, "speech_final")) && !json_is_true(json_object_get(j, "from_finalize")))
			vs_hist_record(h_final, now - (t_start + (int64_t)(t1 * 1e9)));
	} else if (!strcmp(type, "Metadata")) {
		k->metadata = 1;
	}
	json_decref(j);
}

static void tts_request(struct call *k, int idx, int64_t now)
{
	char msg[512];

	snprintf(msg, sizeof(msg),
		 "{\"model_id\":\"sonic-2\",\"transcript\":\"%s\",\"voice\":{\"mode\":\"id\",\"id\":\"bench\"},"
		 "\"output_format\":{\"container\":\"raw\",\"encoding\":\"pcm_mulaw\",\"sample_rate\":8000},"
		 "\"context_id\":\"c%d-%d\",\"continue\":false,\"language\":\"en\"}",
		 reply_text, idx, k->seq++);
	if (ws_send(&k->tts, 1, msg, strlen(msg)) != 0) {
		k->tts_bad++;
		return;
	}
	k->inflight = 1;
	k->tts_req++;
	k->req_ns = now;
	k->first_ns = k->stall_ns = 0;
}

static void on_tts_text(struct call *k, const char *p, size_t n, int64_t now)
{
	json_t *j = json_loadb(p, n, 0, NULL);
	const char *type = json_string_value(json_object_get(j, "type"));

	if (!type) {
		protocol_errors++;
	} else if (!strcmp(type, "chunk") && k->inflight) {
		size_t len = json_string_length(json_object_get(j, "data"));
		int64_t dur = (int64_t)(len / 4 * 3) * 1000000000LL / RATE; /* mu-law: a byte a sample */

		if (!k->first_ns) {
			k->first_ns = now;
			k->play_end = now;
			vs_hist_record(h_ttfa, now - k->req_ns);
		} else if (now > k->play_end) {
			k->stall_ns += now - k->play_end; /* the caller ran out of audio */
			k->play_end = now;
		}
		k->play_end += dur;
	} else if (!strcmp(type, "done") && k->inflight) {
		k->inflight = 0;
		vs_hist_record(h_stall, k->stall_ns);
		k->tts_done += k->first_ns != 0;
		if (k->first_ns && k->stall_ns < STALL_OK_NS)
			k->tts_ok++;
	} else if (!strcmp(type, "error")) {
		k->tts_bad++;
		k->inflight = 0;
	}
	json_decref(j);
}

/* Every whole frame in c->in; returns -1 when the connection is done. */
static int on_readable(struct conn *c, int64_t now)
{
	struct call *k = &calls[c->call];
	int eof = 0;

	for (;;) {
		if (c->inlen == c->incap) {
			uint8_t *b = realloc(c->in, c->incap * 2);

			if (!b)
				return -1;
			c->in = b;
			c->incap *= 2;
		}
		ssize_t r = read(c->fd, c->in + c->inlen, c->incap - c->inlen);

		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			eof = 1; /* what came before it is still read below */
			break;
		}
		if (r < 0)
			break;
		c->inlen += (size_t)r;
	}
	size_t off = 0;
	while (c->inlen - off >= 2) {
		const uint8_t *f = c->in + off;
		size_t h = 2, len = f[1] & 0x7f;
		int op = f[0] & 0x0f;

		if (len == 126) {
			if (c->inlen - off < 4)
				break;
			len = (size_t)f[2] << 8 | f[3];
			h = 4;
		} else if (len == 127) {
			if (c->inlen - off < 10)
				break;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | f[2 + i];
			h = 10;
		}
		if (f[1] & 0x80)
			h += 4; /* a server does not mask; skip it if it did */
		if (c->inlen - off < h + len)
			break;
		const char *p = (const char *)f + h;
		if (op == 1)
			(c->tts ? on_tts_text : on_stt_text)(k, p, len, now);
		else if (op == 9)
			ws_send(c, 10, p, len);
		else if (op == 8)
			return -1;
		else if (op != 10)
			protocol_errors++; /* binary or fragments: neither stand-in sends them */
		off += h + len;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	return eof ? -1 : 0;
}

static void on_writable(struct conn *c)
{
	ssize_t w = write(c->fd, c->out, c->outlen);

	if (w > 0) {
		memmove(c->out, c->out + w, c->outlen - (size_t)w);
		c->outlen -= (size_t)w;
	}
	if (!c->outlen)
		want_out(c, 0);
}

/* The 20 ms tick: a frame on every STT stream, replies when due. */
static void tick(int64_t slot, double tts_every)
{
	long fi = (long)((slot - t_start) / TICK_NS);
	size_t fb = mulaw ? FSAMP : 2 * FSAMP;

	for (int i = 0; i < ncalls; i++) {
		struct call *k = &calls[i];
		long lf = (k->off + fi) % loop_frames;

		if (ws_send(&k->stt, 2, loop_bytes + (size_t)lf * fb, fb) == 0)
			frames_sent++;
		else
			k->stt_bad = 1;
		/* a phrase begun in the last second may not have reached the VAD */
		if (slot < t_end - 1000000000LL)
			k->onsets += loop_onset[lf];
		vs_hist_record(h_send, now_ns() - slot);
		if (tts_every > 0 && !k->inflight && slot >= k->next_req && !k->tts.closed) {
			tts_request(k, i, now_ns());
			k->next_req += (int64_t)(tts_every * 1e9);
		}
	}
}

static int64_t pct(struct vs_hist *h, double p)
{
	return vs_hist_count(h) ? vs_hist_percentile(h, p) : 0;
}

int main(int argc, char **argv)
{
	int secs = 10, stt_port = 0, tts_port = 0, wpid = 0, check = 0, tfd;
	double tts_every = 8, drain_s = 15;
	const char *audio_dir = "tests/fixtures/stt";
	struct rlimit rl;
	struct epoll_event evs[256], tev;
	struct itimerspec its;
	int64_t slot;

	ncalls = 100;
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--check")) {
			check = 1;
			continue;
		}
		if (!v)
			goto usage;
		if (!strcmp(argv[i], "--stt-port"))
			stt_port = atoi(v);
		else if (!strcmp(argv[i], "--tts-port"))
			tts_port = atoi(v);
		else if (!strcmp(argv[i], "--world-pid"))
			wpid = atoi(v);
		else if (!strcmp(argv[i], "--calls"))
			ncalls = atoi(v);
		else if (!strcmp(argv[i], "--seconds"))
			secs = atoi(v);
		else if (!strcmp(argv[i], "--tts-every"))
			tts_every = atof(v);
		else if (!strcmp(argv[i], "--drain"))
			drain_s = atof(v);
		else if (!strcmp(argv[i], "--audio-dir"))
			audio_dir = v;
		else if (!strcmp(argv[i], "--encoding") && (!strcmp(v, "mulaw") || !strcmp(v, "linear16")))
			mulaw = !strcmp(v, "mulaw");
		else
			goto usage;
		i++;
	}
	if (!stt_port || !tts_port || wpid <= 0 || ncalls < 1 || secs < 1 || drain_s < 0) {
usage:
		fprintf(stderr, "usage: world --stt-port P --tts-port Q --world-pid PID [--calls N] [--seconds S]\n"
				"             [--encoding mulaw|linear16] [--tts-every S] [--drain S] [--audio-dir DIR] [--check]\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (load_audio(audio_dir) != 0)
		return 1;
	if (vs_hist_new(1000, 600000000000LL, 3, &h_send) || vs_hist_new(1000, 600000000000LL, 3, &h_final) ||
	    vs_hist_new(1000, 600000000000LL, 3, &h_ttfa) || vs_hist_new(1000, 600000000000LL, 3, &h_stall) ||
	    !(calls = calloc((size_t)ncalls, sizeof(*calls))))
		return 1;
	ep = epoll_create1(0);
	tfd = timerfd_create(CLOCK_MONOTONIC, 0);

	double wm0, wo0, wm1, wo1, c0 = self_cpu_s(), t0 = (double)now_ns() / 1e9;
	if (world_cpu(wpid, &wm0, &wo0) != 0) {
		fprintf(stderr, "world bench: no /proc/%d/task: is the world running?\n", wpid);
		return 1;
	}
	char stt_path[256], auth[64];
	snprintf(stt_path, sizeof(stt_path),
		 "/v1/listen?model=nova-3&encoding=%s&sample_rate=%d&channels=1&interim_results=true"
		 "&vad_events=true&utterance_end_ms=1000&punctuate=true",
		 mulaw ? "mulaw" : "linear16", RATE);
	snprintf(auth, sizeof(auth), "Authorization: Token vstress-dummy\r\n");
	int64_t keepalive = now_ns() + 1000000000LL;
	for (int i = 0; i < ncalls; i++) {
		struct call *k = &calls[i];

		/* the streams opened so far wait for the others: a KeepAlive a
		 * second, as a client does, or the stand-in closes them (NET-0001
		 * after 10 s without audio) */
		if (now_ns() >= keepalive) {
			static const char ka[] = "{\"type\":\"KeepAlive\"}";

			for (int j = 0; j < i; j++)
				ws_send(&calls[j].stt, 1, ka, sizeof(ka) - 1);
			keepalive = now_ns() + 1000000000LL;
		}
		k->stt = (struct conn){.fd = -1, .call = i};
		k->tts = (struct conn){.fd = -1, .call = i, .tts = 1};
		if (ws_open(&k->stt, stt_port, stt_path, auth) != 0 ||
		    ws_open(&k->tts, tts_port, "/tts/websocket?api_key=vstress-dummy&cartesia_version=2025-04-16", "") !=
			    0) {
			fprintf(stderr, "world bench: call %d could not connect: %s\n", i + 1, strerror(errno));
			return 1;
		}
		k->off = (long)((unsigned long)i * 7919UL % (unsigned long)loop_frames);
	}
	tev = (struct epoll_event){.events = EPOLLIN, .data.ptr = NULL};
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);
	t_start = now_ns() + TICK_NS;
	t_end = t_start + (int64_t)secs * 1000000000LL;
	for (int i = 0; i < ncalls; i++)
		calls[i].next_req = t_start + (int64_t)(tts_every * 1e9 * i / ncalls);
	/* the world's CPU from here on is the calls' (set-up apart: its
	 * poll() loop walks every connection at every accept) */
	double setup_s = (double)now_ns() / 1e9 - t0, ws0m, ws0o;
	world_cpu(wpid, &ws0m, &ws0o);
	double setup_cpu = (ws0m - wm0) + (ws0o - wo0);
	wm0 = ws0m;
	wo0 = ws0o;
	t0 = (double)t_start / 1e9;
	c0 = self_cpu_s();
	double wait0 = world_wait_s(wpid), dwait0 = world_wait_s((int)getpid());
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = t_start / 1000000000LL;
	its.it_value.tv_nsec = t_start % 1000000000LL;
	its.it_interval.tv_nsec = TICK_NS;
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
	slot = t_start;

	int closed_streams = 0;
	for (;;) {
		int nev = epoll_wait(ep, evs, 256, 50);
		int64_t now = now_ns();

		for (int i = 0; i < nev; i++) {
			struct conn *c = evs[i].data.ptr;

			if (!c) {
				uint64_t x;

				if (read(tfd, &x, sizeof(x)) < 0)
					continue;
				/* every slot that has passed (a late loop sends them late, skips none) */
				for (; slot <= now && slot < t_end; slot += TICK_NS)
					tick(slot, tts_every);
				if (slot >= t_end && !closed_streams) {
					static const char cs[] = "{\"type\":\"CloseStream\"}";

					for (int j = 0; j < ncalls; j++)
						if (ws_send(&calls[j].stt, 1, cs, sizeof(cs) - 1) != 0)
							calls[j].stt_bad = 1;
					closed_streams = 1;
				}
				continue;
			}
			if ((evs[i].events & EPOLLOUT) && !c->closed)
				on_writable(c);
			if ((evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->closed && on_readable(c, now) != 0) {
				struct call *k = &calls[c->call];

				if (c->tts) {
					k->tts_bad += k->inflight;
					k->inflight = 0;
				} else if (!k->metadata) {
					k->stt_bad = 1;
				}
				conn_close(c);
			}
		}
		if (closed_streams) {
			int busy = 0;

			for (int j = 0; j < ncalls && !busy; j++)
				busy = (!calls[j].metadata && !calls[j].stt.closed) || calls[j].inflight;
			if (!busy || now >= t_end + (int64_t)(drain_s * 1e9))
				break;
		}
	}
	double t1 = (double)now_ns() / 1e9, c1 = self_cpu_s();
	world_cpu(wpid, &wm1, &wo1);
	double wait1 = world_wait_s(wpid), dwait1 = world_wait_s((int)getpid());

	int shown = 0, complete = 0, stt_ok = 0, calls_ok = 0, finals = 0, finals_text = 0, onsets = 0, tts_req = 0,
	    tts_ok = 0;
	for (int i = 0; i < ncalls; i++) {
		struct call *k = &calls[i];
		/* complete: Metadata after CloseStream, no error, a final per phrase
		 * begun; every reply's audio up to its `done`.  Served: complete, and
		 * no reply's audio came later than the caller would have played it. */
		int s_ok = k->metadata && !k->stt_bad && k->finals >= k->onsets;
		int t_done = !k->tts_bad && k->tts_done == k->tts_req && !k->inflight;

		if ((!s_ok || !t_done) && shown++ < 3)
			fprintf(stderr, "world bench: call %d: metadata=%d stt_error=%d finals=%d phrases=%d, replies %d/%d "
					"done, errors=%d%s\n",
				i + 1, k->metadata, k->stt_bad, k->finals, k->onsets, k->tts_done, k->tts_req, k->tts_bad,
				k->inflight ? ", a reply unfinished" : "");
		complete += s_ok && t_done;
		stt_ok += s_ok;
		calls_ok += s_ok && t_done && k->tts_ok == k->tts_req;
		finals += k->finals;
		finals_text += k->finals_text;
		onsets += k->onsets;
		tts_req += k->tts_req;
		tts_ok += k->tts_ok;
		conn_close(&k->stt);
		conn_close(&k->tts);
		free(k->stt.in);
		free(k->stt.out);
		free(k->tts.in);
		free(k->tts.out);
	}
	double wcpu = (wm1 - wm0) + (wo1 - wo0), wall = t1 - t0, call_s = (double)ncalls * secs;
	printf("WORLD n=%d s=%d enc=%s tts_every=%g setup_s=%.2f setup_world_cpu_s=%.2f call_s=%.1f wall_s=%.2f world_cpu_s=%.2f world_cores=%.3f "
	       "world_loop_cores=%.3f world_other_cores=%.3f world_wait_s=%.2f cs_per_world_cpus=%.1f driver_cores=%.3f driver_wait_s=%.2f "
	       "send_late_p99_ms=%.3f send_late_max_ms=%.3f final_p50_ms=%.1f final_p99_ms=%.1f final_max_ms=%.1f "
	       "finals=%d finals_text=%d phrases=%d ttfa_p50_ms=%.1f ttfa_p99_ms=%.1f stall_p99_ms=%.1f "
	       "stall_max_ms=%.1f tts_req=%d tts_ok=%d stt_ok=%d complete=%d calls_ok=%d served_pct=%.1f frames=%llu "
	       "protocol_errors=%llu\n",
	       ncalls, secs, mulaw ? "mulaw" : "linear16", tts_every, setup_s, setup_cpu, call_s, wall, wcpu, wcpu / wall,
	       (wm1 - wm0) / wall, (wo1 - wo0) / wall, wait1 - wait0, wcpu > 0 ? call_s / wcpu : 0, (c1 - c0) / wall, dwait1 - dwait0,
	       (double)pct(h_send, 99) / 1e6, (double)vs_hist_max(h_send) / 1e6, (double)pct(h_final, 50) / 1e6,
	       (double)pct(h_final, 99) / 1e6, (double)vs_hist_max(h_final) / 1e6, finals, finals_text, onsets,
	       (double)pct(h_ttfa, 50) / 1e6, (double)pct(h_ttfa, 99) / 1e6, (double)pct(h_stall, 99) / 1e6,
	       (double)vs_hist_max(h_stall) / 1e6, tts_req, tts_ok, stt_ok, complete, calls_ok, 100.0 * calls_ok / ncalls,
	       frames_sent, protocol_errors);
	free(calls);
	free(loop_bytes);
	free(loop_onset);
	vs_hist_free(h_send);
	vs_hist_free(h_final);
	vs_hist_free(h_ttfa);
	vs_hist_free(h_stall);
	return check && (complete < ncalls || protocol_errors) ? 1 : 0;
}
