/* vs_ttsstream: a TTS stand-in's contexts paced out on a socket's timer.
 * A world table with only the members the stream calls; the test fires the
 * timer itself, on a clock it sets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vstress/standin/standin_audio.h"
#include "vstress/standin/ttsstream.h"

#define MAXMSG 64

static uint64_t now;
static double audio_out_s;
static vs_ws_timer_cb timer_fn;
static void *timer_arg;
static uint32_t timer_delay;
static int timers;
static json_t *sent[MAXMSG];
static int nsent;
static json_t *marks[8];
static int nmarks;

static uint64_t f_now_ms(void)
{
	return now;
}

static double f_conf_double(vs_wctx *wc, const char *key, double def)
{
	(void)wc;
	return !strcmp(key, "realtime") ? 2 : def;
}

static void f_count(vs_wctx *wc, const char *name, double delta)
{
	(void)wc;
	if (!strcmp(name, "audio_out_s"))
		audio_out_s += delta;
}

static long f_ws_timer(vs_ws *ws, uint32_t delay_ms, vs_ws_timer_cb fn, void *arg)
{
	(void)ws;
	timer_fn = fn;
	timer_arg = arg;
	timer_delay = delay_ms;
	return ++timers;
}

static int f_send_text(vs_ws *ws, uint32_t delay_ms, const char *text, size_t len)
{
	(void)ws, (void)delay_ms;
	assert_true(nsent < MAXMSG);
	sent[nsent] = json_loadb(text, len, 0, NULL);
	assert_non_null(sent[nsent]);
	nsent++;
	return 0;
}

static uint64_t f_publish(vs_wctx *wc, const char *topic, json_t *ev)
{
	(void)wc;
	assert_string_equal(topic, "wf.tts");
	marks[nmarks++] = ev;
	return 1;
}

static struct vs_world world(void)
{
	return (struct vs_world){.abi_version = VS_WORLD_ABI_VERSION, .size = sizeof(struct vs_world),
				 .now_ms = f_now_ms, .conf_double = f_conf_double, .count = f_count,
				 .ws_timer = f_ws_timer, .ws_send_text = f_send_text, .publish = f_publish};
}

static void reset(void)
{
	for (int i = 0; i < nsent; i++)
		json_decref(sent[i]);
	for (int i = 0; i < nmarks; i++)
		json_decref(marks[i]);
	now = 1000;
	audio_out_s = 0;
	timer_fn = NULL;
	timer_arg = NULL;
	timers = nsent = nmarks = 0;
}

/* Fires the armed timer at the time it is due. */
static void fire(const struct vs_world *w)
{
	assert_non_null(timer_fn);
	vs_ws_timer_cb fn = timer_fn;
	now += timer_delay;
	timer_fn = NULL;
	fn(w, NULL, NULL, timer_arg);
}

/* A context of the provider's own, as a stand-in embeds one; the test's
 * provider marks where chunks must end and counts what it frees. */
struct tctx {
	struct vs_ttsctx base;
	size_t boundary; /* 0: none */
	int *freed;
};

static char cut[] = "cut";

static size_t t_limit(struct vs_ttsctx *c, size_t bytes, void **aux)
{
	struct tctx *t = (struct tctx *)c;
	if (t->boundary > c->off && c->off + bytes > t->boundary) {
		*aux = cut;
		return t->boundary - c->off;
	}
	return bytes;
}

static json_t *t_chunk(struct vs_ttsctx *c, const char *b64, void *aux)
{
	return b64 ? json_pack("{s:s,s:s,s:s}", "ctx", c->id, "audio", b64, "aux", aux ? (const char *)aux : "")
		   : NULL;
}

static json_t *t_end(struct vs_ttsctx *c)
{
	return json_pack("{s:s,s:b}", "ctx", c->id, "end", 1);
}

static void t_free(struct vs_ttsctx *c)
{
	struct tctx *t = (struct tctx *)c;
	if (t->freed)
		(*t->freed)++;
}

static const struct vs_ttsstream_ops ops = {
	.ctx_size = sizeof(struct tctx),
	.chunk_ms = 40,
	.chunk_limit = t_limit,
	.chunk_msg = t_chunk,
	.end_msg = t_end,
	.ctx_free = t_free,
};

/* 8 kHz 16-bit: 40 ms chunks are 640 bytes. */
static struct tctx *ctx_with_audio(struct vs_ttsstream *s, const char *id, size_t bytes, uint64_t ttfa)
{
	struct tctx *t = (struct tctx *)vs_ttsstream_ctx(s, id, 1);
	assert_non_null(t);
	t->base.enc = VS_TA_S16LE;
	t->base.rate = 8000;
	t->base.not_before = now + ttfa;
	uint8_t *pcm = malloc(bytes);
	for (size_t i = 0; i < bytes; i++)
		pcm[i] = (uint8_t)i;
	assert_int_equal(vs_ttsctx_audio(&t->base, pcm, bytes), 0);
	free(pcm);
	return t;
}

static size_t audio_bytes(const json_t *m)
{
	const char *b = json_string_value(json_object_get(m, "audio"));
	size_t n = strlen(b);
	return n / 4 * 3 - (n && b[n - 1] == '=') - (n > 1 && b[n - 2] == '=');
}

/* Nothing before the time to first audio; then a chunk of chunk_ms per tick
 * (every chunk_ms / realtime), the last one short, then the end message and
 * the context gone. */
static void test_paced_chunks(void **state)
{
	(void)state;
	reset();
	struct vs_world w = world();
	int freed = 0;
	struct vs_ttsstream s = {.ops = &ops};
	struct tctx *t = ctx_with_audio(&s, "a", 1500, 150);
	t->freed = &freed;
	t->base.ending = 1;
	vs_ttsstream_arm(&w, NULL, &s, 0);
	vs_ttsstream_arm(&w, NULL, &s, 0); /* one timer at a time */
	assert_int_equal(timers, 1);
	fire(&w);
	assert_int_equal(nsent, 0); /* before not_before */
	assert_int_equal(timer_delay, 20);
	while (!nsent)
		fire(&w);
	assert_true(now >= 1150 && now < 1170); /* the first tick at or after not_before */
	assert_int_equal(nsent, 1);
	assert_int_equal(audio_bytes(sent[0]), 640);
	fire(&w);
	fire(&w);
	assert_int_equal(nsent, 4); /* 640 + 640 + 220, then the end */
	assert_int_equal(audio_bytes(sent[1]), 640);
	assert_int_equal(audio_bytes(sent[2]), 220);
	assert_true(json_is_true(json_object_get(sent[3], "end")));
	assert_null(s.ctx);
	assert_int_equal(freed, 1);
	assert_null(timer_fn); /* nothing pending: no timer */
	assert_true(audio_out_s > 1500 / 16000.0 - 1e-9 && audio_out_s < 1500 / 16000.0 + 1e-9);
	reset();
}

/* A context that is not ending keeps its place after its audio; the end
 * comes when the stand-in says so and the stream is armed again. */
static void test_end_waits(void **state)
{
	(void)state;
	reset();
	struct vs_world w = world();
	struct vs_ttsstream s = {.ops = &ops};
	struct tctx *t = ctx_with_audio(&s, "b", 640, 0);
	vs_ttsstream_arm(&w, NULL, &s, 0);
	fire(&w);
	assert_int_equal(nsent, 1);
	assert_null(timer_fn);
	assert_ptr_equal(vs_ttsstream_ctx(&s, "b", 0), &t->base);
	t->base.ending = 1;
	vs_ttsstream_arm(&w, NULL, &s, 0);
	fire(&w);
	assert_int_equal(nsent, 2);
	assert_true(json_is_true(json_object_get(sent[1], "end")));
	assert_null(vs_ttsstream_ctx(&s, "b", 0));
	reset();
}

/* The provider's limit ends a chunk on its boundary, and what it hands
 * through aux reaches that chunk's message only. */
static void test_chunk_limit(void **state)
{
	(void)state;
	reset();
	struct vs_world w = world();
	struct vs_ttsstream s = {.ops = &ops};
	struct tctx *t = ctx_with_audio(&s, "c", 1000, 0);
	t->boundary = 300;
	vs_ttsstream_arm(&w, NULL, &s, 0);
	fire(&w);
	fire(&w);
	assert_int_equal(nsent, 2);
	assert_int_equal(audio_bytes(sent[0]), 300);
	assert_string_equal(json_string_value(json_object_get(sent[0], "aux")), "cut");
	assert_int_equal(audio_bytes(sent[1]), 640);
	assert_string_equal(json_string_value(json_object_get(sent[1], "aux")), "");
	vs_ttsstream_drop_all(&s, "closed");
	reset();
}

/* The waterfall's mark goes out once, with the first audio, carrying the
 * first request's time and every text asked for until then. */
static void test_waterfall_mark(void **state)
{
	(void)state;
	reset();
	struct vs_world w = world();
	struct vs_ttsstream s = {.ops = &ops};
	struct tctx *t = ctx_with_audio(&s, "d", 1280, 0);
	vs_ttsctx_request(&t->base, 111, "hello");
	vs_ttsctx_request(&t->base, 222, "there");
	vs_ttsstream_arm(&w, NULL, &s, 0);
	fire(&w);
	vs_ttsctx_request(&t->base, 333, "late");
	fire(&w);
	assert_int_equal(nmarks, 1);
	assert_int_equal(json_integer_value(json_object_get(marks[0], "request_ns")), 111);
	assert_string_equal(json_string_value(json_object_get(marks[0], "text")), "hello there");
	assert_string_equal(json_string_value(json_object_get(marks[0], "conn")), "d");
	vs_ttsstream_drop_all(&s, "closed");
	reset();
}

/* Contexts are found by id and kept in order; a closed stream arms no timer;
 * dropping every context frees each. */
static void test_contexts(void **state)
{
	(void)state;
	reset();
	struct vs_world w = world();
	int freed = 0;
	struct vs_ttsstream s = {.ops = &ops};
	const char *ids[] = {"x", "y", "z"};
	for (int i = 0; i < 3; i++)
		((struct tctx *)vs_ttsstream_ctx(&s, ids[i], 1))->freed = &freed;
	assert_null(vs_ttsstream_ctx(&s, "w", 0));
	assert_string_equal(s.ctx->id, "x");
	assert_string_equal(s.ctx->next->next->id, "z");
	assert_ptr_equal(vs_ttsstream_ctx(&s, "y", 1), s.ctx->next);
	vs_ttsstream_drop(&s, s.ctx->next, "cancelled");
	assert_int_equal(freed, 1);
	assert_string_equal(s.ctx->next->id, "z");
	s.closed = 1;
	vs_ttsstream_arm(&w, NULL, &s, 0);
	assert_int_equal(timers, 0);
	vs_ttsstream_drop_all(&s, "closed");
	assert_int_equal(freed, 3);
	assert_null(s.ctx);
	reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paced_chunks),   cmocka_unit_test(test_end_waits),
		cmocka_unit_test(test_chunk_limit),    cmocka_unit_test(test_waterfall_mark),
		cmocka_unit_test(test_contexts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
