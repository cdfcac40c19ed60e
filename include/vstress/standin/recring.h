/* The ring of recordings a stand-in keeps with `record_audio` on: the TTS
 * stand-ins' replies (ttsrec.h) and the STT stand-in's streams (one table
 * for both directions of the audio path, docs/world.md "Recorded audio").
 * A fixed table of slots, each a struct of the user's that begins with a
 * struct vs_recslot (what every recording has: its PCM16 and its text);
 * a new recording takes a free slot, else the oldest finished one, else
 * none.  Everything runs on the world's event-loop
 * thread. */
#ifndef VSTRESS_STANDIN_RECRING_H
#define VSTRESS_STANDIN_RECRING_H
#include <stddef.h>
#include <stdint.h>

#include "vstress/world.h"

/* The head of every slot (its first member). */
struct vs_recslot {
	int used, closed, truncated;
	uint64_t order;   /* 1, 2, ...: the order the recordings were opened in */
	int64_t start_ns; /* when its first audio went (vs_recring_now_ns) */
	int16_t *pcm;     /* n samples of cap, at most max (the rate is the user's) */
	size_t n, cap, max;
	char *text;       /* words joined by one space (vs_recring_text) */
	size_t ntext;
};

struct vs_recring {
	void *slots;                 /* keep slots of size bytes each */
	size_t keep, size;
	uint64_t next_order;
	int exit_hooked;
};

/* A ring over a static array of slot structs. */
#define VS_RECRING(array)                                                                                  \
	{.slots = (array), .keep = sizeof(array) / sizeof *(array), .size = sizeof *(array), .next_order = 1}

/* The stand-in's `record_audio` is on (true, yes, on, 1). */
int vs_recring_on(const struct vs_world *w, vs_wctx *wc);
/* A slot for a new recording, zeroed but for used, its order and max
 * (`record_max_s` seconds at rate): a free slot, else the oldest closed
 * one (its old content freed).  NULL when record_audio is off, or every
 * slot is a recording still open (counted as `recordings_dropped`). */
void *vs_recring_open(struct vs_recring *ring, const struct vs_world *w, vs_wctx *wc, int rate);
/* Slot i (0 .. keep-1) if it holds a recording, else NULL. */
void *vs_recring_at(const struct vs_recring *ring, size_t i);
/* Room for want more samples in s->pcm (grown from first_cap, doubling):
 * how many of them may be written at s->pcm + s->n, fewer when that
 * would pass max or memory ran out (both mark s truncated). */
size_t vs_recring_room(struct vs_recslot *s, size_t want, size_t first_cap);
/* Appends text to s->text (one space between), while the whole stays
 * under max bytes; empty text is ignored.  s may be NULL. */
void vs_recring_text(struct vs_recslot *s, const char *text, size_t max);
/* CLOCK_MONOTONIC in ns: the recordings' start and end stamps. */
int64_t vs_recring_now_ns(void);
/* Answers with n samples of 8 kHz PCM16 mono as audio/wav. */
int vs_recring_wav(const struct vs_world *w, vs_wresp *rs, const int16_t *pcm, size_t n);
/* Frees every slot's content when the world exits (hooked once a ring). */
int vs_recring_hook_exit(struct vs_recring *ring, const struct vs_world *w, vs_wctx *wc);

#endif
