/* llm_gemini probe against the real world's Gemini stand-in: all ok with
 * no faults; every fault kind classified right and removed afterwards; a
 * missing key skips; a refused port is a network error; the key is never
 * printed.  Plus the wire parser on Gemini's real payload shapes. */
#include "../../llm_openai/tests/llmtest.h"

#include "../probe_wire.c"

static struct lt_world W;
#define KEY "AIza-vstress-test-3b9f1c"

static int group_setup(void **state)
{
	(void)state;
	return lt_world_start(&W, "llm_gemini");
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
	struct fakehost *fh = lt_host("llm_gemini", &W, KEY);
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
	snprintf(path, sizeof(path), "%s/llm_results_gemini.json", fh_artifact_dir(fh));
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
	struct fakehost *fh = lt_faulted("llm_gemini", &W, KEY, faults, timeout);
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
	fault_counts("error:500:0.5", NULL, "server_error", 0);
}

static void fault_429(void **state)
{
	(void)state;
	fault_counts("error:429", NULL, "rate_limit", 1);
}

static void fault_401(void **state)
{
	(void)state;
	fault_counts("error:401", NULL, "auth", 1);
}

static void fault_instream(void **state)
{
	(void)state;
	fault_counts("error:500:1:2", NULL, "server_error", 1);
}

static void fault_stall(void **state)
{
	(void)state;
	fault_counts("stall", "800ms", "timeout", 1);
}

static void fault_malformed(void **state)
{
	(void)state;
	fault_counts("malformed:2", NULL, "malformed", 1);
}

static void fault_close(void **state)
{
	(void)state;
	fault_counts("close:2", NULL, "malformed", 1);
}

static void fault_reset(void **state)
{
	(void)state;
	fault_counts("reset:3", NULL, "malformed", 1);
}

static void fault_latency(void **state)
{
	(void)state;
	struct fakehost *fh = lt_host("llm_gemini", &W, KEY);
	fh_set_opt(fh, "faults", "latency:1200");
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
	lt_two_passes("llm_gemini", &W, KEY, "gemini");
}

static void missing_key_skips(void **state)
{
	(void)state;
	struct fakehost *fh = lt_host("llm_gemini", &W, "");
	assert_int_equal(fh_run(fh), VS_SKIP);
	assert_string_equal(fh_reason(fh), "GEMINI_API_KEY not set");
	fh_free(fh);
}

static void refused_is_network(void **state)
{
	(void)state;
	struct fakehost *fh = lt_host("llm_gemini", &W, KEY);
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
	struct fakehost *fh = lt_host("llm_gemini", &W, KEY);
	fh_set_opt(fh, "faults", "error:abc");
	assert_int_equal(fh_run(fh), VS_ECONFIG);
	fh_free(fh);
	fh = lt_host("llm_gemini", &W, KEY);
	fh_set_opt(fh, "faults", "error:500");
	fh_set_opt(fh, "base_url", "https://example.invalid");
	assert_int_equal(fh_run(fh), VS_ECONFIG); /* faults are hermetic only */
	fh_free(fh);
}

/* --- the wire parser on real payload shapes (provider-protocols.md §3) --- */

static struct llm_result fresh(void)
{
	struct llm_result r;
	memset(&r, 0, sizeof(r));
	r.cls = -1;
	return r;
}

static void feed(struct llm_result *r, const char *data)
{
	gm_event(r, "", data, strlen(data));
}

static void wire_stream(void **state)
{
	(void)state;
	struct llm_result r = fresh();
	feed(&r, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hello\"}],\"role\":\"model\"},\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":1,\"totalTokenCount\":10},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"r1\"}");
	assert_true(r.first_ns > 0);
	assert_int_equal(r.done, 0);
	feed(&r, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" there!\"}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":3,\"totalTokenCount\":12,\"thoughtsTokenCount\":0,\"cachedContentTokenCount\":0},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"r1\"}");
	assert_int_equal(r.done, 1);
	assert_int_equal(r.cls, -1);
	assert_int_equal(r.tokens_in, 9);
	assert_int_equal(r.tokens_out, 3);
	assert_string_equal(r.text, "Hello there!");
	llm_result_free(&r);

	r = fresh();
	feed(&r, "{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}}}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}]}");
	assert_true(r.first_ns > 0);
	assert_int_equal(r.done, 1);
	llm_result_free(&r);

	r = fresh();
	feed(&r, "{\"candidates\":[{\"content\":{\"parts\":[{\"te");
	assert_int_equal(r.cls, LLM_MALFORMED);
	r = fresh();
	feed(&r, "[1,2]");
	assert_int_equal(r.cls, LLM_MALFORMED);
}

static void wire_errors(void **state)
{
	(void)state;
	struct llm_result r = fresh();
	const char *bkey = "{\"error\":{\"code\":400,\"message\":\"API key not valid. Please pass a valid API key.\",\"status\":\"INVALID_ARGUMENT\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":\"API_KEY_INVALID\",\"domain\":\"googleapis.com\"}]}}";
	gm_error_body(&r, 400, bkey, strlen(bkey));
	assert_int_equal(r.cls, LLM_AUTH);
	assert_non_null(strstr(r.msg, "API key not valid"));

	r = fresh();
	const char *b429 = "{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted (e.g. check quota).\",\"status\":\"RESOURCE_EXHAUSTED\"}}";
	gm_error_body(&r, 429, b429, strlen(b429));
	assert_int_equal(r.cls, LLM_RATE_LIMIT);

	r = fresh();
	const char *b503 = "{\"error\":{\"code\":503,\"message\":\"The model is overloaded. Please try again later.\",\"status\":\"UNAVAILABLE\"}}";
	gm_error_body(&r, 503, b503, strlen(b503));
	assert_int_equal(r.cls, LLM_SERVER_ERROR);

	r = fresh();
	const char *barr = "[{\"error\":{\"code\":400,\"message\":\"* GenerateContentRequest.contents: contents is not specified\",\"status\":\"INVALID_ARGUMENT\"}}]";
	gm_error_body(&r, 400, barr, strlen(barr));
	assert_int_equal(r.cls, LLM_CLIENT_ERROR);
	assert_non_null(strstr(r.msg, "contents is not specified"));

	r = fresh();
	gm_error_body(&r, 500, "", 0);
	assert_int_equal(r.cls, LLM_SERVER_ERROR);

	r = fresh();
	feed(&r, "{\"error\":{\"code\":500,\"message\":\"Internal error encountered.\",\"status\":\"INTERNAL\"}}");
	assert_int_equal(r.cls, LLM_SERVER_ERROR);
	assert_non_null(strstr(r.msg, "in-stream"));
}

static void prices_table(void **state)
{
	(void)state;
	struct llm_price pr;
	char err[300];
	assert_int_equal(llm_prices_load("conf.d/prices.ini", "gemini", "gemini-2.5-flash", &pr, err, sizeof(err)), 0);
	assert_true(pr.in_per_m == 0.30 && pr.out_per_m == 2.50);
}

int main(void)
{
	const struct CMUnitTest wire[] = {
		cmocka_unit_test(wire_stream),
		cmocka_unit_test(wire_errors),
		cmocka_unit_test(prices_table),
	};
	const struct CMUnitTest world[] = {
		cmocka_unit_test(all_ok),          cmocka_unit_test(fault_500_half), cmocka_unit_test(fault_429),
		cmocka_unit_test(fault_401),       cmocka_unit_test(fault_instream), cmocka_unit_test(fault_stall),
		cmocka_unit_test(fault_malformed), cmocka_unit_test(fault_close),    cmocka_unit_test(fault_reset),
		cmocka_unit_test(fault_latency),   cmocka_unit_test(two_passes), cmocka_unit_test(missing_key_skips), cmocka_unit_test(refused_is_network),
		cmocka_unit_test(bad_faults_config),
	};
	int rc = cmocka_run_group_tests_name("llm_gemini_wire", wire, NULL, NULL);
	return rc | cmocka_run_group_tests_name("llm_gemini_world", world, group_setup, group_teardown);
}
