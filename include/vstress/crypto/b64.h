/* Standard base64 (RFC 4648, '+/', '=' padding). */
#ifndef VSTRESS_UTIL_B64_H
#define VSTRESS_UTIL_B64_H
#include <stddef.h>

/* Encoded length for n bytes, without the terminating NUL. */
size_t vs_b64_enc_len(size_t n);
/* Upper bound of decoded bytes for an encoded string of len chars. */
size_t vs_b64_dec_max(size_t len);
/* Encode n bytes into out (cap >= enc_len + 1, NUL-terminated).
 * Returns the length written, or -1 if cap is too small. */
long vs_b64_encode(const void *in, size_t n, char *out, size_t cap);
/* Decode len chars (padding optional, no whitespace) into out (cap bytes).
 * Returns the byte count, or -1 on an invalid character, bad padding,
 * a length of 1 mod 4, or cap too small. */
long vs_b64_decode(const char *in, size_t len, void *out, size_t cap);

#endif
