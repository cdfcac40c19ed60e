/* setup plugin: options, setup/run/teardown (stress-test plan Phase 1). */
#include "setup.h"

#include <stdlib.h>

const struct vs_option setup_options[] = {
	/* Unset: the plugins of the run that declare secrets, with what they
	 * declare (host->declared_secrets).  Both keys are overrides. */
	{"plugins", VS_OPT_LIST, NULL, "plugins whose keys are checked (default: every plugin of the run declaring any)",
	 0},
	{"env.*", VS_OPT_STRING, NULL,
	 "env.<plugin>: variables that plugin needs (comma list; A|B: either), instead of what it declares", 0},
	{"env_extra", VS_OPT_LIST, NULL, "more plugin:VAR pairs (A|B: either), for plugins without an env.* key", 0},
	{"database_url", VS_OPT_STRING, "${DATABASE_URL}", "database checked with select 1 (unset: skipped)",
	 VS_OPT_SECRET},
	{"db_connect_timeout", VS_OPT_DURATION, "5s", "give up connecting after this long (libpq: >= 2s)", 0},
	{"base_url", VS_OPT_STRING, "${VSTRESS_TARGET_URL}", "the target (unset: skipped)", 0},
	{"health_path", VS_OPT_STRING, "/health", "GET base_url + this must answer 2xx", 0},
	{"request_timeout", VS_OPT_DURATION, "5s", "the health request gives up after this long", 0},
	{"telnyx_public_key", VS_OPT_STRING, "${VSTRESS_TELNYX_PUBLIC_KEY}",
	 "webhook signing key: base64 of a 32-byte Ed25519 public key", 0},
	{"target_imports", VS_OPT_LIST, NULL,
	 "modules the target's interpreter must import, each version reported (unset: not checked)", 0},
	{"requirements", VS_OPT_STRING, NULL,
	 "a requirements file: its == pins compared with what the target's interpreter has installed", 0},
	{"import_timeout", VS_OPT_DURATION, "120s", "the target's interpreter gets this long for the imports", 0},
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
	if (!h->should_stop(c))
		setup_imports(s);
	/* the run's signing key and vstress's own build: vstress's, not the target's */
	VS_SUBJECT(h, c, VS_SUBJECT_HARNESS);
	setup_telnyx(s);
	setup_versions(s);
	VS_SUBJECT(h, c, VS_SUBJECT_TARGET);
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
