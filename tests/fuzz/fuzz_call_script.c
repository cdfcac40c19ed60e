/* Caller scripts (lib/caller/call_script.c, docs/calls.md): parse and render
 * ([call] and [step.N] sections; say/barge_in go through flite).  Inputs
 * naming a wav step are skipped: a wav path is opened from disk, and the
 * fuzzer would find /dev/stdin, not a parser bug. */
#include "fuzz.h"

#include <strings.h>

#include "vstress/caller/call.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vs_call_script *s = NULL;
	char err[512];
	char *text;

	if (size > 64 * 1024)
		return 0;
	text = fz_strndup(data, size);
	if (strcasestr(text, "wav")) {
		free(text);
		return 0;
	}
	err[0] = '\0';
	if (vs_call_script_parse(text, "fuzz.ini", NULL, &s, err, sizeof err) == 0) {
		if (!s || !s->nsteps)
			abort(); /* success means a script with steps */
		for (size_t i = 0; i < s->nsteps; i++)
			if (s->steps[i].n % 160 || (s->steps[i].n && !s->steps[i].ulaw))
				abort();
		vs_call_script_free(s);
	} else if (!err[0] || s) {
		abort(); /* failure has a message and no script */
	}
	free(text);
	return 0;
}
