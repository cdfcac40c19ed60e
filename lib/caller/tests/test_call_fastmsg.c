/* The engine's fast path for the agent's media message (call_fastmsg.c)
 * accepts only the plain shape, and then agrees with the full parser
 * (vs_media_parse) on the payload; anything else is left to the parser
 * (1).  The same agreement is fuzzed in tests/fuzz/fuzz_media_msg.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/caller/call_fastmsg.h"
#include "vstress/telnyx/media_msg.h"

static int fast(const char *t, uint8_t *out, size_t *n)
{
	return call_fast_media(t, strlen(t), out, 4096, n);
}

static void agrees(const char *t)
{
	uint8_t out[4096];
	size_t n = 0;
	struct vs_media_msg m;
	char err[256];

	assert_int_equal(fast(t, out, &n), 0);
	assert_int_equal(vs_media_parse(t, strlen(t), 4096, &m, err, sizeof err), 0);
	assert_int_equal(m.event, VS_MEV_MEDIA);
	assert_int_equal(m.payload_len, n);
	assert_memory_equal(m.payload, out, n);
	vs_media_msg_free(&m);
}

static void test_plain_shapes(void **state)
{
	(void)state;
	agrees("{\"event\":\"media\",\"media\":{\"payload\":\"AAECAwQF\"}}");
	agrees("{\"event\":\"media\",\"sequence_number\":\"7\",\"media\":{\"track\":\"outbound\",\"chunk\":\"3\","
	       "\"timestamp\":\"40\",\"payload\":\"//79/A==\"},\"stream_id\":\"3f0c8a2e-1b7d\"}");
	agrees(" { \"media\" : { \"payload\" : \"QUJD\" } ,\n\t\"event\" : \"media\" } \r\n");
	agrees("{\"event\":\"media\",\"media\":{\"payload\":\"\"}}");
}

static void test_left_to_the_parser(void **state)
{
	static const char *const other[] = {
		"{\"event\":\"mark\",\"mark\":{\"name\":\"a\"}}",                     /* another event */
		"{\"event\":\"media\",\"media\":{\"payload\":\"QU\\u004aD\"}}",       /* an escape */
		"{\"event\":\"media\",\"media\":{\"payload\":\"QUJD\",\"x\":\"1\"}}", /* an unknown member */
		"{\"event\":\"media\",\"media\":{\"payload\":\"QUJD\"},\"event\":\"media\"}", /* twice */
		"{\"event\":\"media\",\"media\":{\"payload\":\"QU\tD\"}}",            /* a control byte */
		"{\"event\":\"media\",\"media\":{\"payload\":\"QUJ\xc3\xa9\"}}",      /* a byte over 0x7e */
		"{\"event\":\"media\",\"media\":{\"payload\":\"QUJD\"}",              /* unclosed */
		"{\"event\":\"media\",\"media\":{\"payload\":\"QUJD}}",               /* unterminated string */
		"{\"event\":\"media\",\"media\":{\"payload\":\"QUJD\"}} x",           /* trailing bytes */
		"{\"event\":\"media\",\"media\":{\"chunk\":\"1x\",\"payload\":\"QUJD\"}}", /* not digits */
		"{\"event\":\"media\",\"media\":{\"payload\":\"QUJ*\"}}",             /* not base64 */
		"{\"event\":\"media\"}",                                              /* no media */
	};
	uint8_t out[4096];
	size_t n;
	(void)state;

	for (size_t i = 0; i < sizeof other / sizeof *other; i++)
		assert_int_equal(fast(other[i], out, &n), 1);
}

/* Every byte value at every place of a 40-byte stream id: accepted exactly
 * when it is printable ASCII other than the quote and the backslash (the
 * string check works eight bytes at a time, then byte by byte). */
static void test_every_byte(void **state)
{
	static const char pre[] = "{\"event\":\"media\",\"stream_id\":\"", post[] = "\",\"media\":{\"payload\":\"QUJD\"}}";
	char t[256];
	uint8_t out[4096];
	size_t n, len;
	(void)state;

	for (int pos = 0; pos < 40; pos++)
		for (int b = 0; b < 256; b++) {
			if (b == '"')
				continue;
			memcpy(t, pre, sizeof pre - 1);
			len = sizeof pre - 1;
			memset(t + len, 'a', 40);
			t[len + (size_t)pos] = (char)b;
			len += 40;
			memcpy(t + len, post, sizeof post - 1);
			len += sizeof post - 1;
			int ok = b >= 0x20 && b <= 0x7e && b != '\\';
			assert_int_equal(call_fast_media(t, len, out, sizeof out, &n), ok ? 0 : 1);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_shapes),
		cmocka_unit_test(test_left_to_the_parser),
		cmocka_unit_test(test_every_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
