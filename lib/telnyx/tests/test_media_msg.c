/* Media-stream messages: builders round-trip through the parser; hostile
 * JSON never crashes (run under ASan/valgrind by make SAN=1 / valgrind). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/telnyx/media_msg.h"

static void test_roundtrip(void **state)
{
	struct vs_stream_info si = {.stream_id = "32DE0DEA-53CB", .call_control_id = "v3:abc", .from = "+1312",
				    .to = "+1313", .user_id = "u1"};
	uint8_t pl[160];
	struct vs_media_msg m;
	char err[128];
	char *s;
	(void)state;

	for (int i = 0; i < 160; i++)
		pl[i] = (uint8_t)i;
	s = vs_media_connected();
	assert_int_equal(vs_media_parse(s, strlen(s), 0, &m, err, sizeof(err)), 0);
	assert_int_equal(m.event, VS_MEV_CONNECTED);
	vs_media_msg_free(&m);
	free(s);

	s = vs_media_start(&si, 1);
	assert_non_null(strstr(s, "\"sequence_number\":\"1\""));
	assert_int_equal(vs_media_parse(s, strlen(s), 0, &m, err, sizeof(err)), 0);
	assert_int_equal(m.event, VS_MEV_START);
	assert_string_equal(m.stream_id, "32DE0DEA-53CB");
	assert_string_equal(m.call_control_id, "v3:abc");
	assert_string_equal(m.encoding, "PCMU");
	assert_int_equal(m.sample_rate, 8000);
	assert_int_equal(m.channels, 1);
	vs_media_msg_free(&m);
	free(s);
	assert_null(strstr(s = vs_media_start(&si, 1), "custom_parameters"));
	free(s);
	/* a TeXML stream's <Parameter>s */
	si.custom_parameters_json = "{\"customer\":\"42\"}";
	s = vs_media_start(&si, 2);
	assert_non_null(strstr(s, "\"custom_parameters\":{\"customer\":\"42\"}"));
	free(s);
	si.custom_parameters_json = "[not an object";
	assert_null(strstr(s = vs_media_start(&si, 3), "custom_parameters"));
	free(s);
	si.custom_parameters_json = NULL;

	s = vs_media_media("sid", 7, "inbound", 5, 100, pl, sizeof(pl));
	assert_non_null(strstr(s, "\"chunk\":\"5\""));
	assert_int_equal(vs_media_parse(s, strlen(s), 0, &m, err, sizeof(err)), 0);
	assert_int_equal(m.event, VS_MEV_MEDIA);
	assert_int_equal(m.seq, 7);
	assert_int_equal(m.chunk, 5);
	assert_int_equal(m.timestamp, 100);
	assert_string_equal(m.track, "inbound");
	assert_int_equal(m.payload_len, 160);
	assert_memory_equal(m.payload, pl, 160);
	vs_media_msg_free(&m);
	free(s);

	s = vs_media_out_media(pl, 10);
	assert_int_equal(vs_media_parse(s, strlen(s), 0, &m, err, sizeof(err)), 0);
	assert_int_equal(m.payload_len, 10);
	assert_int_equal(m.has_seq, 0);
	vs_media_msg_free(&m);
	free(s);

	s = vs_media_out_mark("m-1");
	assert_int_equal(vs_media_parse(s, strlen(s), 0, &m, err, sizeof(err)), 0);
	assert_int_equal(m.event, VS_MEV_MARK);
	assert_string_equal(m.mark_name, "m-1");
	vs_media_msg_free(&m);
	free(s);

	s = vs_media_out_clear();
	assert_int_equal(vs_media_parse(s, strlen(s), 0, &m, err, sizeof(err)), 0);
	assert_int_equal(m.event, VS_MEV_CLEAR);
	vs_media_msg_free(&m);
	free(s);

	s = vs_media_dtmf("sid", 9, "#", "2025-06-05T08:54:19.698408Z");
	assert_int_equal(vs_media_parse(s, strlen(s), 0, &m, err, sizeof(err)), 0);
	assert_int_equal(m.event, VS_MEV_DTMF);
	assert_string_equal(m.digit, "#");
	vs_media_msg_free(&m);
	free(s);

	s = vs_media_stop(&si, 10);
	assert_int_equal(vs_media_parse(s, strlen(s), 0, &m, err, sizeof(err)), 0);
	assert_int_equal(m.event, VS_MEV_STOP);
	assert_int_equal(m.seq, 10);
	vs_media_msg_free(&m);
	free(s);

	s = vs_media_mark("sid", 11, "after-greeting");
	assert_int_equal(vs_media_parse(s, strlen(s), 0, &m, err, sizeof(err)), 0);
	assert_string_equal(m.mark_name, "after-greeting");
	vs_media_msg_free(&m);
	free(s);

	s = vs_media_error("sid", 100003, "malformed_frame", "x");
	assert_int_equal(vs_media_parse(s, strlen(s), 0, &m, err, sizeof(err)), 0);
	assert_int_equal(m.event, VS_MEV_ERROR);
	assert_int_equal(m.error_code, 100003);
	vs_media_msg_free(&m);
	free(s);
}

static void test_hostile(void **state)
{
	static const char *bad[] = {
		"",
		"null",
		"[]",
		"\"media\"",
		"{",
		"{\"event\":1}",
		"{\"event\":null}",
		"{\"event\":\"media\"}",
		"{\"event\":\"media\",\"media\":[]}",
		"{\"event\":\"media\",\"media\":{}}",
		"{\"event\":\"media\",\"media\":{\"payload\":5}}",
		"{\"event\":\"media\",\"media\":{\"payload\":\"@@@@\"}}",
		"{\"event\":\"media\",\"media\":{\"payload\":\"A\"}}",
		"{\"event\":\"media\",\"media\":{\"payload\":\"AAAA\",\"chunk\":-1}}",
		"{\"event\":\"media\",\"media\":{\"payload\":\"AAAA\",\"chunk\":\"1e5\"}}",
		"{\"event\":\"media\",\"media\":{\"payload\":\"AAAA\",\"chunk\":\"99999999999999999999999\"}}",
		"{\"event\":\"media\",\"media\":{\"payload\":\"AAAA\",\"chunk\":{}}}",
		"{\"event\":\"media\",\"media\":{\"payload\":\"AAAA\",\"track\":[1]}}",
		"{\"event\":\"mark\"}",
		"{\"event\":\"mark\",\"mark\":\"x\"}",
		"{\"event\":\"mark\",\"mark\":{\"name\":7}}",
		"{\"event\":\"dtmf\",\"dtmf\":{\"digit\":\"123456789\"}}",
		"{\"event\":\"start\",\"start\":{\"media_format\":{\"sample_rate\":\"8000\"}}}",
		"{\"event\":\"start\",\"start\":{\"media_format\":{\"sample_rate\":-8000}}}",
		"{\"event\":\"start\",\"start\":{\"media_format\":{\"channels\":1e300}}}",
		"{\"event\":\"start\",\"start\":5}",
		"{\"event\":\"clear\",\"stream_id\":12}",
		"{\"event\":\"clear\",\"sequence_number\":true}",
		"{\"event\":\"clear\",\"event\":\"media\"}",
	};
	struct vs_media_msg m;
	char err[128];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (vs_media_parse(bad[i], strlen(bad[i]), 0, &m, err, sizeof(err)) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0] != '\0');
		vs_media_msg_free(&m);
	}
	/* NULL input, embedded NUL, unknown event, huge id, payload over the limit */
	assert_int_equal(vs_media_parse(NULL, 0, 0, &m, err, sizeof(err)), -1);
	vs_media_msg_free(&m);
	{
		const char nul[] = "{\"event\":\"me\\u0000dia\"}";

		/* rejected (jansson refuses NUL in strings) or at least not "media" */
		if (vs_media_parse(nul, strlen(nul), 0, &m, err, sizeof(err)) == 0)
			assert_int_equal(m.event, VS_MEV_UNKNOWN);
		vs_media_msg_free(&m);
	}
	assert_int_equal(vs_media_parse("{\"event\":\"weird\"}", 17, 0, &m, err, sizeof(err)), 0);
	assert_int_equal(m.event, VS_MEV_UNKNOWN);
	assert_string_equal(m.event_name, "weird");
	vs_media_msg_free(&m);
	{
		size_t n = 100000;
		char *big = malloc(n + 64);

		strcpy(big, "{\"event\":\"clear\",\"stream_id\":\"");
		memset(big + strlen(big), 'x', n);
		strcpy(big + 30 + n, "\"}");
		assert_int_equal(vs_media_parse(big, strlen(big), 0, &m, err, sizeof(err)), -1);
		vs_media_msg_free(&m);
		strcpy(big, "{\"event\":\"media\",\"media\":{\"payload\":\"");
		memset(big + strlen(big), 'A', n);
		strcpy(big + 37 + n, "\"}}");
		assert_int_equal(vs_media_parse(big, strlen(big), 1000, &m, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "limit"));
		vs_media_msg_free(&m);
		free(big);
	}
	/* random bytes and random mutations of a valid message */
	{
		uint64_t s = 12345;
		char buf[256];
		char *good = vs_media_media("sid", 1, "inbound", 1, 20, (const uint8_t *)"abcdefgh", 8);
		size_t gl = strlen(good);

		for (int it = 0; it < 20000; it++) {
			size_t len;

			s = s * 6364136223846793005ull + 1442695040888963407ull;
			if (it % 2) {
				len = (s >> 33) % sizeof(buf);
				for (size_t i = 0; i < len; i++) {
					s = s * 6364136223846793005ull + 1442695040888963407ull;
					buf[i] = (char)(s >> 56);
				}
			} else {
				len = gl < sizeof(buf) ? gl : sizeof(buf);
				memcpy(buf, good, len);
				for (int k = 0; k < 3; k++) {
					s = s * 6364136223846793005ull + 1442695040888963407ull;
					buf[(s >> 33) % len] = (char)(s >> 56);
				}
			}
			(void)vs_media_parse(buf, len, 0, &m, err, sizeof(err));
			vs_media_msg_free(&m);
		}
		free(good);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
