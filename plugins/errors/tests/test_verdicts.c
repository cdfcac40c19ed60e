/* errors plugin: the verdicts of the db, tts, key and timeout scenarios fed
 * crafted measurements (no agent, no world, no call: < 1 s).  The whole-call
 * suite (test_errors.c) shows the measurements are taken from a real agent
 * and that a healthy one passes; this one shows each verdict fails when the
 * measurement says the agent misbehaved, including the cases a whole-call
 * test cannot reach cheaply (a process that died, a breaker that never
 * opens, a greeting that never came).  The plugin hides its symbols, so its
 * sources are built in here; the options' defaults come from the built
 * plugin's descriptor (fh_load). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../er_calls.c"
#include "../er_conf.c"
#include "../er_db.c"
#include "../er_llm.c"
#include "../er_observe.c"
#include "../er_tts.c"

#include "fh_assert.h"

static struct fakehost *fh;
static struct er e;

static int setup(void **st)
{
	char so[1024];
	(void)st;
	snprintf(so, sizeof(so), "%s/errors.so",
		 getenv("VSTRESS_TEST_PLUGIN_DIR") ? getenv("VSTRESS_TEST_PLUGIN_DIR") : "build/plugins");
	fh = fh_new("errors");
	if (!fh || fh_load(fh, so) != 0)
		return -1;
	memset(&e, 0, sizeof(e));
	e.h = fh_host(fh);
	e.c = fh_ctx(fh);
	e.t.pid = 4242;
	e.first_reply_ms = er_ms(&e, "first_reply_within");
	e.webhook_within_ms = er_ms(&e, "webhook_within");
	return read_signals(&e) == VS_OK ? 0 : -1; /* undeclared: messages name the keys */
}

static int teardown(void **st)
{
	(void)st;
	fh_free(fh);
	return 0;
}

/* A call the caller heard: greeting at first_ms, one caller turn replied after turn_ms. */
static struct vs_call_turn one_turn[2];
static void heard_call(struct er_call *c, double first_ms, double turn_ms)
{
	memset(c, 0, sizeof(*c));
	c->r.answered = 1;
	c->r.webhook_status = 200;
	c->r.webhook_ms = 20;
	c->r.media_started = 1;
	c->r.media.first_reply_ms = first_ms;
	one_turn[0] = (struct vs_call_turn){.step = 0, .replied = 1, .ref_ms = 0, .latency_ms = first_ms};
	one_turn[1] = (struct vs_call_turn){.step = 1, .replied = 1, .ref_ms = 3000, .latency_ms = turn_ms};
	c->r.media.turns = one_turn;
	c->r.media.nturns = 2;
}

static void db_verdicts(void **st)
{
	struct er_call c;
	(void)st;
	check_alive(&e, 1, 0);
	assert_check_says(fh, "db.alive", VS_CHECK_FAIL, "alive during the outage, GONE after it");
	check_alive(&e, 0, 0);
	assert_check_says(fh, "db.alive", VS_CHECK_FAIL, "GONE during the outage");
	check_alive(&e, 1, 1);
	assert_check(fh, "db.alive", VS_CHECK_PASS);
	check_alive(&e, -1, -1);
	assert_check(fh, "db.alive", VS_CHECK_SKIP);

	memset(&c, 0, sizeof(c));
	c.failed = 1;
	snprintf(c.r.error, sizeof(c.r.error), "webhook refused");
	check_outage_call(&e, &c);
	assert_check_says(fh, "db.outage_call", VS_CHECK_FAIL, "could not be placed: webhook refused");
	heard_call(&c, 800, 1500);
	c.r.webhook_status = 500;
	check_outage_call(&e, &c);
	assert_check_says(fh, "db.outage_call", VS_CHECK_FAIL, "call.initiated answered HTTP 500");
	heard_call(&c, 800, 1500);
	c.r.webhook_ms = 9000; /* 2xx, but too late for Telnyx */
	check_outage_call(&e, &c);
	assert_check_says(fh, "db.outage_call", VS_CHECK_FAIL, "after 9000 ms");
	heard_call(&c, -1, 0); /* answered, silent, no command */
	check_outage_call(&e, &c);
	assert_check_says(fh, "db.outage_call", VS_CHECK_FAIL, "the caller heard nothing");
	heard_call(&c, 800, 1500);
	check_outage_call(&e, &c);
	assert_check(fh, "db.outage_call", VS_CHECK_PASS);

	check_recovered(&e, -1, 15000);
	assert_check_says(fh, "db.recovered", VS_CHECK_FAIL, "within 15000 ms");
	check_recovered(&e, 16000, 15000);
	assert_check(fh, "db.recovered", VS_CHECK_FAIL);
	check_recovered(&e, 700, 15000);
	assert_check(fh, "db.recovered", VS_CHECK_PASS);

	memset(&c, 0, sizeof(c));
	c.r.webhook_status = 503;
	check_call_after(&e, &c);
	assert_check_says(fh, "db.call_after", VS_CHECK_FAIL, "not answered (webhook 503)");
	heard_call(&c, 800, 1500);
	one_turn[1].replied = 0;
	check_call_after(&e, &c);
	assert_check_says(fh, "db.call_after", VS_CHECK_FAIL, "0 of 1 caller turns replied");
	heard_call(&c, 800, 1500);
	check_call_after(&e, &c);
	assert_check(fh, "db.call_after", VS_CHECK_PASS);
}

static void tts_verdicts(void **st)
{
	struct tsnap a = {.world_ok = 1, .failovers_p = 1, .failovers = 2, .state_p = 1, .opens_p = 1, .opens = 1,
			  .voiced = 10, .primary = 5},
		     b = a;
	struct tsum s = {.spoke = 1, .n = 1, .good = 1, .turns = 1, .replied = 1, .sum_turn = 1500, .max_turn = 1500};
	struct er_call c;
	(void)st;
	check_failover(&e, &a, &b); /* the counter did not move */
	assert_check_says(fh, "tts.failover_counted", VS_CHECK_FAIL, "2 -> 2");
	b.failovers = 3;
	check_failover(&e, &a, &b);
	assert_check(fh, "tts.failover_counted", VS_CHECK_PASS);

	s.max_gap = 2500; /* tts_max_gap 500ms by default */
	check_gaps(&e, &s);
	assert_check_says(fh, "tts.no_gaps", VS_CHECK_FAIL, "longest gap inside the agent's speech 2500 ms (limit 500 ms");
	s.max_gap = 120;
	check_gaps(&e, &s);
	assert_check(fh, "tts.no_gaps", VS_CHECK_PASS);

	b = a;
	b.primary = 9; /* four refused requests, the breaker still closed */
	check_breaker_opened(&e, 0, 3, 3, &a, &b);
	assert_check_says(fh, "tts.breaker_opened", VS_CHECK_FAIL, "never opened over 3 calls (4 refused requests");
	check_breaker_opened(&e, 1, 2, 3, &a, &b);
	assert_check(fh, "tts.breaker_opened", VS_CHECK_PASS);

	a.state = 1; /* still OPEN (breaker_open_value 1) */
	memset(&c, 0, sizeof(c));
	tts_check_recovered(&e, &a, &a, 40000, 1, &c);
	assert_check_says(fh, "tts.recovered", VS_CHECK_FAIL, "still open 40.0 s after");
	a.state = 0;
	c.failed = 1;
	snprintf(c.r.error, sizeof(c.r.error), "no answer");
	tts_check_recovered(&e, &a, &b, 30000, 1, &c);
	assert_check_says(fh, "tts.recovered", VS_CHECK_FAIL, "the call after the fault: not placed");
	heard_call(&c, 800, 1500);
	b.voiced = a.voiced; /* the call was voiced by the fallback, not the recovered TTS */
	tts_check_recovered(&e, &a, &b, 30000, 1, &c);
	assert_check_says(fh, "tts.recovered", VS_CHECK_FAIL, "audio_out_s 10.0 -> 10.0");
	b.voiced = 14;
	tts_check_recovered(&e, &a, &b, 30000, 1, &c);
	assert_check(fh, "tts.recovered", VS_CHECK_PASS);
}

static void llm_verdicts(void **st)
{
	struct er_call calls[2];
	struct calls_sum s;
	struct snap a = {.world_ok = 1, .errs_p = 1, .errs = 3, .failovers_p = 1, .failovers = 1, .state_p = 1,
			 .opens_p = 1, .opens = 0, .primary = 4},
		    b = a;
	(void)st;
	heard_call(&calls[0], 900, 1500);
	memset(&calls[1], 0, sizeof(calls[1])); /* answered and streamed, never greeted */
	calls[1].r.answered = calls[1].r.media_started = 1;
	calls[1].r.media.first_reply_ms = -1;
	sum_calls(&e, calls, 2, &s);
	check_first_reply(&e, "key.first_reply", &s, e.first_reply_ms);
	assert_check_says(fh, "key.first_reply", VS_CHECK_FAIL, "1 of 2 calls heard no greeting");
	heard_call(&calls[1], 4200, 1500); /* first_reply_within 3s by default */
	sum_calls(&e, calls, 2, &s);
	check_first_reply(&e, "key.first_reply", &s, e.first_reply_ms);
	assert_check(fh, "key.first_reply", VS_CHECK_FAIL);
	heard_call(&calls[1], 1100, 1500);
	sum_calls(&e, calls, 2, &s);
	check_first_reply(&e, "key.first_reply", &s, e.first_reply_ms);
	assert_check(fh, "key.first_reply", VS_CHECK_PASS);

	s = (struct calls_sum){.n = 1, .turns = 2, .replied = 2, .max_turn = 5200, .sum_turn = 7000};
	check_latency(&e, "key.reply_latency", &s, er_ms(&e, "key_reply_within"));
	assert_check(fh, "key.reply_latency", VS_CHECK_FAIL);
	s.max_turn = 2100;
	check_latency(&e, "key.reply_latency", &s, er_ms(&e, "key_reply_within"));
	assert_check(fh, "key.reply_latency", VS_CHECK_PASS);
	s = (struct calls_sum){.n = 1, .turns = 2};
	check_latency(&e, "timeout.reply_latency", &s, er_ms(&e, "timeout_reply_within"));
	assert_check_says(fh, "timeout.reply_latency", VS_CHECK_FAIL, "no caller turn was replied");
	s = (struct calls_sum){.n = 2, .turns = 2, .replied = 2, .max_turn = 8600, .sum_turn = 10000};
	check_latency(&e, "timeout.reply_latency", &s, er_ms(&e, "timeout_reply_within"));
	assert_check(fh, "timeout.reply_latency", VS_CHECK_FAIL);

	/* the 401 not counted, no rows; then counted */
	check_counter(&e, "key.error_logged", "provider_errors", "error_class=\"auth\"", a.errs_p, a.errs, b.errs_p, b.errs, 0);
	assert_check_says(fh, "key.error_logged", VS_CHECK_FAIL, "3 -> 3, no rows in the database");
	check_counter(&e, "key.error_logged", "provider_errors", "error_class=\"auth\"", a.errs_p, a.errs, b.errs_p, 4, -1);
	assert_check(fh, "key.error_logged", VS_CHECK_PASS);
	check_counter(&e, "key.failover", "failovers", "", a.failovers_p, a.failovers, b.failovers_p, b.failovers, -1);
	assert_check_says(fh, "key.failover", VS_CHECK_FAIL, "1 -> 1");
	check_counter(&e, "key.failover", "failovers", "", 0, 0, 0, 0, -1);
	assert_check(fh, "key.failover", VS_CHECK_SKIP); /* no evidence source is no pass */

	b.primary = 10; /* six stalled requests, the breaker never opened, no rows */
	check_breaker_open(&e, 0, 0, 3, 3, "error_class=\"timeout\"", &a, &b);
	assert_check_says(fh, "timeout.breaker_open", VS_CHECK_FAIL, "never opened over 3 calls (6 stalled requests");
	check_breaker_open(&e, 0, -1, 3, 3, "error_class=\"timeout\"", &a, &b);
	assert_check(fh, "timeout.breaker_open", VS_CHECK_FAIL);
	check_breaker_open(&e, 1, -1, 2, 3, "error_class=\"timeout\"", &a, &b);
	assert_check(fh, "timeout.breaker_open", VS_CHECK_PASS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(db_verdicts),
		cmocka_unit_test(tts_verdicts),
		cmocka_unit_test(llm_verdicts),
	};
	return cmocka_run_group_tests_name("errors verdicts", tests, setup, teardown);
}
