/* stt_deepgram: descriptor.  The probe (probe*.c) streams a manifest of
 * recordings to Deepgram's live /v1/listen and scores the transcripts (WER,
 * latency); the world hook serves the Deepgram stand-in (standin.c). */
#include "vstress/plugin.h"
#include "probe.h"
#include "standin.h"

static const struct vs_option options[] = {
	{"url", VS_OPT_STRING, "${VSTRESS_WORLD_STT_DEEPGRAM_WS:-wss://api.deepgram.com}",
	 "probe: Deepgram WebSocket base (/v1/listen is appended)", 0},
	{"api_key", VS_OPT_STRING, "${DEEPGRAM_API_KEY}",
	 "probe: the key sent (empty: skip); stand-in: the accepted key (unset: any key)", VS_OPT_SECRET},
	{"model", VS_OPT_STRING, "nova-3-general", "probe: model", 0},
	{"language", VS_OPT_STRING, "en", "probe: language", 0},
	{"samples", VS_OPT_STRING, "tests/fixtures/stt/manifest.txt", "probe: manifest of <wav>|<transcript> lines", 0},
	{"repeat", VS_OPT_INT, "3", "probe: streams per sample (16 fixtures x 3 = 48, the plan's ~50)", 0},
	{"encoding", VS_OPT_STRING, "linear16", "probe: linear16 or mulaw (a phone call's 8 kHz)", 0},
	{"sample_rate", VS_OPT_INT, NULL, "probe: audio rate sent (default 16000, mulaw 8000)", 0},
	{"chunk_ms", VS_OPT_INT, "40", "probe: audio per binary frame (20-100 like Pipecat)", 0},
	{"realtime", VS_OPT_DOUBLE, "1", "probe: sending speed, times real time (0: as fast as possible)", 0},
	{"concurrency", VS_OPT_INT, "4", "probe: streams at once", 0},
	{"final_timeout", VS_OPT_DURATION, "5s", "probe: wait for the from_finalize result after the audio", 0},
	{"request_timeout", VS_OPT_DURATION, "60s", "probe: limit for one stream", 0},
	{"max_wer", VS_OPT_DOUBLE, "0.25", "probe: check: overall WER at most", 0},
	{"final_within", VS_OPT_DURATION, "1500ms", "probe: check: p95 end of audio -> final result", 0},
	{"phrase_hint", VS_OPT_BOOL, "false", "probe: send vstress_phrase=<index> (the world's scripted stand-in only)", 0},
	{"price_per_minute", VS_OPT_DOUBLE, "0", "probe: USD per audio minute (conf.d/prices-speech.ini)", 0},
	{"faults", VS_OPT_LIST, NULL, "probe: world faults during the probe, kind[:param=value]... (hermetic)", 0},
	{"control", VS_OPT_STRING, "${VSTRESS_WORLD_CONTROL}", "probe: the world's control API (for faults)", 0},
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
	{"grammar_file", VS_OPT_STRING, NULL, "stand-in, grammar mode: a JSGF file instead of the phrases", 0},
	{"min_confidence", VS_OPT_DOUBLE, "0.5",
	 "stand-in, grammar mode: below it the transcript is empty (not one of the phrases)", 0},
	{"sphinx_model", VS_OPT_STRING, "/usr/share/pocketsphinx/model/en-us",
	 "stand-in, grammar mode: pocketsphinx model folder (en-us/, cmudict-en-us.dict)", 0},
	{"sphinx_log", VS_OPT_STRING, NULL, "stand-in, grammar mode: pocketsphinx's own log file (default: none)", 0},
	{"port", VS_OPT_INT, NULL, "stand-in: fixed port (default: from --port-base)", 0},
	{0},
};

VS_PLUGIN(.name = "stt_deepgram", .version = "0.2.0",
	  .description = "Deepgram live STT: WER/latency probe over a recording manifest, and stand-in",
	  .options = options, .setup = dg_setup, .run = dg_run, .teardown = dg_teardown, .world = stt_deepgram_standin);
