/* Secrets out of free text (include/vstress/crypto/scrub.h). */
#include <vstress/crypto/scrub.h>

#include <string.h>

size_t vs_scrub(const char *src, const char *secret, size_t min_len, char *dst, size_t len)
{
	size_t sl = secret ? strlen(secret) : 0, o = 0;

	if (!len)
		return 0;
	while (*src && o + 1 < len) {
		if (sl && sl >= min_len && strncmp(src, secret, sl) == 0) {
			for (const char *m = "***"; *m && o + 1 < len; m++)
				dst[o++] = *m;
			src += sl;
			continue;
		}
		dst[o++] = *src++;
	}
	dst[o] = '\0';
	return o;
}
