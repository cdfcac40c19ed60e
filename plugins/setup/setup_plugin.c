/* setup plugin: options, setup/run/teardown (stress-test plan Phase 1). */
#include "setup.h"

#include <stdlib.h>

const struct vs_option setup_options[] = {
	{"plugins", VS_OPT_LIST,
	 "llm_openai,llm_gemini,llm_anthropic,stt_deepgram,tts_cartesia,tts_elevenlabs,telnyx,db",
	 "plugins whose keys are checked", 0},
	{"env.llm_openai", VS_OPT_STRING, "OPENAI_API_KEY", "variables llm_openai needs (comma list; A|B: either)", 0},
	{"env.llm_gemini", VS_OPT_STRING, "GOOGLE_API_KEY|GEMINI_API_KEY", "variables llm_gemini needs", 0},
	{"env.llm_anthropic", VS_OPT_STRING, "ANTHROPIC_API_KEY", "variables llm_anthropic needs", 0},
	{"env.stt_deepgram", VS_OPT_STRING, "DEEPGRAM_API_KEY", "variables stt_deepgram needs", 0},
	{"env.tts_cartesia", VS_OPT_STRING, "CARTESIA_API_KEY", "variables tts_cartesia needs", 0},
	{"env.tts_elevenlabs", VS_OPT_STRING, "ELEVENLABS_API_KEY", "variables tts_elevenlabs needs", 0},
	{"env.telnyx", VS_OPT_STRING, "TELNYX_API_KEY", "variables telnyx needs", 0},
	{"env.db", VS_OPT_STRING, "DATABASE_URL", "variables db needs", 0},
	{"env_extra", VS_OPT_LIST, NULL, "more plugin:VAR pairs (A|B: either), for plugins without an env.* key", 0},
	{"database_url", VS_OPT_STRING, "${DATABASE_URL}", "database checked with select 1 (unset: skipped)",
	 VS_OPT_SECRET},
	{"db_connect_timeout", VS_OPT_DURATION, "5s", "give up connecting after this long (libpq: >= 2s)", 0},
	{"base_url", VS_OPT_STRING, "${VSTRESS_TARGET_URL}", "the target (unset: skipped)", 0},
	{"health_path", VS_OPT_STRING, "/health", "GET base_url + this must answer 2xx", 0},
	{"request_timeout", VS_OPT_DURATION, "5s", "the health request gives up after this long", 0},
	{"telnyx_public_key", VS_OPT_STRING, "${VSTRESS_TELNYX_PUBLIC_KEY}",
	 "webhook signing key: base64 of a 32-byte Ed25519 public key", 0},
	{"plugin_dir", VS_OPT_STRING, NULL, "where plugin versions are read (default: this plugin's folder)", 0},
	{0},
};

static int setup_setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	struct setup *s = calloc(1, sizeof(*s));

	*state = s;
	if (!s)
		return VS_ERROR;
	s->h = h;
	s->c = c;
	s->data = json_object();
	return s->data ? VS_OK : VS_ERROR;
}

static int setup_run(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct setup *s = state;

	setup_env(s);
	if (!h->should_stop(c))
		setup_db(s);
	if (!h->should_stop(c))
		setup_target(s);
	setup_telnyx(s);
	setup_versions(s);
	return VS_OK;
}

static int setup_teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct setup *s = state;

	if (!s)
		return VS_OK;
	if (s->data)
		h->attach(c, "setup", s->data);
	free(s);
	return VS_OK;
}

VS_PLUGIN(.name = "setup", .version = SETUP_VERSION,
	  .description = "environment: API keys per plugin, database URL and select 1, target health, Telnyx key, versions",
	  .options = setup_options, .setup = setup_setup, .run = setup_run, .teardown = setup_teardown);
