/* llm_anthropic: descriptor.  The probe is not written yet; the world hook
 * serves the Anthropic Messages stand-in (standin.c). */
#include "vstress/plugin.h"
#include "standin.h"

static const struct vs_option options[] = {
	{"api_key", VS_OPT_STRING, NULL, "stand-in: the accepted key (unset: any Bearer key)", VS_OPT_SECRET},
	{"ttft_ms", VS_OPT_DURATION, "300", "stand-in: time to first token", 0},
	{"token_ms", VS_OPT_DURATION, "30", "stand-in: gap between tokens", 0},
	{"dialogue", VS_OPT_STRING, NULL, "stand-in: dialogue file (default [world] dialogue)", 0},
	{"after_tool_reply", VS_OPT_STRING, NULL, "stand-in: reply after a tool result", 0},
	{"port", VS_OPT_INT, NULL, "stand-in: fixed port (default: from --port-base)", 0},
	{0},
};

static int not_yet(const struct vs_host *h, vs_ctx *c)
{
	h->reason(c, "probe not implemented yet");
	return VS_SKIP;
}

static int setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	*state = NULL;
	return not_yet(h, c);
}

static int run(const struct vs_host *h, vs_ctx *c, void *state)
{
	(void)state;
	return not_yet(h, c);
}

static int teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	(void)h, (void)c, (void)state;
	return VS_OK;
}

VS_PLUGIN(.name = "llm_anthropic", .version = "0.1.0",
	  .description = "Anthropic Messages: probe (to come) and stand-in", .options = options,
	  .setup = setup, .run = run, .teardown = teardown, .world = llm_anthropic_standin);
