/* stt_deepgram probe: streams fixture audio to Deepgram's /v1/listen as
 * Pipecat does, collects the final transcripts, measures WER and the time
 * to the final result after the end of the audio. */
#ifndef STT_DEEPGRAM_PROBE_H
#define STT_DEEPGRAM_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "vstress/plugin.h"

struct dg_sample {
	/* in */
	char file[256];
	char *ref;
	uint8_t *audio; /* encoded for the wire */
	size_t len;
	double seconds;
	int index; /* manifest index (phrase hint) */
	/* out */
	int cls;       /* enum vs_tts_class */
	char msg[256];
	char *hyp;     /* joined final transcripts, malloc'd */
	double latency_ms; /* end of audio -> final result; < 0 when none */
	double connect_ms;
};

struct dg_cfg {
	const char *url, *api_key, *model, *language;
	int mulaw, rate, chunk_ms, phrase_hint;
	double realtime;   /* 1 = real time, 0 = as fast as possible */
	int final_timeout_ms;
	int timeout_ms;    /* whole stream limit */
};

/* One sample over one WebSocket stream; fills s's out fields. */
void dg_stream(const struct dg_cfg *cfg, struct dg_sample *s);
/* Reads a manifest (file|transcript lines) and loads the audio in the wire
 * format; 0, or -1 with err. */
int dg_manifest_load(const char *path, int rate, int mulaw, struct dg_sample **out, size_t *n, char *err,
		     size_t errlen);
void dg_samples_free(struct dg_sample *s, size_t n);

int dg_setup(const struct vs_host *h, vs_ctx *c, void **state);
int dg_run(const struct vs_host *h, vs_ctx *c, void *state);
int dg_teardown(const struct vs_host *h, vs_ctx *c, void *state);

#endif
