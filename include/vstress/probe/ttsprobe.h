/* The TTS provider probe shared by tts_cartesia and tts_elevenlabs: options,
 * request dispatch (pacer + worker threads), result classes (speechclass.h), audio
 * validity, metrics, checks and cost.  A plugin supplies the provider's
 * WebSocket conversation for one request (struct vs_tts_proto).
 * Worker threads never call the host: results are recorded by the
 * plugin's thread after the workers are joined. */
#ifndef VSTRESS_UTIL_TTSPROBE_H
#define VSTRESS_UTIL_TTSPROBE_H

#include <stddef.h>
#include <stdint.h>

#include "vstress/plugin.h"
#include "vstress/probe/speechclass.h"


struct vs_tts_cfg {
	const char *url, *api_key, *model, *voice_id, *encoding;
	int enc;         /* enum vs_aenc */
	int sample_rate;
	int timeout_ms;  /* request_timeout */
};

struct vs_tts_req {
	/* in */
	int index;
	const char *text;
	char context_id[48];
	int timeout_ms;
	uint64_t t_intended;
	/* out, set by the session */
	int cls;
	char msg[256];         /* the provider's message for a failure */
	uint64_t t_start;      /* connect started */
	uint64_t t_sent;       /* the text was sent */
	uint64_t t_first;      /* first audio byte (0: none) */
	uint64_t t_end;        /* end of the audio (done / isFinal) */
	uint8_t *audio;
	size_t audio_len, audio_cap;
	long messages;
};

struct vs_tts_proto {
	const char *plugin;       /* option section, e.g. "tts_cartesia" */
	const char *key_env;      /* "CARTESIA_API_KEY", named in the skip reason */
	const char *fault_target; /* world fault target, "cartesia" */
	/* One request over the provider's protocol; fills r's out fields.
	 * Must bound every wait by r->timeout_ms. */
	void (*session)(const struct vs_tts_cfg *cfg, struct vs_tts_req *r);
};


/* Appends audio to r (0, or -1 out of memory). */
int vs_tts_add_audio(struct vs_tts_req *r, const void *data, size_t len);
/* Base64 audio: decoded and appended; -1 when it is not base64. */
int vs_tts_add_b64(struct vs_tts_req *r, const char *b64, size_t len);

/* The plugin's hooks delegate to these. */
int vs_tts_setup(const struct vs_host *h, vs_ctx *c, const struct vs_tts_proto *p, void **state);
int vs_tts_run(const struct vs_host *h, vs_ctx *c, void *state);
int vs_tts_teardown(const struct vs_host *h, vs_ctx *c, void *state);

/* Option table entries shared by both TTS plugins (between the plugin's own
 * entries and {0}). */
#define VS_TTS_PROBE_OPTIONS(requests_def)                                                                      \
	{"requests", VS_OPT_INT, requests_def, "probe: synthesis requests", 0},                                 \
	{"concurrency", VS_OPT_INT, "4", "probe: requests in flight at once", 0},                               \
	{"rate", VS_OPT_DOUBLE, "0", "probe: request starts per second (0: as fast as concurrency allows)", 0}, \
	{"texts", VS_OPT_LIST, NULL, "probe: sentences to speak, cycled (default: built-in phone-agent lines)", 0}, \
	{"texts_file", VS_OPT_STRING, NULL, "probe: file of sentences, one a line (wins over texts)", 0},       \
	{"encoding", VS_OPT_STRING, "pcm_s16le", "probe: pcm_s16le or pcm_mulaw", 0},                           \
	{"sample_rate", VS_OPT_INT, "16000", "probe: requested sample rate (pcm_mulaw: 8000)", 0},              \
	{"request_timeout", VS_OPT_DURATION, "15s", "probe: limit for one request, connect to last audio", 0},  \
	{"first_audio_within", VS_OPT_DURATION, "1s", "probe: check: time to first audio p95 at most", 0},     \
	{"min_ok_rate", VS_OPT_DOUBLE, "0.98", "probe: check: fraction of requests answered ok", 0},           \
	{"max_rtf", VS_OPT_DOUBLE, "1", "probe: check: real-time factor p95 below (synthesis time / audio)", 0}, \
	{"min_ms_per_char", VS_OPT_DOUBLE, "25", "probe: audio shorter than this per character is invalid", 0}, \
	{"max_ms_per_char", VS_OPT_DOUBLE, "250", "probe: audio longer than this per character is invalid", 0}, \
	{"silence_dbfs", VS_OPT_DOUBLE, "-50", "probe: audio with RMS at or below this is silent (invalid)", 0}, \
	{"price_per_1k_chars", VS_OPT_DOUBLE, "0", "probe: USD per 1,000 characters (conf.d/prices-speech.ini)", 0}, \
	{"faults", VS_OPT_LIST, NULL,                                                                            \
	 "probe: world faults for a second, faulted pass after the clean one, kind[:param=value]... (hermetic)", 0}, \
	{"fault_requests", VS_OPT_INT, NULL, "probe: requests of the faulted pass (default: requests)", 0},        \
	{"fault_concurrency", VS_OPT_INT, NULL, "probe: concurrency of the faulted pass (default: concurrency)", 0}, \
	{"fault_request_timeout", VS_OPT_DURATION, NULL,                                                          \
	 "probe: request_timeout of the faulted pass (default: request_timeout)", 0},                             \
	{"control", VS_OPT_STRING, "${VSTRESS_WORLD_CONTROL}", "probe: the world's control API (for faults)", 0}

#endif
