/* tts_elevenlabs: descriptor.  The probe is not written yet; the world hook
 * serves the ElevenLabs stand-in (standin.c). */
#include "vstress/plugin.h"
#include "standin.h"

static const struct vs_option options[] = {
	{"api_key", VS_OPT_STRING, NULL, "stand-in: the accepted key (unset: any key)", VS_OPT_SECRET},
	{"voice", VS_OPT_STRING, "slt", "stand-in: flite voice of the synthesised speech", 0},
	{"ttfa_ms", VS_OPT_DURATION, "150", "stand-in: time to first audio of a context", 0},
	{"inactivity_timeout_ms", VS_OPT_DURATION, "20000", "stand-in: close 1008 after this long without text", 0},
	{"chunk_ms", VS_OPT_DURATION, "50", "stand-in: audio per chunk message", 0},
	{"realtime", VS_OPT_DOUBLE, "2", "stand-in: generation speed, times real time (0: unpaced)", 0},
	{"port", VS_OPT_INT, NULL, "stand-in: fixed port (default: from --port-base)", 0},
	{0},
};

static int not_yet(const struct vs_host *h, vs_ctx *c)
{
	h->reason(c, "probe not implemented yet");
	return VS_SKIP;
}

static int setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	*state = NULL;
	return not_yet(h, c);
}

static int run(const struct vs_host *h, vs_ctx *c, void *state)
{
	(void)state;
	return not_yet(h, c);
}

static int teardown(const struct vs_host *h, vs_ctx *c, void *state)
{
	(void)h, (void)c, (void)state;
	return VS_OK;
}

VS_PLUGIN(.name = "tts_elevenlabs", .version = "0.1.0",
	  .description = "ElevenLabs TTS: probe (to come) and stand-in", .options = options,
	  .setup = setup, .run = run, .teardown = teardown, .world = tts_elevenlabs_standin);
