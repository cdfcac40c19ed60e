/* errors plugin, scenario sentry (plan 8.1, "error logged to Sentry"): the
 * target reports its errors to Sentry.  Its DSN is read from its own
 * environment; when it points at the world's Sentry stand-in (plugins/sentry)
 * the events the target sent are read back from the world's event bus and
 *   sentry.db_outage           the db scenario's outage call has an event
 *                              tagged with its call id (sentry_db_tags)
 *   sentry.all_providers_failed a call with every LLM stand-in failing has
 *                              an event tagged with its call id
 *                              (sentry_llm_tags)
 * No DSN, or one elsewhere: both skip, saying why. */
#include "errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const SENTRY_CHECKS[] = {"sentry.db_outage", "sentry.all_providers_failed"};

static void skip_all(struct er *e, const char *why)
{
	er_skip_checks(e, "sentry", SENTRY_CHECKS, 2, why);
}

/* host:port of a URL (after any userinfo) into out. */
static void authority(const char *url, char *out, size_t len)
{
	const char *p = strstr(url, "://"), *at;
	size_t n;

	p = p ? p + 3 : url;
	n = strcspn(p, "/?#");
	at = memchr(p, '@', n);
	if (at) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	snprintf(out, len, "%.*s", (int)n, p);
}

/* 1 when every name=value of `tags` (comma list) is among the event's tags. */
static int tags_match(const json_t *evtags, const char *tags)
{
	char **items = NULL;
	size_t n = vs_split_list(tags, &items);
	int ok = 1;

	for (size_t i = 0; i < n && ok; i++) {
		const char *eq = strchr(items[i], '=');
		char key[128];
		const char *have;

		if (!eq || (size_t)(eq - items[i]) >= sizeof key) {
			ok = 0;
			break;
		}
		snprintf(key, sizeof key, "%.*s", (int)(eq - items[i]), items[i]);
		have = json_string_value(json_object_get(evtags, key));
		ok = have && !strcmp(have, eq + 1);
	}
	free(items);
	return ok;
}

/* Waits up to sentry_wait for an event of the call with the tags; the
 * check's verdict with what was seen. */
static void expect_event(struct er *e, const char *check, const char *call_id, const char *tags)
{
	const char *ctag = er_str(e, "sentry_call_tag");
	long long wait = er_ms(e, "sentry_wait");
	uint64_t t0 = e->h->now_ns();
	char url[1200], seen[400] = "";
	int of_call = 0, total = 0;

	for (;;) {
		char *body = NULL;
		json_t *j, *ev;
		size_t i;

		snprintf(url, sizeof url, "%s/_vstress/events?topic=sentry.event", e->t.control_url);
		if (er_get(url, 5000, &body, NULL) == 200 && (j = json_loads(body, 0, NULL))) {
			of_call = total = 0;
			json_array_foreach(json_object_get(j, "events"), i, ev) {
				const json_t *d = json_object_get(ev, "data"), *t = json_object_get(d, "tags");
				const char *cid = json_string_value(json_object_get(t, ctag));

				total++;
				if (!cid || strcmp(cid, call_id))
					continue;
				of_call++;
				snprintf(seen, sizeof seen, "%s", json_string_value(json_object_get(d, "message")));
				if (tags_match(t, tags)) {
					e->h->check(e->c, check, VS_CHECK_PASS, "Sentry event \"%.200s\" tagged %s=%s, %s",
						    seen, ctag, call_id, tags);
					json_decref(j);
					free(body);
					return;
				}
			}
			json_decref(j);
		}
		free(body);
		if ((double)(e->h->now_ns() - t0) / 1e6 >= (double)wait || e->h->should_stop(e->c))
			break;
		er_sleep_ms(e, 250);
	}
	if (of_call)
		e->h->check(e->c, check, VS_CHECK_FAIL, "%d Sentry event(s) tagged %s=%s, none with %s (last: \"%.200s\")",
			    of_call, ctag, call_id, tags, seen);
	else
		e->h->check(e->c, check, VS_CHECK_FAIL,
			    "no Sentry event tagged %s=%s within %lld ms (%d event(s) on the stand-in in all)", ctag,
			    call_id, wait, total);
}

void er_sentry_scenario(struct er *e)
{
	char *dsn = er_target_env(e, er_str(e, "sentry_dsn_env")), *body = NULL, why[900], have[256], want[256];
	char url[1100], err[300];
	json_t *urls = NULL;
	const char *standin;
	struct er_call c = {0};
	char **names = NULL;
	size_t n, i;

	if (!dsn || !*dsn) {
		snprintf(why, sizeof why, "the target has no %s (%s): it reports to no Sentry", er_str(e, "sentry_dsn_env"),
			 e->t.pid ? "not in its environment" : "its environment is unreadable: no target_pid");
		skip_all(e, why);
		goto out;
	}
	snprintf(url, sizeof url, "%s/_vstress/urls", e->t.control_url);
	if (er_get(url, 5000, &body, NULL) == 200)
		urls = json_loads(body, 0, NULL);
	standin = json_string_value(json_object_get(json_object_get(json_object_get(urls, "standins"), "sentry"), "http"));
	authority(dsn, have, sizeof have);
	authority(standin ? standin : "", want, sizeof want);
	if (!standin || strcmp(have, want)) {
		snprintf(why, sizeof why, "the target's %s points at %s, not the world's Sentry stand-in (%s): its events "
			 "cannot be read here", er_str(e, "sentry_dsn_env"), have, standin ? want : "not served");
		skip_all(e, why);
		goto out;
	}
	/* 1. the db scenario's outage call */
	if (!e->db_outage_call[0])
		e->h->check(e->c, SENTRY_CHECKS[0], VS_CHECK_SKIP, "the db scenario placed no outage call (scenarios = %s)",
			    er_str(e, "scenarios"));
	else
		expect_event(e, SENTRY_CHECKS[0], e->db_outage_call, er_str(e, "sentry_db_tags"));
	/* 2. every LLM down for one call */
	n = vs_split_list(er_str(e, "sentry_llm_standins"), &names);
	for (i = 0; i < n; i++)
		if (er_fault_on(e, names[i], er_str(e, "sentry_llm_fault"), err, sizeof err) != 0)
			break;
	free(names);
	if (i < n) {
		e->h->check(e->c, SENTRY_CHECKS[1], VS_CHECK_SKIP, "could not inject the fault: %s", err);
		goto out;
	}
	er_call(e, e->key_script, "sentry-all-llms-down", &c);
	er_faults_off(e);
	if (!c.r.call_control_id[0])
		e->h->check(e->c, SENTRY_CHECKS[1], VS_CHECK_FAIL, "the call with every LLM down was not placed");
	else
		expect_event(e, SENTRY_CHECKS[1], c.r.call_control_id, er_str(e, "sentry_llm_tags"));
	json_object_set_new(e->data, "sentry", json_pack("{s:s,s:o}", "outage_call", e->db_outage_call, "all_llms_down_call",
							 er_call_json(&c)));
	er_call_clear(&c);
out:
	json_decref(urls);
	free(body);
	free(dsn);
}
