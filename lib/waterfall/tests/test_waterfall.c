/* lib/waterfall: text matching, tying the world's records to caller turns
 * (including the turns it must leave unattributed), rows and percentiles.
 * Pure: made-up timestamps, no clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "vstress/waterfall/waterfall.h"

#define MS 1000000ll

static void add(struct vs_wf_world *w, json_t *ev)
{
	json_t *arr = json_pack("[o]", ev);
	assert_int_equal(vs_wf_world_add_events(w, arr, NULL), 0);
	json_decref(arr);
}

static void stt(struct vs_wf_world *w, const char *stream, const char *tag, int64_t end_ms, int64_t final_ms,
		const char *text)
{
	add(w, json_pack("{s:s,s:{s:s,s:s,s:I,s:I,s:s}}", "topic", "wf.stt", "data", "stream", stream, "tag", tag,
			 "audio_end_ns", (json_int_t)(end_ms * MS), "final_ns", (json_int_t)(final_ms * MS), "text",
			 text));
}

static void llm(struct vs_wf_world *w, const char *user, int64_t req_ms, int64_t first_ms, int64_t last_ms,
		const char *said, const char *reply)
{
	add(w, json_pack("{s:s,s:{s:s,s:s,s:I,s:I,s:I,s:s,s:s}}", "topic", "wf.llm", "data", "req", "r", "user", user,
			 "request_ns", (json_int_t)(req_ms * MS), "first_ns", (json_int_t)(first_ms * MS), "last_ns",
			 (json_int_t)(last_ms * MS), "user_text", said, "reply_text", reply));
}

static void tts(struct vs_wf_world *w, int64_t req_ms, int64_t audio_ms, const char *text)
{
	add(w, json_pack("{s:s,s:{s:s,s:I,s:I,s:s}}", "topic", "wf.tts", "data", "conn", "c", "request_ns",
			 (json_int_t)(req_ms * MS), "first_audio_ns", (json_int_t)(audio_ms * MS), "text", text));
}

static struct vs_wf_turn turn(const char *call, int64_t end_ms, int64_t heard_ms, const char *words)
{
	struct vs_wf_turn t = {.speech_end_ns = end_ms * MS, .heard_ns = heard_ms * MS, .words = words};
	t.ids[0] = call;
	return t;
}

static void norm_and_contains(void **state)
{
	(void)state;
	char *n = vs_wf_norm("  Hi, I'd like -- to BOOK an appointment!  ");
	assert_string_equal(n, "hi id like to book an appointment");
	free(n);
	assert_true(vs_wf_contains("User said: Hi, I would like to book.", "i would like"));
	assert_false(vs_wf_contains("this is it", "hi"));       /* whole words only */
	assert_false(vs_wf_contains("anything", ""));            /* nothing matches nothing */
	assert_false(vs_wf_contains(NULL, "hi"));
	assert_true(vs_wf_contains("Sure. Which day suits you?", "which day SUITS you"));
}

/* One call, one turn: every event tied, stages add up to the caller's total. */
static void one_turn_chain(void **state)
{
	(void)state;
	struct vs_wf_world w = {0};
	struct vs_wf_turn t = turn("call-a", 1000, 2800, "I would like to book an appointment");

	stt(&w, "s1", "", 1010, 1300, "I would like to book an appointment");
	llm(&w, "", 1900, 2230, 2650, "Hello. I would like to book an appointment.", "Sure. Which day suits you?");
	tts(&w, 2500, 2650, "Sure.");
	vs_wf_correlate(&w, &t, 1);
	assert_true(t.attributed);
	assert_int_equal(t.t[VS_WF_STT_AUDIO], 1010 * MS);
	assert_int_equal(t.t[VS_WF_STT_FINAL], 1300 * MS);
	assert_int_equal(t.t[VS_WF_LLM_REQUEST], 1900 * MS);
	assert_int_equal(t.t[VS_WF_TTS_AUDIO], 2650 * MS);
	json_t *r = vs_wf_row(&t, 2);
	assert_int_equal(json_integer_value(json_object_get(r, "turn")), 2);
	assert_true(json_is_true(json_object_get(r, "attributed")));
	assert_float_equal(json_number_value(json_object_get(r, "total_ms")), 1800, 0.01);
	assert_float_equal(json_number_value(json_object_get(r, "transcript_to_llm_ms")), 600, 0.01);
	assert_float_equal(json_number_value(json_object_get(r, "llm_to_tts_ms")), -150, 0.01); /* streaming overlap */
	assert_float_equal(json_number_value(json_object_get(r, "audio_to_caller_ms")), 150, 0.01);
	assert_float_equal(json_number_value(json_object_get(r, "residue_ms")), 0, 0.01);
	/* speech end (1000) -> the LLM request (1900): the endpointing delay */
	assert_float_equal(json_number_value(json_object_get(r, "endpointing_ms")), 900, 0.01);
	json_decref(r);
	vs_wf_world_free(&w);
}

/* No world records (live providers): every world stage unknown, the
 * caller's total stands and is all residue. */
static void live_mode(void **state)
{
	(void)state;
	struct vs_wf_world w = {0};
	struct vs_wf_turn t = turn("call-a", 1000, 2500, "hello");

	vs_wf_correlate(&w, &t, 1);
	assert_false(t.attributed);
	assert_non_null(strstr(t.why, "no world records"));
	json_t *r = vs_wf_row(&t, 1);
	assert_true(json_is_null(json_object_get(r, "caller_to_stt_ms")));
	assert_true(json_is_null(json_object_get(r, "audio_to_caller_ms")));
	assert_float_equal(json_number_value(json_object_get(r, "total_ms")), 1500, 0.01);
	assert_float_equal(json_number_value(json_object_get(r, "residue_ms")), 1500, 0.01);
	assert_string_equal(json_string_value(json_object_get(r, "why")), t.why);
	json_decref(r);
}

/* Two calls saying the same words at the same moment: the records cannot
 * be told apart, so neither turn is attributed (never guessed). */
static void simultaneous_twins_unattributed(void **state)
{
	(void)state;
	struct vs_wf_world w = {0};
	struct vs_wf_turn t[2] = {turn("a", 1000, 2800, "hello"), turn("b", 1020, 2810, "hello")};

	stt(&w, "s1", "", 1010, 1300, "hello");
	stt(&w, "s2", "", 1030, 1310, "hello");
	llm(&w, "", 1900, 2230, 2650, "hello", "Hi there.");
	llm(&w, "", 1905, 2235, 2655, "hello", "Hi there.");
	tts(&w, 2500, 2650, "Hi there.");
	tts(&w, 2505, 2655, "Hi there.");
	vs_wf_correlate(&w, t, 2);
	assert_false(t[0].attributed);
	assert_false(t[1].attributed);
	assert_non_null(strstr(t[0].why, "fit this turn"));
	vs_wf_world_free(&w);
}

/* The same words a second apart: timing tells them apart. */
static void staggered_twins_attributed(void **state)
{
	(void)state;
	struct vs_wf_world w = {0};
	struct vs_wf_turn t[2] = {turn("a", 1000, 2800, "hello"), turn("b", 2000, 3800, "hello")};

	/* records listed out of order on purpose */
	stt(&w, "s2", "", 2010, 2300, "hello");
	stt(&w, "s1", "", 1010, 1300, "hello");
	llm(&w, "", 2900, 3230, 3650, "hello", "Hi there.");
	llm(&w, "", 1900, 2230, 2650, "hello", "Hi there.");
	tts(&w, 3500, 3650, "Hi there.");
	tts(&w, 2500, 2650, "Hi there.");
	vs_wf_correlate(&w, t, 2);
	assert_true(t[0].attributed);
	assert_true(t[1].attributed);
	assert_int_equal(t[0].t[VS_WF_STT_FINAL], 1300 * MS);
	assert_int_equal(t[0].t[VS_WF_LLM_REQUEST], 1900 * MS);
	assert_int_equal(t[1].t[VS_WF_STT_FINAL], 2300 * MS);
	assert_int_equal(t[1].t[VS_WF_TTS_REQUEST], 3500 * MS);
	vs_wf_world_free(&w);
}

/* A Deepgram tag naming the call settles what timing cannot; an OpenAI
 * user naming another call excludes that request. */
static void metadata_decides(void **state)
{
	(void)state;
	struct vs_wf_world w = {0};
	struct vs_wf_turn t[2] = {turn("a", 1000, 2800, "hello"), turn("b", 1020, 2810, "hello")};

	stt(&w, "s1", "b", 1010, 1300, "hello");
	stt(&w, "s2", "a", 1030, 1310, "hello");
	llm(&w, "b", 1900, 2230, 2650, "hello", "Hi there, B.");
	llm(&w, "a", 1950, 2280, 2700, "hello", "Hi there, A.");
	tts(&w, 2500, 2650, "Hi there, B.");
	tts(&w, 2550, 2700, "Hi there, A.");
	vs_wf_correlate(&w, t, 2);
	assert_true(t[0].attributed);
	assert_true(t[1].attributed);
	assert_int_equal(t[0].t[VS_WF_STT_FINAL], 1310 * MS);
	assert_int_equal(t[0].t[VS_WF_LLM_REQUEST], 1950 * MS);
	assert_int_equal(t[0].t[VS_WF_TTS_AUDIO], 2700 * MS);
	assert_int_equal(t[1].t[VS_WF_LLM_REQUEST], 1900 * MS);
	vs_wf_world_free(&w);
}

/* Broken links: the LLM request lacks the transcript; the TTS audio went
 * out after the caller already heard the reply (not this turn's). */
static void broken_links(void **state)
{
	(void)state;
	struct vs_wf_world w = {0};
	struct vs_wf_turn t = turn("a", 1000, 2800, NULL);

	stt(&w, "s1", "", 1010, 1300, "book a table");
	llm(&w, "", 1900, 2230, 2650, "something else entirely", "Sure.");
	vs_wf_correlate(&w, &t, 1);
	assert_false(t.attributed);
	assert_non_null(strstr(t.why, "no LLM request"));
	llm(&w, "", 1950, 2280, 2700, "book a table", "Sure.");
	tts(&w, 2600, 2900, "Sure.");
	vs_wf_correlate(&w, &t, 1);
	assert_false(t.attributed);
	assert_non_null(strstr(t.why, "no TTS request"));
	assert_int_equal(t.t[VS_WF_STT_FINAL], -1); /* nothing half-filled */
	vs_wf_world_free(&w);
}

/* A stream tied to one call is not used for another's turn, and the
 * caller's words prefer the matching transcript. */
static void stream_binding_and_words(void **state)
{
	(void)state;
	struct vs_wf_world w = {0};
	struct vs_wf_turn t[3] = {turn("a", 1000, 2800, "book a table"), turn("a", 5000, 6800, "at seven"),
				  turn("b", 5010, 6810, "at nine")};

	stt(&w, "sa", "", 1010, 1300, "book a table");
	llm(&w, "", 1900, 2230, 2650, "book a table", "For when?");
	tts(&w, 2500, 2650, "For when?");
	stt(&w, "sa", "", 5020, 5300, "at seven");
	stt(&w, "sb", "", 5025, 5310, "at nine");
	llm(&w, "", 5900, 6230, 6650, "at seven", "Seven it is.");
	llm(&w, "", 5950, 6280, 6700, "at nine", "Nine it is.");
	tts(&w, 6500, 6650, "Seven it is.");
	tts(&w, 6550, 6700, "Nine it is.");
	vs_wf_correlate(&w, t, 3);
	assert_true(t[1].attributed);
	assert_int_equal(t[1].t[VS_WF_STT_FINAL], 5300 * MS);
	assert_true(t[2].attributed);
	assert_int_equal(t[2].t[VS_WF_STT_FINAL], 5310 * MS);
	assert_int_equal(t[2].t[VS_WF_TTS_REQUEST], 6550 * MS);
	vs_wf_world_free(&w);
}

static void malformed_events_counted(void **state)
{
	(void)state;
	struct vs_wf_world w = {0};
	size_t bad = 0;
	json_t *evs = json_pack("{s:[{s:s,s:{s:s}},{s:s,s:{s:I}},{s:s,s:{}},{s:s}]}", "events", "topic", "wf.stt",
				"data", "text", "no times", "topic", "wf.llm", "data", "request_ns", (json_int_t)-5,
				"topic", "telnyx.command", "data", "topic", "wf.tts");

	assert_int_equal(vs_wf_world_add_events(&w, evs, &bad), 0);
	assert_int_equal(bad, 3); /* the telnyx event is not ours, not bad */
	assert_int_equal(w.nstt + w.nllm + w.ntts, 0);
	json_decref(evs);
}

static void summary_percentiles(void **state)
{
	(void)state;
	json_t *calls = json_array();
	for (int c = 0; c < 2; c++) {
		json_t *rows = json_array();
		for (int i = 1; i <= 10; i++)
			json_array_append_new(rows, json_pack("{s:i,s:b,s:f,s:f,s:f}", "turn", i, "attributed", i != 10,
							      "total_ms", 1000.0 + 10 * i + c, "llm_first_token_ms",
							      (double)(i * 10 + c), "residue_ms", i == 10 ? -1000.0 : 0.0));
		json_array_append_new(calls, json_pack("{s:o}", "waterfall", rows));
	}
	json_array_append_new(calls, json_pack("{s:s}", "script", "no waterfall"));
	json_t *rows = vs_wf_rows_of_calls(calls);
	assert_int_equal(json_array_size(rows), 2);
	json_t *s = vs_wf_summary(rows);
	assert_int_equal(json_integer_value(json_object_get(s, "turns")), 20);
	assert_int_equal(json_integer_value(json_object_get(s, "attributed")), 18);
	assert_int_equal(json_integer_value(json_object_get(s, "unattributed")), 2);
	json_t *l = json_object_get(json_object_get(s, "stages"), "llm_first_token");
	assert_string_equal(json_string_value(json_object_get(l, "owner")), "provider");
	assert_int_equal(json_integer_value(json_object_get(l, "n")), 20);
	assert_float_equal(json_number_value(json_object_get(l, "p50_ms")), 51, 0.01);  /* nearest rank 10 of 20 */
	assert_float_equal(json_number_value(json_object_get(l, "p95_ms")), 100, 0.01); /* rank 19 */
	assert_float_equal(json_number_value(json_object_get(l, "p99_ms")), 101, 0.01);
	assert_true(json_is_null(json_object_get(json_object_get(json_object_get(s, "stages"), "llm_stream"), "p50_ms")));
	assert_float_equal(json_number_value(json_object_get(json_object_get(s, "abs_residue"), "p99_ms")), 1000, 0.01);
	json_decref(s);
	json_decref(rows);
	json_decref(calls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(norm_and_contains),
		cmocka_unit_test(one_turn_chain),
		cmocka_unit_test(live_mode),
		cmocka_unit_test(simultaneous_twins_unattributed),
		cmocka_unit_test(staggered_twins_attributed),
		cmocka_unit_test(metadata_decides),
		cmocka_unit_test(broken_links),
		cmocka_unit_test(stream_binding_and_words),
		cmocka_unit_test(malformed_events_counted),
		cmocka_unit_test(summary_percentiles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
