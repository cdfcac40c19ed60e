/* tts_elevenlabs probe against the real world: all ok without faults; every
 * fault kind lands in its class; a missing key skips; error words. */
#include "worldproc.h"


#include "vstress/audio/speechq.h"
#include "../probe.c" /* el_class_of_text: the plugin hides its symbols */

#define TT_PLUGIN "tts_elevenlabs"
#define TT_KEY_ENV "ELEVENLABS_API_KEY"
#include "tts_world_cases.h"

/* ElevenLabs reports errors in words (detail.status, "error", close reasons). */
static void error_words(void **st)
{
	(void)st;
	assert_int_equal(el_class_of_text("quota_exceeded"), VS_SPEECH_QUOTA);
	assert_int_equal(el_class_of_text("invalid_api_key"), VS_SPEECH_AUTH);
	assert_int_equal(el_class_of_text("too_many_concurrent_requests"), VS_SPEECH_RATE_LIMIT);
	assert_int_equal(el_class_of_text("invalid_input_message"), VS_SPEECH_BAD_REQUEST);
	assert_int_equal(el_class_of_text("closed by peer (1008): Have not received a new text input within the "
					  "timeout of 20 seconds."),
			 VS_SPEECH_CLOSED_EARLY);
	assert_int_equal(el_class_of_text(NULL), VS_SPEECH_CLOSED_EARLY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(error_words), TT_WORLD_CASES};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
