/* llm_anthropic: the Anthropic Messages probe (stress-test plan Phase 4:
 * streaming requests, probe_wire.c on the shared engine of
 * include/vstress/probe/llm_probe.h), then the adversarial conversations of
 * Phase 4.4 (adversarial_*.c), and the world's stand-in (standin.c).
 * docs/plugins/llm.md. */
#include <stdlib.h>

#include "vstress/plugin.h"
#include "adversarial.h"
#include "probe.h"
#include "standin.h"

static const struct vs_option options[] = {
	VS_OPT_PROVIDER_KEY("ANTHROPIC_API_KEY", "key"),
	LLM_STANDIN_OPTIONS,
	LLM_PROBE_OPTIONS("${VSTRESS_WORLD_LLM_ANTHROPIC_HTTP:-https://api.anthropic.com}", "claude-sonnet-4-6", "20"),
	{"adversarial", VS_OPT_STRING, "conf.d/adversarial/conversations.ini",
	 "probe: adversarial conversations (Phase 4.4; empty: none)", 0},
	{"adversarial_max_tokens", VS_OPT_INT, "400", "probe: max output tokens of an adversarial turn", 0},
	{"adversarial_system", VS_OPT_STRING, "${VSTRESS_AGENT_SYSTEM_PROMPT:-}",
	 "probe: the agent's own system prompt for the adversarial conversations (live: the conversations judge "
	 "Claude under the prompt the agent ships; a reply repeating 32 characters of it fails); empty: the data "
	 "file's prompt and canary",
	 0},
	{0},
};

struct an_state {
	struct llm_probe *p;
	struct adv_suite suite;
	int have_suite;
	long long adv_tokens;
};

static int setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	struct an_state *st = calloc(1, sizeof(*st));
	char err[512];
	int rc;

	*state = st;
	if (!st)
		return VS_ERROR;
	st->adv_tokens = 400;
	if (h->opt_int(c, "adversarial_max_tokens", &st->adv_tokens) < 0)
		return VS_ECONFIG;
	/* the data file first: a broken file is a config error even without a key */
	const char *file = h->opt(c, "adversarial");
	if (file && *file) {
		if (adv_load(file, &st->suite, err, sizeof(err)) < 0) {
			adv_free(&st->suite);
			h->reason(c, "%s", err);
			return VS_ECONFIG;
		}
		st->have_suite = 1;
		const char *agent_sys = h->opt(c, "adversarial_system");
		if (agent_sys && *agent_sys && adv_use_system(&st->suite, agent_sys) < 0)
			return VS_ERROR;
	}
	rc = llm_probe_setup(h, c, &an_wire, &st->p);
	return rc;
}

static int run(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct an_state *st = state;
	int rc = llm_probe_run(st->p);
	(void)h, (void)c;
	if (rc != VS_OK || !st->have_suite)
		return rc;
	return adv_run(st->p, &st->suite, st->adv_tokens);
}

static int teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct an_state *st = state;
	(void)h, (void)c;
	if (!st)
		return VS_OK;
	llm_probe_free(st->p);
	if (st->have_suite)
		adv_free(&st->suite);
	free(st);
	return VS_OK;
}

VS_PLUGIN(.name = "llm_anthropic", .version = "1.0.0",
	  .description = "Anthropic Messages: streaming probe, adversarial conversations (Phase 4.4) and stand-in",
	  .options = options, .setup = setup, .run = run, .teardown = teardown, .world = llm_anthropic_standin,
	  .secrets = (const char *const[]){"ANTHROPIC_API_KEY", NULL});
