/* Unit tests of the world's pure parts: route patterns, fault table and
 * draws, INI reading, durations, scripted dialogue, the timer heap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "world/conn.h"
#include "world/internal.h"


static const char *param(const struct vs_wreq *rq, const char *k)
{
	for (int i = 0; i < rq->nparam; i++)
		if (!strcmp(rq->param[i].k, k))
			return rq->param[i].v;
	return NULL;
}

static void free_params(struct vs_wreq *rq)
{
	for (int i = 0; i < rq->nparam; i++) {
		free(rq->param[i].k);
		free(rq->param[i].v);
	}
	rq->nparam = 0;
}

static void test_route_literal(void **st)
{
	(void)st;
	assert_true(w_route_match("/v1/chat/completions", "/v1/chat/completions", NULL));
	assert_true(w_route_match("/v1/chat/completions", "/v1/chat/completions/", NULL));
	assert_false(w_route_match("/v1/chat/completions", "/v1/chat/completion", NULL));
	assert_false(w_route_match("/v1/chat", "/v1/chat/completions", NULL));
}

static void test_route_captures(void **st)
{
	(void)st;
	struct vs_wreq rq;
	memset(&rq, 0, sizeof rq);
	assert_true(w_route_match("/v2/calls/{id}/actions/{action}", "/v2/calls/v3:abc-1/actions/answer", &rq));
	assert_string_equal(param(&rq, "id"), "v3:abc-1");
	assert_string_equal(param(&rq, "action"), "answer");
	free_params(&rq);
	assert_true(w_route_match("/v1beta/models/{model}:streamGenerateContent",
				  "/v1beta/models/gemini-2.5-flash:streamGenerateContent", &rq));
	assert_string_equal(param(&rq, "model"), "gemini-2.5-flash");
	free_params(&rq);
	assert_false(w_route_match("/v1beta/models/{model}:generateContent",
				   "/v1beta/models/gemini-2.5-flash:streamGenerateContent", &rq));
	assert_int_equal(rq.nparam, 0); /* no captures left behind on failure */
	assert_true(w_route_match("/files/{rest*}", "/files/a/b/c", &rq));
	assert_string_equal(param(&rq, "rest"), "a/b/c");
	free_params(&rq);
	assert_false(w_route_match("/v2/calls/{id}", "/v2/calls/", NULL));
}

static void test_parse_ms(void **st)
{
	(void)st;
	double v;
	assert_int_equal(w_parse_ms("250", &v), 0);
	assert_true(v == 250);
	assert_int_equal(w_parse_ms("2s", &v), 0);
	assert_true(v == 2000);
	assert_int_equal(w_parse_ms("1.5m", &v), 0);
	assert_true(v == 90000);
	assert_int_equal(w_parse_ms("15ms", &v), 0);
	assert_true(v == 15);
	assert_int_equal(w_parse_ms("fast", &v), -1);
	assert_int_equal(w_parse_ms("3h", &v), -1);
}

static void test_fault_json_validation(void **st)
{
	(void)st;
	struct wfaults fs;
	memset(&fs, 0, sizeof fs);
	char err[256];
	json_t *j = json_pack("{s:s,s:s}", "target", "openai", "kind", "explode");
	assert_int_equal(wfault_from_json(&fs, j, "api", err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown fault kind"));
	json_decref(j);
	j = json_pack("{s:s,s:s,s:f}", "target", "openai", "kind", "error", "rate", 1.5);
	assert_int_equal(wfault_from_json(&fs, j, "api", err, sizeof err), -1);
	json_decref(j);
	j = json_pack("{s:s,s:s,s:i}", "target", "openai", "kind", "error", "status", 42);
	assert_int_equal(wfault_from_json(&fs, j, "api", err, sizeof err), -1);
	json_decref(j);
	j = json_pack("{s:s}", "kind", "error");
	assert_int_equal(wfault_from_json(&fs, j, "api", err, sizeof err), -1);
	json_decref(j);
	assert_int_equal(fs.n, 0);
	free(fs.f);
}

/* body_has: the fault fires only for a request whose body holds the text
 * (one tenant's traffic); never at connect or without a body; refused for
 * the connection kinds. */
static void test_fault_body_has(void **st)
{
	(void)st;
	struct wfaults fs;
	memset(&fs, 0, sizeof fs);
	char err[256];
	json_t *j = json_pack("{s:s,s:s,s:i,s:s}", "target", "openai", "kind", "error", "status", 500, "body_has",
			      "[tenant-B]");
	assert_int_equal(wfault_from_json(&fs, j, "api", err, sizeof err), 0);
	json_decref(j);
	struct wfault_hit h;
	const char *b = "{\"messages\":[{\"content\":\"prompt [tenant-B]\"}]}", *a = "{\"content\":\"prompt [tenant-A]\"}";
	assert_true(wfaults_draw_req(&fs, "llm_openai", "openai", b, strlen(b), &h));
	assert_int_equal(h.error_status, 500);
	assert_false(wfaults_draw_req(&fs, "llm_openai", "openai", a, strlen(a), &h));
	assert_false(wfaults_draw_req(&fs, "llm_openai", "openai", NULL, 0, &h));
	assert_false(wfaults_draw(&fs, "llm_openai", "openai", 0, &h));
	j = wfaults_to_json(&fs);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "body_has")), "[tenant-B]");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 0), "hits")), 1);
	json_decref(j);
	j = json_pack("{s:s,s:s,s:s}", "target", "openai", "kind", "refuse", "body_has", "x");
	assert_int_equal(wfault_from_json(&fs, j, "api", err, sizeof err), -1);
	assert_non_null(strstr(err, "body_has scopes requests"));
	json_decref(j);
	free(fs.f);
}

static void test_fault_draw_kinds(void **st)
{
	(void)st;
	struct wfaults fs;
	memset(&fs, 0, sizeof fs);
	char err[256];
	json_t *j = json_pack("[{s:s,s:s,s:i,s:i},{s:s,s:s,s:f},{s:s,s:s,s:i},{s:s,s:s}]", "target", "llm_openai",
			      "kind", "error", "status", 429, "after_messages", 2, "target", "openai", "kind", "latency",
			      "ms", 100.0, "target", "openai", "kind", "reset", "after_bytes", 10, "target", "openai", "kind",
			      "refuse");
	size_t i;
	json_t *f;
	json_array_foreach(j, i, f)
		assert_int_equal(wfault_from_json(&fs, f, "api", err, sizeof err), 0);
	json_decref(j);
	struct wfault_hit h;
	assert_true(wfaults_draw(&fs, "llm_openai", "openai", 0, &h));
	assert_int_equal(h.error_status, 429);
	assert_int_equal(h.error_after_msgs, 2);
	assert_true(h.latency_ms == 100.0);
	assert_int_equal(h.reset_after_bytes, 10);
	assert_int_equal(h.refuse, 0); /* refuse is drawn at connect only */
	assert_true(wfaults_draw(&fs, "llm_openai", "openai", 1, &h));
	assert_int_equal(h.refuse, 1);
	assert_true(wfaults_refusing(&fs, "llm_openai", "openai"));
	assert_false(wfaults_draw(&fs, "tts_cartesia", "cartesia", 0, &h));
	assert_int_equal(wfaults_delete(&fs, "openai", 0), 3);
	assert_int_equal(fs.n, 1);
	free(fs.f);
}

/* The mid-stream WebSocket faults: long names, stall after N, refuse_for. */
static void test_fault_midstream(void **st)
{
	(void)st;
	struct wfaults fs;
	memset(&fs, 0, sizeof fs);
	char err[256];
	json_t *j = json_pack("{s:s,s:i,s:i,s:s}", "target", "deepgram", "close_after_messages", 2, "close_code", 1011,
			      "refuse_for", "3s");
	assert_int_equal(wfault_from_json(&fs, j, "api", err, sizeof err), 0);
	json_decref(j);
	assert_int_equal(fs.f[0].kind, WF_CLOSE);
	assert_int_equal(fs.f[0].after_messages, 2);
	assert_true(fs.f[0].refuse_for_ms == 3000.0);
	j = json_pack("{s:s,s:i}", "target", "elevenlabs", "stall_after", 4);
	assert_int_equal(wfault_from_json(&fs, j, "api", err, sizeof err), 0);
	json_decref(j);
	j = json_pack("{s:s,s:i}", "target", "cartesia", "error_frame_after", 1);
	assert_int_equal(wfault_from_json(&fs, j, "api", err, sizeof err), 0);
	json_decref(j);
	assert_int_equal(fs.f[2].kind, WF_ERROR);
	assert_int_equal(fs.f[2].status, 500);
	/* refused: a long name under another kind, two long names, refuse_for on latency or not a duration */
	j = json_pack("{s:s,s:s,s:i}", "target", "cartesia", "kind", "close", "stall_after", 1);
	assert_int_equal(wfault_from_json(&fs, j, "api", err, sizeof err), -1);
	assert_non_null(strstr(err, "stall_after belongs to kind stall"));
	json_decref(j);
	j = json_pack("{s:s,s:i,s:i}", "target", "cartesia", "stall_after", 1, "error_frame_after", 1);
	assert_int_equal(wfault_from_json(&fs, j, "api", err, sizeof err), -1);
	json_decref(j);
	j = json_pack("{s:s,s:s,s:f,s:s}", "target", "cartesia", "kind", "latency", "ms", 5.0, "refuse_for", "1s");
	assert_int_equal(wfault_from_json(&fs, j, "api", err, sizeof err), -1);
	json_decref(j);
	j = json_pack("{s:s,s:i,s:s}", "target", "cartesia", "stall_after", 1, "refuse_for", "soon");
	assert_int_equal(wfault_from_json(&fs, j, "api", err, sizeof err), -1);
	assert_non_null(strstr(err, "refuse_for"));
	json_decref(j);
	assert_int_equal(fs.n, 3);

	struct wfault_hit h;
	assert_true(wfaults_draw(&fs, "stt_deepgram", "deepgram", 0, &h));
	assert_int_equal(h.close_after_msgs, 2);
	assert_int_equal(h.close_code, 1011);
	assert_true(h.refuse_for_ms == 3000.0);
	assert_string_equal(h.refuse_target, "deepgram");
	assert_true(wfaults_draw(&fs, "tts_elevenlabs", "elevenlabs", 0, &h));
	assert_int_equal(h.stall, 1);
	assert_int_equal(h.stall_after_msgs, 4);
	assert_true(wfaults_draw(&fs, "tts_cartesia", "cartesia", 0, &h));
	assert_int_equal(h.error_after_msgs, 1);
	/* the fired fault's refusal window */
	assert_false(wfaults_refusing(&fs, "stt_deepgram", "deepgram"));
	assert_int_equal(wfaults_refuse_for(&fs, "deepgram", 3000.0), 0);
	assert_true(wfaults_refusing(&fs, "stt_deepgram", "deepgram"));
	assert_false(wfaults_refusing(&fs, "tts_cartesia", "cartesia"));
	assert_string_equal(fs.f[3].origin, "refuse_for");
	assert_true(fs.f[3].end_ms - fs.f[3].start_ms == 3000);
	free(fs.f);
}

static void test_fault_rate_seeded(void **st)
{
	(void)st;
	int counts[2];
	for (int run = 0; run < 2; run++) {
		struct wfaults fs;
		memset(&fs, 0, sizeof fs);
		fs.seed = 42;
		char err[256];
		json_t *j = json_pack("{s:s,s:s,s:f}", "target", "x", "kind", "stall", "rate", 0.25);
		assert_int_equal(wfault_from_json(&fs, j, "api", err, sizeof err), 0);
		json_decref(j);
		struct wfault_hit h;
		counts[run] = 0;
		for (int k = 0; k < 4000; k++)
			counts[run] += wfaults_draw(&fs, "x", "", 0, &h) && h.stall;
		free(fs.f);
	}
	assert_int_equal(counts[0], counts[1]); /* same seed, same draws */
	assert_int_equal(counts[0], 1000);     /* stratified: exactly n * rate */
}

/* One hit per block of 1/rate requests: after n requests the count is
 * floor(n*rate) or ceil(n*rate), never 0 once n >= 1/rate; positions are
 * replayable per seed and differ between seeds. */
static void test_fault_rate_stratified(void **st)
{
	static const double rates[] = {0.1, 0.25, 0.3, 0.02, 0.9, 0.5};
	(void)st;
	for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
		char pos[3][200];
		for (int run = 0; run < 3; run++) {
			struct wfaults fs;
			struct wfault_hit h;
			char err[256];
			long hits = 0;
			json_t *j = json_pack("{s:s,s:s,s:f}", "target", "x", "kind", "stall", "rate", rates[r]);
			memset(&fs, 0, sizeof fs);
			fs.seed = run == 2 ? 7 : 42;
			assert_int_equal(wfault_from_json(&fs, j, "api", err, sizeof err), 0);
			json_decref(j);
			for (int n = 1; n <= 200; n++) {
				pos[run][n - 1] = (char)wfaults_draw(&fs, "x", "", 0, &h);
				hits += pos[run][n - 1];
				if (hits < (long)floor(n * rates[r] - 1e-9) || hits > (long)ceil(n * rates[r] + 1e-9))
					fail_msg("rate %.2f: %ld hits after %d requests", rates[r], hits, n);
				if (n * rates[r] >= 1.0 - 1e-9 && hits == 0)
					fail_msg("rate %.2f: no hit in the first %d requests", rates[r], n);
			}
			free(fs.f);
		}
		assert_memory_equal(pos[0], pos[1], sizeof pos[0]);
		if (rates[r] <= 0.3)
			assert_memory_not_equal(pos[0], pos[2], sizeof pos[0]);
	}
}

static void test_fault_max_hits_and_window(void **st)
{
	(void)st;
	struct wfaults fs;
	memset(&fs, 0, sizeof fs);
	char err[256];
	json_t *j = json_pack("{s:s,s:s,s:i}", "target", "x", "kind", "stall", "max_hits", 2);
	assert_int_equal(wfault_from_json(&fs, j, "api", err, sizeof err), 0);
	json_decref(j);
	j = json_pack("{s:s,s:s,s:i}", "target", "y", "kind", "stall", "window_ms", 50);
	assert_int_equal(wfault_from_json(&fs, j, "api", err, sizeof err), 0);
	json_decref(j);
	struct wfault_hit h;
	assert_true(wfaults_draw(&fs, "x", "", 0, &h));
	assert_true(wfaults_draw(&fs, "x", "", 0, &h));
	assert_false(wfaults_draw(&fs, "x", "", 0, &h));
	assert_true(wfaults_draw(&fs, "y", "", 0, &h));
	usleep(80000);
	assert_false(wfaults_draw(&fs, "y", "", 0, &h));
	free(fs.f);
}

static char *write_tmp(const char *text)
{
	static char path[64];
	snprintf(path, sizeof path, "/tmp/vs_world_test_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_conf_and_manifest_faults(void **st)
{
	(void)st;
	/* the entries as the core hands them over (world/main.h) */
	static const char *const ents[][3] = {
		{"world", "seed", "3"}, {"world", "fault.slow.target", "cartesia"}, {"world", "fault.slow.kind", "latency"},
		{"world", "fault.slow.ms", "2s"}, {"llm_openai", "ttft_ms", "100"}, {"llm_openai", "fault.kind", "error"},
		{"llm_openai", "fault.status", "503"}, {"llm_openai", "fault.rate", "0.5"}};
	struct wconf c;
	memset(&c, 0, sizeof c);
	for (size_t i = 0; i < sizeof ents / sizeof *ents; i++)
		assert_int_equal(wconf_add(&c, ents[i][0], ents[i][1], ents[i][2]), 0);
	assert_string_equal(wconf_get(&c, "world", "seed"), "3");
	assert_string_equal(wconf_get(&c, "llm_openai", "ttft_ms"), "100");
	assert_string_equal(wconf_get(&c, "world", "fault.slow.ms"), "2s");
	assert_null(wconf_get(&c, "world", "nothing"));
	struct wfaults fs;
	memset(&fs, 0, sizeof fs);
	char err[256];
	assert_int_equal(wfaults_from_conf(&fs, &c, err, sizeof err), 0);
	assert_int_equal(fs.n, 2);
	int seen = 0;
	for (size_t i = 0; i < fs.n; i++) {
		if (fs.f[i].kind == WF_LATENCY) {
			assert_string_equal(fs.f[i].target, "cartesia");
			assert_true(fs.f[i].ms == 2000);
			seen |= 1;
		} else {
			assert_string_equal(fs.f[i].target, "llm_openai");
			assert_int_equal(fs.f[i].status, 503);
			assert_true(fs.f[i].rate == 0.5);
			seen |= 2;
		}
	}
	assert_int_equal(seen, 3);
	free(fs.f);
	wconf_free(&c);
}

/* A dialogue file read the way the world reads it (wdialogue_load, lib/ini). */
static struct wdialogue *dialogue_of(const char *text, char *err, size_t errlen)
{
	char *p = write_tmp(text);
	struct wdialogue *d = wdialogue_load(p, err, errlen);
	unlink(p);
	return d;
}

static void test_dialogue(void **st)
{
	(void)st;
	char err[256];
	struct wdialogue *d = dialogue_of("[dialogue]\ndefault = Pardon?\ngreeting = Hi, Acme here.\n"
					  "[rule:hours]\nmatch = opening hours|open\nreply = Nine to five.\n"
					  "[rule:book]\nregex = (book|make).*appointment\nreply = Which day?\n"
					  "[rule:weather]\nmatch = weather\ntool = get_weather\nargs = {\"city\":\"Paris\"}\n",
					  err, sizeof err);
	assert_non_null(d);
	struct vs_reply r;
	wdialogue_reply(d, "When are you OPEN?", &r);
	assert_string_equal(r.text, "Nine to five.");
	assert_string_equal(r.rule, "hours");
	wdialogue_reply(d, "I'd like to Book an appointment", &r);
	assert_string_equal(r.text, "Which day?");
	wdialogue_reply(d, "how is the weather", &r);
	assert_string_equal(r.tool, "get_weather");
	assert_string_equal(r.tool_args, "{\"city\":\"Paris\"}");
	wdialogue_reply(d, "something else", &r);
	assert_string_equal(r.text, "Pardon?");
	assert_string_equal(r.rule, "default");
	assert_null(r.tool);
	wdialogue_reply(d, "", &r);
	assert_string_equal(r.text, "Hi, Acme here.");
	wdialogue_free(d);
	assert_null(dialogue_of("[rule:bad]\nregex = (unclosed\n", err, sizeof err));
	/* Patterns glibc would expand into gigabytes are refused by name
	 * (found by fuzz_dialogue: tests/fuzz/corpus/dialogue/oom-*). */
	static const char *costly[] = {"(b++++++++++++++++++++++++++++++)", "((a{200}){200})", "x{1,9999}",
				       "(a)\\1", "((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+",
				       /* empty alternatives: glibc's matcher takes minutes */
				       "((a|||||}){40,})", "(|a)", "a|"};
	for (size_t i = 0; i < sizeof costly / sizeof *costly; i++) {
		char text[256];
		snprintf(text, sizeof text, "[rule:costly]\nregex = %s\nreply = no\n", costly[i]);
		err[0] = '\0';
		assert_null(dialogue_of(text, err, sizeof err));
		assert_non_null(strstr(err, "rule costly: regex too costly"));
	}
	/* ordinary ones still load */
	d = dialogue_of("[rule:ok]\nregex = ^(yes|yeah|sure)[[:space:]!.]*$|book.{0,40}table|a{2,5}b+c*\nreply = ok\n",
			err, sizeof err);
	assert_non_null(d);
	wdialogue_reply(d, "I want to book a big table", &r);
	assert_string_equal(r.rule, "ok");
	wdialogue_free(d);
	/* a reply far longer than inih's own line buffer arrives whole */
	char *text = malloc(6100), *reply = malloc(6001);
	memset(reply, 'x', 6000);
	reply[6000] = '\0';
	snprintf(text, 6100, "[rule:long]\nmatch = long\nreply = %s\n", reply);
	d = dialogue_of(text, err, sizeof err);
	assert_non_null(d);
	wdialogue_reply(d, "a long one", &r);
	assert_string_equal(r.text, reply);
	wdialogue_free(d);
	free(text);
	free(reply);
}

struct fired {
	struct world *W;
	long ids[128];
	int n;
	long cancel_in_cb; /* a timer the first callback cancels */
	int added_in_cb;
};

static void on_timer(struct world *W, struct wconn *c, void *a1, void *a2)
{
	struct fired *f = a1;
	(void)c;
	f->ids[f->n++] = (long)(intptr_t)a2;
	if (f->cancel_in_cb) { /* re-entrancy: cancel a pending one, add one due now */
		world_timer_cancel(W, f->cancel_in_cb);
		f->cancel_in_cb = 0;
		f->added_in_cb = 1;
		world_timer_add(W, NULL, 0, on_timer, f, (void *)(intptr_t)(W->next_timer + 1));
	}
}

static long add_t(struct world *W, struct fired *f, struct wconn *c, uint64_t delay)
{
	return world_timer_add(W, c, delay, on_timer, f, (void *)(intptr_t)(W->next_timer + 1));
}

/* Timers fire in (due, id) order once due; cancelled ones, those dropped
 * with their connection and those of a dead connection never fire; a
 * callback may cancel and add timers. */
static void test_timer_heap(void **st)
{
	struct world W;
	struct fired f = {.W = &W};
	struct wconn a = {0}, b = {.dead = 1};
	uint64_t due[200] = {0};
	int cancelled[200] = {0}, dropped[200] = {0};
	long first;
	(void)st;

	assert_int_equal(world_init(&W), 0);
	for (int i = 0; i < 40; i++) {
		long id = add_t(&W, &f, NULL, (uint64_t)((i * 7919) % 37));
		assert_true(id > 0 && id < 200);
		due[id] = W.theap[W.tbyid[id % W_TIMER_BUCKETS]->hidx]->due;
		if (i % 5 == 0) {
			world_timer_cancel(&W, id);
			cancelled[id] = 1;
		}
	}
	for (int i = 0; i < 3; i++) {
		dropped[add_t(&W, &f, &a, 5)] = 1;
		dropped[add_t(&W, &f, &b, 5)] = 1; /* dead connection */
	}
	world_timers_drop_conn(&W, &a);
	assert_int_equal(W.ntimers, 32 + 3);
	/* the earliest live timer cancels the latest one and adds one */
	first = W.theap[0]->id;
	f.cancel_in_cb = W.next_timer - 6; /* the 40th timer (i = 39: not cancelled above) */
	assert_false(cancelled[f.cancel_in_cb]);
	usleep(60 * 1000);
	world_timers_run(&W);
	/* the one added in the callback is due at its own "now": a later run
	 * fires it when the clock moved on meanwhile (slow runs: valgrind) */
	for (int k = 0; k < 20 && W.ntimers; k++) {
		usleep(10 * 1000);
		world_timers_run(&W);
	}
	assert_int_equal(W.ntimers, 0);
	assert_int_equal(world_timers_next(&W), 0);
	assert_true(f.added_in_cb);
	/* expected: the 31 live null-connection timers left by (due, id), then
	 * the one the first callback added (due 60 ms after the others) */
	{
		long exp[64];
		int ne = 0;
		cancelled[40] = 1; /* by the first callback */
		for (long id = 1; id <= 40; id++) {
			int k = ne++;
			if (cancelled[id]) {
				ne--;
				continue;
			}
			while (k > 0 && (due[exp[k - 1]] > due[id] || (due[exp[k - 1]] == due[id] && exp[k - 1] > id))) {
				exp[k] = exp[k - 1];
				k--;
			}
			exp[k] = id;
		}
		assert_int_equal(ne, 31);
		assert_int_equal(exp[0], first);
		assert_int_equal(f.n, ne + 1);
		for (int i = 0; i < ne; i++)
			assert_int_equal(f.ids[i], exp[i]);
		assert_int_equal(f.ids[ne], W.next_timer); /* the one added in the callback */
		for (int i = 0; i < f.n; i++)
			assert_false(dropped[f.ids[i]]);
	}
	world_free(&W);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_literal),
		cmocka_unit_test(test_route_captures),
		cmocka_unit_test(test_parse_ms),
		cmocka_unit_test(test_fault_json_validation),
		cmocka_unit_test(test_fault_draw_kinds),
		cmocka_unit_test(test_fault_body_has),
		cmocka_unit_test(test_fault_rate_seeded),
		cmocka_unit_test(test_fault_rate_stratified),
		cmocka_unit_test(test_fault_max_hits_and_window),
		cmocka_unit_test(test_conf_and_manifest_faults),
		cmocka_unit_test(test_fault_midstream),
		cmocka_unit_test(test_dialogue),
		cmocka_unit_test(test_timer_heap),
	};
	return cmocka_run_group_tests_name("world_parts", tests, NULL, NULL);
}
