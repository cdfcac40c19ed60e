/* Per-turn latency waterfalls (docs/waterfall.md): where each caller turn's
 * time went, from the caller's own edges and the marks the world's
 * stand-ins publish (wf.stt, wf.llm, wf.tts; vstress/standin/wfmark.h), all
 * on CLOCK_MONOTONIC.  The records are tied to calls and turns from the
 * traffic alone (the caller's words, the transcript, the LLM request and
 * reply, the TTS text, timing, and Deepgram tag / OpenAI user when the
 * agent sends them); a turn that cannot be tied is left unattributed, never
 * guessed.  Link -lcurl -ljansson (vs_wf_fetch) and lib/net. */
#ifndef VSTRESS_WATERFALL_H
#define VSTRESS_WATERFALL_H

#include <stddef.h>
#include <stdint.h>

typedef struct json_t json_t;

/* The events of one turn, in order (index into vs_wf_turn.t). */
enum vs_wf_event {
	VS_WF_SPEECH_END = 0, /* caller: the last sample of the utterance */
	VS_WF_STT_AUDIO,      /* STT stand-in: the message carrying it arrived */
	VS_WF_STT_FINAL,      /* STT stand-in: the final transcript sent */
	VS_WF_LLM_REQUEST,    /* LLM stand-in: the request arrived */
	VS_WF_LLM_FIRST,      /* first content token sent */
	VS_WF_LLM_LAST,       /* last content token sent */
	VS_WF_TTS_REQUEST,    /* TTS stand-in: the request for the reply's text arrived */
	VS_WF_TTS_AUDIO,      /* its first audio sent */
	VS_WF_HEARD,          /* caller: the reply's onset heard */
	VS_WF_NEVENTS
};
#define VS_WF_NSTAGES (VS_WF_NEVENTS - 1)

/* Stage i runs from event i to event i + 1. */
struct vs_wf_stage {
	const char *name;  /* JSON key stem: "<name>_ms" */
	const char *owner; /* "agent" or "provider" */
	const char *what;
};
extern const struct vs_wf_stage vs_wf_stages[VS_WF_NSTAGES];

/* What the world recorded (times: CLOCK_MONOTONIC ns, on the caller's clock
 * once vs_wf_fetch applied the offset). */
struct vs_wf_stt {
	char stream[48], tag[64];
	int64_t audio_end_ns, final_ns; /* audio_end 0: not known */
	char *text;
};
struct vs_wf_llm {
	char req[48], user[64];
	int64_t request_ns, first_ns, last_ns;
	char *user_text, *reply_text;
};
struct vs_wf_tts {
	char conn[128];
	int64_t request_ns, first_audio_ns;
	char *text;
};
struct vs_wf_world {
	struct vs_wf_stt *stt;
	size_t nstt;
	struct vs_wf_llm *llm;
	size_t nllm;
	struct vs_wf_tts *tts;
	size_t ntts;
};

/* One caller turn: the caller's part in, the waterfall out. */
struct vs_wf_turn {
	int64_t speech_end_ns, heard_ns; /* caller's clock */
	const char *words;               /* the caller's words; NULL: not known (a WAV) */
	const char *ids[3];              /* the call's ids, matched against tag / user */
	/* out */
	int64_t t[VS_WF_NEVENTS]; /* -1: unknown */
	int attributed;
	char why[120]; /* when not attributed */
};

/* Adds the wf.* events of a /_vstress/events answer ({"events":[...]})
 * or of an array of events.  Malformed events are skipped and counted in
 * *bad (may be NULL).  0, or -1 on OOM. */
int vs_wf_world_add_events(struct vs_wf_world *w, const json_t *events, size_t *bad);
void vs_wf_world_shift(struct vs_wf_world *w, int64_t offset_ns); /* world clock -> caller clock */
void vs_wf_world_free(struct vs_wf_world *w);

/* Reads every wf.* event from the world's control API (paged) and the
 * clock offset (the world's monotonic reading in /_vstress/health against
 * ours: 0 on one host).  0, or -1 with err (the world did not answer:
 * live mode, every world stage unknown). */
int vs_wf_fetch(const char *control_url, struct vs_wf_world *w, int64_t *offset_ns, char *err, size_t errlen);

/* Ties the world's records to the turns (in any order; each record to at
 * most one turn).  Fills t[], attributed and why. */
void vs_wf_correlate(const struct vs_wf_world *w, struct vs_wf_turn *turns, size_t n);

/* Text matching used by the correlation: lower-case words of letters and
 * digits joined by one space (malloc'd).  vs_wf_contains: are all of
 * needle's words, in order and adjacent, inside hay? (both raw text) */
char *vs_wf_norm(const char *s);
int vs_wf_contains(const char *hay, const char *needle);

/* The turn as a row: {"turn","attributed","total_ms","<stage>_ms"...,
 * "residue_ms","why"} with null for unknown stages; residue = total - the
 * known stages. */
json_t *vs_wf_row(const struct vs_wf_turn *t, int turn_no);
/* Per-stage p50/p95/p99 (nearest rank, ms) over rows (an array of rows,
 * or of arrays of rows): {"turns","attributed","unattributed","stages":
 * {"<stage>":{"owner","n","p50_ms","p95_ms","p99_ms"}}, "total", "residue",
 * "abs_residue"}. */
json_t *vs_wf_summary(const json_t *rows);
/* Every row of a phase's data.calls (at "waterfall" on a call element);
 * copies in a new array. */
json_t *vs_wf_rows_of_calls(const json_t *calls);

#endif
