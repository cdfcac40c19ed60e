/* The Call Control commands an agent sends to the world's Telnyx stand-in
 * (plugins/telnyx/tx_command.c): the first line is the action, the rest the
 * JSON body, parsed as the world parses request bodies; the rules' promises
 * are checked on every input (a complete command has its fields as strings,
 * a missing one is named from a fixed list). */
#include "fuzz.h"

#include <string.h>

#include <jansson.h>

#include "tx_command.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const named[] = {"payload", "voice", "to", "stream_url", NULL};
	const uint8_t *nl = memchr(data, '\n', size);
	size_t alen = nl ? (size_t)(nl - data) : size;
	char *action = fz_strndup(data, alen);
	const char *rest = nl ? (const char *)nl + 1 : "";
	size_t rlen = nl ? size - alen - 1 : 0;
	json_t *body = rlen ? json_loadb(rest, rlen, 0, NULL) : json_object();
	const char *missing;
	int known = tx_known_action(action);

	if (tx_needs_answer(action) && !known)
		abort(); /* every command that needs an answer is a known one */
	if (json_is_object(body)) {
		missing = tx_command_missing(action, body);
		if (missing) {
			int ok = 0;
			for (int i = 0; named[i]; i++)
				ok |= !strcmp(missing, named[i]);
			if (!ok || json_string_value(json_object_get(body, missing)))
				abort();
		} else if (!strcmp(action, "speak") && (!json_string_value(json_object_get(body, "payload")) ||
							  !json_string_value(json_object_get(body, "voice")))) {
			abort();
		}
	}
	json_decref(body);
	free(action);
	return 0;
}
