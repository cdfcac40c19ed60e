/* The STT provider probe (stt_deepgram's, and any other streaming STT
 * plugin's): options, the sample manifest and its audio in the wire
 * format, worker threads (one stream per sample, `concurrency` at once),
 * the clean and the faulted pass, WER (sum of edits / sum of reference
 * words), latency, result classes (speechclass.h), cost, checks and the
 * honest skip for Australian-accent audio.  A plugin supplies the
 * provider's streaming conversation for one sample (struct vs_stt_proto).
 * Worker threads never call the host: results are recorded by the
 * plugin's thread after the workers are joined. */
#ifndef VSTRESS_PROBE_STTPROBE_H
#define VSTRESS_PROBE_STTPROBE_H

#include <stddef.h>
#include <stdint.h>

#include "vstress/plugin.h"
#include "vstress/probe/speechclass.h"

struct vs_stt_sample {
	/* in */
	char file[256];
	char *ref;
	uint8_t *audio; /* encoded for the wire: s16le, or mu-law when cfg.mulaw */
	size_t len;
	double seconds;
	int index; /* manifest index (phrase hint) */
	/* out, set by the stream */
	int cls;       /* enum vs_speech_class */
	char msg[256];
	char *hyp;     /* joined final transcripts, malloc'd */
	double latency_ms; /* end of audio -> final result; < 0 when none */
	double connect_ms;
};

struct vs_stt_cfg {
	const char *url, *api_key, *model, *language;
	int mulaw, rate, chunk_ms, phrase_hint;
	double realtime;   /* 1 = real time, 0 = as fast as possible */
	int final_timeout_ms;
	int timeout_ms;    /* whole stream limit */
};

struct vs_stt_proto {
	const char *key_env;       /* "DEEPGRAM_API_KEY", named in the skip reason */
	const char *fault_target;  /* world fault target, "deepgram" */
	const char *default_model; /* when model is unset */
	int close_1011_server;     /* a close 1011 is the provider's server error */
	/* One sample over the provider's protocol; fills s's out fields.
	 * Must bound every wait by cfg->timeout_ms. */
	void (*stream)(const struct vs_stt_cfg *cfg, struct vs_stt_sample *s);
};

/* Reads a manifest (<wav>|<transcript> lines, '#' comments, wav paths
 * relative to the manifest) and loads the audio at `rate` Hz, mu-law or
 * s16le; 0, or -1 with err naming file:line. */
int vs_stt_manifest_load(const char *path, int rate, int mulaw, struct vs_stt_sample **out, size_t *n, char *err,
			 size_t errlen);
void vs_stt_samples_free(struct vs_stt_sample *s, size_t n);

/* The plugin's hooks delegate to these. */
int vs_stt_setup(const struct vs_host *h, vs_ctx *c, const struct vs_stt_proto *p, void **state);
int vs_stt_run(const struct vs_host *h, vs_ctx *c, void *state);
int vs_stt_teardown(const struct vs_host *h, vs_ctx *c, void *state);

/* Option table entries of the probe (after the plugin's url, api_key,
 * model and language, before its stand-in's). */
#define VS_STT_PROBE_OPTIONS                                                                                    \
	{"samples", VS_OPT_STRING, "tests/fixtures/stt/manifest.txt", "probe: manifest of <wav>|<transcript> lines", 0}, \
	{"repeat", VS_OPT_INT, "3", "probe: streams per sample (16 fixtures x 3 = 48, the plan's ~50)", 0},           \
	{"encoding", VS_OPT_STRING, "linear16", "probe: linear16 or mulaw (a phone call's 8 kHz)", 0},                \
	{"sample_rate", VS_OPT_INT, NULL, "probe: audio rate sent (default 16000, mulaw 8000)", 0},                   \
	{"chunk_ms", VS_OPT_INT, "40", "probe: audio per binary frame (20-100 like Pipecat)", 0},                     \
	{"realtime", VS_OPT_DOUBLE, "1", "probe: sending speed, times real time (0: as fast as possible)", 0},        \
	{"concurrency", VS_OPT_INT, "4", "probe: streams at once", 0},                                                \
	{"final_timeout", VS_OPT_DURATION, "5s", "probe: wait for the from_finalize result after the audio", 0},      \
	{"request_timeout", VS_OPT_DURATION, "60s", "probe: limit for one stream", 0},                                \
	{"max_wer", VS_OPT_DOUBLE, "0.25", "probe: check: overall WER at most", 0},                                   \
	{"final_within", VS_OPT_DURATION, "1500ms", "probe: check: p95 end of audio -> final result", 0},            \
	{"phrase_hint", VS_OPT_BOOL, "false", "probe: send vstress_phrase=<index> (the world's scripted stand-in only)", 0}, \
	{"price_per_minute", VS_OPT_DOUBLE, "0", "probe: USD per audio minute (conf.d/prices-speech.ini)", 0},        \
	{"faults", VS_OPT_LIST, NULL,                                                                                 \
	 "probe: world faults for a second, faulted pass after the clean one, kind[:param=value]... (hermetic)", 0},  \
	{"fault_requests", VS_OPT_INT, NULL, "probe: streams of the faulted pass (default: the clean pass's)", 0},    \
	{"fault_concurrency", VS_OPT_INT, NULL, "probe: streams at once in the faulted pass (default: concurrency)", 0}, \
	{"fault_request_timeout", VS_OPT_DURATION, NULL,                                                              \
	 "probe: request_timeout of the faulted pass (default: request_timeout)", 0},                                 \
	{"control", VS_OPT_STRING, "${VSTRESS_WORLD_CONTROL}", "probe: the world's control API (for faults)", 0}

#endif
