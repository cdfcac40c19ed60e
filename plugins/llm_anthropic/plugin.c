/* llm_anthropic: the Anthropic Messages probe (stress-test plan Phase 4:
 * streaming requests, probe_wire.c on the shared engine of
 * include/vstress/probe/llm_probe.h), then the adversarial conversations of
 * Phase 4.4 (adversarial_*.c), and the world's stand-in (standin.c).
 * docs/plugins/llm.md. */
#include <stdlib.h>
#include <string.h>

#include "vstress/plugin.h"
#include "adversarial.h"
#include "agent_prompt.h"
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
	{"agent_prompt_file", VS_OPT_STRING, "",
	 "probe: a file holding the agent's own system prompt (instead of adversarial_system)", 0},
	{"agent_prompt_sql", VS_OPT_STRING, "",
	 "probe: a query on agent_prompt_db_url returning one row whose first column is the agent's own system "
	 "prompt, e.g. SELECT system_prompt FROM tenants WHERE name = 'acme' (instead of adversarial_system)",
	 0},
	{"agent_prompt_db_url", VS_OPT_STRING, "${DATABASE_URL:-}", "probe: the agent's database for agent_prompt_sql",
	 VS_OPT_SECRET},
	{"agent_prompt_required", VS_OPT_BOOL, "false",
	 "probe: without the agent's own system prompt the conversations are skipped (the live profile: a prompt of "
	 "ours would judge Claude, not the agent)",
	 0},
	{0},
};

struct an_state {
	struct llm_probe *p;
	struct adv_suite suite;
	int have_suite;
	int need_agent; /* agent_prompt_required and none given: skip the suite */
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
		char *agent_sys = NULL;
		const char *from = NULL;
		int required = 0;
		if (h->opt_bool(c, "agent_prompt_required", &required) < 0)
			return VS_ECONFIG;
		if (agent_prompt_load(h->opt(c, "adversarial_system"), h->opt(c, "agent_prompt_file"),
				      h->opt(c, "agent_prompt_sql"), h->opt(c, "agent_prompt_db_url"), &agent_sys, &from,
				      err, sizeof(err)) < 0) {
			h->reason(c, "%s", err);
			return VS_ECONFIG;
		}
		st->need_agent = required && !agent_sys;
		if (agent_sys) {
			rc = adv_use_system(&st->suite, agent_sys);
			free(agent_sys);
			if (rc < 0)
				return VS_ERROR;
			h->log(c, VS_LOG_INFO, "adversarial: the agent's own system prompt (%zu characters, from %s)",
			       strlen(st->suite.system), from);
		}
	}
	rc = llm_probe_setup(h, c, &an_wire, &st->p);
	return rc;
}

static int run(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct an_state *st = state;
	int rc = llm_probe_run(st->p);
	if (rc != VS_OK || !st->have_suite)
		return rc;
	if (st->need_agent) {
		h->check(c, "adversarial", VS_CHECK_SKIP,
			 "no agent system prompt given (agent_prompt_sql, agent_prompt_file or adversarial_system): the "
			 "conversations would judge Claude under a prompt of ours, not the agent");
		return rc;
	}
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
