/* Text that never shows a secret: every occurrence of the secret replaced
 * by "***" (for error messages that may echo a password, such as libpq's). */
#ifndef VSTRESS_CRYPTO_SCRUB_H
#define VSTRESS_CRYPTO_SCRUB_H
#include <stddef.h>

/* Copies src into dst (len bytes, always NUL-terminated when len > 0) with
 * every occurrence of secret replaced by "***".  A secret shorter than
 * min_len is not looked for (masking every "a" would garble the text); a
 * NULL secret copies src as it is.  Returns the length written. */
size_t vs_scrub(const char *src, const char *secret, size_t min_len, char *dst, size_t len);

#endif
