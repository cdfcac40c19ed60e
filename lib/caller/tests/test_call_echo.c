/* Whole calls against tests/echo_target, every measurement checked against
 * the truth the echo target was told to produce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "vstress/caller/call.h"
#include "call_echo_helpers.h"

/* The acceptance bound is 5 ms; under valgrind or the sanitizers (check.sh
 * sets VSTRESS_SLOW_RUNTIME) both ends run many times slower, so only the
 * logic is checked there, with a wide bound. */
#define TOL_MS (getenv("VSTRESS_SLOW_RUNTIME") ? 100.0 : 5.0)

static struct vs_call_engine *eng;

static int setup(void **state)
{
	char err[256];
	struct vs_call_engine_opts o = {.max_calls = 400};
	(void)state;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (vs_call_engine_new(&eng, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vs_call_engine_free(eng);
	curl_global_cleanup();
	return 0;
}

static struct vs_call_script *script(const char *text)
{
	struct vs_call_script *s = NULL;
	char err[512];

	if (vs_call_script_parse(text, "inline.ini", NULL, &s, err, sizeof(err)) != 0)
		fail_msg("script: %s", err);
	return s;
}

static const struct vs_call_result *run_call(struct vs_call_script *s, const struct echo_proc *ep,
					     struct vs_call **out)
{
	struct vs_call_params p = {.stream_url = ep->url};
	const struct vs_call_result *r;

	assert_int_equal(vs_call_start(eng, s, &p, out), 0);
	assert_int_equal(vs_call_wait(*out, 60000), 0);
	r = vs_call_get_result(*out);
	if (getenv("VS_TEST_VERBOSE")) {
		json_t *j = vs_call_result_json(r);
		char *t = json_dumps(j, JSON_INDENT(1));

		fprintf(stderr, "%s\n", t);
		free(t);
		json_decref(j);
	}
	if (!r->ok)
		fail_msg("call failed: %s (hangup_by %s)", r->error, vs_hangup_by_name(r->hangup_by));
	return r;
}

/* Turn latency equals the injected delay within 5 ms, for several delays,
 * tone and flite speech, one reply per message or 20 ms chunks. */
static void check_latency(const char *delay, const char *chunk, int speech)
{
	const char *args[] = {"--delay", delay, "--chunk-ms", chunk, NULL};
	struct echo_proc ep;
	struct vs_call_script *s;
	struct vs_call *c;
	const struct vs_call_result *r;
	double want = atof(delay);
	json_t *st;

	assert_int_equal(echo_start(&ep, args), 0);
	s = script(speech ? "[call]\nseed = 3\n[step.1]\nsilence = 200ms\n[step.2]\nsay = Hello, I would like to "
			    "book a table.\n[step.3]\nwait_reply = 4s\n[step.4]\nsay = For two people, please.\n"
			    "[step.5]\nwait_reply = 4s\n[step.6]\nhangup = yes\n"
			  : "[step.1]\nsilence = 200ms\n[step.2]\ntone = 700ms\n[step.3]\nwait_reply = 3s\n"
			    "[step.4]\ntone = 450ms\nfreq = 300\n[step.5]\nwait_reply = 3s\n[step.6]\nhangup = yes\n");
	r = run_call(s, &ep, &c);
	assert_int_equal(r->nturns, 2);
	for (size_t i = 0; i < r->nturns; i++) {
		assert_true(r->turns[i].replied);
		fprintf(stderr, "  delay %s ms chunk %s %s: turn %zu latency %.3f ms (error %+.3f ms)\n", delay, chunk,
			speech ? "speech" : "tone", i + 1, r->turns[i].latency_ms, r->turns[i].latency_ms - want);
		if (fabs(r->turns[i].latency_ms - want) > TOL_MS)
			fail_msg("turn %zu: latency %.3f ms, injected %.0f ms", i + 1, r->turns[i].latency_ms, want);
	}
	assert_int_equal(r->ngaps, 0);
	assert_int_equal(r->nfalse, 0);
	assert_int_equal(r->hangup_by, VS_HANGUP_CALLER);
	assert_true(r->first_reply_ms > 0);
	assert_true(r->frames_received >= 2);
	st = echo_wait_stopped(&ep, 1);
	assert_non_null(st);
	assert_int_equal(echo_stream_int(st, r->stream_id, "frames"), (long long)r->frames_sent);
	assert_int_equal(echo_stream_int(st, r->stream_id, "replies"), 2);
	/* the echo target sends a mark after each reply; we echo it once played */
	assert_int_equal(r->marks_received, 2);
	assert_int_equal(r->marks_echoed, 2);
	assert_int_equal(echo_stream_int(st, r->stream_id, "marks_echoed"), 2);
	json_decref(st);
	vs_call_free(c);
	vs_call_script_free(s);
	echo_stop(&ep);
}

static void test_latency_tone(void **state)
{
	(void)state;
	check_latency("400", "0", 0);
	check_latency("555", "0", 0);
	check_latency("733", "20", 0);
}

static void test_latency_speech(void **state)
{
	(void)state;
	check_latency("450", "0", 1);
	check_latency("620", "20", 1);
}

/* keep_heard_ms: the caller keeps what played, on the stream's timeline:
 * loud where the VAD heard the agent, silent before its first reply; not
 * kept unless asked. */
static void test_keep_heard(void **state)
{
	const char *args[] = {"--reply-ms", "800", NULL};
	struct echo_proc ep;
	struct vs_call_script *s;
	struct vs_call *c;
	const struct vs_call_result *r;
	(void)state;

	assert_int_equal(echo_start(&ep, args), 0);
	s = script("[call]\n[step.1]\ntone = 500ms\n[step.2]\nwait_reply = 3s\n");
	r = run_call(s, &ep, &c);
	assert_null(r->heard);
	vs_call_free(c);

	struct vs_call_params p = {.stream_url = ep.url, .keep_heard_ms = 60000};
	assert_int_equal(vs_call_start(eng, s, &p, &c), 0);
	assert_int_equal(vs_call_wait(c, 60000), 0);
	r = vs_call_get_result(c);
	assert_true(r->ok);
	assert_non_null(r->heard);
	assert_false(r->heard_truncated);
	assert_true(r->nsegs >= 1);
	/* the whole call up to its last played frame, in 20 ms frames */
	assert_int_equal(r->nheard % 160, 0);
	assert_true((double)r->nheard / 8 <= r->duration_ms + 20);
	assert_true((double)r->nheard / 8 >= r->segs[0].off / 8.0);
	double on = 0, off = 0;
	size_t non = 0, noff = 0;
	for (size_t i = 0; i < r->nheard; i++) {
		double v = (double)r->heard[i] * r->heard[i];
		if ((int64_t)i >= r->segs[0].on + 80 && (int64_t)i < r->segs[0].off - 80)
			on += v, non++;
		else if ((int64_t)i < r->segs[0].on - 80)
			off += v, noff++;
	}
	assert_true(non > 0 && noff > 0);
	fprintf(stderr, "  heard %zu samples; RMS %.0f in the agent's reply, %.1f before it\n", r->nheard,
		sqrt(on / (double)non), sqrt(off / (double)noff));
	assert_true(sqrt(on / (double)non) > 300);
	assert_true(sqrt(off / (double)noff) < 10);
	vs_call_free(c);
	vs_call_script_free(s);
	echo_stop(&ep);
}

/* A 300 ms hole inside every reply is reported as a gap of 300 ms. */
static void test_gap(void **state)
{
	const char *args[] = {"--gap-ms", "300", "--reply-ms", "800", NULL};
	struct echo_proc ep;
	struct vs_call_script *s;
	struct vs_call *c;
	const struct vs_call_result *r;
	(void)state;

	assert_int_equal(echo_start(&ep, args), 0);
	s = script("[call]\ngap = 200ms\nturn_end = 800ms\n[step.1]\ntone = 500ms\n[step.2]\nwait_reply = 3s\n"
		   "[step.3]\ntone = 500ms\n[step.4]\nwait_reply = 3s\n");
	r = run_call(s, &ep, &c);
	assert_int_equal(r->ngaps, 2);
	for (size_t i = 0; i < r->ngaps; i++) {
		fprintf(stderr, "  gap %zu: %.3f ms at %.1f ms (injected 300 ms)\n", i + 1, r->gaps[i].duration_ms,
			r->gaps[i].at_ms);
		assert_true(fabs(r->gaps[i].duration_ms - 300) <= TOL_MS);
	}
	assert_int_equal(r->nfalse, 0);
	assert_int_equal(r->nturns, 2);
	assert_true(r->turns[0].replied && r->turns[1].replied);
	vs_call_free(c);
	vs_call_script_free(s);
	echo_stop(&ep);
}

/* Speech during the caller's silence, where no reply is expected. */
static void test_false_trigger(void **state)
{
	const char *args[] = {"--false-trigger-at", "3500", NULL};
	struct echo_proc ep;
	struct vs_call_script *s;
	struct vs_call *c;
	const struct vs_call_result *r;
	(void)state;

	assert_int_equal(echo_start(&ep, args), 0);
	s = script("[step.1]\ntone = 400ms\n[step.2]\nwait_reply = 3s\n[step.3]\nsilence = 3s\n[step.4]\nnoise = 1s\n"
		   "level = -60dB\n[step.5]\nhangup = yes\n");
	r = run_call(s, &ep, &c);
	assert_int_equal(r->nturns, 1);
	assert_true(r->turns[0].replied);
	assert_int_equal(r->nfalse, 1);
	fprintf(stderr, "  false trigger at %.3f ms (injected 3500 ms), step %d\n", r->false_triggers[0].at_ms,
		r->false_triggers[0].step + 1);
	assert_true(fabs(r->false_triggers[0].at_ms - 3500) <= TOL_MS);
	assert_int_equal(r->false_triggers[0].step, 2);
	vs_call_free(c);
	vs_call_script_free(s);
	echo_stop(&ep);
}

/* Without injected faults nothing is reported; DTMF reaches the agent. */
static void test_clean_call_dtmf(void **state)
{
	struct echo_proc ep;
	struct vs_call_script *s;
	struct vs_call *c;
	const struct vs_call_result *r;
	json_t *st;
	(void)state;

	assert_int_equal(echo_start(&ep, NULL), 0);
	s = script("[step.1]\ntone = 300ms\n[step.2]\nwait_reply = 3s\n[step.3]\ndtmf = 12#\n[step.4]\nsilence = 1s\n"
		   "[step.5]\nhangup = yes\n");
	r = run_call(s, &ep, &c);
	assert_int_equal(r->nfalse, 0);
	assert_int_equal(r->ngaps, 0);
	assert_int_equal(r->dtmf_sent, 3);
	assert_int_equal(r->talk_over, 0);
	st = echo_wait_stopped(&ep, 1);
	assert_int_equal(echo_stream_int(st, r->stream_id, "dtmf"), 3);
	assert_int_equal(echo_stream_int(st, r->stream_id, "frames"), (long long)r->frames_sent);
	json_decref(st);
	vs_call_free(c);
	vs_call_script_free(s);
	echo_stop(&ep);
}

/* Barge-in: the caller talks over a long reply; the echo target sends
 * clear; the caller measures when the agent's audio stopped. */
static void test_barge_in(void **state)
{
	const char *args[] = {"--reply-ms", "4000", NULL};
	struct echo_proc ep;
	struct vs_call_script *s;
	struct vs_call *c;
	const struct vs_call_result *r;
	(void)state;

	assert_int_equal(echo_start(&ep, args), 0);
	s = script("[step.1]\ntone = 400ms\n[step.2]\nbarge_in = Sorry, one more thing.\nafter = 600ms\n"
		   "[step.3]\nwait_reply = 4s\n[step.4]\nhangup = yes\n");
	r = run_call(s, &ep, &c);
	assert_int_equal(r->nbarges, 1);
	assert_int_equal(r->clears_received >= 1, 1);
	fprintf(stderr, "  barge-in at %.1f ms: clear after %.1f ms, agent audio stopped after %.1f ms\n",
		r->barges[0].at_ms, r->barges[0].clear_ms, r->barges[0].agent_stop_ms);
	assert_true(r->barges[0].at_ms > 0);
	assert_true(r->barges[0].clear_ms >= 0 && r->barges[0].clear_ms < 300);
	assert_true(r->barges[0].agent_stop_ms >= 0 && r->barges[0].agent_stop_ms < 300);
	/* the reply to the barge-in utterance is a normal turn */
	assert_int_equal(r->nturns, 1);
	assert_true(r->turns[0].replied);
	assert_true(fabs(r->turns[0].latency_ms - 400) <= TOL_MS);
	vs_call_free(c);
	vs_call_script_free(s);
	echo_stop(&ep);
}

/* The agent hangs up (closes the media socket) after its first reply. */
static void test_agent_hangup(void **state)
{
	const char *args[] = {"--hangup-after", "1", NULL};
	struct echo_proc ep;
	struct vs_call_script *s;
	struct vs_call *c;
	const struct vs_call_result *r;
	(void)state;

	assert_int_equal(echo_start(&ep, args), 0);
	s = script("[step.1]\ntone = 300ms\n[step.2]\nwait_reply = 3s\n[step.3]\nsilence = 5s\n");
	r = run_call(s, &ep, &c);
	assert_int_equal(r->hangup_by, VS_HANGUP_AGENT);
	assert_true(r->duration_ms < 4000);
	vs_call_free(c);
	vs_call_script_free(s);
	echo_stop(&ep);
}

/* Telnyx ends the stream after the agent's Call Control hangup: the call
 * ends at once, as the agent's hang-up, with what was measured kept. */
static void test_remote_hangup(void **state)
{
	const char *args[] = {"--delay", "400", NULL};
	struct echo_proc ep;
	struct vs_call_script *s;
	struct vs_call_params p;
	struct vs_call *c;
	const struct vs_call_result *r;
	json_t *st;
	(void)state;

	assert_int_equal(echo_start(&ep, args), 0);
	p = (struct vs_call_params){.stream_url = ep.url};
	s = script("[step.1]\ntone = 300ms\n[step.2]\nwait_reply = 3s\n[step.3]\nsilence = 20s\n");
	assert_int_equal(vs_call_start(eng, s, &p, &c), 0);
	assert_int_equal(vs_call_wait(c, 2500), -1); /* still in its 20 s of silence */
	assert_int_equal(vs_call_hangup(c, 3000), 0);
	r = vs_call_get_result(c);
	assert_string_equal(r->error, "");
	assert_true(r->ok);
	assert_int_equal(r->hangup_by, VS_HANGUP_AGENT);
	assert_true(r->duration_ms < 4000);
	assert_int_equal(r->nturns, 1);
	assert_true(r->turns[0].replied);
	assert_true(r->frames_sent > 50);
	st = echo_wait_stopped(&ep, 1); /* the agent side got `stop` */
	assert_non_null(st);
	assert_true(json_is_true(json_object_get(json_object_get(json_object_get(st, "streams"), r->stream_id), "stopped")));
	json_decref(st);
	assert_int_equal(vs_call_hangup(c, 100), 0); /* ended already: a no-op */
	vs_call_free(c);
	vs_call_script_free(s);
	echo_stop(&ep);
}

static void test_connect_refused(void **state)
{
	struct vs_call_script *s = script("[step.1]\nsilence = 100ms\n");
	struct vs_call_params p = {.stream_url = "ws://127.0.0.1:1/media"};
	struct vs_call *c;
	const struct vs_call_result *r;
	(void)state;

	assert_int_equal(vs_call_start(eng, s, &p, &c), 0);
	assert_int_equal(vs_call_wait(c, 20000), 0);
	r = vs_call_get_result(c);
	assert_false(r->ok);
	assert_int_equal(r->hangup_by, VS_HANGUP_ERROR);
	assert_true(r->error[0] != '\0');
	vs_call_free(c);
	p.stream_url = "http://nope";
	assert_int_equal(vs_call_start(eng, s, &p, &c), -1);
	vs_call_script_free(s);
}

/* 200 concurrent calls in one engine: all complete, per-call accounting
 * matches what the echo target counted, latencies stay accurate.  Under
 * valgrind, which runs one thread at a time, 200 real-time streams (10k
 * frames/s) cannot be paced at all, so 25 calls check the same accounting. */
static void test_200_calls(void **state)
{
	enum { NMAX = 200 };
	const int N = getenv("VSTRESS_VALGRIND") ? 25 : NMAX;
	const char *args[] = {"--delay", "400", NULL};
	struct echo_proc ep;
	struct vs_call_script *s;
	struct vs_call *calls[NMAX];
	json_t *st;
	double worst = 0, sum = 0;
	uint64_t late = 0, frames = 0;
	double max_late = 0;
	struct timespec t0, t1;
	int replied = 0;
	(void)state;

	assert_int_equal(echo_start(&ep, args), 0);
	/* ~4 s calls started 5 ms apart: all 200 are up at the same time */
	s = script("[step.1]\ntone = 300ms\n[step.2]\nwait_reply = 3s\n[step.3]\nsilence = 1500ms\n[step.4]\nhangup = yes\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < N; i++) {
		struct vs_call_params p = {.stream_url = ep.url};

		assert_int_equal(vs_call_start(eng, s, &p, &calls[i]), 0);
		usleep(5000);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(vs_call_wait(calls[i], 60000), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* the echo target may still be reading the last frames and `stop`s */
	st = echo_wait_stopped(&ep, N);
	assert_non_null(st);
	for (int i = 0; i < N; i++) {
		const struct vs_call_result *r = vs_call_get_result(calls[i]);
		double err;

		if (!r->ok)
			fail_msg("call %d: %s", i, r->error);
		assert_int_equal(r->hangup_by, VS_HANGUP_CALLER);
		if (echo_stream_int(st, r->stream_id, "frames") != (long long)r->frames_sent)
			fail_msg("call %d: sent %llu frames, echo target counted %lld", i,
				 (unsigned long long)r->frames_sent, echo_stream_int(st, r->stream_id, "frames"));
		if (!json_is_true(json_object_get(json_object_get(json_object_get(st, "streams"), r->stream_id), "stopped")))
			fail_msg("call %d: the echo target never got `stop` (%llu frames, duration %.0f ms)", i,
				 (unsigned long long)r->frames_sent, r->duration_ms);
		assert_int_equal(r->nturns, 1);
		if (r->turns[0].replied) {
			replied++;
			err = fabs(r->turns[0].latency_ms - 400);
			sum += err;
			if (err > worst)
				worst = err;
		}
		late += r->late_frames;
		frames += r->frames_sent;
		if (r->max_late_ms > max_late)
			max_late = r->max_late_ms;
	}
	fprintf(stderr,
		"  %d calls in %.2f s: replied %d, latency error mean %.3f ms max %.3f ms; frames %llu, late (>5 ms) %llu, "
		"max lateness %.2f ms\n",
		N, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, replied, sum / (replied ? replied : 1),
		worst, (unsigned long long)frames, (unsigned long long)late, max_late);
	/* free before asserting: a failed assertion must not turn into a leak report */
	json_decref(st);
	for (int i = 0; i < N; i++)
		vs_call_free(calls[i]);
	vs_call_script_free(s);
	echo_stop(&ep);
	assert_int_equal(replied, N);
	/* 5 ms alone; a shared 2-core box under 200 calls gets 10; under valgrind
	 * or the sanitizers (VSTRESS_SLOW_RUNTIME) only the accounting is checked */
	assert_true(worst <= (getenv("VSTRESS_SLOW_RUNTIME") ? 3000.0 : 10.0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_latency_tone),  cmocka_unit_test(test_latency_speech),
		cmocka_unit_test(test_gap),           cmocka_unit_test(test_false_trigger),
		cmocka_unit_test(test_keep_heard),
		cmocka_unit_test(test_clean_call_dtmf), cmocka_unit_test(test_barge_in),
		cmocka_unit_test(test_agent_hangup),  cmocka_unit_test(test_remote_hangup),  cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_200_calls),
	};
	if (getenv("VS_TEST_FILTER"))
		cmocka_set_test_filter(getenv("VS_TEST_FILTER"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
