/* stt_deepgram: descriptor.  The probe is not written yet; the world hook
 * serves the Deepgram stand-in (standin.c). */
#include "vstress/plugin.h"
#include "standin.h"

static const struct vs_option options[] = {
	{"api_key", VS_OPT_STRING, NULL, "stand-in: the accepted key (unset: any key)", VS_OPT_SECRET},
	{"phrases", VS_OPT_STRING, "hello there", "stand-in: transcripts of successive speech segments, '|' separated", 0},
	{"transcript", VS_OPT_STRING, NULL, "stand-in: one fixed transcript for every segment", 0},
	{"threshold_dbfs", VS_OPT_DOUBLE, "-40", "stand-in: speech energy threshold", 0},
	{"hangover_ms", VS_OPT_DURATION, "300", "stand-in: silence that ends a segment (endpointing= wins)", 0},
	{"final_delay_ms", VS_OPT_DURATION, "50", "stand-in: delay of a final result after the segment end", 0},
	{"idle_timeout_ms", VS_OPT_DURATION, "10000", "stand-in: close 1011 after this long without audio", 0},
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

VS_PLUGIN(.name = "stt_deepgram", .version = "0.1.0",
	  .description = "Deepgram live STT: probe (to come) and stand-in", .options = options,
	  .setup = setup, .run = run, .teardown = teardown, .world = stt_deepgram_standin);
