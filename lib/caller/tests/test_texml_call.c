/* The TeXML call path's pure parts: the form Telnyx posts, Redirect and
 * statusCallback URLs resolved against the document's URL, stream URLs
 * mapped through public_url, and the telephony names.  (The whole path
 * against a real agent: tests/integration/test_texml.sh.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/caller/telnyx_call_int.h"

static void test_form(void **state)
{
	const char *kv[] = {"CallSid", "v3:ab/c+d", "From", "+15557650001", "Skipped", NULL, "Say", "a b&c=d"};
	char *f = tc_form_encode(kv, 4);
	(void)state;

	assert_non_null(f);
	assert_string_equal(f, "CallSid=v3%3Aab%2Fc%2Bd&From=%2B15557650001&Say=a%20b%26c%3Dd");
	free(f);
	f = tc_form_encode(kv, 0);
	assert_string_equal(f, "");
	free(f);
}

static void test_resolve(void **state)
{
	char out[256];
	(void)state;

	tc_resolve_url("http://127.0.0.1:8080/api/texml?x=1", "/next", out, sizeof(out));
	assert_string_equal(out, "http://127.0.0.1:8080/next");
	tc_resolve_url("http://127.0.0.1:8080/api/texml", "next", out, sizeof(out));
	assert_string_equal(out, "http://127.0.0.1:8080/api/next");
	tc_resolve_url("http://127.0.0.1:8080", "next", out, sizeof(out));
	assert_string_equal(out, "http://127.0.0.1:8080/next");
	tc_resolve_url("http://127.0.0.1:8080/a", "https://other.example/b", out, sizeof(out));
	assert_string_equal(out, "https://other.example/b");
	tc_resolve_url("http://h/a?u=/x/y", "z", out, sizeof(out)); /* a '/' in the query is not a folder */
	assert_string_equal(out, "http://h/z");
}

static void test_map(void **state)
{
	struct vs_tcall_cfg cfg = {.tel = {.public_url = "wss://abc.ngrok.io/", .local_url = "ws://127.0.0.1:8080"}};
	char out[256];
	(void)state;

	tc_map_stream_url(&cfg, "wss://abc.ngrok.io/ws", out, sizeof(out));
	assert_string_equal(out, "ws://127.0.0.1:8080/ws");
	tc_map_stream_url(&cfg, "wss://abc.ngrok.io", out, sizeof(out));
	assert_string_equal(out, "ws://127.0.0.1:8080");
	/* another host that merely starts alike, and another host: as given */
	tc_map_stream_url(&cfg, "wss://abc.ngrok.io.evil/ws", out, sizeof(out));
	assert_string_equal(out, "wss://abc.ngrok.io.evil/ws");
	tc_map_stream_url(&cfg, "wss://other/ws", out, sizeof(out));
	assert_string_equal(out, "wss://other/ws");
	cfg.tel.public_url = NULL;
	tc_map_stream_url(&cfg, "wss://abc.ngrok.io/ws", out, sizeof(out));
	assert_string_equal(out, "wss://abc.ngrok.io/ws");
}

static void test_telephony_names(void **state)
{
	enum vs_telephony t = VS_TEL_AUTO;
	(void)state;

	assert_int_equal(vs_telephony_parse("texml", &t), 0);
	assert_int_equal(t, VS_TEL_TEXML);
	assert_int_equal(vs_telephony_parse("call_control", &t), 0);
	assert_int_equal(t, VS_TEL_CALL_CONTROL);
	assert_int_equal(vs_telephony_parse("auto", &t), 0);
	assert_int_equal(t, VS_TEL_AUTO);
	assert_int_equal(vs_telephony_parse("TeXML", &t), -1);
	assert_int_equal(vs_telephony_parse(NULL, &t), -1);
	assert_string_equal(vs_telephony_name(VS_TEL_CALL_CONTROL), "call_control");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_telephony_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
