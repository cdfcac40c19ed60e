/* A caller's backchannel ("uh-huh", "yeah", "mm-hmm") as 8 kHz PCM16.
 * flite reads "mm-hmm" (and "mhm", "mm hmm", "mmhmm", "hmm") letter by
 * letter, so those are hummed instead: two nasal syllables on a voiced
 * harmonic source, the second rising (deterministic).  Other words go
 * through flite with the script's voice. */
#ifndef VSTRESS_AUDIO_BACKCHANNEL_H
#define VSTRESS_AUDIO_BACKCHANNEL_H

#include <stddef.h>
#include <stdint.h>

/* 1 when text is hummed rather than spoken. */
int vs_backchannel_is_hum(const char *text);
/* 0, or -1 with err (flite's). *out is malloc'd. */
int vs_backchannel_render(const char *text, const char *voice, int16_t **out, size_t *n, char *err, size_t errlen);

#endif
