/* The control API's bearer token (issue 12): see world/internal.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "world/internal.h"

/* The token: VSTRESS_WORLD_TOKEN (vstress run sets it and hands it to its
 * plugins only), else a fresh random one that only the URLs file holds. */
int world_token_init(struct world *W, char *err, size_t errlen)
{
	const char *t = getenv("VSTRESS_WORLD_TOKEN");
	unsigned char raw[24];

	if (t && *t) {
		if (strlen(t) >= sizeof W->token || strpbrk(t, " \t\r\n")) {
			snprintf(err, errlen, "VSTRESS_WORLD_TOKEN is not one printable word under %zu bytes",
				 sizeof W->token);
			return -1;
		}
		snprintf(W->token, sizeof W->token, "%s", t);
		return 0;
	}
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
		snprintf(err, errlen, "getrandom failed: no control token");
		return -1;
	}
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(W->token + 2 * i, 3, "%02x", raw[i]);
	W->token_generated = 1;
	return 0;
}

/* "Bearer <token>", compared in constant time. */
int world_token_ok(const struct world *W, const char *auth)
{
	size_t n = strlen(W->token);
	unsigned char d = 0;

	if (!n)
		return 1;
	if (!auth || strncmp(auth, "Bearer ", 7) || strlen(auth + 7) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(auth[7 + i] ^ W->token[i]);
	return d == 0;
}

