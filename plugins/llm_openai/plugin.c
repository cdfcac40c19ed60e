/* llm_openai: the OpenAI Chat Completions probe (stress-test plan Phase
 * 4.1: gpt-4o, 50 streaming requests; probe_wire.c on the shared engine of
 * include/vstress/util/llm_probe.h) and the world's stand-in (standin.c).
 * docs/plugins/llm.md. */
#include "vstress/plugin.h"
#include "probe.h"
#include "standin.h"

static const struct vs_option options[] = {
	{"api_key", VS_OPT_STRING, "${OPENAI_API_KEY}",
	 "probe: the key sent (empty: skip); stand-in: the accepted key (unset: any Bearer key)", VS_OPT_SECRET},
	{"ttft_ms", VS_OPT_DURATION, "300", "stand-in: time to first token", 0},
	{"token_ms", VS_OPT_DURATION, "30", "stand-in: gap between tokens", 0},
	{"dialogue", VS_OPT_STRING, NULL, "stand-in: dialogue file (default [world] dialogue)", 0},
	{"after_tool_reply", VS_OPT_STRING, NULL, "stand-in: reply after a tool result", 0},
	{"port", VS_OPT_INT, NULL, "stand-in: fixed port (default: from --port-base)", 0},
	LLM_PROBE_OPTIONS("${VSTRESS_WORLD_LLM_OPENAI_HTTP:-https://api.openai.com}", "gpt-4o", "50"),
	{0},
};

static int setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	struct llm_probe *p = NULL;
	int rc = llm_probe_setup(h, c, &oa_wire, &p);
	*state = p;
	return rc;
}

static int run(const struct vs_host *h, vs_ctx *c, void *state)
{
	(void)h, (void)c;
	return llm_probe_run(state);
}

static int teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	(void)h, (void)c;
	llm_probe_free(state);
	return VS_OK;
}

VS_PLUGIN(.name = "llm_openai", .version = "1.0.0",
	  .description = "OpenAI Chat Completions: streaming probe (TTFT, latency, usage, cost, classes) and stand-in",
	  .options = options, .setup = setup, .run = run, .teardown = teardown, .world = llm_openai_standin);
