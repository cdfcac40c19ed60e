/* tts_elevenlabs: descriptor.  The probe (probe.c, on the shared TTS probe in
 * lib/probe/ttsprobe.c) synthesises `requests` sentences over ElevenLabs'
 * multi-stream-input WebSocket; the world hook serves the stand-in. */
#include "vstress/plugin.h"
#include "vstress/probe/ttsprobe.h"
#include "vstress/standin/standin_audio.h"
#include "probe.h"
#include "standin.h"

static const struct vs_option options[] = {
	{"url", VS_OPT_STRING, "${VSTRESS_WORLD_TTS_ELEVENLABS_WS:-wss://api.elevenlabs.io}",
	 "probe: ElevenLabs WebSocket base (/v1/text-to-speech/{voice}/multi-stream-input is appended)", 0},
	VS_OPT_PROVIDER_KEY("ELEVENLABS_API_KEY", "key"),
	{"model", VS_OPT_STRING, "eleven_flash_v2_5", "probe: model_id", 0},
	{"voice_id", VS_OPT_STRING, "21m00Tcm4TlvDq8ikWAM", "probe: voice id", 0},
	VS_TTS_PROBE_OPTIONS("50"),
	VS_TTS_STANDIN_OPTIONS("50"),
	{"inactivity_timeout_ms", VS_OPT_DURATION, "20000", "stand-in: close 1008 after this long without text", 0},
	{0},
};

static int setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	return vs_tts_setup(h, c, &el_proto, state);
}

VS_PLUGIN(.name = "tts_elevenlabs", .version = "0.2.0",
	  .description = "ElevenLabs TTS: multi-stream-input probe (TTFA, RTF, audio validity, cost) and stand-in",
	  .options = options, .setup = setup, .run = vs_tts_run, .teardown = vs_tts_teardown,
	  .world = tts_elevenlabs_standin,
	  .secrets = (const char *const[]){"ELEVENLABS_API_KEY", NULL});
