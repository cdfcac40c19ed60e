/* The main of an LLM probe test (llm_openai, llm_gemini, llm_anthropic),
 * included at its end: the wire group (its parser cases wire_stream,
 * wire_errors, prices_table, then LT_MORE_WIRE when defined), then the
 * world group (one world for all: llm_world_cases.h's cases, then
 * LT_MORE_WORLD when defined), each named after LT_PLUGIN. */
#ifndef LLM_TEST_MAIN_H
#define LLM_TEST_MAIN_H

#ifndef LT_MORE_WIRE
#define LT_MORE_WIRE
#endif
#ifndef LT_MORE_WORLD
#define LT_MORE_WORLD
#endif

int main(void)
{
	const struct CMUnitTest wire[] = {
		cmocka_unit_test(wire_stream), cmocka_unit_test(wire_errors), cmocka_unit_test(prices_table) LT_MORE_WIRE};
	const struct CMUnitTest world[] = {LT_WORLD_CASES LT_MORE_WORLD};
	int rc = cmocka_run_group_tests_name(LT_PLUGIN "_wire", wire, NULL, NULL);

	return rc | cmocka_run_group_tests_name(LT_PLUGIN "_world", world, group_setup, group_teardown);
}

#endif
