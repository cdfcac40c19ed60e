/* tts_cartesia probe against the real world: all ok without faults; every
 * fault kind lands in its class; a missing key skips; audio validity. */
#include "worldproc.h"

#include <math.h>

#include "vstress/audio/speechq.h"

#define TT_PLUGIN "tts_cartesia"
#define TT_KEY_ENV "CARTESIA_API_KEY"
#include "tts_world_cases.h"

static void audio_validity(void **st)
{
	(void)st;
	int16_t pcm[16000];
	for (int i = 0; i < 16000; i++)
		pcm[i] = (int16_t)(8000 * sin(i * 0.05));
	struct vs_audio_check a = {.enc = VS_AENC_S16LE, .rate = 16000, .chars = 12, .min_ms_per_char = 25,
				   .max_ms_per_char = 250, .floor_dbfs = -50};
	assert_int_equal(vs_audio_judge((const uint8_t *)pcm, sizeof pcm, &a), 1);
	assert_int_equal(a.samples, 16000);
	/* an odd byte count is not whole samples */
	assert_int_equal(vs_audio_judge((const uint8_t *)pcm, sizeof pcm - 1, &a), 0);
	assert_non_null(strstr(a.why, "whole number"));
	/* silence */
	int16_t zero[8000] = {0};
	assert_int_equal(vs_audio_judge((const uint8_t *)zero, sizeof zero, &a), 0);
	assert_non_null(strstr(a.why, "silent"));
	/* 1 s for 200 characters: too short; for 2 characters: too long */
	a.chars = 200;
	assert_int_equal(vs_audio_judge((const uint8_t *)pcm, sizeof pcm, &a), 0);
	assert_non_null(strstr(a.why, "too short"));
	a.chars = 2;
	assert_int_equal(vs_audio_judge((const uint8_t *)pcm, sizeof pcm, &a), 0);
	assert_non_null(strstr(a.why, "too long"));
	assert_int_equal(vs_audio_judge(NULL, 0, &a), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(audio_validity), TT_WORLD_CASES};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
