/* The recordings a stand-in keeps (lib/standin/recring.c), fetched from the
 * world's control port: the STT stand-in's streams (audiopath.h) and the
 * TTS stand-ins' replies (ttspath.h), one client for both directions of
 * the audio path (docs/world.md "Recorded audio"). */
#ifndef VSTRESS_CALLPHASE_RECFETCH_H
#define VSTRESS_CALLPHASE_RECFETCH_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* GET <base>/_vstress/<standin>/<key>, the list {"<key>": [...],
 * "recording": bool}.  0: *doc is the answer (json_decref it), *list its
 * array; 1: the stand-in records nothing ("recording": false); 2: HTTP 404,
 * the world does not serve that stand-in (err says so too); -1: err. */
int vs_recfetch_list(const char *base, const char *standin, const char *key, json_t **doc, json_t **list, char *err,
		     size_t errlen);
/* GET <base>/_vstress/<standin>/audio/<id>, one recording as an 8 kHz WAV:
 * 0 and its samples (free *pcm), or -1 with err (HTTP status, WAV error,
 * another rate). */
int vs_recfetch_audio(const char *base, const char *standin, const char *id, int16_t **pcm, size_t *n, char *err,
		      size_t errlen);

#endif
