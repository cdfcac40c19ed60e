/* The caller's per-frame `media` text (call_media_text), built by hand for
 * speed, is byte for byte what the JSON path (vs_media_media) writes, for
 * every frame content, sequence number and stream id; a buffer too small
 * gives 0, never a truncated message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/caller/call_int.h"
#include "vstress/telnyx/media_msg.h"

static void test_same_bytes(void **state)
{
	static const char *ids[] = {"", "s", "3f0c8a2e-1b7d-4e59-9a61-0d2c7b1e8f44", "v3:AbC-dEf_123/x+y="};
	static const uint64_t nums[] = {0, 1, 9, 10, 49, 12345, 18446744073709551615ull / 20};
	uint8_t fr[CALL_FRAME];
	char buf[640];
	(void)state;

	for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
		for (size_t j = 0; j < sizeof nums / sizeof *nums; j++) {
			for (int b = 0; b < CALL_FRAME; b++)
				fr[b] = (uint8_t)(b * 7 + i * 31 + j);
			uint64_t seq = nums[j] * 3 + 1, k = nums[j];
			size_t n = call_media_text(buf, sizeof buf, ids[i], strlen(ids[i]), seq, k, fr);
			char *want = vs_media_media(ids[i], seq, "inbound", k + 1, k * 20, fr, CALL_FRAME);

			assert_non_null(want);
			assert_int_equal(n, strlen(want));
			assert_memory_equal(buf, want, n);
			free(want);
		}
}

static void test_too_small(void **state)
{
	uint8_t fr[CALL_FRAME] = {0};
	char buf[640];
	(void)state;

	assert_int_equal(call_media_text(buf, 100, "abc", 3, 1, 0, fr), 0);
	assert_int_equal(call_media_text(buf, sizeof buf, "x", 400, 1, 0, fr), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_bytes),
		cmocka_unit_test(test_too_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
