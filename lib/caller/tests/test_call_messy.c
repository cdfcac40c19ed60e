/* The messy caller in whole calls against tests/echo_target: a noise bed,
 * a backchannel while the agent speaks and an impaired network.  The echo
 * target run with --no-clear keeps talking through the backchannel (the
 * check passes); run as it is, it stops on any caller sound with `clear`
 * (the check fails).  Our impairment is counted apart: the frames the echo
 * target received equal the messages our scheduler sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "vstress/caller/call.h"
#include "call_echo_helpers.h"

static struct vs_call_engine *eng;

static int setup(void **state)
{
	char err[256];
	struct vs_call_engine_opts o = {.max_calls = 16};
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

/* noise under everything, a backchannel 1 s into the agent's reply, light
 * jitter, 1% loss and duplicates, and a 500 ms outage at 2.5 s */
static const char *const SCRIPT = "[call]\nseed = 3\nnoise = white level=-55dB\nbackchannel = mm-hmm after=1s\n"
				   "[network]\njitter = 8ms\nloss = 1%\nduplicate = 1%\nreorder = 1%\n"
				   "outage = 500ms at 2500ms\n"
				   "[step.1]\ntone = 400ms\n[step.2]\nwait_reply = 8s\n[step.3]\nhangup = yes\n";

static const struct vs_call_result *messy_call(const char *const *args, struct echo_proc *ep,
					       struct vs_call_script **s, struct vs_call **c, json_t **stats)
{
	char err[512];
	struct vs_call_params p;
	const struct vs_call_result *r;

	/* real-time figures (the backchannel 1 s into the reply, send delays):
	 * run once, in the plain build, not under valgrind or the sanitizers */
	if (getenv("VSTRESS_SLOW_RUNTIME") && strcmp(getenv("VSTRESS_SLOW_RUNTIME"), "1") == 0)
		skip();
	assert_int_equal(echo_start(ep, args), 0);
	if (vs_call_script_parse(SCRIPT, "messy.ini", NULL, s, err, sizeof(err)) != 0)
		fail_msg("script: %s", err);
	memset(&p, 0, sizeof(p));
	p.stream_url = ep->url;
	assert_int_equal(vs_call_start(eng, *s, &p, c), 0);
	assert_int_equal(vs_call_wait(*c, 60000), 0);
	r = vs_call_get_result(*c);
	if (getenv("VS_TEST_VERBOSE")) {
		json_t *j = vs_call_result_json(r);
		char *t = json_dumps(j, JSON_INDENT(1));

		fprintf(stderr, "%s\n", t);
		free(t);
		json_decref(j);
	}
	if (!r->ok)
		fail_msg("call failed: %s", r->error);
	*stats = echo_wait_stopped(ep, 1);
	return r;
}

static void check_impairment(const struct vs_call_result *r, json_t *stats)
{
	const struct vs_impair_stats *st = &r->impair;
	long long got = echo_stream_int(stats, r->stream_id, "frames");
	json_t *j = vs_call_result_json(r);

	assert_true(r->impaired);
	assert_int_equal(st->frames, r->frames_sent);
	/* the slots from 2500 to 3000 ms that the call reached (20 ms each) */
	assert_int_equal(st->outage, r->frames_sent <= 125 ? 0 : r->frames_sent >= 150 ? 25 : r->frames_sent - 125);
	assert_int_equal(st->sent, st->frames - st->lost - st->outage + st->duplicated - r->impair_unsent);
	/* what the agent got is exactly what our scheduler sent */
	if (got != (long long)st->sent)
		fail_msg("echo target counted %lld frames, the scheduler sent %llu", got, (unsigned long long)st->sent);
	assert_true(st->delay_max_ms <= 16.0 + 21.0 + 1.0);
	assert_non_null(json_object_get(j, "impairment"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "impairment"), "spec")),
			    "seed=3 jitter=8ms loss=1% duplicate=1% reorder=1% outage=500ms@2500ms");
	fprintf(stderr, "  impairment: %llu frames, %llu sent, %llu lost, %llu in the outage, %llu duplicated, "
			"%llu reordered (%llu out of order), delay mean %.1f max %.1f ms\n",
		(unsigned long long)st->frames, (unsigned long long)st->sent, (unsigned long long)st->lost,
		(unsigned long long)st->outage, (unsigned long long)st->duplicated, (unsigned long long)st->reordered,
		(unsigned long long)st->out_of_order, st->delay_sum_ms / (double)(st->sent ? st->sent : 1),
		st->delay_max_ms);
	json_decref(j);
}

/* An agent that talks through the backchannel: judged as such. */
static void test_backchannel_tolerated(void **state)
{
	const char *args[] = {"--reply-ms", "4000", "--no-clear", NULL};
	struct echo_proc ep;
	struct vs_call_script *s;
	struct vs_call *c;
	json_t *stats;
	const struct vs_call_result *r;
	char why[512];
	int judged;
	(void)state;

	r = messy_call(args, &ep, &s, &c, &stats);
	assert_int_equal(r->nbackchannels, 1);
	fprintf(stderr, "  backchannel at %.1f ms, agent turn from %.1f ms, agent stopped %.1f ms after, clear %.1f\n",
		r->backchannels[0].at_ms, r->backchannels[0].turn_on_ms, r->backchannels[0].agent_stop_ms,
		r->backchannels[0].clear_ms);
	/* said once the agent had spoken 1 s (to the frame, plus the hum's lead-in) */
	assert_in_range((long)(r->backchannels[0].at_ms - r->backchannels[0].turn_on_ms), 1000, 1100);
	assert_true(r->backchannels[0].clear_ms < 0);
	assert_int_equal(vs_call_backchannel_problems(r, s->bc_hold_ms, 500, &judged, why, sizeof(why)), 0);
	assert_int_equal(judged, 1);
	check_impairment(r, stats);
	json_decref(stats);
	vs_call_free(c);
	vs_call_script_free(s);
	echo_stop(&ep);
}

/* An agent that stops on any caller sound (the echo target's barge-in
 * handling): the backchannel check fails and says why. */
static void test_backchannel_taken_as_barge_in(void **state)
{
	const char *args[] = {"--reply-ms", "4000", NULL};
	struct echo_proc ep;
	struct vs_call_script *s;
	struct vs_call *c;
	json_t *stats;
	const struct vs_call_result *r;
	char why[512];
	int judged;
	(void)state;

	r = messy_call(args, &ep, &s, &c, &stats);
	assert_int_equal(r->nbackchannels, 1);
	assert_true(r->backchannels[0].clear_ms >= 0 && r->backchannels[0].clear_ms < 1000);
	assert_int_equal(vs_call_backchannel_problems(r, s->bc_hold_ms, 500, &judged, why, sizeof(why)), 1);
	fprintf(stderr, "  %s\n", why);
	assert_non_null(strstr(why, "taken as a barge-in: clear after"));
	check_impairment(r, stats);
	json_decref(stats);
	vs_call_free(c);
	vs_call_script_free(s);
	echo_stop(&ep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backchannel_tolerated),
		cmocka_unit_test(test_backchannel_taken_as_barge_in),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
