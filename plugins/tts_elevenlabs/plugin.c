/* tts_elevenlabs: descriptor.  The probe (probe.c, on the shared TTS probe in
 * lib/probe/ttsprobe.c) synthesises `requests` sentences over ElevenLabs'
 * multi-stream-input WebSocket; the world hook serves the stand-in. */
#include "vstress/plugin.h"
#include "vstress/probe/ttsprobe.h"
#include "probe.h"
#include "standin.h"

static const struct vs_option options[] = {
	{"url", VS_OPT_STRING, "${VSTRESS_WORLD_TTS_ELEVENLABS_WS:-wss://api.elevenlabs.io}",
	 "probe: ElevenLabs WebSocket base (/v1/text-to-speech/{voice}/multi-stream-input is appended)", 0},
	{"api_key", VS_OPT_STRING, "${ELEVENLABS_API_KEY}",
	 "probe: the key sent (empty: skip); stand-in: the accepted key (unset: any key)", VS_OPT_SECRET},
	{"model", VS_OPT_STRING, "eleven_flash_v2_5", "probe: model_id", 0},
	{"voice_id", VS_OPT_STRING, "21m00Tcm4TlvDq8ikWAM", "probe: voice id", 0},
	VS_TTS_PROBE_OPTIONS("50"),
	{"voice", VS_OPT_STRING, "slt", "stand-in: flite voice of the synthesised speech", 0},
	{"ttfa_ms", VS_OPT_DURATION, "150", "stand-in: time to first audio of a context", 0},
	{"inactivity_timeout_ms", VS_OPT_DURATION, "20000", "stand-in: close 1008 after this long without text", 0},
	{"chunk_ms", VS_OPT_DURATION, "50", "stand-in: audio per chunk message", 0},
	{"realtime", VS_OPT_DOUBLE, "2", "stand-in: generation speed, times real time (0: unpaced)", 0},
	{"port", VS_OPT_INT, NULL, "stand-in: fixed port (default: from --port-base)", 0},
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
