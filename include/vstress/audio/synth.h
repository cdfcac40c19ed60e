/* Text to PCM16 mono with flite (compiled-in voices: slt, kal16, rms, awb, kal).
 *
 * Thread safety: flite keeps global state (voice registry, lexicon, feature
 * allocators) and is not thread-safe.  Every vs_synth() call serialises on
 * one process-wide mutex, so it may be called from any thread, but calls do
 * not run in parallel.  Synthesis is ~100x faster than real time: render
 * caller utterances before the call starts (never on a real-time path).
 *
 * What was rendered is kept (per voice, rate and text; least recently used
 * out first, VS_SYNTH_CACHE_DEFAULT bytes at most): the same sentence again
 * (a stand-in's scripted reply in every call, a caller script's phrase) is
 * a copy, not flite's ~10 ms per second of speech again.  flite renders a
 * text to the same length and speech every time (its voices mix in a
 * little noise, which a copy repeats exactly). */
#ifndef VSTRESS_UTIL_SYNTH_H
#define VSTRESS_UTIL_SYNTH_H
#include <stddef.h>
#include <stdint.h>

/* Synthesise text with voice (NULL = "slt") and resample to rate (e.g. 8000).
 * On success *out is malloc'd PCM16 (free() it) and 0 is returned; on error
 * -1 and err says why (unknown voice, empty text, flite failure). */
int vs_synth(const char *text, const char *voice, int rate, int16_t **out, size_t *n, char *err, size_t errlen);
/* 1 if voice names a compiled-in voice. */
int vs_synth_has_voice(const char *voice);

#define VS_SYNTH_CACHE_DEFAULT (32u << 20)
/* The cache's bound in bytes (PCM, texts and bookkeeping); 0 turns it off.
 * Shrinking evicts at once. */
void vs_synth_cache_limit(size_t bytes);
struct vs_synth_cache_stats {
	size_t hits, misses, bytes, limit;
};
void vs_synth_cache_stats(struct vs_synth_cache_stats *st);

#endif
