/* llm_openai probe against the real world's OpenAI stand-in: all ok with
 * no faults; every fault kind classified right and removed afterwards; a
 * missing key skips; a refused port is a network error; the key is never
 * printed.  Plus the wire parser on OpenAI's real payload shapes. */
#include "llmtest.h"

#include "../probe_wire.c"

static struct lt_world W;
#define KEY "sk-vstress-test-3b9f1c"

static int group_setup(void **state)
{
	(void)state;
	return lt_world_start(&W, "llm_openai");
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
	struct fakehost *fh = lt_host("llm_openai", &W, KEY);
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
	snprintf(path, sizeof(path), "%s/llm_results_openai.json", fh_artifact_dir(fh));
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
	struct fakehost *fh = lt_faulted("llm_openai", &W, KEY, faults, timeout);
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
	struct fakehost *fh = lt_host("llm_openai", &W, KEY);
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
	lt_two_passes("llm_openai", &W, KEY, "openai");
}

static void missing_key_skips(void **state)
{
	(void)state;
	struct fakehost *fh = lt_host("llm_openai", &W, "");
	assert_int_equal(fh_run(fh), VS_SKIP);
	assert_string_equal(fh_reason(fh), "OPENAI_API_KEY not set");
	fh_free(fh);
}

static void refused_is_network(void **state)
{
	(void)state;
	struct fakehost *fh = lt_host("llm_openai", &W, KEY);
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
	struct fakehost *fh = lt_host("llm_openai", &W, KEY);
	fh_set_opt(fh, "faults", "error:abc");
	assert_int_equal(fh_run(fh), VS_ECONFIG);
	fh_free(fh);
	fh = lt_host("llm_openai", &W, KEY);
	fh_set_opt(fh, "faults", "error:500");
	fh_set_opt(fh, "base_url", "https://api.openai.com");
	assert_int_equal(fh_run(fh), VS_ECONFIG); /* faults are hermetic only */
	fh_free(fh);
}

/* --- the wire parser on real payload shapes (provider-protocols.md §1) --- */

static struct llm_result fresh(void)
{
	struct llm_result r;
	memset(&r, 0, sizeof(r));
	r.cls = -1;
	return r;
}

static void feed(struct llm_result *r, const char *data)
{
	oa_event(r, "", data, strlen(data));
}

static void wire_stream(void **state)
{
	(void)state;
	struct llm_result r = fresh();
	feed(&r, "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1755000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}");
	assert_int_equal(r.first_ns, 0);
	feed(&r, "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1755000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}");
	assert_true(r.first_ns > 0);
	feed(&r, "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1755000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}");
	feed(&r, "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1755000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11,\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}}}");
	assert_int_equal(r.done, 0);
	feed(&r, "[DONE]");
	assert_int_equal(r.done, 1);
	assert_int_equal(r.cls, -1);
	assert_int_equal(r.tokens_in, 9);
	assert_int_equal(r.tokens_out, 2);
	assert_string_equal(r.text, "Hello");
	llm_result_free(&r);

	/* a tool call's first fragment is the first token */
	r = fresh();
	feed(&r, "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}");
	assert_true(r.first_ns > 0);
	llm_result_free(&r);

	/* junk */
	r = fresh();
	feed(&r, "{\"choices\":[{\"delta\":{\"content\":\"Hel");
	assert_int_equal(r.cls, LLM_MALFORMED);
	r = fresh();
	feed(&r, "{\"object\":\"chat.completion.chunk\"}");
	assert_int_equal(r.cls, LLM_MALFORMED);
}

static void wire_errors(void **state)
{
	(void)state;
	struct llm_result r = fresh();
	const char *b401 = "{\"error\":{\"message\":\"Incorrect API key provided: sk-...\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}";
	oa_error_body(&r, 401, b401, strlen(b401));
	assert_int_equal(r.cls, LLM_AUTH);
	assert_non_null(strstr(r.msg, "Incorrect API key provided"));

	r = fresh();
	const char *b429 = "{\"error\":{\"message\":\"Rate limit reached for requests\",\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}";
	oa_error_body(&r, 429, b429, strlen(b429));
	assert_int_equal(r.cls, LLM_RATE_LIMIT);

	r = fresh();
	const char *bq = "{\"error\":{\"message\":\"You exceeded your current quota, please check your plan and billing details.\",\"type\":\"insufficient_quota\",\"param\":null,\"code\":\"insufficient_quota\"}}";
	oa_error_body(&r, 429, bq, strlen(bq));
	assert_int_equal(r.cls, LLM_QUOTA);
	assert_non_null(strstr(r.msg, "exceeded your current quota"));

	r = fresh();
	const char *b500 = "{\"error\":{\"message\":\"The server had an error while processing your request. Sorry about that!\",\"type\":\"server_error\",\"param\":null,\"code\":null}}";
	oa_error_body(&r, 500, b500, strlen(b500));
	assert_int_equal(r.cls, LLM_SERVER_ERROR);

	r = fresh();
	oa_error_body(&r, 502, "<html>Bad gateway</html>", 24);
	assert_int_equal(r.cls, LLM_SERVER_ERROR);
	assert_non_null(strstr(r.msg, "Bad gateway"));

	r = fresh();
	oa_error_body(&r, 400, "{\"error\":{\"message\":\"Invalid request.\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}", 95);
	assert_int_equal(r.cls, LLM_CLIENT_ERROR);

	/* in-stream error chunk */
	r = fresh();
	feed(&r, "{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\",\"param\":null,\"code\":null}}");
	assert_int_equal(r.cls, LLM_SERVER_ERROR);
	assert_non_null(strstr(r.msg, "in-stream"));
}

static void prices_table(void **state)
{
	(void)state;
	struct llm_price pr;
	char err[300];
	assert_int_equal(llm_prices_load("conf.d/prices.ini", "openai", "gpt-4o-2024-08-06", &pr, err, sizeof(err)), 0);
	assert_string_equal(pr.model, "gpt-4o");
	assert_true(pr.in_per_m == 2.50 && pr.out_per_m == 10.00);
	assert_string_equal(pr.read, "2026-07-27");
	assert_int_equal(llm_prices_load("conf.d/prices.ini", "openai", "gpt-4o-mini-2024-07-18", &pr, err, sizeof(err)), 0);
	assert_string_equal(pr.model, "gpt-4o-mini");
	assert_int_equal(llm_prices_load("conf.d/prices.ini", "openai", "o3", &pr, err, sizeof(err)), 1);
	FILE *fp = fopen("/tmp/vstress-bad-prices.ini", "w");
	fputs("[prices:openai]\ngpt-4o = 2.50\n", fp);
	fclose(fp);
	assert_int_equal(llm_prices_load("/tmp/vstress-bad-prices.ini", "openai", "gpt-4o", &pr, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "vstress-bad-prices.ini:2"));
	unlink("/tmp/vstress-bad-prices.ini");
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
	int rc = cmocka_run_group_tests_name("llm_openai_wire", wire, NULL, NULL);
	return rc | cmocka_run_group_tests_name("llm_openai_world", world, group_setup, group_teardown);
}
