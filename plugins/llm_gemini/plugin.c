/* llm_gemini: the Gemini streamGenerateContent probe (stress-test plan Phase
 * 4.1: gemini-2.5-flash, 50 streaming requests; probe_wire.c on the shared engine of
 * include/vstress/probe/llm_probe.h) and the world's stand-in (standin.c).
 * docs/plugins/llm.md. */
#include "vstress/plugin.h"
#include "probe.h"
#include "standin.h"

static const struct vs_option options[] = {
	VS_OPT_PROVIDER_KEY("GEMINI_API_KEY", "key"),
	LLM_STANDIN_OPTIONS,
	LLM_PROBE_OPTIONS("${VSTRESS_WORLD_LLM_GEMINI_HTTP:-https://generativelanguage.googleapis.com}", "gemini-2.5-flash", "50"),
	{0},
};

LLM_PROBE_HOOKS(gm_wire)

VS_PLUGIN(.name = "llm_gemini", .version = "1.0.0",
	  .description = "Gemini streamGenerateContent: streaming probe (TTFT, latency, usage, cost, classes) and stand-in",
	  .options = options, .setup = llm_hook_setup, .run = llm_hook_run, .teardown = llm_hook_teardown, .world = llm_gemini_standin,
	  .secrets = (const char *const[]){"GOOGLE_API_KEY|GEMINI_API_KEY", NULL});
