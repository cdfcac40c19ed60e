/* stt_deepgram: descriptor.  The probe streams a manifest of recordings to
 * Deepgram's live /v1/listen (probe_stream.c: the wire protocol); the shared
 * STT probe (vstress/probe/sttprobe.h) paces the streams and scores the
 * transcripts (WER, latency); the world hook serves the Deepgram stand-in
 * (standin.c). */
#include "vstress/plugin.h"
#include "probe.h"
#include "standin.h"

static const struct vs_option options[] = {
	{"url", VS_OPT_STRING, "${VSTRESS_WORLD_STT_DEEPGRAM_WS:-wss://api.deepgram.com}",
	 "probe: Deepgram WebSocket base (/v1/listen is appended)", 0},
	VS_OPT_PROVIDER_KEY("DEEPGRAM_API_KEY", "key"),
	{"model", VS_OPT_STRING, "nova-3-general", "probe: model", 0},
	{"language", VS_OPT_STRING, "en", "probe: language", 0},
	VS_STT_PROBE_OPTIONS,
	{"phrases", VS_OPT_STRING, "hello there", "stand-in: transcripts of successive speech segments, '|' separated", 0},
	{"phrases_file", VS_OPT_STRING, NULL,
	 "stand-in: phrases from a file (one a line, or a manifest's <wav>|<transcript>); wins over phrases", 0},
	{"transcript", VS_OPT_STRING, NULL, "stand-in: one fixed transcript for every segment", 0},
	{"threshold_dbfs", VS_OPT_DOUBLE, "-40", "stand-in: speech energy threshold", 0},
	{"hangover_ms", VS_OPT_DURATION, "300", "stand-in: silence that ends a segment (endpointing= wins)", 0},
	{"probe_hangover_ms", VS_OPT_DURATION, NULL,
	 "stand-in: the hangover for a probe's streams (those sending vstress_phrase); default hangover_ms", 0},
	{"final_delay_ms", VS_OPT_DURATION, "50", "stand-in: delay of a final result after the segment end", 0},
	{"idle_timeout_ms", VS_OPT_DURATION, "10000", "stand-in: close 1011 after this long without audio", 0},
	{"mode", VS_OPT_STRING, "scripted",
	 "stand-in: scripted (answer the next phrase) or grammar (recognise the phrases with pocketsphinx)", 0},
	{"record_audio", VS_OPT_BOOL, "false",
	 "stand-in: keep what each stream received (8 kHz, the last 64 streams) for the run's audio-path checks", 0},
	{"record_max_s", VS_OPT_DOUBLE, "300", "stand-in: the most of one stream kept, seconds", 0},
	{"phrases_scripts", VS_OPT_STRING, NULL,
	 "stand-in, grammar mode: caller scripts or folders of them (comma-separated) whose spoken lines join the grammar", 0},
	{"grammar_file", VS_OPT_STRING, NULL, "stand-in, grammar mode: a JSGF file instead of the phrases", 0},
	{"min_confidence", VS_OPT_DOUBLE, "0.5",
	 "stand-in, grammar mode: below it the transcript is empty (not one of the phrases)", 0},
	{"sphinx_model", VS_OPT_STRING, "/usr/share/pocketsphinx/model/en-us",
	 "stand-in, grammar mode: pocketsphinx model folder (en-us/, cmudict-en-us.dict)", 0},
	{"sphinx_log", VS_OPT_STRING, NULL, "stand-in, grammar mode: pocketsphinx's own log file (default: none)", 0},
	VS_OPT_STANDIN_PORT,
	{0},
};

static const struct vs_stt_proto deepgram = {
	.key_env = "DEEPGRAM_API_KEY",
	.fault_target = "deepgram",
	.default_model = "nova-3-general",
	.close_1011_server = 1, /* NET-0001 */
	.stream = dg_stream,
};

static int dg_setup(const struct vs_host *h, vs_ctx *c, void **state)
{
	return vs_stt_setup(h, c, &deepgram, state);
}

VS_PLUGIN(.name = "stt_deepgram", .version = "0.2.0",
	  .description = "Deepgram live STT: WER/latency probe over a recording manifest, and stand-in",
	  .options = options, .setup = dg_setup, .run = vs_stt_run, .teardown = vs_stt_teardown, .world = stt_deepgram_standin,
	  .secrets = (const char *const[]){"DEEPGRAM_API_KEY", NULL});
