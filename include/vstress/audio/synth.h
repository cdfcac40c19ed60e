/* Text to PCM16 mono with flite (compiled-in voices: slt, kal16, rms, awb, kal).
 *
 * Thread safety: flite keeps global state (voice registry, lexicon, feature
 * allocators) and is not thread-safe.  Every vs_synth() call serialises on
 * one process-wide mutex, so it may be called from any thread, but calls do
 * not run in parallel.  Synthesis is ~100x faster than real time: render
 * caller utterances before the call starts (never on a real-time path). */
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

#endif
