/* The call simulator: vstress plays Telnyx and the caller on the media
 * WebSocket (telnyx-protocol.md §5) and measures the agent from the audio it
 * hears.  See docs/calls.md for the caller-script format and the measures.
 *
 * Threads: one engine = one or more event loops (epoll + one timerfd,
 * a thread each, docs/calls.md "The engine"); a loop runs any number of
 * calls (2,000 on one core are benchmarked, bench/README.md).  vs_call_start / wait / free
 * may be called from any thread.  Scripts are immutable once loaded and may
 * be shared by any number of concurrent calls. */
#ifndef VSTRESS_CALL_H
#define VSTRESS_CALL_H

#include <stddef.h>
#include <stdint.h>

#include "vstress/caller/impair.h"

typedef struct json_t json_t;

/* --- caller scripts (call_script.c) ---------------------------------- */

enum vs_step_kind {
	VS_STEP_SAY = 0,     /* say = <text>          flite, [call] voice */
	VS_STEP_WAV,         /* wav = <path>          PCM16 mono WAV, any rate */
	VS_STEP_TONE,        /* tone = <duration>     freq = 440, level = -12dB */
	VS_STEP_SILENCE,     /* silence = <duration> */
	VS_STEP_NOISE,       /* noise = <duration>    level = -50dB (white) */
	VS_STEP_DTMF,        /* dtmf = <digits>       one `dtmf` event each + 200 ms */
	VS_STEP_WAIT_REPLY,  /* wait_reply = <timeout> */
	VS_STEP_BARGE_IN,    /* barge_in = <text>     after = 500ms, timeout = 10s */
	VS_STEP_HANGUP,      /* hangup = yes */
};

struct vs_call_measure_cfg {
	double vad_threshold_dbfs; /* -40: agent/caller speech above this (RMS of 20 ms) */
	int vad_hangover_ms;       /* 60: VAD hangover on the agent's audio */
	int gap_ms;                /* 200: agent silence > this inside a reply is a gap */
	int turn_end_ms;           /* 800: agent silence >= this ends a reply */
	int late_ms;               /* 5: a frame sent > this after its slot is late */
	int max_call_ms;           /* 120000: the caller hangs up after this */
};

struct vs_call_step {
	enum vs_step_kind kind;
	int line;            /* line of the action key in the script */
	char *arg;           /* text / path / digits as written (strdup) */
	uint8_t *ulaw;       /* rendered audio (say/wav/tone/silence/noise/barge_in), */
	size_t n;            /*   padded to whole 20 ms frames (160 bytes) */
	int64_t speech_start; /* sample offsets in ulaw of the caller's speech */
	int64_t speech_end;   /*   (VAD, sample-accurate); -1 when silent */
	int duration_ms;     /* silence/noise/tone length, wait_reply/barge timeout */
	int after_ms;        /* barge_in: delay after the agent's onset */
	int freq_hz;         /* tone */
	double level_dbfs;   /* tone/noise */
	char *text;          /* wav: what the recording says (`text =`; NULL: not given) */
};

struct vs_call_script {
	char *path;           /* file name used in messages */
	char *name;
	uint64_t seed;
	char voice[16];
	struct vs_call_measure_cfg m;
	struct vs_call_step *steps;
	size_t nsteps;
	/* appended: the messy caller (docs/calls.md) */
	int noise_kind;            /* enum vs_noise_kind (vstress/audio/noisebed.h); 0 none */
	double noise_level_dbfs;   /* dBFS RMS of the bed */
	int16_t *noise_bed;        /* rendered at load, looped under every frame sent */
	size_t noise_n;
	char *bc_text;             /* backchannel: what the caller says (NULL none) */
	int16_t *bc_pcm;           /*   rendered, whole 20 ms frames, 8 kHz */
	size_t bc_n;
	int64_t bc_speech_start;   /*   its first audible sample */
	int bc_after_ms;           /*   after the agent has spoken this long in a turn */
	int bc_hold_ms;            /*   the agent must keep speaking this long after it */
	struct vs_impair_cfg impair; /* [network]; inactive = a perfect network */
};

/* Parse and render (flite synthesis, WAV loading, noise) a script.  Errors
 * are "file:line: message".  0 or -1. */
int vs_call_script_load(const char *path, struct vs_call_script **out, char *err, size_t errlen);
/* Same from memory; name is used as the file name in messages and relative
 * wav paths are resolved against base_dir (NULL = cwd). */
int vs_call_script_parse(const char *text, const char *name, const char *base_dir, struct vs_call_script **out,
			 char *err, size_t errlen);
void vs_call_script_free(struct vs_call_script *s);
/* A deep copy of s (NULL on OOM): e.g. the same script with another
 * network, per call or per load stage (set ->impair, perhaps from
 * vs_impair_parse_spec).  Free with vs_call_script_free. */
struct vs_call_script *vs_call_script_dup(const struct vs_call_script *s);
/* Frames of the script's own audio (say/wav/tone/silence/noise: 20 ms
 * each; dtmf: 10 a digit): the fewest a caller that played the whole
 * script can have sent. */
uint64_t vs_call_script_min_frames(const struct vs_call_script *s);
const char *vs_step_kind_name(enum vs_step_kind k);
/* "250ms", "2s", "1.5s", "1m", bare number = ms.  0 or -1. */
int vs_call_parse_ms(const char *s, int *ms);
/* "-30dB", "-30 dBFS", "-30".  0 or -1. */
int vs_call_parse_db(const char *s, double *db);

/* --- results (call_result.c) ------------------------------------------ */

enum vs_hangup_by { VS_HANGUP_NONE = 0, VS_HANGUP_CALLER, VS_HANGUP_AGENT, VS_HANGUP_ERROR };

struct vs_call_turn {
	int step;            /* index of the wait_reply step (0-based) */
	int replied;
	double ref_ms;       /* end of the caller's utterance (or stream start) */
	double latency_ms;   /* agent onset - ref_ms */
	int talk_over;       /* the agent was already speaking at ref_ms */
};

struct vs_call_gap {
	double at_ms;        /* agent speech stopped here ... */
	double duration_ms;  /* ... and resumed this much later */
};

struct vs_call_false_trigger {
	double at_ms;
	int step;            /* the silence/noise step it started in */
};

struct vs_call_barge {
	int step;
	double at_ms;          /* caller's barge-in audio starts */
	double agent_stop_ms;  /* agent audio ended this long after (-1: never / not speaking) */
	double clear_ms;       /* first `clear` after the barge-in (-1: none) */
};

struct vs_call_backchannel {
	double at_ms;          /* the caller's first audible backchannel sample */
	double end_ms;         /* its last */
	double turn_on_ms;     /* onset of the agent turn it was said in */
	double agent_stop_ms;  /* at_ms -> end of that agent turn (-1: still speaking at hang-up) */
	double clear_ms;       /* at_ms -> the first `clear` after it (-1: none) */
	double max_gap_ms;     /* longest agent silence inside the turn beginning between at_ms and
				* the end of the backchannel + bc_hold_ms (0: none) */
};

struct vs_call_seg {
	int64_t on, off; /* agent speech, samples at 8 kHz since stream start */
};

struct vs_call_result {
	char stream_id[64];
	char script[64];
	int ok;                    /* connected, streamed and hung up cleanly */
	char error[256];
	enum vs_hangup_by hangup_by;
	int timed_out;             /* hung up by max_call_ms */
	double connect_ms;         /* WebSocket connect + upgrade */
	double duration_ms;        /* stream start -> hang-up */
	double first_reply_ms;     /* stream start -> agent's first audio (-1 none) */
	uint64_t frames_sent;      /* caller media messages (20 ms each) */
	uint64_t frames_received;  /* agent media messages */
	uint64_t samples_received; /* agent audio, samples */
	uint64_t late_frames;
	double max_late_ms;
	uint64_t marks_received, marks_echoed, clears_received, dtmf_sent;
	uint64_t bad_messages;     /* agent messages that failed to parse */
	int talk_over;             /* agent started while the caller spoke */
	struct vs_call_turn *turns;
	size_t nturns;
	struct vs_call_gap *gaps;
	size_t ngaps;
	struct vs_call_false_trigger *false_triggers;
	size_t nfalse;
	struct vs_call_barge *barges;
	size_t nbarges;
	struct vs_call_seg *segs;  /* agent speech segments as the VAD saw them */
	size_t nsegs;
	/* appended: what a misbehaving agent did on the media socket (each bounded) */
	uint64_t msgs_received;    /* every complete agent message, parsed or not */
	uint64_t bad_json, bad_base64, bad_fields; /* bad_messages by kind: not JSON, payload not
						    * base64, wrong or wrongly typed fields */
	char first_bad[200];       /* the first bad message: reason and a quoted, truncated excerpt */
	char frame_error[200];     /* a frame over VS_CALL_MAX_FRAME, or the agent closed mid-frame */
	uint64_t marks_dropped;    /* marks over VS_CALL_MARK_BURST / VS_CALL_MARK_RATE: not echoed */
	double agent_audio_ms;     /* agent audio received, ms at 8 kHz */
	double agent_wall_ms;      /* first -> last agent media message, ms */
	double ahead_max_ms;       /* most agent audio queued ahead of playback */
	double audio_dropped_ms;   /* audio beyond VS_CALL_MAX_AHEAD_MS: dropped */
	/* appended: the stream start (the ms above count from it) on
	 * CLOCK_MONOTONIC, ns; 0 when the stream never started.  Lets a run put
	 * the caller's times on the world's clock (docs/waterfall.md). */
	uint64_t t0_ns;
	/* appended: the messy caller */
	int impaired;              /* the script's [network] impaired the stream */
	char impair_spec[200];     /* its settings, seed included (replay) */
	struct vs_impair_stats impair; /* what our impairment did (not the agent) */
	uint64_t impair_unsent;    /* held frames still queued at hang-up */
	struct vs_call_backchannel *backchannels;
	size_t nbackchannels;
	/* appended: what the caller heard, as it played out (8 kHz PCM16 from
	 * the stream start: heard[i] played at i / 8000 s; silence where nothing
	 * played; audio the agent cleared before it played is not in it).  Only
	 * when the call was started with keep_heard_ms; NULL otherwise. */
	int16_t *heard;
	size_t nheard;
	int heard_truncated;       /* the call outlasted keep_heard_ms: the rest is not kept */
};

/* Limits on what the agent can make the caller hold (call_engine.c). */
#define VS_CALL_MAX_FRAME (1u << 20)     /* one WebSocket frame or message, bytes */
#define VS_CALL_MAX_AHEAD_MS 30000       /* agent audio queued ahead of playback (Telnyx: chunks <= 30 s) */
#define VS_CALL_MARK_BURST 200           /* marks accepted at once ... */
#define VS_CALL_MARK_RATE 100            /* ... and per second after that */

/* The agent's media-protocol violations in r, as one sentence ("; "
 * between kinds) in buf; returns how many kinds (0: none, buf ""). */
int vs_call_protocol_problems(const struct vs_call_result *r, char *buf, size_t len);

/* The backchannels the agent treated as a barge-in (a `clear`, or its turn
 * ending, within hold_ms after the backchannel ended; or a silence longer
 * than max_gap_ms in its speech beginning by then), as one sentence in buf;
 * returns how many (0: none, buf "").  *judged: how many backchannels were
 * said while the agent spoke (0: nothing to judge). */
int vs_call_backchannel_problems(const struct vs_call_result *r, int hold_ms, int max_gap_ms, int *judged, char *buf,
				 size_t len);

const char *vs_hangup_by_name(enum vs_hangup_by h);
/* New reference: the result as JSON (units in key names). */
json_t *vs_call_result_json(const struct vs_call_result *r);
void vs_call_result_clear(struct vs_call_result *r);

/* --- the engine (call_engine.c) ---------------------------------------- */

struct vs_call_engine;
struct vs_call;

struct vs_call_engine_opts {
	int max_calls;    /* 0 = 1024 (the descriptor limit is raised to fit) */
	int tls_insecure; /* wss: accept self-signed certificates */
	/* appended */
	int engines;      /* event-loop threads (one per core); 0 = $VS_CALL_ENGINES or 1 */
};

int vs_call_engine_new(struct vs_call_engine **out, const struct vs_call_engine_opts *o, char *err, size_t errlen);
/* Stops the loop threads; calls still running are aborted first. */
void vs_call_engine_free(struct vs_call_engine *e);

/* What the engine did so far, over all its calls and loops.  Send lateness
 * is each frame's send time minus its intended slot (wrk2 style: a stalled
 * loop shows up as lateness of every frame it delayed). */
struct vs_call_engine_stats {
	int engines;
	uint64_t frames_sent, frames_received, late_frames, calls_done;
	uint64_t late_count;       /* frames in the lateness histogram */
	double late_p50_ms, late_p99_ms, late_p999_ms, late_max_ms;
};
int vs_call_engine_stats(struct vs_call_engine *e, struct vs_call_engine_stats *st);

/* What Telnyx would put in `start`; NULL fields are generated. Copied. */
struct vs_call_params {
	const char *stream_url;   /* ws:// or wss://host[:port]/path (required) */
	const char *stream_id;
	const char *call_control_id;
	const char *call_session_id;
	const char *from, *to;
	const char *client_state;
	const char *auth_token;   /* sent as x-telnyx-streaming-auth-token */
	/* appended */
	const char *custom_parameters_json; /* a JSON object sent as start.custom_parameters (TeXML <Parameter>s) */
	/* appended */
	int keep_heard_ms;        /* > 0: keep what the caller heard, at most this long (result.heard) */
	/* appended: called once on the engine's loop thread when the call has
	 * ended, just before vs_call_wait/vs_call_done see it (an event loop's
	 * wake-up: it must not block nor call back into the engine) */
	void (*on_end)(void *arg);
	void *on_end_arg;
};

/* Start one call: connect to stream_url, send connected + start, play the
 * script paced in real time.  The script must outlive the call. 0 or -1. */
int vs_call_start(struct vs_call_engine *e, const struct vs_call_script *s, const struct vs_call_params *p,
		  struct vs_call **out);
/* Wait until the call ended; 0, or -1 after timeout_ms (< 0 = forever). */
int vs_call_wait(struct vs_call *c, int timeout_ms);
int vs_call_done(struct vs_call *c);
/* Valid once the call is done; owned by the call. */
const struct vs_call_result *vs_call_get_result(const struct vs_call *c);
/* The far end ended the call outside the stream (Telnyx closing the media
 * stream after the agent's Call Control `hangup`): sends `stop`, closes the
 * stream and waits up to timeout_ms for the call to end.  The measurements
 * so far are kept (hangup_by = agent, no error).  0 when it ended. */
int vs_call_hangup(struct vs_call *c, int timeout_ms);
/* Aborts (hangs up) a running call, waits for it, frees it. */
void vs_call_free(struct vs_call *c);

#endif
