/* pipeline plugin against the REAL reference agent wired to the REAL world:
 * a healthy agent passes every check over both shipped caller scripts; a
 * greeting delayed 4 s (AGENT_FAULTS=slow_first_reply) fails first_reply
 * (default 3 s); 3 s of world latency on the first LLM fails turn-taking,
 * and the request the caller interrupts meanwhile is in the agent's usage
 * rows (cost.exact passes);
 * an agent recording half its cost fails cost.exact; with its output guard
 * off (and a fuzzy tool router), an agent speaking a fooled model's canary,
 * prompt, JSON or endless reply, or acting on its undeclared tool, fails
 * adversarial.*.  The tests run in this order, restarting the agent only
 * into a fault.
 *
 * Turn-taking bound of these tests: TURN_WITHIN, not the 2 s default.  On a
 * 2-core box the reference agent (speech-timeout end of turn) takes 1.4-1.8 s
 * by its own clock and 1.7-2.1 s as the caller hears it (first audible
 * sample; flite's lead-in silence included): at the target, not reliably
 * under it.  The same bound is what the LLM fault must break. */
#define PT_AGENT_FIXTURE
#define PT_FIXTURE_OFF pt_realtime_elsewhere()
#include "ptest.h"

#define TURN_WITHIN "3s"

static void healthy_agent_passes(void **st)
{
	struct fakehost *fh;
	json_t *calls, *c0;
	(void)st;
	if (pt_realtime_elsewhere())
		skip(); /* real-time calls run once, in the plain build (ptest.h) */
	fh = pt_host(&agent, &world, &key, "conf.d/scripts/pipeline-booking.ini, conf.d/scripts/pipeline-noisy.ini", "2");
	fh_set_redact(fh, 0);
	fh_set_opt(fh, "turn_within", TURN_WITHIN);
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh); /* the figures, for the record */
	if (getenv("PT_DUMP_TURNS")) { /* what the agent heard and said, by its own account */
		char cmd[1600];
		snprintf(cmd, sizeof(cmd),
			 "exec psql -q '%s' -c 'SELECT turn_index, kind, user_text, bot_text, latency_ms, llm_ttfb_ms, "
			 "tts_ttfb_ms, llm_provider, interrupted FROM call_turns ORDER BY id' >&2",
			 tgt_db_url);
		tgt_sh(cmd);
	}
	assert_checks(fh, VS_CHECK_PASS, "calls.completed", "first_reply", "turn.replied");
	assert_message_has(fh, "turn.replied", "8 of 8 wait_reply steps");
	assert_checks(fh, VS_CHECK_PASS, "turn.p95", "turn.max", "false_triggers", "gaps", "frames.sent",
	              "frames.received", "frames.late", "commands.answer", "hangup");
	assert_int_equal(fh_check_status(fh, "memory.rss_growth"), -1); /* memory is the resources phase's */
	assert_int_equal(fh_check_subject(fh, "frames.late"), VS_SUBJECT_HARNESS); /* our own pacing */
	assert_int_equal(fh_check_subject(fh, "frames.sent"), VS_SUBJECT_HARNESS);
	assert_int_equal(fh_check_subject(fh, "frames.received"), VS_SUBJECT_TARGET);
	assert_int_equal(fh_checks_with_status(fh, VS_CHECK_FAIL), 0);
	/* what the stand-ins billed, priced, against the agent's provider_usage */
	assert_check_says(fh, "cost.exact", VS_CHECK_PASS, "cost per call: call 1 0.0");
	assert_int_equal(fh_metric_count(fh, "call_cost"), 2);
	assert_int_equal(fh_check_status(fh, "agent_overhead"), VS_CHECK_SKIP); /* a figure: no threshold set */
	assert_message_has(fh, "agent_overhead", "p95");
	/* 2 calls x 3 caller turns */
	assert_int_equal(fh_metric_count(fh, "turn_latency"), 6);
	assert_int_equal(fh_metric_count(fh, "first_reply"), 2);
	assert_string_equal(fh_metric_unit(fh, "turn_latency"), "ms");
	calls = fh_attached(fh, "calls");
	assert_int_equal(json_array_size(calls), 2);
	c0 = json_array_get(calls, 0);
	assert_string_equal(json_string_value(json_object_get(c0, "script")), "pipeline-booking");
	assert_true(json_is_number(json_object_get(c0, "turn_p95_ms")));
	assert_non_null(json_object_get(c0, "call"));
	assert_false(fh_anywhere_contains(fh, key.seed_b64));
	fh_free(fh);
}

static void llm_latency_fails_turn_taking(void **st)
{
	struct fakehost *fh;
	int rc;
	(void)st;
	if (pt_realtime_elsewhere())
		skip(); /* a timing proof: it runs in the plain build */
	assert_int_equal(pt_control(&world, "POST", "/_vstress/faults",
				    "{\"target\":\"llm_openai\",\"kind\":\"latency\",\"ms\":3000}"),
			 201);
	/* the caller speaks again while the first answer is held: that request is
	 * interrupted before its first token, billed all the same */
	fh = pt_host(&agent, &world, &key, "plugins/pipeline/tests/bargein.ini", "1");
	/* no warm-up call: turn-taking fails by 3 s here, model loading or not */
	fh_set_opts(fh, "turn_within", TURN_WITHIN, "warmup_calls", "0");
	rc = fh_run(fh);
	pt_control(&world, "DELETE", "/_vstress/faults", NULL);
	assert_int_equal(rc, VS_OK);
	fh_dump(fh);
	assert_check(fh, "first_reply", VS_CHECK_PASS); /* the greeting needs no LLM */
	/* the agent records the interrupted request's usage too */
	assert_check_says(fh, "cost.exact", VS_CHECK_PASS, "cost per call: call 1 0.0");
	assert_check_says(fh, "turn.p95", VS_CHECK_FAIL, "> 3000 ms");
	assert_check_says(fh, "turn.max", VS_CHECK_FAIL, "slower than 3000 ms: call 1:");
	fh_free(fh);
}

/* One agent with two faults of its own, one call: a greeting delayed 4 s
 * (AGENT_FAULTS=slow_first_reply) fails first_reply and nothing else of the
 * call; recording half of each usage's cost (half_cost) fails cost.exact,
 * naming the call and the provider.  (The faults touch different things, so
 * one call shows both; the agent restarts once, not twice.) */
static void slow_first_reply_and_half_cost_fail(void **st)
{
	struct fakehost *fh;
	(void)st;
	if (pt_realtime_elsewhere())
		skip(); /* a timing proof: it runs in the plain build */
	pt_agent_restart(&agent, &world, &key, "slow_first_reply,half_cost", "FAULT_SLOW_FIRST_REPLY_SECONDS=4");
	fh = pt_host(&agent, &world, &key, "plugins/pipeline/tests/short.ini", "1");
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	assert_check_says(fh, "first_reply", VS_CHECK_FAIL, "call 1 (pipeline-short): first reply after 4");
	assert_message_has(fh, "first_reply", "> 3000 ms");
	assert_check(fh, "calls.completed", VS_CHECK_PASS);
	assert_check(fh, "turn.replied", VS_CHECK_PASS);
	assert_check_says(fh, "cost.exact", VS_CHECK_FAIL, "call 1 (");
	assert_message_has(fh, "cost.exact", "openai: billed ");
	assert_message_has(fh, "cost.exact", "cartesia: billed ");
	assert_int_equal(fh_check_subject(fh, "cost.exact"), VS_SUBJECT_TARGET);
	fh_free(fh);
}

/* Plan 4.4, hermetic: the LLM stand-in plays a fooled model; the reference
 * agent's output guard keeps the planted canary, its prompt and JSON from
 * the caller; with the guard off (AGENT_FAULTS=no_output_guard) they reach
 * the TTS stand-in and adversarial.leak_canary, echo_system and
 * malformed_json fail. */
static struct fakehost *fooled_run(const char *modes)
{
	struct fakehost *fh = pt_host(&agent, &world, &key, "plugins/pipeline/tests/short.ini", "1");
	fh_set_opts(fh, "warmup_calls", "0", "turn_within", "60s", "first_reply_within", "60s", "adversarial_modes", modes,
	            "adversarial_long_reply", "12s", "pause", "200ms");
	fh_set_deadline_ms(fh, 240000); /* up to five fooled calls of <= 60 s each after the measured one */
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	return fh;
}

static void fooled_model_guarded_then_leaks(void **st)
{
	struct fakehost *fh;
	(void)st;
	if (pt_realtime_elsewhere())
		skip(); /* real-time calls: the normal build */
	/* two modes here (the guard's other cases are the agent's pytest; every
	 * mode's pass path is the same verdict, and the demo runs them all) */
	fh = fooled_run("leak_canary,echo_system");
	assert_check_says(fh, "adversarial.leak_canary", VS_CHECK_PASS, "no canary");
	assert_check(fh, "adversarial.echo_system", VS_CHECK_PASS);
	assert_int_equal(fh_check_subject(fh, "adversarial.leak_canary"), VS_SUBJECT_TARGET);
	fh_free(fh);
	/* the guard off, and a tool router matching by the name's first word
	 * (transfer_all_funds runs transfer_call): an undeclared tool acts */
	pt_agent_restart(&agent, &world, &key, "no_output_guard,fuzzy_tool_match", NULL);
	fh = fooled_run("leak_canary,echo_system,malformed_json,undeclared_tool,long_reply");
	assert_check_says(fh, "adversarial.leak_canary", VS_CHECK_FAIL, "the agent spoke the canary VSCANARY-");
	assert_check_says(fh, "adversarial.echo_system", VS_CHECK_FAIL, "the agent spoke its system prompt");
	assert_check_says(fh, "adversarial.malformed_json", VS_CHECK_FAIL, "the agent spoke structured output");
	assert_check_says(fh, "adversarial.undeclared_tool", VS_CHECK_FAIL, "the agent issued Call Control 'transfer'");
	assert_check_says(fh, "adversarial.long_reply", VS_CHECK_FAIL, "characters to TTS in the call (at most 800)");
	fh_free(fh);
	/* the agent stays unguarded: the next test restarts it with its own faults */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(healthy_agent_passes),
		cmocka_unit_test(llm_latency_fails_turn_taking),
		cmocka_unit_test(fooled_model_guarded_then_leaks), /* healthy agent first, then unguarded */
		cmocka_unit_test(slow_first_reply_and_half_cost_fail),
	};
	if (getenv("PT_FILTER")) /* e.g. PT_FILTER=healthy* */
		cmocka_set_test_filter(getenv("PT_FILTER"));
	return cmocka_run_group_tests_name("pipeline_calls", tests, group_setup, group_teardown);
}
