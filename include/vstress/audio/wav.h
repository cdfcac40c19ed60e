/* RIFF/WAVE PCM16 mono reader and writer.  Errors name the offending field,
 * e.g. "fmt.channels: 2 (only mono is supported)". */
#ifndef VSTRESS_UTIL_WAV_H
#define VSTRESS_UTIL_WAV_H
#include <stddef.h>
#include <stdint.h>

/* Read a whole file.  On success *samples is malloc'd (free() it), *n and
 * *rate are set and 0 is returned; on error -1 and err holds the reason. */
int vs_wav_read(const char *path, int16_t **samples, size_t *n, int *rate, char *err, size_t errlen);
/* Parse an in-memory image (same contract). */
int vs_wav_parse(const uint8_t *buf, size_t len, int16_t **samples, size_t *n, int *rate, char *err,
		 size_t errlen);
/* Write a canonical 44-byte-header PCM16 mono file; 0 or -1 (errno kept). */
int vs_wav_write(const char *path, const int16_t *samples, size_t n, int rate);

#endif
