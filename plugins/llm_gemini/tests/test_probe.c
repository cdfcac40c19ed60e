/* llm_gemini probe against the real world's Gemini stand-in: all ok with
 * no faults; every fault kind classified right and removed afterwards; a
 * missing key skips; a refused port is a network error; the key is never
 * printed.  Plus the wire parser on Gemini's real payload shapes. */
#include "llmtest.h"

#include "../probe_wire.c"

#define LT_PLUGIN "llm_gemini"
#define LT_SHORT "gemini"
#define LT_KEY_ENV "GEMINI_API_KEY"
#define KEY "AIza-vstress-test-3b9f1c"
#include "llm_world_cases.h"

/* --- the wire parser on real payload shapes (provider-protocols.md §3) --- */

static void feed(struct llm_result *r, const char *data)
{
	gm_event(r, "", data, strlen(data));
}

static void wire_stream(void **state)
{
	(void)state;
	struct llm_result r = lt_fresh();
	feed(&r, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hello\"}],\"role\":\"model\"},\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":1,\"totalTokenCount\":10},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"r1\"}");
	assert_true(r.first_ns > 0);
	assert_int_equal(r.done, 0);
	feed(&r, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" there!\"}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":3,\"totalTokenCount\":12,\"thoughtsTokenCount\":0,\"cachedContentTokenCount\":0},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"r1\"}");
	lt_assert_finished(&r, 9, 3, "Hello there!");

	r = lt_fresh();
	feed(&r, "{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}}}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}]}");
	assert_true(r.first_ns > 0);
	assert_int_equal(r.done, 1);
	llm_result_free(&r);

	r = lt_fresh();
	feed(&r, "{\"candidates\":[{\"content\":{\"parts\":[{\"te");
	assert_int_equal(r.cls, LLM_MALFORMED);
	r = lt_fresh();
	feed(&r, "[1,2]");
	assert_int_equal(r.cls, LLM_MALFORMED);
}

static void wire_errors(void **state)
{
	(void)state;
	lt_assert_error(gm_error_body, 400, "{\"error\":{\"code\":400,\"message\":\"API key not valid. Please pass a valid API key.\",\"status\":\"INVALID_ARGUMENT\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":\"API_KEY_INVALID\",\"domain\":\"googleapis.com\"}]}}", LLM_AUTH, "API key not valid");

	lt_assert_error(gm_error_body, 429, "{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted (e.g. check quota).\",\"status\":\"RESOURCE_EXHAUSTED\"}}", LLM_RATE_LIMIT, NULL);

	lt_assert_error(gm_error_body, 503, "{\"error\":{\"code\":503,\"message\":\"The model is overloaded. Please try again later.\",\"status\":\"UNAVAILABLE\"}}", LLM_SERVER_ERROR, NULL);

	lt_assert_error(gm_error_body, 400, "[{\"error\":{\"code\":400,\"message\":\"* GenerateContentRequest.contents: contents is not specified\",\"status\":\"INVALID_ARGUMENT\"}}]", LLM_CLIENT_ERROR, "contents is not specified");

	lt_assert_error(gm_error_body, 500, "", LLM_SERVER_ERROR, NULL);

	lt_assert_instream(feed, "{\"error\":{\"code\":500,\"message\":\"Internal error encountered.\",\"status\":\"INTERNAL\"}}");
}

static void prices_table(void **state)
{
	(void)state;
	struct llm_price pr = lt_price("gemini", "gemini-2.5-flash");
	assert_true(pr.in_per_m == 0.30 && pr.out_per_m == 2.50);
}

#include "llm_test_main.h"
