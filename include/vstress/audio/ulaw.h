/* G.711 mu-law (PCMU) encode/decode, bit-exact with the ITU-T G.191 reference. */
#ifndef VSTRESS_UTIL_ULAW_H
#define VSTRESS_UTIL_ULAW_H
#include <stddef.h>
#include <stdint.h>

/* One linear PCM16 sample to one mu-law byte (G.191 ulaw_compress). */
uint8_t vs_ulaw_encode(int16_t pcm);
/* One mu-law byte to linear PCM16 (table lookup: 0xff -> 0, 0x00 -> -32124). */
int16_t vs_ulaw_decode(uint8_t ulaw);
/* Buffers: n samples; in and out must not overlap. */
void vs_ulaw_encode_buf(const int16_t *in, size_t n, uint8_t *out);
void vs_ulaw_decode_buf(const uint8_t *in, size_t n, int16_t *out);

#endif
