/* vs_probe_at_standin (lib/probe/subject.c): a probe pointed at one of the
 * world's stand-ins judges vstress itself, anywhere else the target. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "vstress/probe/subject.h"

static int env_setup(void **state)
{
	(void)state;
	setenv("VSTRESS_WORLD_LLM_OPENAI_HTTP", "http://127.0.0.1:40001/llm_openai", 1);
	setenv("VSTRESS_WORLD_STT_DEEPGRAM_WS", "ws://127.0.0.1:40001/stt_deepgram", 1);
	setenv("VSTRESS_WORLD_CONTROL", "http://127.0.0.1:40001/_vstress", 1);
	return 0;
}

static void standin_urls(void **state)
{
	(void)state;
	assert_true(vs_probe_at_standin("http://127.0.0.1:40001/llm_openai"));
	assert_true(vs_probe_at_standin("http://127.0.0.1:40001/llm_openai/v1/chat/completions"));
	assert_true(vs_probe_at_standin("ws://127.0.0.1:40001/stt_deepgram/v1/listen?model=nova-3"));
}

static void other_urls(void **state)
{
	(void)state;
	assert_false(vs_probe_at_standin("https://api.openai.com"));
	assert_false(vs_probe_at_standin(""));
	assert_false(vs_probe_at_standin(NULL));
	/* a longer path that merely starts with the stand-in's name */
	assert_false(vs_probe_at_standin("http://127.0.0.1:40001/llm_openai2"));
	/* another port on the same host is not the world */
	assert_false(vs_probe_at_standin("http://127.0.0.1:40002/llm_openai"));
	/* the control API is not a stand-in */
	assert_false(vs_probe_at_standin("http://127.0.0.1:40001/_vstress/faults"));
}

static void no_world(void **state)
{
	(void)state;
	unsetenv("VSTRESS_WORLD_LLM_OPENAI_HTTP");
	unsetenv("VSTRESS_WORLD_STT_DEEPGRAM_WS");
	assert_false(vs_probe_at_standin("http://127.0.0.1:40001/llm_openai"));
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(standin_urls),
		cmocka_unit_test(other_urls),
		cmocka_unit_test(no_world),
	};

	return cmocka_run_group_tests_name("probe_subject", t, env_setup, NULL);
}
