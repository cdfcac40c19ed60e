/* tts_cartesia: descriptor.  The probe (probe.c, on the shared TTS probe in
 * lib/probe/ttsprobe.c) synthesises `requests` sentences over Cartesia's
 * WebSocket; the world hook serves the Cartesia stand-in (standin.c). */
#include "vstress/plugin.h"
#include "vstress/probe/ttsprobe.h"
#include "vstress/standin/standin_audio.h"
#include "probe.h"
#include "standin.h"

static const struct vs_option options[] = {
	{"url", VS_OPT_STRING, "${VSTRESS_WORLD_TTS_CARTESIA_WS:-wss://api.cartesia.ai}",
	 "probe: Cartesia WebSocket base (/tts/websocket is appended)", 0},
	VS_OPT_PROVIDER_KEY("CARTESIA_API_KEY", "key"),
	{"model", VS_OPT_STRING, "sonic-3.5", "probe: model_id", 0},
	{"voice_id", VS_OPT_STRING, "a0e99841-438c-4a64-b679-ae501e7d6091", "probe: voice id", 0},
	VS_TTS_PROBE_OPTIONS("100"),
	VS_TTS_STANDIN_OPTIONS("40"),
	{0},
};

static int setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	return vs_tts_setup(h, c, &ca_proto, state);
}

VS_PLUGIN(.name = "tts_cartesia", .version = "0.2.0",
	  .description = "Cartesia TTS: WebSocket probe (TTFA, RTF, audio validity, cost) and stand-in",
	  .options = options, .setup = setup, .run = vs_tts_run, .teardown = vs_tts_teardown,
	  .world = tts_cartesia_standin,
	  .secrets = (const char *const[]){"CARTESIA_API_KEY", NULL});
