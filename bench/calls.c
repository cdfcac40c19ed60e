/* bench/calls: N concurrent Telnyx media streams of S seconds through
 * vstress's call engine against a WebSocket echo (bench/peers/echo_srv, or
 * any ws:// URL that sends each message back), then one line of figures
 * (bench/README.md):
 *   call-seconds per CPU-second, cores used, send lateness p50/p99/max
 *   (each frame's send time minus its intended slot, HDR histogram),
 *   frames accounted (echoed back / sent), RSS per call.
 *   calls --url ws[s]://127.0.0.1:PORT/ [--calls N] [--seconds S] [--engines E] [--check] [--insecure]
 * --check: exit 1 unless every call ended cleanly and >= 99.9 % of frames
 * came back (functional only; no timing is judged).  --insecure: wss
 * without certificate verification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "vstress/caller/call.h"

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

int main(int argc, char **argv)
{
	const char *url = NULL;
	int n = 100, secs = 10, engines = 1, check = 0, insecure = 0, ok = 0, failed_shown = 0;
	char err[256], text[256];
	struct vs_call_engine *e = NULL;
	struct vs_call_script *s = NULL;
	struct vs_call **calls;
	struct vs_call_engine_stats st;
	double t0, c0, t1, c1, call_s = 0;
	unsigned long long sent = 0, echoed = 0;
	long rss0, rss_mid;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--url") && i + 1 < argc)
			url = argv[++i];
		else if (!strcmp(argv[i], "--calls") && i + 1 < argc)
			n = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			secs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--engines") && i + 1 < argc)
			engines = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--check"))
			check = 1;
		else if (!strcmp(argv[i], "--insecure"))
			insecure = 1;
		else
			url = NULL, i = argc;
	}
	if (!url || n < 1 || secs < 1 || engines < 1) {
		fprintf(stderr, "usage: calls --url ws://HOST:PORT/PATH [--calls N] [--seconds S] [--engines E] [--check] [--insecure]\n");
		return 2;
	}
	snprintf(text, sizeof(text), "[call]\nname = bench\nmax_duration = %ds\n[step.1]\ntone = %ds\nlevel = -20dB\n",
		 secs + 60, secs);
	if (vs_call_script_parse(text, "bench.ini", NULL, &s, err, sizeof(err)) != 0 ||
	    vs_call_engine_new(&e, &(struct vs_call_engine_opts){.max_calls = n, .engines = engines, .tls_insecure = insecure}, err,
			       sizeof(err)) != 0) {
		fprintf(stderr, "calls: %s\n", err);
		return 1;
	}
	calls = calloc((size_t)n, sizeof(*calls));
	if (!calls)
		return 1;
	rss0 = rss_kib();
	t0 = mono_s();
	c0 = cpu_s();
	for (int i = 0; i < n; i++)
		if (vs_call_start(e, s, &(struct vs_call_params){.stream_url = url}, &calls[i]) != 0) {
			fprintf(stderr, "calls: cannot start call %d\n", i + 1);
			return 1;
		}
	/* every call is streaming at mid-run: its memory is the RSS growth */
	usleep((useconds_t)(secs * 500000));
	rss_mid = rss_kib();
	for (int i = 0; i < n; i++)
		vs_call_wait(calls[i], -1);
	t1 = mono_s();
	c1 = cpu_s();
	for (int i = 0; i < n; i++) {
		const struct vs_call_result *r = vs_call_get_result(calls[i]);

		sent += r->frames_sent;
		echoed += r->frames_received;
		call_s += (double)r->frames_sent * 0.02; /* scripted audio, not the wall time a late loop stretched */
		if (r->ok)
			ok++;
		else if (failed_shown++ < 3)
			fprintf(stderr, "calls: call %d: %s\n", i + 1, r->error);
	}
	vs_call_engine_stats(e, &st);
	printf("CALLS n=%d s=%d engines=%d ok=%d call_s=%.1f cpu_s=%.3f wall_s=%.2f cores=%.3f cs_per_cpus=%.1f "
	       "late_p50_ms=%.3f late_p99_ms=%.3f late_max_ms=%.3f sent=%llu echoed=%llu accounted_pct=%.3f "
	       "rss_kib_per_call=%.1f\n",
	       n, secs, st.engines, ok, call_s, c1 - c0, t1 - t0, (c1 - c0) / (t1 - t0),
	       c1 > c0 ? call_s / (c1 - c0) : 0, st.late_p50_ms, st.late_p99_ms, st.late_max_ms, sent, echoed,
	       sent ? 100.0 * (double)echoed / (double)sent : 0, (double)(rss_mid - rss0) / n);
	for (int i = 0; i < n; i++)
		vs_call_free(calls[i]);
	free(calls);
	vs_call_engine_free(e);
	vs_call_script_free(s);
	if (check && (ok != n || !sent || (double)echoed < 0.999 * (double)sent)) {
		fprintf(stderr, "calls: FAILED: %d of %d calls ok, %llu of %llu frames echoed\n", ok, n, echoed, sent);
		return 1;
	}
	return 0;
}
