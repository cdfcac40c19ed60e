/* pipeline plugin: what both audio-path checks share, the caller -> STT
 * utterances (pl_audio.c) and the TTS -> caller replies (pl_tts.c): the
 * loop over the calls that streamed and the figures gathered per item. */
#ifndef VSTRESS_PL_PATH_H
#define VSTRESS_PL_PATH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <vstress/callphase/checkmsg.h>

struct pl;
struct vs_call_script;
struct vs_call_result;

/* The worst figures over the items judged, and their delays. */
struct pl_pathstats {
	struct vs_checkmsg bad; /* the items under the bounds */
	double min_fraction, worst_removed_pct, worst_dropout_ms;
	double *delays;
	size_t ndelays;
};

#define PL_PATHSTATS_INIT {.min_fraction = 1}

/* One item judged: its fraction of speech frames, % of its speech removed,
 * longest dropout (ms), and its "delay_ms" kept when it is a number. */
void pl_pathstats_add(struct pl_pathstats *st, double fraction, double removed_pct, double dropout_ms,
		      const json_t *delay);
/* "delay added p50 .. ms, max .. ms" into buf (sorting the delays); buf
 * untouched when no delay is known. */
void pl_pathstats_delay(struct pl_pathstats *st, char *buf, size_t len);
void pl_pathstats_free(struct pl_pathstats *st);

/* vs_audiopath_call or vs_ttspath_call */
typedef int (*pl_path_fn)(const char *control_url, const struct vs_call_script *s, const struct vs_call_result *r,
			  int64_t t0_ns, json_t **out, char *err, size_t errlen);
/* Runs fn for each call that streamed; each answer not skipped goes to
 * judge (call numbered from 1) and is kept as calls_json[i].<key>.  The
 * number of calls skipped is returned, the last one's reason in why. */
int pl_path_calls(struct pl *p, json_t *calls_json, pl_path_fn fn, const char *key,
		  void (*judge)(struct pl *p, size_t call, const json_t *j, void *arg), void *arg, char *why,
		  size_t whylen);

#endif
