/* sentry: a provider-style plugin for Sentry.  Its stand-in (standin.c)
 * takes the target's error reports in hermetic runs (the world exports
 * SENTRY_DSN to a launched target); its probe sends an event through the
 * envelope and the store endpoints of a DSN and checks the answers, a wrong
 * key refused, and (at the world's stand-in) the events read back from the
 * world's event bus with their tags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <vstress/net/httpc.h>
#include <vstress/probe/subject.h>

#include "sentry.h"

struct sn {
	char base[512], key[128], project[64];
	const char *control;
	long long timeout_ms;
};

static const struct vs_option options[] = {
	{"dsn", VS_OPT_STRING, "${SENTRY_DSN:-}", "where events go: http(s)://<key>@host[:port]/<project> (unset: skip)",
	 VS_OPT_SECRET},
	{"base_url", VS_OPT_STRING, NULL,
	 "instead of dsn: the stand-in's base URL, with standin_key and standin_project (hermetic)", 0},
	{"control_url", VS_OPT_STRING, "${VSTRESS_WORLD_CONTROL:-}", "the world's control API (events read back)", 0},
	{"request_timeout", VS_OPT_DURATION, "5s", "one request gives up after this long", 0},
	{"standin_key", VS_OPT_STRING, SENTRY_DEFAULT_KEY, "the stand-in's public key (read by the world)", 0},
	{"standin_project", VS_OPT_STRING, SENTRY_DEFAULT_PROJECT, "the project id in the exported DSN (world)", 0},
	{0},
};

/* http(s)://key@host[:port]/[path/]project -> base, key, project. */
static int parse_dsn(const char *dsn, struct sn *s)
{
	const char *hs = strstr(dsn, "://"), *at, *slash, *proj;

	if (!hs || (strncmp(dsn, "http://", 7) && strncmp(dsn, "https://", 8)))
		return -1;
	at = strchr(hs + 3, '@');
	slash = at ? strchr(at, '/') : NULL;
	if (!at || !slash || (size_t)(at - hs - 3) >= sizeof s->key || at == hs + 3)
		return -1;
	proj = strrchr(dsn, '/') + 1;
	if (!*proj || strlen(proj) >= sizeof s->project)
		return -1;
	memcpy(s->key, hs + 3, (size_t)(at - hs - 3));
	s->key[at - hs - 3] = '\0';
	strcpy(s->project, proj);
	/* the base keeps a path prefix before the project (Sentry behind a path) */
	if ((size_t)snprintf(s->base, sizeof s->base, "%.*s%.*s", (int)(hs + 3 - dsn), dsn, (int)(proj - 1 - at - 1),
			     at + 1) >= sizeof s->base)
		return -1;
	return 0;
}

static int sn_setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	struct sn *s = calloc(1, sizeof(*s));
	const char *dsn = h->opt(c, "dsn");

	if (!s)
		return VS_ERROR;
	*state = s;
	s->timeout_ms = 5000;
	if (h->opt_ms(c, "request_timeout", &s->timeout_ms) < 0)
		return VS_ECONFIG;
	const char *base = h->opt(c, "base_url"), *key = h->opt(c, "standin_key"), *proj = h->opt(c, "standin_project");

	if ((!dsn || !*dsn) && base && *base) {
		snprintf(s->base, sizeof s->base, "%s", base);
		snprintf(s->key, sizeof s->key, "%s", key ? key : SENTRY_DEFAULT_KEY);
		snprintf(s->project, sizeof s->project, "%s", proj ? proj : SENTRY_DEFAULT_PROJECT);
	} else if (!dsn || !*dsn) {
		h->reason(c, "no Sentry DSN (SENTRY_DSN, [sentry] dsn): nothing to probe");
		return VS_SKIP;
	} else if (parse_dsn(dsn, s) != 0) {
		h->reason(c, "[sentry] dsn is not http(s)://<key>@host[:port]/<project>");
		return VS_ECONFIG;
	}
	s->control = h->opt(c, "control_url");
	vs_probe_subject(h, c, s->base);
	return VS_OK;
}

/* POST body to <base>/api/<project>/<endpoint>/?sentry_key=<key>: the status. */
static long post(struct sn *s, const char *endpoint, const char *key, const char *body, char *err, size_t errlen)
{
	char url[1024];
	long status = 0;
	char *resp = NULL;

	snprintf(url, sizeof url, "%s/api/%s/%s/?sentry_key=%s&sentry_version=7", s->base, s->project, endpoint, key);
	if (vs_httpc("POST", url, body, (int)s->timeout_ms, &status, &resp, err, errlen) != 0)
		status = 0;
	free(resp);
	return status;
}

/* The event with this id on the world's bus (long-poll); its tag call_id or NULL. */
static json_t *read_back(struct sn *s, const char *event_id)
{
	char url[1024], err[256], *resp = NULL;
	long status = 0;
	json_t *j, *ev = NULL;

	snprintf(url, sizeof url, "%s/_vstress/events?topic=%s&event_id=%s&wait_ms=3000", s->control, SENTRY_TOPIC,
		 event_id);
	if (vs_httpc("GET", url, NULL, 5000, &status, &resp, err, sizeof err) != 0 || status != 200) {
		free(resp);
		return NULL;
	}
	j = json_loads(resp, 0, NULL);
	free(resp);
	ev = json_incref(json_object_get(json_array_get(json_object_get(j, "events"), 0), "data"));
	json_decref(j);
	return ev;
}

static int sn_run(const struct vs_host *h, vs_ctx *c, void *state)
{
	struct sn *s = state;
	char env[1024], store[512], err[256], id1[40], id2[40];
	int standin = getenv("VSTRESS_WORLD_SENTRY_HTTP") && !strncmp(s->base, getenv("VSTRESS_WORLD_SENTRY_HTTP"),
									 strlen(getenv("VSTRESS_WORLD_SENTRY_HTTP")));
	long st;

	snprintf(id1, sizeof id1, "%016llx%016llx", (unsigned long long)h->now_ns(), (unsigned long long)getpid());
	snprintf(id2, sizeof id2, "%016llx%016llx", (unsigned long long)h->now_ns() + 1, (unsigned long long)getpid());
	snprintf(env, sizeof env,
		 "{\"event_id\":\"%s\"}\n{\"type\":\"event\"}\n{\"event_id\":\"%s\",\"level\":\"error\",\"message\":"
		 "\"vstress probe (envelope)\",\"tags\":{\"call_id\":\"vstress-probe\"}}\n",
		 id1, id1);
	snprintf(store, sizeof store,
		 "{\"event_id\":\"%s\",\"level\":\"error\",\"message\":\"vstress probe (store)\",\"tags\":[[\"call_id\","
		 "\"vstress-probe\"]]}",
		 id2);
	st = post(s, "envelope", s->key, env, err, sizeof err);
	h->check(c, "envelope accepted", st == 200 ? VS_CHECK_PASS : VS_CHECK_FAIL, "POST /api/%s/envelope/: %ld%s%s",
		 s->project, st, st ? "" : " ", st ? "" : err);
	st = post(s, "store", s->key, store, err, sizeof err);
	h->check(c, "store accepted", st == 200 ? VS_CHECK_PASS : VS_CHECK_FAIL, "POST /api/%s/store/: %ld%s%s",
		 s->project, st, st ? "" : " ", st ? "" : err);
	st = post(s, "envelope", "vstress-wrong-key", env, err, sizeof err);
	h->check(c, "wrong key refused", st == 401 || st == 403 ? VS_CHECK_PASS : VS_CHECK_FAIL,
		 "a wrong sentry_key answered %ld (expected 401 or 403)", st);
	if (!standin || !s->control || !*s->control) {
		h->check(c, "events read back", VS_CHECK_SKIP, "not the world's stand-in: Sentry's events are not readable here");
		return VS_OK;
	}
	for (int i = 0; i < 2; i++) {
		json_t *ev = read_back(s, i ? id2 : id1);
		const char *call = json_string_value(json_object_get(ev, "call_id"));

		h->check(c, i ? "store event read back" : "envelope event read back",
			 call && !strcmp(call, "vstress-probe") ? VS_CHECK_PASS : VS_CHECK_FAIL, "event %s: %s",
			 i ? id2 : id1, ev ? (call ? "call_id tag kept" : "no call_id tag") : "not on the world's event bus");
		json_decref(ev);
	}
	return VS_OK;
}

static int sn_teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	(void)h;
	(void)c;
	free(state);
	return VS_OK;
}

VS_PLUGIN(.name = "sentry", .version = "1.0.0",
	  .description = "Sentry: a stand-in for the envelope and store endpoints (the target's SENTRY_DSN in a "
			 "hermetic run, its events on the world's event bus) and a probe of a DSN",
	  .options = options, .setup = sn_setup, .run = sn_run, .teardown = sn_teardown, .world = sentry_standin,
	  .secrets = (const char *const[]){"SENTRY_DSN", NULL});
