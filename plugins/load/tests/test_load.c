/* load plugin against the REAL reference agent wired to the REAL world
 * (tests/plugin-support/ptest.h), small numbers:
 *  - a healthy agent, 4 calls at once, passes every check;
 *  - the same calls one at a time fail concurrency.reached (4 required),
 *    and db.pool with a pool bound of 1;
 *  - a faulty agent (AGENT_FAULTS=slow_first_reply,leak_calls), call_turns
 *    inserts failing, call rows deleted when the call ends and a deadlock
 *    in its database during the load fail first_reply.p95, agent.drained,
 *    db.call_rows, db.turn_rows and db.deadlocks;
 *  - an unreachable target fails calls.complete and says why; no PID, no
 *    /metrics, no database: those checks skip with the reason; no world:
 *    the plugin skips.
 *
 * Turn-taking bound: TURN_WITHIN (3 s), as in the pipeline tests: on a
 * 2-core box the reference agent's turns are 1.7-2.1 s alone, more with
 * four calls at once (docs/plugins/load.md has the figures). */
#define PT_AGENT_FIXTURE
#include "ptest.h"

#include <math.h>

#define TURN_WITHIN "3s"

/* The plugin aimed at agent + world, as [load:hermetic] does. */
static struct fakehost *ld_host(const char *script, const char *calls, const char *conc)
{
	struct fakehost *fh = pt_plugin_host("load", &agent, &world, &key, NULL);

	fh_set_opts(fh, "scripts", script, "calls", calls, "concurrency", conc, "turn_within", TURN_WITHIN,
	            "idle_window", "1s", "drain_timeout", "5s");
	fh_set_deadline_ms(fh, 150000);
	return fh;
}

/* Lines of the artifact that start with prefix. */
static int artifact_lines(struct fakehost *fh, const char *prefix)
{
	char path[1200], line[4096];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/load_test.log", fh_artifact_dir(fh));
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !strncmp(line, prefix, strlen(prefix));
	fclose(f);
	return n;
}

static void healthy_agent_passes(void **st)
{
	struct fakehost *fh;
	json_t *calls, *sum;
	(void)st;
	/* real-time media from four calls cannot be paced under valgrind or the
	 * sanitizers: a timing and load proof, it runs in the normal build */
	if (getenv("VSTRESS_SLOW_RUNTIME"))
		skip();
	fh = ld_host("plugins/load/tests/short.ini", "4", "4");
	fh_set_opt(fh, "cpu_max_pct", "100"); /* the CPU check's pass path: the agent cannot use more than the machine */
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh); /* the figures, for the record */
	assert_check_says(fh, "calls.complete", VS_CHECK_PASS, "all 4 calls complete");
	assert_checks(fh, VS_CHECK_PASS, "first_reply.p95", "turn.p95", "pacing.late_frames", "concurrency.reached");
	assert_int_equal(fh_check_subject(fh, "pacing.late_frames"), VS_SUBJECT_HARNESS); /* our own pacing */
	assert_message_has(fh, "concurrency.reached", "4 calls in progress at the same moment");
	assert_checks(fh, VS_CHECK_PASS, "race.answers", "race.stream_urls", "agent.drained", "agent.errors",
	              "cpu.mean", "db.call_rows", "db.turn_rows", "db.deadlocks", "db.pool");
	assert_int_equal(fh_checks_with_status(fh, VS_CHECK_FAIL), 0);
	assert_int_equal(fh_checks_with_status(fh, VS_CHECK_SKIP), 0);
	assert_int_equal(fh_metric_count(fh, "first_reply"), 4);
	assert_int_equal(fh_metric_count(fh, "turn_latency"), 4);
	assert_true(fh_metric_count(fh, "target_cpu") >= 10);
	assert_int_equal(fh_counter(fh, "calls"), 4);
	assert_int_equal(fh_counter(fh, "max_simultaneous_calls"), 4);
	calls = fh_attached(fh, "calls");
	assert_int_equal(json_array_size(calls), 4);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(calls, 0), "db_turn_rows")), 2);
	sum = fh_attached(fh, "summary");
	assert_true(json_number_value(json_object_get(sum, "rss_during_max_kb")) > 50000);
	assert_true(json_is_number(json_object_get(sum, "cpu_during_mean_pct")));
	assert_int_equal(artifact_lines(fh, "call="), 4);
	assert_true(artifact_lines(fh, "t_ms=") >= 10);
	assert_non_null(fh_attached(fh, "timeline"));
	assert_false(fh_anywhere_contains(fh, key.seed_b64));
	fh_free(fh);
}

/* One at a time: the calls all complete, but never two at once. */
static void sequential_calls_fail_concurrency(void **st)
{
	struct fakehost *fh;
	(void)st;
	if (getenv("VSTRESS_SLOW_RUNTIME"))
		skip();
	fh = ld_host("plugins/load/tests/greet.ini", "4", "1");
	fh_set_opt(fh, "min_concurrency", "4");
	fh_set_opt(fh, "ramp", "0");
	/* the agent keeps 2-3 pooled connections: a bound of 1 must fail */
	fh_set_opt(fh, "db_pool_max", "1");
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	assert_check(fh, "calls.complete", VS_CHECK_PASS);
	assert_check_says(fh, "concurrency.reached", VS_CHECK_FAIL,
	                  "1 calls in progress at the same moment (from their start/end times) < 4");
	assert_check_says(fh, "db.pool", VS_CHECK_FAIL, "(allowed 1..1)");
	/* each call waited for the one before: its lateness is on record */
	assert_true(fh_metric_count(fh, "start_lateness") == 4);
	fh_free(fh);
}

static void sql(const char *q)
{
	char cmd[1600];
	snprintf(cmd, sizeof(cmd), "exec psql -q -v ON_ERROR_STOP=1 '%s' -c \"%s\" >/dev/null", tgt_db_url, q);
	assert_int_equal(tgt_sh(cmd), 0);
}

/* A deadlock between two sessions of the target's database, 2 s from now
 * (during the load), in tables of its own. */
static void deadlock_soon(void)
{
	char cmd[4096];
	sql("CREATE TABLE IF NOT EXISTS vstress_dl_a (x int); CREATE TABLE IF NOT EXISTS vstress_dl_b (x int)");
	snprintf(cmd, sizeof(cmd),
		 "(sleep 2; psql -q '%1$s' -c 'BEGIN; LOCK vstress_dl_a; SELECT pg_sleep(1); LOCK vstress_dl_b; COMMIT' & "
		 "psql -q '%1$s' -c 'BEGIN; LOCK vstress_dl_b; SELECT pg_sleep(1); LOCK vstress_dl_a; COMMIT' & wait) "
		 ">/dev/null 2>&1 &",
		 tgt_db_url);
	assert_int_equal(tgt_sh(cmd), 0);
}

static void faulty_agent_fails(void **st)
{
	struct fakehost *fh;
	int rc;
	(void)st;
	if (getenv("VSTRESS_SLOW_RUNTIME"))
		skip();
	pt_agent_restart(&agent, &world, &key, "slow_first_reply,leak_calls", "FAULT_SLOW_FIRST_REPLY_SECONDS=4");
	/* the agent's turn rows cannot be written (its try_execute logs and goes on) */
	sql("ALTER TABLE call_turns ADD CONSTRAINT vstress_load_test_no_turns CHECK (false) NOT VALID");
	/* and its call rows are lost when the call ends (as a bad retention job would) */
	sql("CREATE FUNCTION vstress_lose_call() RETURNS trigger LANGUAGE plpgsql AS "
	    "\\$\\$ BEGIN DELETE FROM call_logs WHERE id = NEW.id; RETURN NULL; END \\$\\$; "
	    "CREATE TRIGGER vstress_lose_call AFTER UPDATE ON call_logs FOR EACH ROW "
	    "WHEN (NEW.ended_at IS NOT NULL) EXECUTE FUNCTION vstress_lose_call()");
	fh = ld_host("plugins/load/tests/short.ini", "2", "2");
	fh_set_opt(fh, "drain_timeout", "2s");
	deadlock_soon();
	rc = fh_run(fh);
	sql("ALTER TABLE call_turns DROP CONSTRAINT vstress_load_test_no_turns");
	sql("DROP TRIGGER vstress_lose_call ON call_logs; DROP FUNCTION vstress_lose_call()");
	sql("DROP TABLE vstress_dl_a, vstress_dl_b");
	assert_int_equal(rc, VS_OK);
	fh_dump(fh);
	assert_check(fh, "calls.complete", VS_CHECK_PASS); /* slow, not broken */
	assert_check_says(fh, "first_reply.p95", VS_CHECK_FAIL, "> 3000 ms");
	assert_check_says(fh, "agent.drained", VS_CHECK_FAIL, "calls stuck in the agent");
	assert_check_says(fh, "db.call_rows", VS_CHECK_FAIL, "0 of 2 calls left their row");
	assert_check_says(fh, "db.turn_rows", VS_CHECK_FAIL, ": 0 turn rows, 2 agent turns heard");
	assert_check_says(fh, "db.deadlocks", VS_CHECK_FAIL, "(+1)");
	fh_free(fh);
	/* back to a healthy agent for whatever runs next */
	pt_agent_restart(&agent, &world, &key, NULL, NULL);
}

/* One turn of a call as the agent recorded it (call_turns, kind 'turn'):
 * its LLM's first-token time (of the provider that answered), its TTS's
 * first audio, and that provider. */
static void agent_turn(const char *ccid, double *llm_ttfb, double *tts_ttfb, char *provider, size_t plen)
{
	char cmd[1800], line[256];
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "psql -At -F ' ' '%s' -c \"SELECT t.llm_ttfb_ms, t.tts_ttfb_ms, t.llm_provider FROM call_turns t JOIN "
		 "call_logs l ON l.id = t.call_log_id WHERE l.call_control_id = '%s' AND t.kind = 'turn' ORDER BY "
		 "t.turn_index LIMIT 1\"",
		 tgt_db_url, ccid);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	pclose(f);
	provider[0] = '\0';
	assert_int_equal(sscanf(line, "%lf %lf %63s", llm_ttfb, tts_ttfb, provider), 3);
	(void)plen;
}

/* [load] faults under load, the reference agent really failing over: the
 * world's LLM stand-in for OpenAI stalls from 1 s to 10 s after the batch
 * starts; the agent (LLM_FIRST_TOKEN_TIMEOUT_SECONDS=1.5) waits 1.5 s for
 * the first token, then moves to its next LLM.  Calls 1-2 have their
 * caller turn inside the window, calls 3-4 after it.  The failover time
 * measured from the caller's side (turn latency above the p50 outside the
 * window) must agree within 100 ms with what the agent's own records make
 * it: 1.5 s of timeout plus how much slower the backup's first token and
 * first audio were than the primary's on the baseline turn (call_turns
 * llm_ttfb_ms, tts_ttfb_ms).
 * With no_failover (only the first LLM tried) the agent gives the calls in
 * the window up (fallback message, transfer): fault.1 fails. */
static void faults_under_load(void **st)
{
	struct fakehost *fh;
	json_t *f, *calls;
	double base_llm = 0, base_tts = 0;
	(void)st;
	if (getenv("VSTRESS_SLOW_RUNTIME"))
		skip();
	pt_agent_restart(&agent, &world, &key, NULL, "LLM_FIRST_TOKEN_TIMEOUT_SECONDS=1.5");
	fh = ld_host("plugins/load/tests/short.ini", "4", "2");
	fh_set_opts(fh, "ramp", "0ms", "faults", "at 1s for 9s: openai stall");
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	assert_check_says(fh, "fault.1", VS_CHECK_PASS, "0 replies lost");
	assert_check(fh, "fault.1.recovery", VS_CHECK_PASS);
	f = json_array_get(json_object_get(fh_attached(fh, "summary"), "faults"), 0);
	calls = fh_attached(fh, "calls");
	assert_non_null(f);
	assert_int_equal(json_integer_value(json_object_get(f, "calls_affected")), 2);
	/* the primary's figures: of calls 3-4 (after the window), the one
	 * whose turn is the plugin's baseline (the p50 outside the window) */
	{
		double bl = json_number_value(json_object_get(fh_attached(fh, "summary"), "faults_baseline_turn_p50_ms")),
		       best = 1e9;
		for (size_t i = 2; i < 4; i++) {
			json_t *cr = json_object_get(json_array_get(calls, i), "call");
			json_t *tu = json_object_get(json_object_get(cr, "media"), "turns"), *u;
			size_t j;
			double l, t;
			char prov[64];
			json_array_foreach(tu, j, u)
			{
				double lat = json_number_value(json_object_get(u, "latency_ms"));
				if (json_number_value(json_object_get(u, "ref_ms")) <= 0 || fabs(lat - bl) >= best)
					continue;
				best = fabs(lat - bl);
				agent_turn(json_string_value(json_object_get(cr, "call_control_id")), &l, &t, prov, sizeof(prov));
				assert_string_equal(prov, "openai");
				base_llm = l;
				base_tts = t;
			}
		}
		assert_true(best < 1);
	}
	for (size_t k = 0; k < 2; k++) {
		json_t *c = json_array_get(json_object_get(f, "calls"), k);
		size_t i = (size_t)json_integer_value(json_object_get(c, "call")) - 1;
		double l, t, want, got = json_number_value(json_object_get(c, "failover_ms"));
		char prov[64];
		agent_turn(json_string_value(json_object_get(json_object_get(json_array_get(calls, i), "call"),
							      "call_control_id")),
			   &l, &t, prov, sizeof(prov));
		assert_string_not_equal(prov, "openai"); /* it really failed over */
		want = 1500 + (l - base_llm) + (t - base_tts);
		print_message("call %zu: failover measured %.0f ms, from the agent's records %.0f ms (1500 + LLM %s "
			      "%.0f - openai %.0f + TTS %.0f - %.0f)\n",
			      i + 1, got, want, prov, l, base_llm, t, base_tts);
		assert_true(got >= want - 100 && got <= want + 100);
	}
	fh_free(fh);

	pt_agent_restart(&agent, &world, &key, "no_failover", "LLM_FIRST_TOKEN_TIMEOUT_SECONDS=1.5");
	fh = ld_host("plugins/load/tests/short.ini", "4", "2");
	fh_set_opts(fh, "ramp", "0ms", "faults", "at 1s for 9s: openai stall");
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	/* the agent's fallback: a message, then the transfer to a person */
	assert_check_says(fh, "fault.1", VS_CHECK_FAIL, "2 calls handed off by the agent (transfer)");
	fh_free(fh);
	pt_agent_restart(&agent, &world, &key, NULL, NULL);
}

/* An agent whose series are named its own way (the reference agent with
 * METRICS_PREFIX=voicebot_): declared in [target] signal.*, they are read;
 * one left undeclared skips naming its key; a bad selector is a config
 * error naming its key, before any call. */
static void renamed_signals(void **st)
{
	static const char *const sigs[][2] = {{"calls", "voicebot_calls_total"},
					      {"calls_failed", "voicebot_calls_total{outcome=\"error\"}"},
					      {"pool_size", "voicebot_db_pool_size"},
					      {"pool_idle", "voicebot_db_pool_idle"},
					      {"active_calls", ""}};
	struct fakehost *fh;
	(void)st;
	if (getenv("VSTRESS_SLOW_RUNTIME"))
		skip();
	fh = ld_host("plugins/load/tests/greet.ini", "2", "2");
	fh_set_conf(fh, "target", "signal.pool_size", "voicebot_db_pool_size{pool=\"main\"");
	assert_int_equal(fh_run(fh), VS_ECONFIG);
	assert_non_null(strstr(fh_reason(fh), "[target] signal.pool_size: expected ',' or '}'"));
	fh_free(fh);

	tgt_stop(&agent);
	assert_int_equal(pt_agent_start(&agent, &world, &key, NULL, "METRICS_PREFIX=voicebot_"), 0);
	fh = ld_host("plugins/load/tests/greet.ini", "2", "2");
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		char k[64];
		snprintf(k, sizeof(k), "signal.%s", sigs[i][0]);
		fh_set_conf(fh, "target", k, sigs[i][1]);
	}
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	assert_check(fh, "calls.complete", VS_CHECK_PASS);
	assert_check(fh, "agent.drained", VS_CHECK_SKIP);
	assert_message_has(fh, "agent.drained", "not declared (set [target] signal.active_calls)");
	assert_check(fh, "agent.errors", VS_CHECK_PASS);
	assert_message_has(fh, "agent.errors", "voicebot_calls_total{outcome=\"error\"} +0 over the batch (");
	/* calls by outcome: signal.calls per value of the label calls_failed selects by */
	assert_message_has(fh, "agent.errors", "2 ran; by outcome: completed +2)");
	assert_true(json_number_value(json_object_get(json_object_get(fh_attached(fh, "summary"), "agent_calls_by_outcome"),
						      "completed")) == 2);
	assert_check(fh, "db.pool", VS_CHECK_PASS);
	assert_message_has(fh, "db.pool", "voicebot_db_pool_size ");
	fh_free(fh);

	/* the shipped names against the renamed agent: absent, named */
	fh = ld_host("plugins/load/tests/greet.ini", "1", "1");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "agent.drained", VS_CHECK_SKIP);
	assert_message_has(fh, "agent.drained",
			   "agent_active_calls is absent from the target's metrics (the series of [target] signal.active_calls)");
	fh_free(fh);
	tgt_stop(&agent);
	assert_int_equal(pt_agent_start(&agent, &world, &key, NULL, NULL), 0);
}

/* Nothing listens at the target URL: every call fails, saying why; no PID,
 * no /metrics, no database: those checks skip with the reason. */
static void unreachable_target_fails_clearly(void **st)
{
	struct fakehost *fh = fh_new("load");
	(void)st;
	assert_int_equal(fh_load(fh, pt_so("load")), 0);
	fh_set_opts(fh, "base_url", "http://127.0.0.1:9", "control_url", world.control, "signing_seed", key.seed_b64,
	            "db_url", "", "target_pid", "0", "scripts", "plugins/load/tests/greet.ini", "calls", "2",
	            "concurrency", "2", "idle_window", "0", "drain_timeout", "0");
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	assert_check_says(fh, "calls.complete", VS_CHECK_FAIL,
	                  "0 of 2 calls complete: call 1: no answer to call.initiated");
	assert_checks(fh, VS_CHECK_SKIP, "race.answers", "concurrency.reached", "cpu.mean");
	assert_message_has(fh, "cpu.mean", "no target PID");
	assert_checks(fh, VS_CHECK_SKIP, "agent.drained", "db.call_rows", "db.deadlocks");
	fh_free(fh);

	/* no world: nothing to observe the agent's commands with */
	fh = fh_new("load");
	assert_int_equal(fh_load(fh, pt_so("load")), 0);
	fh_set_opts(fh, "base_url", agent.url, "control_url", "", "signing_seed", key.seed_b64);
	assert_int_equal(fh_run(fh), VS_SKIP);
	assert_non_null(strstr(fh_reason(fh), "no world control URL"));
	fh_free(fh);
}

/* A number from the agent's database (psql -At). */
static double agent_sql_number(const char *sql)
{
	char cmd[2400], line[256] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd), "psql -At '%s' -c \"%s\"", tgt_db_url, sql);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	pclose(f);
	return strtod(line, NULL);
}

/* [load] tenants = 2: vstress creates two tenants (each its own number and
 * system prompt holding its marker); calls 1 and 3 dial tenant 1, 2 and 4
 * tenant 2, 1 s apart.  tenant_faults make the world's OpenAI answer 500
 * to tenant 2's requests only (body_has: its marker): the agent's own
 * records show tenant 1 answered by OpenAI and tenant 2 by its backup, and
 * tenants.isolated passes.  With AGENT_FAULTS=shared_llm_backoff (one
 * process-wide backoff after any LLM failure, 5 s here) call 3 (tenant 1)
 * waits out most of tenant 2's backoff: tenants.isolated fails.  The SLO
 * (ISOLATION_SLO, turn p95 < 5 s) sits between the two: four calls' turns
 * on a busy 2-core box reach 3.3 s; a turn held by the backoff 6 s or more.
 * Both tenant rows are gone after the run. */
#define ISOLATION_SLO "5s"
static void tenant_isolation(void **st)
{
	struct fakehost *fh;
	json_t *calls, *tn;
	(void)st;
	if (getenv("VSTRESS_SLOW_RUNTIME"))
		skip();
	for (int faulty = 0; faulty < 2; faulty++) {
		if (faulty)
			pt_agent_restart(&agent, &world, &key, "shared_llm_backoff", "FAULT_SHARED_BACKOFF_SECONDS=5");
		fh = ld_host("plugins/load/tests/short.ini", "4", "4");
		fh_set_opts(fh, "ramp", "1s", "tenants", "2", "tenant_faults", "at 0s for 60s: openai error:status=500",
			    "slo_turn_p95", ISOLATION_SLO, "warmup_calls", "1"); /* a restarted agent's first call loads models */
		assert_int_equal(fh_run(fh), VS_OK);
		fh_dump(fh);
		calls = fh_attached(fh, "calls");
		for (size_t i = 0; i < json_array_size(calls); i++) /* the figures, for the record */
			print_message("call %zu (tenant %zu): turn %.0f ms\n", i + 1, i % 2 + 1,
				      json_number_value(json_object_get(
					      json_array_get(json_object_get(json_object_get(json_object_get(
								     json_array_get(calls, i), "call"), "media"), "turns"), 1),
					      "latency_ms")));
		tn = json_object_get(fh_attached(fh, "summary"), "tenants");
		assert_non_null(tn);
		for (size_t i = 0; i < 4; i++)
			assert_int_equal(json_integer_value(json_object_get(json_array_get(calls, i), "tenant")), i % 2 + 1);
		assert_true(json_is_false(json_object_get(json_array_get(json_object_get(tn, "tenants"), 0), "faulted")));
		assert_true(json_is_true(json_object_get(json_array_get(json_object_get(tn, "tenants"), 1), "faulted")));
		assert_true(json_integer_value(json_object_get(tn, "tenant_fault_hits")) >= 2);
		if (!faulty) {
			assert_check_says(fh, "tenants.isolated", VS_CHECK_PASS, "tenant 1 within its SLO");
			for (size_t i = 0; i < 4; i++) {
				double l, t;
				char prov[64];
				agent_turn(json_string_value(json_object_get(json_object_get(json_array_get(calls, i), "call"),
									      "call_control_id")),
					   &l, &t, prov, sizeof(prov));
				if (i % 2 == 0)
					assert_string_equal(prov, "openai"); /* tenant 1: untouched */
				else
					assert_string_not_equal(prov, "openai"); /* tenant 2: failed over */
			}
		} else {
			assert_check_says(fh, "tenants.isolated", VS_CHECK_FAIL, "tenant 1 was not shielded");
			assert_message_has(fh, "tenants.isolated", "turn p95");
		}
		fh_free(fh);
		assert_true(agent_sql_number("SELECT count(*) FROM tenants WHERE name LIKE 'vstress load %'") == 0);
	}
	pt_agent_restart(&agent, &world, &key, NULL, NULL);
}

/* mode = capacity, one level of one call: capacity.cost_per_call prices
 * what the world billed for it, and agrees with the agent's own
 * provider_usage rows for that call (1 %, or USD 0.001). */
static void capacity_cost_per_call(void **st)
{
	struct fakehost *fh;
	json_t *cap, *calls;
	double got, want;
	char sql[600];
	(void)st;
	if (getenv("VSTRESS_SLOW_RUNTIME"))
		skip();
	fh = ld_host("plugins/load/tests/short.ini", "1", "1");
	fh_set_opts(fh, "mode", "capacity", "capacity_start", "1", "capacity_max", "1", "capacity_hold", "1s",
		    "slo_turn_p95", TURN_WITHIN);
	assert_int_equal(fh_run(fh), VS_OK);
	fh_dump(fh);
	assert_check_says(fh, "capacity.found", VS_CHECK_PASS, "holds 1 concurrent calls");
	assert_check_says(fh, "capacity.cost_per_call", VS_CHECK_SKIP, "per call from the world's billing");
	cap = json_object_get(fh_attached(fh, "summary"), "capacity");
	calls = fh_attached(fh, "calls");
	assert_int_equal(json_array_size(calls), 1);
	got = json_number_value(json_object_get(cap, "cost_usd_per_call"));
	snprintf(sql, sizeof(sql), "SELECT COALESCE(sum(cost_usd), 0) FROM provider_usage WHERE call_control_id = '%s'",
		 json_string_value(json_object_get(json_object_get(json_array_get(calls, 0), "call"), "call_control_id")));
	want = agent_sql_number(sql);
	print_message("cost per call: world's billing USD %.6f, the agent's provider_usage USD %.6f\n", got, want);
	assert_true(want > 0);
	assert_true(fabs(got - want) <= fmax(0.01 * want, 0.001));
	fh_free(fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(healthy_agent_passes),
		cmocka_unit_test(sequential_calls_fail_concurrency),
		cmocka_unit_test(faulty_agent_fails),
		cmocka_unit_test(renamed_signals),
		cmocka_unit_test(faults_under_load),
		cmocka_unit_test(tenant_isolation),
		cmocka_unit_test(capacity_cost_per_call),
		cmocka_unit_test(unreachable_target_fails_clearly),
	};
	if (getenv("PT_FILTER"))
		cmocka_set_test_filter(getenv("PT_FILTER"));
	return cmocka_run_group_tests_name("load", tests, group_setup, group_teardown);
}
