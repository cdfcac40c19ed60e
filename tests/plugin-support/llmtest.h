/* Helpers of the llm_* plugin tests: the REAL world (`vstress world`) as a
 * subprocess serving one stand-in, its URLs, and the plugin in a fake host
 * pointed at it.  The world runs outside valgrind (VALGRIND_OPTS skip).
 *   VSTRESS_TEST_PLUGIN_DIR  the built plugins (default build/plugins)
 *   VSTRESS_TEST_BIN         the vstress binary (default <plugin dir>/../vstress) */
#ifndef VSTRESS_LLMTEST_H
#define VSTRESS_LLMTEST_H

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "fakehost.h"
#include "fh_assert.h"
#include "fh_world.h"
#include "vstress/probe/llm_probe.h"

struct lt_world {
	pid_t pid;
	char urls[256];
	char control[128];
	char http[128];
};

#define lt_so fh_so

/* Starts `vstress world --only standin` on ephemeral ports; 0 or -1. */
static inline int lt_world_start(struct lt_world *w, const char *standin)
{
	const char *extra[] = {"--only", standin, NULL};
	json_t *urls;

	memset(w, 0, sizeof(*w));
	snprintf(w->urls, sizeof(w->urls), "/tmp/vstress-llmtest-%d-%s.json", (int)getpid(), standin);
	w->pid = fh_world_spawn(w->urls, extra, standin, &urls);
	if (w->pid < 0) {
		w->pid = 0;
		return -1;
	}
	snprintf(w->control, sizeof(w->control), "%s", json_string_value(json_object_get(urls, "control")));
	snprintf(w->http, sizeof(w->http), "%s",
		 json_string_value(json_object_get(json_object_get(json_object_get(urls, "standins"), standin), "http")));
	json_decref(urls);
	return 0;
}

static inline void lt_world_stop(struct lt_world *w)
{
	fh_world_kill(&w->pid, w->urls);
}

/* The plugin aimed at the world's stand-in, quick test settings. */
static inline struct fakehost *lt_host(const char *plugin, const struct lt_world *w, const char *key)
{
	struct fakehost *fh = fh_loaded(plugin, lt_so(plugin));
	fh_set_opt(fh, "base_url", w->http);
	fh_set_opt(fh, "control_url", w->control);
	fh_set_opt(fh, "api_key", key);
	fh_set_opt(fh, "requests", "12");
	fh_set_opt(fh, "concurrency", "12");
	fh_set_opt(fh, "rate", "100");
	fh_set_opt(fh, "request_timeout", "5s");
	fh_set_opt(fh, "prices", "conf.d/prices.ini");
	if (!strcmp(plugin, "llm_anthropic")) /* its tests turn the suite on where they want it */
		fh_set_opt(fh, "adversarial", "");
	fh_set_deadline_ms(fh, 60000);
	return fh;
}

/* The probe with faults: a clean pass (all ok), then the faulted pass
 * (timeout: its fault_request_timeout); returns the host for more asserts. */
static inline struct fakehost *lt_faulted(const char *plugin, const struct lt_world *w, const char *key,
					  const char *faults, const char *timeout)
{
	struct fakehost *fh = lt_host(plugin, w, key);
	fh_set_opt(fh, "faults", faults);
	if (timeout)
		fh_set_opt(fh, "fault_request_timeout", timeout);
	int rc = fh_run(fh);
	if (rc != VS_OK) {
		fh_dump(fh);
		fail_msg("run rc %d under faults %s", rc, faults);
	}
	assert_check(fh, "responses_ok", VS_CHECK_PASS); /* the clean pass saw no fault */
	assert_check(fh, "faults.classified", VS_CHECK_PASS);
	return fh;
}

/* Requests of a class: clean pass (lt_class), faulted pass (lt_fclass). */
static inline int64_t lt_class(struct fakehost *fh, const char *cls)
{
	char n[64];
	snprintf(n, sizeof(n), "requests_%s", cls);
	return fh_counter(fh, n);
}

static inline int64_t lt_fclass(struct fakehost *fh, const char *cls)
{
	char n[64];
	snprintf(n, sizeof(n), "faults.requests_%s", cls);
	return fh_counter(fh, n);
}

/* No fault left behind in the world. */
static inline void lt_no_faults_left(const struct lt_world *w)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "curl -s -H \"Authorization: Bearer $VSTRESS_WORLD_TOKEN\" %s/_vstress/faults | grep -q '\"data\": *\\[\\]'", w->control);
	assert_int_equal(system(cmd), 0);
}

/* Clean and faulted passes in one run: 12 clean requests, then 16 under
 * 50% 500 and 30% stall.  Both passes' checks are there and pass; the
 * clean metrics and counters hold only the clean requests; the artifact
 * marks each request's pass. */
static inline void lt_two_passes(const char *plugin, const struct lt_world *w, const char *key, const char *provider)
{
	struct fakehost *fh = lt_host(plugin, w, key);
	fh_set_opt(fh, "faults", "error:status=500:rate=0.5, stall:rate=0.3");
	fh_set_opt(fh, "fault_requests", "16");
	fh_set_opt(fh, "fault_concurrency", "16");
	fh_set_opt(fh, "fault_rate", "0");
	fh_set_opt(fh, "fault_request_timeout", getenv("VSTRESS_SLOW_RUNTIME") ? "4s" : "1500ms");
	if (fh_run(fh) != VS_OK) {
		fh_dump(fh);
		fail_msg("run failed");
	}
	static const char *const clean[] = {"responses_ok", "ttft_p95", "respond_within", "usage_present",
					    "cost_computed"};
	for (size_t i = 0; i < sizeof(clean) / sizeof(clean[0]); i++) {
		char f[64];
		assert_check(fh, clean[i], VS_CHECK_PASS);
		snprintf(f, sizeof(f), "faults.%s", clean[i]);
		if (i) /* the faulted pass has no responses_ok */
			assert_check(fh, f, VS_CHECK_PASS);
	}
	assert_int_equal(fh_check_status(fh, "faults.responses_ok"), -1);
	assert_int_equal(fh_check_status(fh, "classified"), -1);
	assert_check(fh, "faults.classified", VS_CHECK_PASS);
	assert_check(fh, "faults.fault_1_server_error", VS_CHECK_PASS);
	assert_check(fh, "faults.fault_2_timeout", VS_CHECK_PASS);
	/* clean figures: the 12 clean requests only */
	assert_int_equal(fh_counter(fh, "requests"), 12);
	assert_int_equal(lt_class(fh, "ok"), 12);
	assert_int_equal(lt_class(fh, "server_error") + lt_class(fh, "timeout"), 0);
	assert_int_equal(fh_metric_count(fh, "ttft"), 12);
	assert_int_equal(fh_metric_count(fh, "latency"), 12);
	/* faulted figures apart */
	int64_t fok = lt_fclass(fh, "ok"), f500 = lt_fclass(fh, "server_error"), fto = lt_fclass(fh, "timeout");
	assert_int_equal(fh_counter(fh, "faults.requests"), 16);
	assert_int_equal(fok + f500 + fto, 16);
	assert_true(f500 > 0 && fto > 0 && fok > 0);
	assert_int_equal(fh_metric_count(fh, "latency_faults"), (size_t)fok);
	/* the artifact: every request with its pass */
	char path[700];
	snprintf(path, sizeof(path), "%s/llm_results_%s.json", fh_artifact_dir(fh), provider);
	json_t *doc = json_load_file(path, 0, NULL), *r;
	size_t i, nclean = 0, nf = 0;
	assert_non_null(doc);
	json_array_foreach(json_object_get(doc, "requests"), i, r)
	{
		const char *pass = json_string_value(json_object_get(r, "pass"));
		assert_non_null(pass);
		nclean += !strcmp(pass, "clean");
		nf += !strcmp(pass, "faults");
	}
	assert_int_equal(nclean, 12);
	assert_int_equal(nf, 16);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "summary"), "requests")), 12);
	assert_int_equal(json_array_size(json_object_get(json_object_get(doc, "summary"), "faults")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "summary_faults"), "requests")), 16);
	assert_int_equal(json_array_size(json_object_get(json_object_get(doc, "summary_faults"), "faults")), 2);
	json_decref(doc);
	fh_free(fh);
	lt_no_faults_left(w);
}

/* An empty result for the wire parser tests: no class yet (-1). */
static inline struct llm_result lt_fresh(void)
{
	struct llm_result r;
	memset(&r, 0, sizeof(r));
	r.cls = -1;
	return r;
}

/* r ended cleanly (done, unclassified) with these token counts and text;
 * then freed. */
static inline void lt_assert_finished(struct llm_result *r, long tokens_in, long tokens_out, const char *text)
{
	assert_int_equal(r->done, 1);
	assert_int_equal(r->cls, -1);
	assert_int_equal(r->tokens_in, tokens_in);
	assert_int_equal(r->tokens_out, tokens_out);
	assert_string_equal(r->text, text);
	llm_result_free(r);
}

/* error_body (a wire's HTTP error parser) on status and body classifies it
 * cls, with msg_has in the message when given. */
static inline void lt_assert_error(void (*error_body)(struct llm_result *r, long status, const char *body, size_t len),
				   long status, const char *body, int cls, const char *msg_has)
{
	struct llm_result r = lt_fresh();
	error_body(&r, status, body, strlen(body));
	assert_int_equal(r.cls, cls);
	if (msg_has)
		assert_non_null(strstr(r.msg, msg_has));
	llm_result_free(&r);
}

/* An in-stream error (data fed to a wire's stream parser) is a server
 * error named "in-stream". */
static inline void lt_assert_instream(void (*feed)(struct llm_result *r, const char *data), const char *data)
{
	struct llm_result r = lt_fresh();
	feed(&r, data);
	assert_int_equal(r.cls, LLM_SERVER_ERROR);
	assert_non_null(strstr(r.msg, "in-stream"));
	llm_result_free(&r);
}

/* conf.d/prices.ini's price of provider's model (the test fails when it
 * has none). */
static inline struct llm_price lt_price(const char *provider, const char *model)
{
	struct llm_price pr;
	char err[300];

	if (llm_prices_load("conf.d/prices.ini", provider, model, &pr, err, sizeof(err)) != 0)
		fail_msg("no price for %s %s: %s", provider, model, err);
	return pr;
}

#endif
