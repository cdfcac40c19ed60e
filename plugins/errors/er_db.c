/* errors plugin, scenario db (plan 8.1): the agent's database goes away.
 * The world's Postgres proxy, in front of the agent's database, resets every
 * open connection and refuses new ones for `outage`; meanwhile /health is
 * probed and a call is placed; then the fault is removed and recovery, a
 * normal call and the outage's log entry are checked. */
#include "errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const DB_CHECKS[] = {"db.alive",     "db.health_degraded", "db.outage_call",
				     "db.recovered", "db.call_after",      "db.logged"};
#define NCHECKS (sizeof(DB_CHECKS) / sizeof(DB_CHECKS[0]))

static void db_skip_all(struct er *e, const char *why)
{
	er_skip_checks(e, "db", DB_CHECKS, NCHECKS, why);
}

struct probes {
	int n, degraded, ok, noanswer, other;
	char first_other[200];
	double max_ms;
};

/* One GET of /health, classified. */
static void probe(struct er *e, struct probes *p, int *is_ok)
{
	char *body = NULL, code[16];
	double ms;
	long st = er_get(e->health_url, (int)er_ms(e, "http_timeout"), &body, &ms);
	json_t *j = body ? json_loads(body, 0, NULL) : NULL;
	const char *v = json_string_value(json_object_get(j, er_str(e, "degraded_field")));

	p->n++;
	if (ms > p->max_ms)
		p->max_ms = ms;
	snprintf(code, sizeof(code), "%ld", st);
	if (is_ok)
		*is_ok = st == 200 && v && !strcmp(v, er_str(e, "ok_value"));
	if (!st)
		p->noanswer++;
	else if (v && !strcmp(v, er_str(e, "degraded_value")) && vs_list_has(er_str(e, "degraded_codes"), code))
		p->degraded++;
	else if (v && !strcmp(v, er_str(e, "ok_value")) && st == 200)
		p->ok++;
	else if (!p->other++)
		snprintf(p->first_other, sizeof(p->first_other), "HTTP %ld %.120s", st, body ? body : "");
	json_decref(j);
	free(body);
}

/* The world runs the Postgres proxy and the target's database URL points at
 * it (when its environment is readable).  0, or -1 with why. */
static int prerequisites(struct er *e, char *why, size_t len)
{
	char url[1200], *body = NULL, *dbenv, port[16];
	json_t *j;
	long long pport;
	int ok;

	snprintf(url, sizeof(url), "%s/_vstress/urls", e->t.control_url);
	if (er_get(url, 3000, &body, NULL) != 200 || !body) {
		free(body);
		snprintf(why, len, "the world's control API did not answer GET /_vstress/urls");
		return -1;
	}
	j = json_loads(body, 0, NULL);
	free(body);
	pport = json_integer_value(json_object_get(json_object_get(json_object_get(j, "standins"), "postgres"), "port"));
	json_decref(j);
	if (!pport) {
		snprintf(why, len, "no Postgres fault proxy in the world ([world] database_url unset or not a TCP URL; "
				   "the target must reach its database through the proxy)");
		return -1;
	}
	dbenv = er_target_env(e, er_str(e, "target_db_env"));
	if (!dbenv) {
		e->h->log(e->c, VS_LOG_INFO, "the target's %s is not readable: the /health probes will show whether its "
					     "database is behind the proxy (port %lld)",
			  er_str(e, "target_db_env"), pport);
		return 0;
	}
	snprintf(port, sizeof(port), ":%lld", pport);
	ok = strstr(dbenv, port) != NULL;
	free(dbenv);
	if (!ok)
		snprintf(why, len, "the target's %s does not go through the world's Postgres proxy (127.0.0.1%s): set "
				   "env.%s = ${VSTRESS_WORLD_DATABASE_URL} in [target]",
			 er_str(e, "target_db_env"), port, er_str(e, "target_db_env"));
	return ok ? 0 : -1;
}

/* The verdicts below take the scenario's measurements as arguments, so a
 * test can feed them crafted ones (plugins/errors/tests/test_verdicts.c). */

/* er_alive before and after the outage: 1 alive, 0 gone, -1 no PID. */
static void check_alive(struct er *e, int alive_during, int alive_after)
{
	if (alive_during < 0)
		e->h->check(e->c, "db.alive", VS_CHECK_SKIP, "no target PID (target_pid): cannot tell");
	else
		e->h->check(e->c, "db.alive", alive_during && alive_after ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "target process %d %s during the outage, %s after it", (int)e->t.pid,
			    alive_during ? "alive" : "GONE", alive_after ? "alive" : "GONE");
}

/* rec_ms: /health ok again this long after the fault's removal, -1 never (within recover). */
static void check_recovered(struct er *e, double rec_ms, long long recover)
{
	if (rec_ms < 0)
		e->h->check(e->c, "db.recovered", VS_CHECK_FAIL, "/health not %s within %lld ms of the fault's removal",
			    er_str(e, "ok_value"), recover);
	else
		e->h->check_value(e->c, "db.recovered", rec_ms, VS_LE, (double)recover, "ms");
}

static void check_call_after(struct er *e, const struct er_call *after)
{
	char why[300];
	int ok = er_call_normal(after, why, sizeof(why));
	e->h->check(e->c, "db.call_after", ok ? VS_CHECK_PASS : VS_CHECK_FAIL, "%s", why);
}

static void check_outage_call(struct er *e, const struct er_call *oc)
{
	char acts[200] = "";
	size_t al = 0;
	int handled, heard;
	char **items = NULL;
	size_t n = vs_split_list(er_str(e, "outage_call_actions"), &items);

	for (size_t i = 0; i < n; i++)
		if (vs_tcall_count_action(&oc->r, items[i], NULL) > 0)
			al += (size_t)snprintf(acts + al, sizeof(acts) - al, "%s%s", al ? " + " : "", items[i]);
	free(items);
	heard = oc->r.media_started && oc->r.media.first_reply_ms >= 0;
	handled = heard || acts[0];
	if (oc->failed)
		e->h->check(e->c, "db.outage_call", VS_CHECK_FAIL, "the call could not be placed: %s", oc->r.error);
	else if (oc->r.webhook_status < 200 || oc->r.webhook_status > 299 || oc->r.webhook_ms > (double)e->webhook_within_ms)
		e->h->check(e->c, "db.outage_call", VS_CHECK_FAIL,
			    "call.initiated answered HTTP %d after %.0f ms (Telnyx needs 2xx within %lld ms): %.100s",
			    oc->r.webhook_status, oc->r.webhook_ms, e->webhook_within_ms, oc->r.webhook_body);
	else if (!oc->r.answered)
		e->h->check(e->c, "db.outage_call", VS_CHECK_FAIL, "webhook %d in %.0f ms, but the call was never answered "
								"(the caller hears ringing): %s",
			    oc->r.webhook_status, oc->r.webhook_ms, oc->r.error);
	else if (!handled)
		e->h->check(e->c, "db.outage_call", VS_CHECK_FAIL,
			    "answered, but the caller heard nothing: no agent audio and none of [%s] sent", er_str(e, "outage_call_actions"));
	else
		e->h->check(e->c, "db.outage_call", VS_CHECK_PASS, "webhook %d in %.0f ms, answered after %.0f ms, then %s%s%s",
			    oc->r.webhook_status, oc->r.webhook_ms, oc->r.answer_ms, heard ? "the agent spoke" : "",
			    heard && acts[0] ? ", " : "", acts);
}

static void check_logged(struct er *e, const char *since, int m_present0, double m0)
{
	const char *sql = er_str(e, "outage_log_sql");
	int declared = vs_signal_declared(er_signal(e, "db_errors"));
	long long within = er_ms(e, "outage_log_within");
	char err[300] = "", msg[400] = "";
	long rows = -1;
	int present = 0, evidence = 0;
	double v = 0;

	for (long long waited = 0;; waited += 500) {
		char *m = declared ? er_metrics(e) : NULL;
		v = er_prom(e, m, "db_errors", NULL, &present);
		free(m);
		if (*sql && since)
			rows = er_db_count(e, sql, since, err, sizeof(err));
		evidence = (present && v > (m_present0 ? m0 : 0)) || rows > 0;
		if (evidence || waited >= within)
			break;
		er_sleep_ms(e, 500);
	}
	if (declared)
		snprintf(msg, sizeof(msg), "%s %s%.0f -> %s%.0f", er_sig(e, "db_errors"), m_present0 ? "" : "(absent) ", m0,
			 present ? "" : "(absent) ", v);
	if (*sql && since)
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "%s%ld outage row%s logged since the fault%s%s",
			 *msg ? "; " : "", rows, rows == 1 ? "" : "s", err[0] ? ": " : "", err);
	if (evidence)
		e->h->check(e->c, "db.logged", VS_CHECK_PASS, "%s", msg);
	else if ((!declared || !present) && rows < 0) {
		char why[700];
		e->h->check(e->c, "db.logged", VS_CHECK_SKIP, "no evidence source: %s; outage_log_sql is empty (or no db_url)",
			    er_sig_why(e, "db_errors", why, sizeof(why)));
	}
	else
		e->h->check(e->c, "db.logged", VS_CHECK_FAIL, "the outage left no trace: %s", msg);
}

void er_db_scenario(struct er *e)
{
	struct probes p = {0};
	struct er_call oc = {0}, after = {0};
	char why[512], err[300], *since = NULL;
	long long outage = er_ms(e, "outage"), every = er_ms(e, "health_every"), recover = er_ms(e, "recover_within");
	uint64_t t0;
	double m0, elapsed, rec_ms = -1;
	int m_present0 = 0, is_ok = 0, alive_during, alive_after;
	struct probes before = {0};

	if (prerequisites(e, why, sizeof(why)) != 0) {
		db_skip_all(e, why);
		return;
	}
	probe(e, &before, &is_ok);
	if (!is_ok) {
		snprintf(why, sizeof(why), "/health is not %s=%s before the outage (%s)", er_str(e, "degraded_field"),
			 er_str(e, "ok_value"), before.noanswer ? "no answer" : before.first_other);
		db_skip_all(e, why);
		return;
	}
	if (*e->t.db_url && !(since = er_db_now(e, err, sizeof(err))))
		e->h->log(e->c, VS_LOG_WARN, "db_url: %s (the SQL evidence is not used)", err);
	{
		char *m = er_metrics(e);
		m0 = er_prom(e, m, "db_errors", NULL, &m_present0);
		free(m);
	}
	if (er_fault_on(e, er_str(e, "db_fault_target"), er_str(e, "db_fault"), err, sizeof(err)) != 0) {
		snprintf(why, sizeof(why), "could not inject the outage: %s", err);
		free(since);
		db_skip_all(e, why);
		return;
	}
	t0 = e->h->now_ns();
	/* probes, the call, probes until the outage has lasted its time */
	for (int i = 0; i < 3; i++) {
		probe(e, &p, NULL);
		er_sleep_ms(e, every);
	}
	er_call(e, e->script, "outage", &oc);
	snprintf(e->db_outage_call, sizeof e->db_outage_call, "%s", oc.r.call_control_id);
	alive_during = er_alive(e);
	do {
		probe(e, &p, NULL);
		er_sleep_ms(e, every);
	} while ((double)(e->h->now_ns() - t0) / 1e6 < (double)outage && !e->h->should_stop(e->c));
	er_faults_off(e);
	elapsed = (double)(e->h->now_ns() - t0) / 1e6;
	{ /* recovery: /health ok again */
		uint64_t r0 = e->h->now_ns();
		for (;;) {
			struct probes q = {0};
			probe(e, &q, &is_ok);
			if (is_ok) {
				rec_ms = (double)(e->h->now_ns() - r0) / 1e6;
				break;
			}
			if ((double)(e->h->now_ns() - r0) / 1e6 > (double)recover || e->h->should_stop(e->c))
				break;
			er_sleep_ms(e, 250);
		}
	}
	alive_after = er_alive(e);
	e->h->log(e->c, VS_LOG_INFO,
		  "outage %.1f s: %d /health probes: %d degraded, %d still ok, %d unanswered, %d other (slowest %.0f ms); "
		  "recovery %.0f ms",
		  elapsed / 1e3, p.n, p.degraded, p.ok, p.noanswer, p.other, p.max_ms, rec_ms);

	check_alive(e, alive_during, alive_after);
	if (p.noanswer || p.other || !p.degraded)
		e->h->check(e->c, "db.health_degraded", VS_CHECK_FAIL,
			    "%d /health probes during the outage: %d %s=%s, %d unanswered, %d other%s%s%s", p.n, p.degraded,
			    er_str(e, "degraded_field"), er_str(e, "degraded_value"), p.noanswer, p.other,
			    p.other ? " (first: " : "", p.other ? p.first_other : "", p.other ? ")" : "");
	else
		e->h->check(e->c, "db.health_degraded", VS_CHECK_PASS,
			    "%d /health probes during the outage: %d %s=%s, %d still %s (slowest %.0f ms)", p.n, p.degraded,
			    er_str(e, "degraded_field"), er_str(e, "degraded_value"), p.ok, er_str(e, "ok_value"), p.max_ms);
	check_outage_call(e, &oc);
	check_recovered(e, rec_ms, recover);
	if (rec_ms < 0) {
		e->h->check(e->c, "db.call_after", VS_CHECK_SKIP, "the target did not recover");
	} else {
		er_sleep_ms(e, e->pause_ms);
		er_call(e, e->script, "after-outage", &after);
		check_call_after(e, &after);
		if (er_call_normal(&after, why, sizeof(why))) { /* the baseline of the LLM scenarios */
			int r, t;
			double sum, max;
			er_turns(&after, &r, &t, &sum, &max);
			e->baseline_turn_ms = sum / r;
		}
	}
	check_logged(e, since, m_present0, m0);
	json_object_set_new(e->data, "db",
			    json_pack("{s:f,s:i,s:i,s:i,s:i,s:i,s:f,s:f,s:o,s:o}", "outage_ms", elapsed, "health_probes",
				      p.n, "health_degraded", p.degraded, "health_still_ok", p.ok, "health_unanswered",
				      p.noanswer, "health_other", p.other, "health_slowest_ms", p.max_ms, "recovery_ms",
				      rec_ms, "outage_call", er_call_json(&oc), "call_after",
				      after.r.call_control_id[0] ? er_call_json(&after) : json_null()));
	er_call_clear(&oc);
	er_call_clear(&after);
	free(since);
}
