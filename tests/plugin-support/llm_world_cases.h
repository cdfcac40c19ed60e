/* The world-driven cases shared by the LLM probe tests (llm_openai,
 * llm_gemini, llm_anthropic: the same probe engine, lib/probe/llm_*.c): all
 * ok with no faults; every fault kind classified right and removed
 * afterwards; both passes; a missing key skips; a refused port is a network
 * error; bad fault specs are config errors; the key is never printed.  The
 * including file defines LT_PLUGIN ("llm_openai"), LT_SHORT ("openai"),
 * LT_KEY_ENV ("OPENAI_API_KEY") and KEY (a test key), optionally
 * LT_SERVER_STATUS (the provider's overload status, default "500"), then
 * includes this. */
#ifndef LLM_WORLD_CASES_H
#define LLM_WORLD_CASES_H

#ifndef LT_SERVER_STATUS
#define LT_SERVER_STATUS "500"
#endif

static struct lt_world W;


static int group_setup(void **state)
{
	(void)state;
	return lt_world_start(&W, LT_PLUGIN);
}

static int group_teardown(void **state)
{
	(void)state;
	lt_world_stop(&W);
	return 0;
}

static void all_ok(void **state)
{
	(void)state;
	struct fakehost *fh = lt_host(LT_PLUGIN, &W, KEY);
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "responses_ok", VS_CHECK_PASS);
	assert_check(fh, "ttft_p95", VS_CHECK_PASS);
	assert_check(fh, "respond_within", VS_CHECK_PASS);
	assert_check(fh, "usage_present", VS_CHECK_PASS);
	assert_check(fh, "cost_computed", VS_CHECK_PASS);
	assert_int_equal(lt_class(fh, "ok"), 12);
	assert_true(fh_counter(fh, "cost_micro_usd") > 0);
	assert_int_equal(fh_metric_count(fh, "ttft"), 12);
	assert_int_equal(fh_metric_count(fh, "latency"), 12);
	char path[700];
	snprintf(path, sizeof(path), "%s/llm_results_" LT_SHORT ".json", fh_artifact_dir(fh));
	json_t *doc = json_load_file(path, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(json_array_size(json_object_get(doc, "requests")), 12);
	json_t *r0 = json_array_get(json_object_get(doc, "requests"), 0);
	assert_string_equal(json_string_value(json_object_get(r0, "class")), "ok");
	assert_true(json_real_value(json_object_get(r0, "ttft_ms")) > 0);
	assert_true(json_integer_value(json_object_get(r0, "tokens_out")) > 0);
	assert_true(json_real_value(json_object_get(r0, "cost_usd")) > 0);
	json_decref(doc);
	assert_false(fh_anywhere_contains(fh, KEY));
	fh_free(fh);
}

static void fault_counts(const char *faults, const char *timeout, const char *cls, int all)
{
	struct fakehost *fh = lt_faulted(LT_PLUGIN, &W, KEY, faults, timeout);
	int64_t n = lt_fclass(fh, cls), ok = lt_fclass(fh, "ok");
	char name[64];
	snprintf(name, sizeof(name), "faults.fault_1_%s", cls);
	assert_check(fh, name, VS_CHECK_PASS);
	if (all)
		assert_int_equal(n, 12);
	else
		assert_int_equal(n + ok, 12);
	assert_true(n > 0);
	fh_free(fh);
	lt_no_faults_left(&W);
}

static void fault_500_half(void **state)
{
	(void)state;
	fault_counts("error:status=500:rate=0.5", NULL, "server_error", 0);
}

static void fault_429(void **state)
{
	(void)state;
	fault_counts("error:status=429", NULL, "rate_limit", 1);
}

static void fault_401(void **state)
{
	(void)state;
	fault_counts("error:status=401", NULL, "auth", 1);
}

static void fault_instream(void **state)
{
	(void)state;
	fault_counts("error:status=" LT_SERVER_STATUS ":after_messages=2", NULL, "server_error", 1);
}

static void fault_stall(void **state)
{
	(void)state;
	fault_counts("stall", "800ms", "timeout", 1);
}

static void fault_malformed(void **state)
{
	(void)state;
	fault_counts("malformed:after_messages=2", NULL, "malformed", 1);
}

static void fault_close(void **state)
{
	(void)state;
	fault_counts("close:after_messages=2", NULL, "malformed", 1);
}

static void fault_reset(void **state)
{
	(void)state;
	fault_counts("reset:after_messages=3", NULL, "malformed", 1);
}

static void fault_latency(void **state)
{
	(void)state;
	struct fakehost *fh = lt_host(LT_PLUGIN, &W, KEY);
	fh_set_opt(fh, "faults", "latency:ms=1200");
	fh_set_opt(fh, "respond_within", "1s");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_int_equal(lt_fclass(fh, "ok"), 12);
	assert_check(fh, "faults.fault_1_ok", VS_CHECK_PASS);
	assert_check(fh, "faults.respond_within", VS_CHECK_FAIL);
	fh_free(fh);
	lt_no_faults_left(&W);
}

static void two_passes(void **state)
{
	(void)state;
	lt_two_passes(LT_PLUGIN, &W, KEY, LT_SHORT);
}

static void missing_key_skips(void **state)
{
	(void)state;
	struct fakehost *fh = lt_host(LT_PLUGIN, &W, "");
	assert_int_equal(fh_run(fh), VS_SKIP);
	assert_string_equal(fh_reason(fh), LT_KEY_ENV " not set");
	fh_free(fh);
}

static void refused_is_network(void **state)
{
	(void)state;
	struct fakehost *fh = lt_host(LT_PLUGIN, &W, KEY);
	fh_set_opt(fh, "base_url", "http://127.0.0.1:9");
	fh_set_opt(fh, "requests", "3");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_int_equal(lt_class(fh, "network"), 3);
	assert_check(fh, "responses_ok", VS_CHECK_FAIL);
	fh_free(fh);
}

static void bad_faults_config(void **state)
{
	(void)state;
	struct fakehost *fh = lt_host(LT_PLUGIN, &W, KEY);
	fh_set_opt(fh, "faults", "error:abc");
	assert_int_equal(fh_run(fh), VS_ECONFIG);
	fh_free(fh);
	/* one syntax, keyed: the old positional form and bad fields are named */
	static const char *const bad[][2] = {{"error:500:0.1", "'500' is not param=value"},
					     {"stall:rate=1.5", "rate '1.5' is not a number in 0..1"},
					     {"error:status=abc", "status 'abc' is not a whole number"},
					     {"eror:status=500", "unknown kind 'eror'"}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fh = lt_host(LT_PLUGIN, &W, KEY);
		fh_set_opt(fh, "faults", bad[i][0]);
		assert_int_equal(fh_run(fh), VS_ECONFIG);
		if (!strstr(fh_reason(fh), bad[i][1]))
			fail_msg("faults = %s: reason '%s' lacks '%s'", bad[i][0], fh_reason(fh), bad[i][1]);
		fh_free(fh);
	}
	fh = lt_host(LT_PLUGIN, &W, KEY);
	fh_set_opt(fh, "faults", "error:status=500");
	fh_set_opt(fh, "base_url", "https://example.invalid");
	assert_int_equal(fh_run(fh), VS_ECONFIG); /* faults are hermetic only */
	fh_free(fh);
}

/* The cases above, for the including test's world group. */
#define LT_WORLD_CASES                                                                                 \
	cmocka_unit_test(all_ok), cmocka_unit_test(fault_500_half), cmocka_unit_test(fault_429),            \
		cmocka_unit_test(fault_401), cmocka_unit_test(fault_instream), cmocka_unit_test(fault_stall), \
		cmocka_unit_test(fault_malformed), cmocka_unit_test(fault_close), cmocka_unit_test(fault_reset), \
		cmocka_unit_test(fault_latency), cmocka_unit_test(two_passes), cmocka_unit_test(missing_key_skips), \
		cmocka_unit_test(refused_is_network), cmocka_unit_test(bad_faults_config)

#endif
