/* A streaming TTS stand-in's synthesis contexts on one WebSocket
 * (Cartesia's context_id, ElevenLabs' multi-stream contextId): each
 * context's rendered audio, paced out in chunks on the socket's timer after
 * its time to first audio (keys chunk_ms and realtime, the rows of
 * VS_TTS_STANDIN_OPTIONS), its waterfall mark at the first chunk, its
 * recording, and the provider's end message after its last chunk.  What
 * differs by provider (the messages, chunks that must not straddle a piece)
 * comes through vs_ttsstream_ops.  Everything runs on the world's
 * event-loop thread. */
#ifndef VSTRESS_STANDIN_TTSSTREAM_H
#define VSTRESS_STANDIN_TTSSTREAM_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vstress/world.h"

struct vs_ttsrec;

/* One context.  A stand-in that keeps more per context embeds this as the
 * first member of its own struct and sets vs_ttsstream_ops.ctx_size. */
struct vs_ttsctx {
	struct vs_ttsctx *next;
	char id[128];
	uint8_t *buf; /* the audio rendered so far, in enc at rate */
	size_t len, off; /* off: what has been sent */
	int enc, rate;   /* enum vs_ta_enc, Hz */
	int ending;      /* the end message goes out once all the audio has */
	uint64_t not_before; /* no audio before this now_ms() (time to first audio) */
	uint64_t req_ns;     /* waterfall: when its first text arrived */
	char *wf_text;       /* waterfall: the text asked for until the first audio */
	int wf_sent;
	struct vs_ttsrec *rec; /* what it sent (record_audio); NULL: not kept */
};

struct vs_ttsstream_ops {
	size_t ctx_size;      /* sizeof the stand-in's context; 0: sizeof(struct vs_ttsctx) */
	double chunk_ms;       /* chunk length when the chunk_ms key is unset */
	/* Optional: shortens the next chunk of c (bytes from c->off) so that it
	 * ends on a boundary of the provider's own; *aux is handed to chunk_msg. */
	size_t (*chunk_limit)(struct vs_ttsctx *c, size_t bytes, void **aux);
	/* The provider's audio message for one chunk (b64 its base64); b64 NULL:
	 * the chunk could not be encoded, release aux and return NULL. */
	json_t *(*chunk_msg)(struct vs_ttsctx *c, const char *b64, void *aux);
	/* The provider's end message, after the last chunk of an ending context. */
	json_t *(*end_msg)(struct vs_ttsctx *c);
	/* Optional: frees what the stand-in's context holds beyond vs_ttsctx. */
	void (*ctx_free)(struct vs_ttsctx *c);
};

struct vs_ttsstream {
	const struct vs_ttsstream_ops *ops;
	struct vs_ttsctx *ctx; /* in order of creation */
	long timer;            /* the pacing timer, 0: none armed */
	int closed;            /* the socket is closing: arm no more */
};

/* The context named id; create: a new one (zeroed, id copied, appended) when
 * there is none.  NULL when absent or out of memory. */
struct vs_ttsctx *vs_ttsstream_ctx(struct vs_ttsstream *s, const char *id, int create);
/* Removes c, closing its recording with how ("done", "cancelled", "error",
 * "closed"), and frees it. */
void vs_ttsstream_drop(struct vs_ttsstream *s, struct vs_ttsctx *c, const char *how);
void vs_ttsstream_drop_all(struct vs_ttsstream *s, const char *how);
/* Appends n bytes of rendered audio to c; -1 (nothing added) when out of
 * memory. */
int vs_ttsctx_audio(struct vs_ttsctx *c, const uint8_t *pcm, size_t n);
/* Text asked of c at req_ns, for its waterfall mark (until its first audio). */
void vs_ttsctx_request(struct vs_ttsctx *c, uint64_t req_ns, const char *text);
/* Arms the pacing timer after delay ms unless one is armed or s is closed. */
void vs_ttsstream_arm(const struct vs_world *w, vs_ws *ws, struct vs_ttsstream *s, uint32_t delay);

#endif
