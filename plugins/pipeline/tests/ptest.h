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

#include "../../api/tests/target.h"
#include "fakehost.h"
#include "vstress/util/b64.h"
#include "vstress/util/ed25519.h"

struct pt_world {
	pid_t pid;
	char urls[256];
	char control[128];
	json_t *standins; /* name -> {http, ws} */
};

/* Optional (errors plugin tests): set before pt_world_start, the world's
 * Postgres fault proxy in front of "host:port"; set before pt_agent_start,
 * the agent's DATABASE_URL ("" = tgt_db_url, directly). */
static char pt_pg_upstream[300], pt_agent_db_url[1200];

struct pt_key {
	char seed_b64[64];
	char pub_b64[VS_ED25519_PUB_B64_LEN + 1];
};

static inline const char *pt_plugin_dir(void)
{
	const char *d = getenv("VSTRESS_TEST_PLUGIN_DIR");
	return d && *d ? d : "build/plugins";
}

static inline const char *pt_so(const char *name)
{
	static char path[600];
	snprintf(path, sizeof(path), "%s/%s.so", pt_plugin_dir(), name);
	return path;
}

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
	char bin[600];
	const char *b = getenv("VSTRESS_TEST_BIN");

	memset(w, 0, sizeof(*w));
	if (b && *b)
		snprintf(bin, sizeof(bin), "%s", b);
	else
		snprintf(bin, sizeof(bin), "%s/../vstress", pt_plugin_dir());
	snprintf(w->urls, sizeof(w->urls), "/tmp/vstress-pltest-%d.json", (int)getpid());
	unlink(w->urls);
	tgt_valgrind_opts();
	fflush(NULL);
	w->pid = fork();
	if (w->pid < 0)
		return -1;
	if (w->pid == 0) {
		if (!getenv("FH_VERBOSE"))
			freopen("/dev/null", "w", stdout), freopen("/dev/null", "w", stderr);
		if (pt_pg_upstream[0])
			execl(bin, bin, "world", "--plugin-dir", pt_plugin_dir(), "--config", "conf.d", "--config",
			      "plugins/pipeline/tests/world.ini", "--urls-file", w->urls, "--pg-upstream", pt_pg_upstream,
			      "-q", (char *)NULL);
		else
			execl(bin, bin, "world", "--plugin-dir", pt_plugin_dir(), "--config", "conf.d", "--config",
			      "plugins/pipeline/tests/world.ini", "--urls-file", w->urls, "-q", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 300; i++) {
		json_t *j = json_load_file(w->urls, 0, NULL);
		const char *ctl = json_string_value(json_object_get(j, "control"));
		json_t *st = json_object_get(j, "standins");
		if (ctl && json_object_get(st, "telnyx") && json_object_get(st, "stt_deepgram")) {
			snprintf(w->control, sizeof(w->control), "%s", ctl);
			w->standins = json_incref(st);
			json_decref(j);
			return 0;
		}
		json_decref(j);
		if (waitpid(w->pid, NULL, WNOHANG) == w->pid) {
			fprintf(stderr, "world exited early (%s)\n", bin);
			w->pid = 0;
			return -1;
		}
		tgt_sleep_ms(50);
	}
	fprintf(stderr, "world did not write %s\n", w->urls);
	return -1;
}

static inline void pt_world_stop(struct pt_world *w)
{
	if (w->pid > 0) {
		kill(w->pid, SIGTERM);
		waitpid(w->pid, NULL, 0);
		w->pid = 0;
	}
	json_decref(w->standins);
	w->standins = NULL;
	unlink(w->urls);
}

/* The reference agent on the world, as the hermetic profile launches it.
 * faults: AGENT_FAULTS; extra: one more NAME=VALUE or NULL. */
static inline int pt_agent_start(struct tgt *t, const struct pt_world *w, const struct pt_key *k, const char *faults,
				 const char *extra)
{
	static char env[32][1400];
	char *envp[33];
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
	PT_ENV("TELNYX_API_KEY=KEYvstressdummy");
	PT_ENV("TELNYX_API_BASE=%s/v2", pt_standin(w, "telnyx", "http"));
	PT_ENV("OPENAI_API_KEY=sk-vstress-dummy");
	PT_ENV("OPENAI_BASE_URL=%s/v1", pt_standin(w, "llm_openai", "http"));
	PT_ENV("GEMINI_API_KEY=vstress-dummy");
	PT_ENV("GOOGLE_GEMINI_BASE_URL=%s", pt_standin(w, "llm_gemini", "http"));
	PT_ENV("ANTHROPIC_API_KEY=sk-ant-vstress-dummy");
	PT_ENV("ANTHROPIC_BASE_URL=%s", pt_standin(w, "llm_anthropic", "http"));
	PT_ENV("DEEPGRAM_API_KEY=vstress-dummy");
	PT_ENV("DEEPGRAM_BASE_URL=%s", pt_standin(w, "stt_deepgram", "ws"));
	PT_ENV("CARTESIA_API_KEY=vstress-dummy");
	PT_ENV("CARTESIA_BASE_URL=%s/tts/websocket", pt_standin(w, "tts_cartesia", "ws"));
	PT_ENV("ELEVENLABS_API_KEY=vstress-dummy");
	PT_ENV("ELEVENLABS_BASE_URL=%s", pt_standin(w, "tts_elevenlabs", "ws"));
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
	snprintf(cmd, sizeof(cmd), "exec curl -s -o /dev/null -w '%%{http_code}' -X %s %s%s%s%s%s > /tmp/vs-plt-%d.code",
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

static inline void pt_dump(struct fakehost *fh)
{
	for (size_t i = 0; i < fh_check_count(fh); i++) {
		const char *n, *m;
		int st;
		fh_check_at(fh, i, &n, &st, &m);
		fprintf(stderr, "  %s %s: %s\n", st == VS_CHECK_PASS ? "pass" : st == VS_CHECK_FAIL ? "FAIL" : "skip", n, m);
	}
	fprintf(stderr, "  reason: %s\n", fh_reason(fh) ? fh_reason(fh) : "");
}

/* The plugin aimed at agent + world. */
static inline struct fakehost *pt_host(const struct tgt *t, const struct pt_world *w, const struct pt_key *k,
				       const char *scripts, const char *calls)
{
	struct fakehost *fh = fh_new("pipeline");
	char pid[32];

	assert_non_null(fh);
	assert_int_equal(fh_load(fh, pt_so("pipeline")), 0);
	snprintf(pid, sizeof(pid), "%d", (int)t->pid);
	fh_set_opt(fh, "base_url", t->url);
	fh_set_opt(fh, "provision", "true"); /* as [pipeline:hermetic] */
	fh_set_opt(fh, "control_url", w->control);
	fh_set_opt(fh, "signing_seed", k->seed_b64);
	fh_set_opt(fh, "db_url", tgt_db_url);
	fh_set_opt(fh, "target_pid", pid);
	fh_set_opt(fh, "scripts", scripts);
	fh_set_opt(fh, "calls", calls);
	fh_set_deadline_ms(fh, 150000);
	return fh;
}

#define assert_check(fh, name, status)                                                                      \
	do {                                                                                                \
		int st_ = fh_check_status((fh), (name));                                                    \
		if (st_ != (status)) {                                                                      \
			pt_dump(fh);                                                                        \
			fail_msg("check %s: status %d, expected %d (%s)", (name), st_, (status),           \
				 fh_check_message((fh), (name)) ? fh_check_message((fh), (name)) : "absent"); \
		}                                                                                           \
	} while (0)

#define assert_message_has(fh, name, text)                                                                 \
	do {                                                                                               \
		const char *m_ = fh_check_message((fh), (name));                                           \
		if (!m_ || !strstr(m_, (text))) {                                                          \
			pt_dump(fh);                                                                       \
			fail_msg("check %s: message '%s' lacks '%s'", (name), m_ ? m_ : "(absent)", (text)); \
		}                                                                                          \
	} while (0)

#endif
