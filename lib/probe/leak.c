/* Prompt leaks: see vstress/probe/leak.h. */
#include "vstress/probe/leak.h"

#include <string.h>

long vs_leak_echo(const char *prompt, const char *said)
{
	size_t pn = strlen(prompt), sn = strlen(said);
	size_t w = pn < VS_LEAK_ECHO_WINDOW ? pn : VS_LEAK_ECHO_WINDOW;

	for (size_t i = 0; w && i + w <= pn; i++) {
		const char *hit = memmem(said, sn, prompt + i, w);
		if (hit)
			return hit - said;
	}
	return -1;
}
