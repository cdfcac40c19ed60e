/* resources plugin: the options and reading them. */
#include "resources.h"

#include <vstress/callphase/calltarget.h>
#include <vstress/callphase/plugopt.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct vs_option rs_options[] = {
	VS_CALLOPT_TARGET("the target's base URL (unset: the plugin skips)"),
	{"metrics_path", VS_OPT_STRING, "/metrics", "the target's Prometheus text exposition", 0},
	VS_CALLOPT_WORLD("the world's control API (unset: skip)",
			 "the target's PID (itself and its descendants; 0: the process checks skip)"),
	{"script", VS_OPT_STRING, "conf.d/scripts/resources-call.ini", "caller script of the M profiled calls", 0},
	{"calls", VS_OPT_INT, "20", "M: profiled calls", 0},
	{"concurrency", VS_OPT_INT, "4", "calls at once", 0},
	{"ramp", VS_OPT_DURATION, "500ms", "between two call starts", 0},
	{"warmup_calls", VS_OPT_INT, "1",
	 "unmeasured calls before the baseline, up to concurrency at once (model loading is not a leak)", 0},
	{"idle_time", VS_OPT_DURATION, "3s", "the target left idle for the baseline CPU", 0},
	{"settle_time", VS_OPT_DURATION, "5s", "after the last call, before the final readings (at most)", 0},
	{"long_call", VS_OPT_DURATION, "40s", "8.4: the long call's length (0: no long call)", 0},
	{"long_skip", VS_OPT_DURATION, "10s", "8.4: first part of the long call left out of the growth rate (call set-up)",
	 0},
	VS_CALLOPT_ANSWER,
	VS_CALLOPT_CALLER("+15550109004"),
	VS_CALLOPT_PROVISION,
	VS_CALLOPT_DB("the target's database: the test tenant and pg_stat_activity (unset: the DB checks skip)"),
	{"db_application_name", VS_OPT_STRING, "",
	 "the target's connections: pg_stat_activity.application_name (empty: any)", 0},
	{"db_user", VS_OPT_STRING, "", "the target's connections: pg_stat_activity.usename (empty: any)", 0},
	VS_CALLOPT_TENANT("vstress resources", "+15550100004", "+15550199004"),
	{"max_rss_slope_kb", VS_OPT_DOUBLE, "1024", "check: least-squares RSS slope over the calls, kB per call", 0},
	{"max_rss_growth_mb", VS_OPT_DOUBLE, "40", "check: RSS after the settle time - baseline, MB", 0},
	{"threads_slack", VS_OPT_INT, "4", "check: threads after the settle time <= baseline + this", 0},
	{"fds_slack", VS_OPT_INT, "4", "check: open descriptors after the settle time <= baseline + this", 0},
	{"background_tasks_slack", VS_OPT_INT, "0", "check: agent_background_tasks after <= baseline + this", 0},
	{"long_max_mb_per_min", VS_OPT_DOUBLE, "10", "check 8.4: RSS growth rate during the long call, MB per minute",
	 0},
	{"long_release_mb", VS_OPT_DOUBLE, "3", "check 8.4: RSS after the long call ended - before it, MB", 0},
	{"max_cpu_pct", VS_OPT_DOUBLE, NULL,
	 "check: mean CPU under the call load, percent of the machine (all cores); unset: reported, not checked", 0},
	{"vad_max_rt_pct", VS_OPT_DOUBLE, "10",
	 "check: VAD analysis time per second of call audio, percent (it must keep up with real time)", 0},
	{"turn_max_ms", VS_OPT_DOUBLE, "500", "check: mean Smart Turn inference time per analysis, ms", 0},
	{"db_slack", VS_OPT_INT, "0", "check: the target's connections after the load <= before + this", 0},
	{"db_pool_min", VS_OPT_INT, "1", "the target's pool minimum (the reference agent: DB_POOL_MIN, default 1)", 0},
	{"db_pool_max", VS_OPT_INT, "10", "the target's pool maximum (the reference agent: DB_POOL_MAX, default 10)", 0},
	{"db_timeout_metric", VS_OPT_STRING, "",
	 "deprecated: declare [target] signal.db_timeouts (when set, it is used as that signal)", 0},
	{0},
};

#define I(k, f, min) {k, VS_POPT_INT, offsetof(struct rs, f), min}
#define MS(k, f) {k, VS_POPT_MS, offsetof(struct rs, f), 0}
#define D(k, f) {k, VS_POPT_DOUBLE, offsetof(struct rs, f), 0}
static const struct vs_popt_bind rs_binds[] = {
	I("calls", ncalls, 2), I("concurrency", concurrency, 1), MS("ramp", ramp_ms), I("warmup_calls", warmup_calls, 0),
	MS("idle_time", idle_ms), MS("settle_time", settle_ms), MS("long_call", long_ms), MS("long_skip", long_skip_ms),
	MS("answer_timeout", answer_timeout_ms), D("max_rss_slope_kb", max_slope_kb), D("max_rss_growth_mb", max_growth_mb),
	I("threads_slack", threads_slack, 0), I("fds_slack", fds_slack, 0), I("background_tasks_slack", bg_slack, 0),
	D("long_max_mb_per_min", long_max_mb_per_min), D("long_release_mb", long_release_mb),
	D("max_cpu_pct", max_cpu_pct), /* unset: -1, reported only */
	D("vad_max_rt_pct", vad_max_rt_pct), D("turn_max_ms", turn_max_ms), I("db_slack", db_slack, 0),
	I("db_pool_min", pool_min, 0), I("db_pool_max", pool_max, 1),
	{0},
};

/* The long call: the greeting, then caller turns with pauses until the
 * caller hangs up at max_duration (the call's length is exactly long_call). */
static int long_script(struct rs *p)
{
	static const char *const say[] = {"Hi I would like to book an appointment.",
					   "Can you tell me your opening hours first?"};
	size_t cap = 4096, len = 0;
	char *t = malloc(cap), err[512];
	long long cycles = p->long_ms / 4000 + 2;
	int rc = VS_ERROR, step = 1;

	if (!t)
		return VS_ERROR;
	len += (size_t)snprintf(t, cap, "[call]\nname = resources-long\nseed = 67\nmax_duration = %lldms\n\n"
					"[step.%d]\nwait_reply = 8s\n\n",
				p->long_ms, step++);
	for (long long k = 0; k < cycles; k++) {
		if (cap - len < 256) {
			char *g = realloc(t, cap * 2);
			if (!g)
				goto out;
			t = g;
			cap *= 2;
		}
		len += (size_t)snprintf(t + len, cap - len,
					"[step.%d]\nsay = %s\n\n[step.%d]\nwait_reply = 8s\n\n[step.%d]\nsilence = 2s\n\n",
					step, say[k % 2], step + 1, step + 2);
		step += 3;
	}
	if (vs_call_script_parse(t, "resources-long (generated)", NULL, &p->long_script, err, sizeof(err)) != 0) {
		p->h->reason(p->c, "[resources] long call script: %s", err);
		rc = VS_ERROR;
		goto out;
	}
	rc = VS_OK;
out:
	free(t);
	return rc;
}

static void count_sql(struct rs *p)
{
	char app[160] = "", user[160] = "";

	/* the values are quoted by the server (quote_literal of a $n is not
	 * possible in a plain count query): only plain names are accepted */
	if (*p->db_app)
		snprintf(app, sizeof(app), " AND application_name = '%s'", p->db_app);
	if (*p->db_user)
		snprintf(user, sizeof(user), " AND usename = '%s'", p->db_user);
	snprintf(p->count_sql, sizeof(p->count_sql),
		 "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
		 "AND pid <> pg_backend_pid() AND datname = current_database()%s%s",
		 app, user);
}

static int plain_name(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-' || *s == '.' || *s == ' '))
			return 0;
	return 1;
}

int rs_conf_load(struct rs *p, const struct vs_host *h, vs_ctx *c)
{
	char err[512];
	int rc;

	p->h = h;
	p->c = c;
	p->max_cpu_pct = -1;
	rc = vs_popt_read(h, p->c, "resources", rs_binds, p);
	if (rc != VS_OK)
		return rc;
	if (p->concurrency > 64) {
		h->reason(p->c, "[resources] concurrency = %lld: at most 64", p->concurrency);
		return VS_ECONFIG;
	}
	if (vs_calltarget_read(h, p->c, &p->t))
		return VS_ECONFIG;
	vs_calltarget_path(h, p->c, &p->t, "metrics_path", p->t.metrics_url, sizeof(p->t.metrics_url));
	if (vs_popt_signal(h, p->c, "active_calls", &p->sig.active) ||
	    vs_popt_signal(h, p->c, "background_tasks", &p->sig.bg) ||
	    vs_popt_signal(h, p->c, "pool_size", &p->sig.pool_size) ||
	    vs_popt_signal(h, p->c, "pool_idle", &p->sig.pool_idle) ||
	    vs_popt_signal(h, p->c, "vad_seconds", &p->sig.vad) ||
	    vs_popt_signal(h, p->c, "turn_analyzer_seconds", &p->sig.turn) ||
	    vs_popt_signal(h, p->c, "db_timeouts", &p->sig.timeouts))
		return VS_ECONFIG;
	if (*vs_popt_str(h, p->c, "db_timeout_metric")) {
		char why[400];
		h->log(p->c, VS_LOG_WARN, "[resources] db_timeout_metric is deprecated: declare [target] signal.db_timeouts");
		if (vs_signal_parse("db_timeouts", vs_popt_str(h, p->c, "db_timeout_metric"), &p->sig.timeouts, why,
				    sizeof(why))) {
			h->reason(p->c, "[resources] db_timeout_metric: %s", why);
			return VS_ECONFIG;
		}
	}
	/* a launched target's setting, to name the reason when Smart Turn is off */
	p->smart_turn_hint = h->conf(p->c, "target", "env.SMART_TURN_ENABLED");
	if (!p->smart_turn_hint)
		p->smart_turn_hint = "";
	p->db_app = vs_popt_str(p->h, p->c, "db_application_name");
	p->db_user = vs_popt_str(p->h, p->c, "db_user");
	if (!plain_name(p->db_app) || !plain_name(p->db_user)) {
		h->reason(p->c, "[resources] db_application_name / db_user: letters, digits, _ - . and spaces only");
		return VS_ECONFIG;
	}
	count_sql(p);
	rc = vs_calltarget_skip(h, p->c, "resources", &p->t, "calls need the world (depends = world)");
	if (rc != VS_OK)
		return rc;
	if (vs_call_script_load(vs_popt_str(p->h, p->c, "script"), &p->script, err, sizeof(err)) != 0) {
		h->reason(p->c, "[resources] script: %s", err);
		return VS_ECONFIG;
	}
	return p->long_ms ? long_script(p) : VS_OK;
}

void rs_conf_free(struct rs *p)
{
	if (p->script)
		vs_call_script_free(p->script);
	if (p->long_script)
		vs_call_script_free(p->long_script);
	p->script = p->long_script = NULL;
}
