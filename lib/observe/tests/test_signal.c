/* signal: parsing declared selectors ([target] signal.<name>) and reading
 * them from real exposition text (the reference agent's format). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vstress/observe/signal.h"

static const char page[] = "# TYPE agent_active_calls gauge\n"
			   "agent_active_calls 3\n"
			   "agent_calls_total{outcome=\"completed\"} 10\n"
			   "agent_calls_total{outcome=\"error\"} 2\n"
			   "agent_calls_total{outcome=\"fallback\"} 1\n"
			   "agent_calls_total_extra 99\n"
			   "agent_breaker_state{breaker=\"llm:openai\"} 1\n"
			   "agent_breaker_state{breaker=\"tts:cartesia\"} 0\n"
			   "agent_provider_failovers_total{from=\"openai\",service=\"llm\",to=\"gemini\"} 4\n"
			   "agent_provider_failovers_total{from=\"openai\",service=\"llm\",to=\"anthropic\"} 1\n"
			   "agent_provider_failovers_total{from=\"cartesia\",service=\"tts\",to=\"elevenlabs\"} 7\n"
			   "agent_vad_seconds_sum 1.5\n"
			   "agent_vad_seconds_count 300\n"
			   "odd{msg=\"a \\\"quoted\\\" \\\\ one\"} 5\n"
			   "agent_nan NaN\n"
			   "garbage line {{{\n"
			   "agent_active_calls{broken=\"x} 100\n";

static void test_parse_ok(void **st)
{
	struct vs_signal s;
	char err[256], buf[256];
	(void)st;

	assert_int_equal(vs_signal_parse("active_calls", "agent_active_calls", &s, err, sizeof(err)), 0);
	assert_string_equal(s.name, "agent_active_calls");
	assert_int_equal(s.nlabels, 0);
	assert_string_equal(s.key, "[target] signal.active_calls");
	assert_int_equal(vs_signal_parse("calls_failed", "  agent_calls_total { outcome = \"error\" , } ", &s, err,
					 sizeof(err)),
			 0);
	assert_string_equal(s.name, "agent_calls_total");
	assert_int_equal(s.nlabels, 1);
	assert_string_equal(s.labels[0].k, "outcome");
	assert_string_equal(s.labels[0].v, "error");
	assert_string_equal(vs_signal_str(&s, buf, sizeof(buf)), "agent_calls_total{outcome=\"error\"}");
	/* undeclared: not an error */
	assert_int_equal(vs_signal_parse("vad_seconds", "", &s, err, sizeof(err)), 0);
	assert_false(vs_signal_declared(&s));
	assert_int_equal(vs_signal_parse("vad_seconds", NULL, &s, err, sizeof(err)), 0);
	assert_false(vs_signal_declared(&s));
}

static void bad(const char *text, const char *why)
{
	struct vs_signal s;
	char err[256] = "";

	assert_int_equal(vs_signal_parse("pool_size", text, &s, err, sizeof(err)), -1);
	assert_false(vs_signal_declared(&s));
	assert_non_null(strstr(err, "[target] signal.pool_size"));
	if (!strstr(err, why))
		fail_msg("'%s': error '%s' lacks '%s'", text, err, why);
}

static void test_parse_bad(void **st)
{
	(void)st;
	bad("9pool", "expected a series name");
	bad("pool{a=\"b\"", "expected ',' or '}'");
	bad("pool{a=\"b", "unterminated value");
	bad("pool{a=b}", "expected a quoted value");
	bad("pool{a}", "expected '='");
	bad("pool{a=~\"x.*\"}", "only k=\"v\"");
	bad("pool{a!=\"x\"}", "only k=\"v\"");
	bad("pool{a=\"x\" b=\"y\"}", "expected ',' or '}'");
	bad("pool{a=\"x\\q\"}", "bad escape");
	bad("pool extra", "unexpected text");
	bad("pool{=\"x\"}", "expected a label name");
	bad("pool{a=\"1\",b=\"2\",c=\"3\",d=\"4\",e=\"5\",f=\"6\",g=\"7\",h=\"8\",i=\"9\"}", "more than 8");
	bad("pool{a=\"x\"", "column");
	bad("pool{a", "expected '='"); /* the text ends inside the block */
	{
		char name[300];
		memset(name, 'n', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		bad(name, "series name too long");
	}
}

static void test_sum(void **st)
{
	struct vs_signal s, extra;
	char err[256];
	double v;
	(void)st;

	vs_signal_parse("active_calls", "agent_active_calls", &s, err, sizeof(err));
	/* the malformed agent_active_calls{broken...} line is not counted */
	assert_int_equal(vs_signal_sum(&s, page, NULL, NULL, &v), 1);
	assert_true(v == 3);
	vs_signal_parse("calls", "agent_calls_total", &s, err, sizeof(err));
	assert_int_equal(vs_signal_sum(&s, page, NULL, NULL, &v), 3); /* not agent_calls_total_extra */
	assert_true(v == 13);
	vs_signal_parse("calls_failed", "agent_calls_total{outcome=\"error\"}", &s, err, sizeof(err));
	assert_int_equal(vs_signal_sum(&s, page, NULL, NULL, &v), 1);
	assert_true(v == 2);
	/* selector + labels a check adds */
	vs_signal_parse("failovers", "agent_provider_failovers_total{service=\"llm\"}", &s, err, sizeof(err));
	assert_int_equal(vs_signal_sum(&s, page, NULL, NULL, &v), 2);
	assert_true(v == 5);
	assert_int_equal(vs_signal_parse_labels("from=\"openai\",to=\"gemini\"", &extra, err, sizeof(err)), 0);
	assert_int_equal(vs_signal_sum(&s, page, NULL, &extra, &v), 1);
	assert_true(v == 4);
	assert_int_equal(vs_signal_parse_labels("from=\"cartesia\"", &extra, err, sizeof(err)), 0);
	assert_int_equal(vs_signal_sum(&s, page, NULL, &extra, &v), 0); /* service="llm" excludes it */
	assert_true(v == 0);
	assert_int_equal(vs_signal_parse_labels("from=openai", &extra, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "expected a quoted value"));
	/* histogram parts */
	vs_signal_parse("vad_seconds", "agent_vad_seconds", &s, err, sizeof(err));
	assert_int_equal(vs_signal_sum(&s, page, NULL, NULL, &v), 0);
	assert_int_equal(vs_signal_sum(&s, page, "_count", NULL, &v), 1);
	assert_true(v == 300);
	assert_int_equal(vs_signal_sum(&s, page, "_sum", NULL, &v), 1);
	assert_true(v == 1.5);
	/* escaped values compare unescaped */
	vs_signal_parse("db_errors", "odd{msg=\"a \\\"quoted\\\" \\\\ one\"}", &s, err, sizeof(err));
	assert_int_equal(vs_signal_sum(&s, page, NULL, NULL, &v), 1);
	assert_true(v == 5);
	/* NaN skipped; absent and undeclared read as 0 samples */
	vs_signal_parse("db_errors", "agent_nan", &s, err, sizeof(err));
	assert_int_equal(vs_signal_sum(&s, page, NULL, NULL, &v), 0);
	vs_signal_parse("db_errors", "agent_renamed_total", &s, err, sizeof(err));
	assert_int_equal(vs_signal_sum(&s, page, NULL, NULL, &v), 0);
	vs_signal_parse("db_errors", "", &s, err, sizeof(err));
	assert_int_equal(vs_signal_sum(&s, page, NULL, NULL, &v), 0);
	assert_int_equal(vs_signal_sum(&s, NULL, NULL, NULL, &v), 0);
}

struct seen {
	char text[512];
};

static void collect(const char *value, double sum, void *arg)
{
	struct seen *s = arg;
	size_t o = strlen(s->text);
	snprintf(s->text + o, sizeof(s->text) - o, "%s=%g;", value, sum);
}

static void test_by_label(void **st)
{
	struct vs_signal s;
	struct seen seen = {""};
	char err[256];
	(void)st;

	vs_signal_parse("calls", "agent_calls_total", &s, err, sizeof(err));
	assert_int_equal(vs_signal_by_label(&s, page, "outcome", collect, &seen), 3);
	assert_string_equal(seen.text, "completed=10;error=2;fallback=1;");
	seen.text[0] = '\0';
	vs_signal_parse("failovers", "agent_provider_failovers_total", &s, err, sizeof(err));
	assert_int_equal(vs_signal_by_label(&s, page, "from", collect, &seen), 2);
	assert_string_equal(seen.text, "openai=5;cartesia=7;");
}

static void test_names(void **st)
{
	(void)st;
	assert_true(vs_signal_known("active_calls"));
	assert_true(vs_signal_known("turn_analyzer_seconds"));
	assert_false(vs_signal_known("active_call"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok), cmocka_unit_test(test_parse_bad), cmocka_unit_test(test_sum),
		cmocka_unit_test(test_by_label), cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
