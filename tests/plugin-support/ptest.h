/* Helpers of the pipeline plugin's tests: the REAL world (`vstress world`,
 * every stand-in, the STT phrases of tests/world.ini), the REAL reference
 * agent wired to it (as conf.d/05-target.ini does in the hermetic profile),
 * a run-like Telnyx signing key, Postgres (plugins/api/tests/target.h) and
 * the plugin in a fake host.
 *   VSTRESS_TEST_PLUGIN_DIR  the built plugins (default build/plugins)
 *   VSTRESS_TEST_BIN         the vstress binary (default <plugin dir>/../vstress) */
#ifndef VSTRESS_PTEST_H
#define VSTRESS_PTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "target.h"
#include "fakehost.h"
#include "fh_assert.h"
#include "fh_world.h"
#include "vstress/crypto/b64.h"
#include "vstress/crypto/ed25519.h"
#include "vstress/ini/ini_file.h"

struct pt_world {
	pid_t pid;
	char urls[256];
	char control[128];
	json_t *standins; /* name -> {http, ws} */
	json_t *env;      /* what the stand-ins export for a target: NAME -> value */
};

/* Optional (errors plugin tests): set before pt_world_start, the world's
 * Postgres fault proxy in front of "host:port"; set before pt_agent_start,
 * the agent's DATABASE_URL ("" = tgt_db_url, directly). */
static char pt_pg_upstream[300], pt_agent_db_url[1200];

struct pt_key {
	char seed_b64[64];
	char pub_b64[VS_ED25519_PUB_B64_LEN + 1];
};

#define pt_so fh_so

/* A fixed signing key: the run's key in miniature. */
static inline int pt_key_make(struct pt_key *k)
{
	struct vs_ed25519_key key;
	uint8_t seed[VS_ED25519_SEED_LEN];

	for (size_t i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(0x5a ^ (i * 37));
	if (vs_ed25519_from_seed(&key, seed) != 0 || vs_ed25519_pub_b64(&key, k->pub_b64) != 0)
		return -1;
	return vs_b64_encode(seed, sizeof(seed), k->seed_b64, sizeof(k->seed_b64)) < 0 ? -1 : 0;
}

static inline const char *pt_standin(const struct pt_world *w, const char *name, const char *kind)
{
	return json_string_value(json_object_get(json_object_get(w->standins, name), kind));
}

/* Every stand-in, conf.d then tests/world.ini; 0 or -1. */
static inline int pt_world_start(struct pt_world *w)
{
	const char *extra[] = {"--config", "plugins/pipeline/tests/world.ini", "--pg-upstream", pt_pg_upstream, NULL};
	json_t *urls;

	memset(w, 0, sizeof(*w));
	snprintf(w->urls, sizeof(w->urls), "/tmp/vstress-pltest-%d.json", (int)getpid());
	if (!pt_pg_upstream[0])
		extra[2] = NULL;
	w->pid = fh_world_spawn(w->urls, extra, "telnyx,stt_deepgram", &urls);
	if (w->pid < 0) {
		w->pid = 0;
		return -1;
	}
	snprintf(w->control, sizeof(w->control), "%s", json_string_value(json_object_get(urls, "control")));
	w->standins = json_incref(json_object_get(urls, "standins"));
	w->env = json_incref(json_object_get(urls, "env"));
	json_decref(urls);
	return 0;
}

static inline void pt_world_stop(struct pt_world *w)
{
	fh_world_kill(&w->pid, w->urls);
	json_decref(w->standins);
	w->standins = NULL;
	json_decref(w->env);
	w->env = NULL;
}

/* The reference agent on the world, as the hermetic profile launches it.
 * faults: AGENT_FAULTS; extra: one more NAME=VALUE or NULL. */
static inline int pt_agent_start(struct tgt *t, const struct pt_world *w, const struct pt_key *k, const char *faults,
				 const char *extra)
{
	static char env[64][1400];
	char *envp[65];
	size_t n = 0;

	t->port = tgt_free_port();
#define PT_ENV(...) snprintf(env[n++], sizeof(env[0]), __VA_ARGS__)
	PT_ENV("AGENT_HOST=127.0.0.1");
	PT_ENV("AGENT_PORT=%d", t->port);
	PT_ENV("AGENT_PUBLIC_WS_URL=ws://127.0.0.1:%d", t->port);
	PT_ENV("DATABASE_URL=%s", pt_agent_db_url[0] ? pt_agent_db_url : tgt_db_url);
	PT_ENV("AUTH_PASSWORD=%s", TGT_PASSWORD);
	PT_ENV("LOG_LEVEL=WARNING");
	PT_ENV("AGENT_FAULTS=%s", faults ? faults : "");
	/* Smart Turn v3 judges about a third of the flite-voiced utterances
	 * "incomplete" and then waits its 3 s stop time (turns of 3.9-4.6 s, the
	 * agent's own call_turns.latency_ms agrees): the healthy baseline uses
	 * the speech-timeout end of turn (docs/plugins/pipeline.md). */
	PT_ENV("SMART_TURN_ENABLED=false");
	PT_ENV("TELNYX_PUBLIC_KEY=%s", k->pub_b64);
	/* every provider's URL and dummy key, as its stand-in exports them */
	{
		const char *name;
		json_t *v;

		json_object_foreach(w->env, name, v)
			if (json_is_string(v) && n < 60)
				PT_ENV("%s=%s", name, json_string_value(v));
	}
	if (extra)
		PT_ENV("%s", extra);
#undef PT_ENV
	for (size_t i = 0; i < n; i++)
		envp[i] = env[i];
	envp[n] = NULL;
	return tgt_spawn(t, "cd examples/reference-agent && exec .venv/bin/python -m agent", envp, "/health", 60000);
}

/* POST or DELETE on the world's control API; the HTTP status. */
static inline long pt_control(const struct pt_world *w, const char *method, const char *path, const char *body)
{
	char cmd[1200];
	/* the world's control token: fh_world_spawn put it in our environment */
	snprintf(cmd, sizeof(cmd),
		 "exec curl -s -o /dev/null -w '%%{http_code}' -H \"Authorization: Bearer $VSTRESS_WORLD_TOKEN\" -X %s "
		 "%s%s%s%s%s > /tmp/vs-plt-%d.code",
		 method, w->control, path, body ? " -H 'content-type: application/json' -d '" : "", body ? body : "",
		 body ? "'" : "", (int)getpid());
	if (tgt_sh(cmd) != 0)
		return 0;
	snprintf(cmd, sizeof(cmd), "/tmp/vs-plt-%d.code", (int)getpid());
	FILE *f = fopen(cmd, "r");
	long code = 0;
	if (f) {
		if (fscanf(f, "%ld", &code) != 1)
			code = 0;
		fclose(f);
	}
	unlink(cmd);
	return code;
}

/* A test group's fixture: a signing key, the world and the reference
 * agent wired to it (pt_up: 0 or -1), and its end (pt_down). */
static inline int pt_up(struct tgt *t, struct pt_world *w, struct pt_key *k)
{
	if (pt_key_make(k) || tgt_env_init() || pt_world_start(w) || pt_agent_start(t, w, k, NULL, NULL))
		return -1;
	return 0;
}

static inline void pt_down(struct tgt *t, struct pt_world *w)
{
	tgt_stop(t);
	pt_world_stop(w);
	tgt_env_done();
}

static int pt_signal_item(void *arg, const struct vs_ini_item *it, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	if (it->key && !strcmp(it->section, "target") && !strncmp(it->key, "signal.", 7))
		fh_set_conf((struct fakehost *)arg, "target", it->key, it->value);
	return 0;
}

/* The reference agent's signals as a run declares them: [target] signal.*
 * of the shipped conf.d/05-target.ini (tests run from the source root). */
static inline void pt_target_signals(struct fakehost *fh)
{
	char err[512];
	if (vs_ini_parse_file("conf.d/05-target.ini", pt_signal_item, fh, err, sizeof(err)) != 0)
		fail_msg("conf.d/05-target.ini: %s", err);
}

/* A call-placing plugin (pipeline, load, resources) loaded and aimed at
 * agent + world as its [<plugin>:hermetic] section does: target URL and
 * PID (pid NULL: the agent's), the world's control API, the signing seed,
 * a provisioned test tenant in the agent's database. */
static inline struct fakehost *pt_plugin_host(const char *plugin, const struct tgt *t, const struct pt_world *w,
					      const struct pt_key *k, const char *pid)
{
	struct fakehost *fh = fh_loaded(plugin, pt_so(plugin));
	char buf[32];

	if (!pid) {
		snprintf(buf, sizeof(buf), "%d", (int)t->pid);
		pid = buf;
	}
	fh_set_opt(fh, "base_url", t->url);
	fh_set_opt(fh, "provision", "true");
	fh_set_opt(fh, "control_url", w->control);
	fh_set_opt(fh, "signing_seed", k->seed_b64);
	fh_set_opt(fh, "db_url", tgt_db_url);
	fh_set_opt(fh, "target_pid", pid);
	pt_target_signals(fh);
	return fh;
}

/* The pipeline plugin aimed at agent + world. */
static inline struct fakehost *pt_host(const struct tgt *t, const struct pt_world *w, const struct pt_key *k,
				       const char *scripts, const char *calls)
{
	struct fakehost *fh = pt_plugin_host("pipeline", t, w, k, NULL);

	fh_set_opt(fh, "scripts", scripts);
	fh_set_opt(fh, "calls", calls);
	fh_set_deadline_ms(fh, 150000);
	return fh;
}

/* The agent restarted with faults (AGENT_FAULTS) and extra (NAME=VALUE or
 * NULL); the test fails when it does not come up. */
static inline void pt_agent_restart(struct tgt *t, const struct pt_world *w, const struct pt_key *k, const char *faults,
				    const char *extra)
{
	tgt_stop(t);
	assert_int_equal(pt_agent_start(t, w, k, faults, extra), 0);
}

/* Real-time calls against the agent run once, in the plain build: under
 * valgrind they cannot be paced, and under the sanitizers (the check's SAN
 * stage, VSTRESS_SLOW_RUNTIME) they would take the same wall-clock minutes
 * again to prove what the plain run proved.  The code they drive is under
 * the sanitizers in its own unit tests. */
static inline int pt_realtime_elsewhere(void)
{
	return getenv("VALGRIND") || (getenv("VSTRESS_VALGRIND") && strcmp(getenv("VSTRESS_VALGRIND"), "0")) ||
	       (getenv("VSTRESS_SLOW_RUNTIME") && strcmp(getenv("VSTRESS_SLOW_RUNTIME"), "0"));
}

/* PT_AGENT_FIXTURE defined before including this: the test file's agent,
 * world and key, and group_setup/group_teardown bringing them up and down
 * around the group; with PT_FIXTURE_OFF defined too (an expression), not
 * when it is true (the tests then skip themselves). */
#ifdef PT_AGENT_FIXTURE
#ifndef PT_FIXTURE_OFF
#define PT_FIXTURE_OFF 0
#endif
static struct tgt agent;
static struct pt_world world;
static struct pt_key key;

static int group_setup(void **st)
{
	(void)st;
	if (PT_FIXTURE_OFF)
		return 0;
	return pt_up(&agent, &world, &key);
}

static int group_teardown(void **st)
{
	(void)st;
	if (!PT_FIXTURE_OFF)
		pt_down(&agent, &world);
	return 0;
}
#endif

#endif
