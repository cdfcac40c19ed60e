/* TeXML parser: well-formed documents into verbs; malformed ones name the
 * line; hostile ones (10,000 nested elements, over 1 MiB, DOCTYPE/entities)
 * are refused with a bounded error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/telnyx/texml.h"

static int parse(const char *s, struct vs_texml_doc *d, char *err, size_t errlen)
{
	return vs_texml_parse(s, strlen(s), NULL, d, err, errlen);
}

/* What the TeXML path reads besides the url: statusCallback, name,
 * <Parameter>s (start.custom_parameters), a Redirect's method. */
static void test_stream_attributes(void **state)
{
	const char *doc = "<Response>\n"
			  "  <Connect>\n"
			  "    <Stream url=\"wss://a.example/ws\" name=\"s1\" statusCallback=\"/status\"\n"
			  "            statusCallbackMethod=\"GET\">\n"
			  "      <Parameter name=\"customer\" value=\"42\"/>\n"
			  "      <Parameter name=\"lang\" value=\"en\"/>\n"
			  "    </Stream>\n"
			  "  </Connect>\n"
			  "  <Redirect method=\"GET\">/next</Redirect>\n"
			  "</Response>\n";
	struct vs_texml_doc d;
	char err[200];
	(void)state;

	assert_int_equal(parse(doc, &d, err, sizeof(err)), 0);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.verbs[0].status_callback, "/status");
	assert_string_equal(d.verbs[0].status_callback_method, "GET");
	assert_string_equal(d.verbs[0].stream_name, "s1");
	assert_int_equal(d.verbs[0].nparams, 2);
	assert_string_equal(d.verbs[0].param_names[1], "lang");
	assert_string_equal(d.verbs[0].param_values[0], "42");
	assert_string_equal(d.verbs[1].method, "GET");
	assert_string_equal(d.verbs[1].url, "/next");
	vs_texml_free(&d);
	/* a <Parameter> without a value names its line */
	assert_int_equal(parse("<Response><Start>\n<Stream url=\"ws://x/\">\n<Parameter name=\"a\"/></Stream></Start>"
			       "</Response>",
			       &d, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "line 3: <Parameter> needs a name and a value");
	vs_texml_free(&d);
}

static void test_connect_stream(void **state)
{
	const char *doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			  "<Response>\n"
			  "  <Connect>\n"
			  "    <Stream url=\"wss://agent.example/ws\" bidirectionalMode=\"rtp\"></Stream>\n"
			  "  </Connect>\n"
			  "  <Pause length=\"2\"/>\n"
			  "  <Say voice=\"alice\"> Goodbye &amp; thanks </Say>\n"
			  "  <Start><Stream url=\"wss://fork.example/x\"/></Start>\n"
			  "  <Dial><Number>+15550100099</Number></Dial>\n"
			  "  <Redirect>https://agent.example/next</Redirect>\n"
			  "  <Gather/>\n"
			  "  <Hangup/>\n"
			  "</Response>\n";
	struct vs_texml_doc d;
	char err[200], desc[400];
	(void)state;

	assert_int_equal(parse(doc, &d, err, sizeof(err)), 0);
	assert_int_equal(d.n, 8);
	assert_int_equal(d.verbs[0].kind, VS_TEXML_CONNECT_STREAM);
	assert_string_equal(d.verbs[0].url, "wss://agent.example/ws");
	assert_string_equal(d.verbs[0].bidirectional_mode, "rtp");
	assert_int_equal(d.verbs[0].line, 3);
	assert_int_equal(d.verbs[1].kind, VS_TEXML_PAUSE);
	assert_int_equal(d.verbs[1].length_s, 2);
	assert_int_equal(d.verbs[2].kind, VS_TEXML_SAY);
	assert_string_equal(d.verbs[2].text, "Goodbye & thanks");
	assert_int_equal(d.verbs[3].kind, VS_TEXML_START_STREAM);
	assert_string_equal(d.verbs[3].url, "wss://fork.example/x");
	assert_null(d.verbs[3].bidirectional_mode);
	assert_int_equal(d.verbs[4].kind, VS_TEXML_DIAL);
	assert_string_equal(d.verbs[4].text, "+15550100099");
	assert_int_equal(d.verbs[5].kind, VS_TEXML_REDIRECT);
	assert_string_equal(d.verbs[5].url, "https://agent.example/next");
	assert_int_equal(d.verbs[6].kind, VS_TEXML_OTHER);
	assert_string_equal(d.verbs[6].name, "Gather");
	assert_int_equal(d.verbs[7].kind, VS_TEXML_HANGUP);
	vs_texml_describe(&d, desc, sizeof(desc));
	assert_string_equal(desc, "Connect/Stream url=wss://agent.example/ws bidirectionalMode=rtp, Pause 2 s, "
				  "Say \"Goodbye & thanks\", Start/Stream url=wss://fork.example/x, Dial +15550100099, "
				  "Redirect https://agent.example/next, Gather, Hangup");
	vs_texml_free(&d);

	assert_int_equal(parse("<Response/>", &d, err, sizeof(err)), 0);
	assert_int_equal(d.n, 0);
	vs_texml_free(&d);
	assert_int_equal(parse("<Response><Pause/></Response>", &d, err, sizeof(err)), 0);
	assert_int_equal(d.verbs[0].length_s, 1);
	vs_texml_free(&d);
}

static void expect_error(const char *doc, const char *want)
{
	struct vs_texml_doc d;
	char err[300];

	assert_int_equal(parse(doc, &d, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
	assert_int_equal(d.n, 0);
	assert_null(d.verbs);
	vs_texml_free(&d);
}

static void test_malformed(void **state)
{
	(void)state;
	expect_error("<Response>\n  <Say>hi</Say>\n  <Hangup>\n</Response>\n", "line 4: ");
	expect_error("<Response>\n<Say>hi</Sya>\n</Response>", "line 2: ");
	expect_error("not xml at all", "line 1: ");
	expect_error("", "line 1: empty document");
	expect_error("<Reply><Hangup/></Reply>", "line 1: root element is <Reply>, expected <Response>");
	expect_error("<Response>\n\n<Dance/>\n</Response>", "line 3: unknown TeXML verb <Dance>");
	expect_error("<Response><Pause length=\"soon\"/></Response>", "not a number of seconds");
	expect_error("<Response><Connect><Stream/></Connect></Response>", "<Connect><Stream> without a url");
}

static void test_hostile(void **state)
{
	size_t n = 10000, len = 0, cap = n * 9 + 64;
	char *doc = malloc(cap), err[300];
	struct vs_texml_doc d;
	struct vs_texml_limits lim = {.max_depth = 3};
	const char *four = "<Response><Say><b><c/></b></Say></Response>"; /* 4 levels */
	(void)state;

	assert_non_null(doc);
	len += (size_t)sprintf(doc + len, "<Response>\n<Say>");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(doc + len, "<a>");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(doc + len, "</a>");
	len += (size_t)sprintf(doc + len, "</Say>\n</Response>\n");
	assert_int_equal(vs_texml_parse(doc, len, NULL, &d, err, sizeof(err)), -1);
	assert_string_equal(err, "line 2: elements nested deeper than 64 levels");
	free(doc);

	/* the limit is the caller's */
	assert_int_equal(vs_texml_parse(four, strlen(four), &lim, &d, err, sizeof(err)), -1);
	assert_string_equal(err, "line 1: elements nested deeper than 3 levels");
	lim.max_depth = 4;
	assert_int_equal(vs_texml_parse(four, strlen(four), &lim, &d, err, sizeof(err)), 0);
	vs_texml_free(&d);

	/* over 1 MiB: refused before parsing */
	len = (1u << 20) + 1;
	doc = malloc(len);
	assert_non_null(doc);
	memset(doc, ' ', len);
	memcpy(doc, "<Response>", 10);
	memcpy(doc + len - 11, "</Response>", 11);
	assert_int_equal(vs_texml_parse(doc, len, NULL, &d, err, sizeof(err)), -1);
	assert_string_equal(err, "line 1: document of 1048577 bytes is over the 1048576-byte limit");
	assert_int_equal(vs_texml_parse(doc, len - 1, NULL, &d, err, sizeof(err)), -1); /* 1 MiB: parsed (then malformed) */
	assert_null(strstr(err, "limit"));
	memcpy(doc + len - 12, "</Response>", 11);
	assert_int_equal(vs_texml_parse(doc, len - 1, NULL, &d, err, sizeof(err)), 0);
	vs_texml_free(&d);
	free(doc);

	/* XXE and entity expansion: no DTD at all */
	expect_error("<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
		     "<Response><Say>&x;</Say></Response>",
		     "line 2: <!DOCTYPE> is not allowed");
	expect_error("<Response><Say>&lol;</Say></Response>", "line 1: ");
	/* not NUL-terminated input is read only to len */
	assert_int_equal(vs_texml_parse("<Response/>garbage", 11, NULL, &d, err, sizeof(err)), 0);
	vs_texml_free(&d);
}

static void test_looks_xml(void **state)
{
	(void)state;
	assert_true(vs_texml_looks_xml("  \n<Response/>", 14));
	assert_true(vs_texml_looks_xml("\xEF\xBB\xBF<?xml?>", 10));
	assert_false(vs_texml_looks_xml("{\"a\":1}", 7));
	assert_false(vs_texml_looks_xml("", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_stream),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_looks_xml),
		cmocka_unit_test(test_stream_attributes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
