/* pipeline plugin: the options and reading them. */
#include "pipeline.h"

#include <vstress/callphase/plugopt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PL_CREATE_SQL                                                                                       \
	"WITH t AS (INSERT INTO tenants (name, fallback_number) VALUES ({name}, {fallback}) RETURNING id), "    \
	"n AS (INSERT INTO phone_numbers (number, tenant_id, fallback_number) SELECT {number}, id, {fallback} " \
	"FROM t) SELECT id FROM t"
#define PL_REMOVE_SQL "DELETE FROM tenants WHERE id = {key}::bigint AND name LIKE '%' || {marker} || '%'"

const struct vs_option pl_options[] = {
	{"base_url", VS_OPT_STRING, "${VSTRESS_TARGET_URL:-}", "the target's base URL (unset: the plugin skips)", 0},
	{"webhook_path", VS_OPT_STRING, "/api/telnyx/webhook", "where Telnyx webhooks are POSTed", 0},
	{"control_url", VS_OPT_STRING, "${VSTRESS_WORLD_CONTROL:-}",
	 "the world's control API: the target's Call Control commands are observed there (unset: skip)", 0},
	{"signing_seed", VS_OPT_STRING, "${VSTRESS_TELNYX_SIGNING_SEED:-}",
	 "the run's Ed25519 webhook signing seed, base64 (unset: skip)", VS_OPT_SECRET},
	{"target_pid", VS_OPT_INT, "${VSTRESS_TARGET_PID:-0}",
	 "the target's PID for its memory (itself and its children; 0: memory check skipped)", 0},
	{"scripts", VS_OPT_LIST, "conf.d/scripts/pipeline-booking.ini,conf.d/scripts/pipeline-noisy.ini",
	 "caller scripts (docs/calls.md), used in turn by successive calls", 0},
	{"calls", VS_OPT_INT, "3", "sequential calls", 0},
	{"warmup_calls", VS_OPT_INT, "1", "unmeasured calls first (the agent may load its models on its first call)", 0},
	{"pause", VS_OPT_DURATION, "1s", "between two calls", 0},
	{"answer_timeout", VS_OPT_DURATION, "5s", "call.initiated -> the target's answer command", 0},
	{"caller_number", VS_OPT_STRING, "+15550109002", "the caller (from)", 0},
	{"provision", VS_OPT_BOOL, "false",
	 "create a test tenant routing routed_number in setup, remove it in teardown (false: the number is routed already)",
	 0},
	{"db_url", VS_OPT_STRING, "${DATABASE_URL:-}", "the target's database, for the test tenant", VS_OPT_SECRET},
	{"tenant_name", VS_OPT_STRING, "vstress pipeline", "test tenant name (the run marker is appended)", 0},
	{"routed_number", VS_OPT_STRING, "+15550100002", "the dialled number (to), routed to the test tenant", 0},
	{"fallback_number", VS_OPT_STRING, "+15550199002", "the test tenant's fallback transfer number", 0},
	{"tenant_create_sql", VS_OPT_STRING, PL_CREATE_SQL,
	 "creates the tenant and its number; {name} {number} {fallback} {marker} are SQL literals; returns the key", 0},
	{"tenant_remove_sql", VS_OPT_STRING, PL_REMOVE_SQL, "removes what create made; {key} {number} {marker}", 0},
	{"first_reply_within", VS_OPT_DURATION, "3s", "check: stream start -> the agent's first audio, every call", 0},
	{"turn_within", VS_OPT_DURATION, "2s", "check: p95 of caller stops -> agent starts (turn-taking)", 0},
	{"turn_max_within", VS_OPT_DURATION, NULL, "check: the slowest turn (default: turn_within)", 0},
	{"max_false_triggers", VS_OPT_INT, "0", "check: agent turns starting in silence/noise steps, all calls", 0},
	{"max_gap", VS_OPT_DURATION, "500ms", "check: longest silence inside an agent reply", 0},
	{"max_late_pct", VS_OPT_DOUBLE, "5", "check: our own frames sent > late_frame after their slot, percent", 0},
	{"frame_slack", VS_OPT_INT, "25",
	 "check: frames sent may fall short of the stream's 20 ms slots by this many (the hang-up handshake)", 0},
	{"max_rss_growth_mb", VS_OPT_DOUBLE, "200", "check: the target's RSS growth over the calls, MB", 0},
	{0},
};

int pl_conf_load(struct pl *p)
{
	const struct vs_host *h = p->h;
	const char *url = vs_popt_str(p->h, p->c, "base_url"), *path = vs_popt_str(p->h, p->c, "webhook_path");
	long long pid = 0, slack = 0;
	size_t ul = strlen(url);

	if (vs_popt_int(p->h, p->c, "pipeline", "warmup_calls", &p->warmup_calls, 0) || vs_popt_int(p->h, p->c, "pipeline", "calls", &p->ncalls_opt, 1) || vs_popt_ms(p->h, p->c, "pipeline", "pause", &p->pause_ms) ||
	    vs_popt_ms(p->h, p->c, "pipeline", "answer_timeout", &p->answer_timeout_ms) || vs_popt_ms(p->h, p->c, "pipeline", "first_reply_within", &p->first_reply_ms) ||
	    vs_popt_ms(p->h, p->c, "pipeline", "turn_within", &p->turn_ms) || vs_popt_ms(p->h, p->c, "pipeline", "max_gap", &p->max_gap_ms) ||
	    vs_popt_int(p->h, p->c, "pipeline", "max_false_triggers", &p->max_false, 0) || vs_popt_int(p->h, p->c, "pipeline", "frame_slack", &slack, 0) ||
	    h->opt_double(p->c, "max_late_pct", &p->max_late_pct) < 0 ||
	    h->opt_double(p->c, "max_rss_growth_mb", &p->max_rss_growth_mb) < 0 || h->opt_bool(p->c, "provision", &p->provision) < 0)
		return VS_ECONFIG;
	p->frame_slack = slack;
	p->turn_max_ms = p->turn_ms;
	if (vs_popt_ms(p->h, p->c, "pipeline", "turn_max_within", &p->turn_max_ms))
		return VS_ECONFIG;
	if (vs_popt_str(p->h, p->c, "target_pid")[0] && h->opt_int(p->c, "target_pid", &pid) < 0)
		return VS_ECONFIG;
	p->pid = pid > 0 ? (pid_t)pid : 0;
	while (ul && url[ul - 1] == '/')
		ul--;
	snprintf(p->webhook_url, sizeof(p->webhook_url), "%.*s%s%s", (int)ul, url, *path == '/' ? "" : "/", path);
	p->control_url = vs_popt_str(p->h, p->c, "control_url");
	p->signing_seed = vs_popt_str(p->h, p->c, "signing_seed");
	p->caller = vs_popt_str(p->h, p->c, "caller_number");
	p->routed = vs_popt_str(p->h, p->c, "routed_number");
	p->fallback = vs_popt_str(p->h, p->c, "fallback_number");
	p->tcfg = (struct vs_tenant_cfg){.db_url = vs_popt_str(p->h, p->c, "db_url"),
					 .create_sql = vs_popt_str(p->h, p->c, "tenant_create_sql"),
					 .remove_sql = vs_popt_str(p->h, p->c, "tenant_remove_sql"),
					 .number = p->routed,
					 .fallback = p->fallback,
					 .name = vs_popt_str(p->h, p->c, "tenant_name")};
	if (!ul) {
		h->reason(p->c, "no target URL (set [pipeline] base_url or run with a target: VSTRESS_TARGET_URL)");
		return VS_SKIP;
	}
	if (!*p->control_url) {
		h->reason(p->c, "no world control URL (VSTRESS_WORLD_CONTROL): the agent's Call Control commands "
				"cannot be observed; run with the world (depends = world)");
		return VS_SKIP;
	}
	if (!*p->signing_seed) {
		h->reason(p->c, "no Telnyx signing seed (VSTRESS_TELNYX_SIGNING_SEED): webhooks cannot be signed");
		return VS_SKIP;
	}
	if (!*p->routed) {
		h->reason(p->c, "[pipeline] routed_number is empty");
		return VS_ECONFIG;
	}
	return vs_popt_scripts(p->h, p->c, "pipeline", "scripts", &p->scripts, &p->nscripts);
}

void pl_conf_free(struct pl *p)
{
	for (size_t i = 0; i < p->nscripts; i++)
		vs_call_script_free(p->scripts[i]);
	free(p->scripts);
	p->scripts = NULL;
	p->nscripts = 0;
}
