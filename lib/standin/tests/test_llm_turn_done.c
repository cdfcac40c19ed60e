/* vs_st_turn_done (lib/standin/llm_turn_done.c): the world's counters, the
 * billing event and the wf.llm mark of one answered turn.  The mark's token
 * times are checked against each provider's own schedule as its stand-in
 * streams it: OpenAI sends an empty role chunk at ttft_ms, then a token
 * every token_ms; Anthropic and Gemini send their first token at ttft_ms;
 * an answer not streamed arrives whole after every token's time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <jansson.h>

#include "vstress/standin/llm_turn_done.h"

static double tokens_in, tokens_out, characters;
static json_t *mark, *billed;

static uint64_t f_now_ms(void)
{
	return 5000;
}

static void f_count(vs_wctx *wc, const char *name, double delta)
{
	(void)wc;
	if (!strcmp(name, "tokens_in"))
		tokens_in += delta;
	else if (!strcmp(name, "tokens_out"))
		tokens_out += delta;
	else if (!strcmp(name, "characters"))
		characters += delta;
}

static uint64_t f_publish(vs_wctx *wc, const char *topic, json_t *ev)
{
	(void)wc;
	json_t **slot = !strcmp(topic, "wf.llm") ? &mark : &billed;
	json_decref(*slot);
	*slot = ev;
	return 1;
}

static struct vs_world world(void)
{
	return (struct vs_world){.abi_version = VS_WORLD_ABI_VERSION, .size = sizeof(struct vs_world),
				 .now_ms = f_now_ms, .count = f_count, .publish = f_publish};
}

static char t0[] = "Hello", t1[] = " there", t2[] = ",", t3[] = " how", t4[] = " can", t5[] = " I", t6[] = " help",
	    t7[] = "?";
static char *toks[] = {t0, t1, t2, t3, t4, t5, t6, t7};
static char user[] = "what time do you open";

static struct vs_st_turn turn(size_t ntok)
{
	struct vs_st_turn t = {.text = "Hello there, how can I help?", .tok = toks, .ntok = ntok, .out_tokens = (long)ntok,
			       .ttft = 300, .per = 30};
	t.user = user;
	return t;
}

/* mark's first_ns and last_ns, in ms after its request */
static void times(uint64_t req_ns, uint64_t *first, uint64_t *last)
{
	*first = ((uint64_t)json_integer_value(json_object_get(mark, "first_ns")) - req_ns) / 1000000u;
	*last = ((uint64_t)json_integer_value(json_object_get(mark, "last_ns")) - req_ns) / 1000000u;
}

static void schedules(void **state)
{
	(void)state;
	struct vs_world w = world();
	const uint64_t req = 7000000000ull;
	for (size_t n = 0; n <= 8; n++) {
		struct vs_st_turn t = turn(n);
		uint64_t all = t.ttft + n * t.per, first, last;
		for (int stream = 0; stream <= 1; stream++) {
			/* OpenAI: the role chunk, then the tokens */
			vs_st_turn_done(&w, NULL, &t,
					&(struct vs_st_turn_meta){.provider = "openai", .model = "gpt-4.1", .id = "c1",
								  .in_tokens = 12, .req_ns = req, .stream = stream,
								  .lead = 1});
			times(req, &first, &last);
			assert_int_equal(first, stream ? t.ttft + (n ? t.per : 0) : all);
			assert_int_equal(last, all);
			/* Anthropic and Gemini: the first token at ttft */
			vs_st_turn_done(&w, NULL, &t,
					&(struct vs_st_turn_meta){.provider = "anthropic", .model = "claude", .id = "m1",
								  .in_tokens = 12, .req_ns = req, .stream = stream});
			times(req, &first, &last);
			assert_int_equal(first, stream ? t.ttft : all);
			assert_int_equal(last, stream ? t.ttft + (n ? (n - 1) * t.per : 0) : all);
		}
	}
}

static void counters_bill_and_mark(void **state)
{
	(void)state;
	struct vs_world w = world();
	struct vs_st_turn t = turn(8);
	tokens_in = tokens_out = characters = 0;
	vs_st_turn_done(&w, NULL, &t,
			&(struct vs_st_turn_meta){.provider = "gemini", .model = "gemini-2.5-flash", .id = "r9",
						  .in_tokens = 42, .req_ns = 1, .stream = 1, .user = "call-7"});
	assert_true(tokens_in == 42 && tokens_out == 8 && characters == strlen(t.text));
	assert_string_equal(json_string_value(json_object_get(billed, "provider")), "gemini");
	assert_int_equal(json_integer_value(json_object_get(billed, "input_tokens")), 42);
	assert_string_equal(json_string_value(json_object_get(mark, "req")), "r9");
	assert_string_equal(json_string_value(json_object_get(mark, "user")), "call-7");
	assert_string_equal(json_string_value(json_object_get(mark, "reply_text")), t.text);
	/* a tool call: its arguments are what the answer carries */
	t.tool = "book_appointment";
	t.text = "";
	t.rep.tool_args = "{\"day\":\"monday\"}";
	characters = 0;
	vs_st_turn_done(&w, NULL, &t,
			&(struct vs_st_turn_meta){.provider = "anthropic", .model = "claude", .id = "m2", .req_ns = 1});
	assert_true(characters == strlen(t.rep.tool_args));
	assert_string_equal(json_string_value(json_object_get(billed, "tool")), "book_appointment");
	json_decref(mark);
	json_decref(billed);
	mark = billed = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(schedules),
		cmocka_unit_test(counters_bill_and_mark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
