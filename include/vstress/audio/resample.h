/* PCM16 mono resampling between 8000, 16000, 22050, 24000, 44100, 48000 Hz
 * (any positive rates work).  Integer ratios use exact decimation (with a
 * box pre-filter averaging `ratio` samples) or exact repetition-free linear
 * interpolation; other ratios use linear interpolation on a 32.32 fixed-point
 * phase, so the output length is exactly vs_resample_len(). */
#ifndef VSTRESS_UTIL_RESAMPLE_H
#define VSTRESS_UTIL_RESAMPLE_H
#include <stddef.h>
#include <stdint.h>

/* Output samples produced for n input samples: floor(n * out_rate / in_rate). */
size_t vs_resample_len(size_t n, int in_rate, int out_rate);
/* Resample in[0..n) into out (capacity cap samples).  Returns the number of
 * samples written, or -1 on bad rates or when cap < vs_resample_len(). */
long vs_resample(const int16_t *in, size_t n, int in_rate, int16_t *out, size_t cap, int out_rate);
/* Same into a malloc'd buffer (*out, *out_n); 0 or -1. */
int vs_resample_alloc(const int16_t *in, size_t n, int in_rate, int out_rate, int16_t **out, size_t *out_n);

#endif
