/* llm_openai: the OpenAI Chat Completions probe (stress-test plan Phase
 * 4.1: gpt-4o, 50 streaming requests; probe_wire.c on the shared engine of
 * include/vstress/probe/llm_probe.h) and the world's stand-in (standin.c).
 * docs/plugins/llm.md. */
#include "vstress/plugin.h"
#include "probe.h"
#include "standin.h"

static const struct vs_option options[] = {
	VS_OPT_PROVIDER_KEY("OPENAI_API_KEY", "Bearer key"),
	LLM_STANDIN_OPTIONS,
	LLM_PROBE_OPTIONS("${VSTRESS_WORLD_LLM_OPENAI_HTTP:-https://api.openai.com}", "gpt-4o", "50"),
	{0},
};

LLM_PROBE_HOOKS(oa_wire)

VS_PLUGIN(.name = "llm_openai", .version = "1.0.0",
	  .description = "OpenAI Chat Completions: streaming probe (TTFT, latency, usage, cost, classes) and stand-in",
	  .options = options, .setup = llm_hook_setup, .run = llm_hook_run, .teardown = llm_hook_teardown, .world = llm_openai_standin,
	  .secrets = (const char *const[]){"OPENAI_API_KEY", NULL});
