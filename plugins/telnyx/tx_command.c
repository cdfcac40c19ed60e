/* The Call Control stand-in's command rules (tx_command.h). */
#include "tx_command.h"

#include <string.h>

static int in(const char *a, const char *const *list)
{
	for (int i = 0; a && list[i]; i++)
		if (!strcmp(a, list[i]))
			return 1;
	return 0;
}

int tx_needs_answer(const char *a)
{
	static const char *const list[] = {"speak", "playback_start", "playback_stop", "streaming_start",
					   "streaming_stop", "transfer", "gather_using_speak", "send_dtmf",
					   "record_start", "record_stop", "bridge", NULL};
	return in(a, list);
}

int tx_known_action(const char *a)
{
	static const char *const list[] = {"answer", "hangup", "reject", "client_state_update", "gather",
					   "gather_stop", "refer", "enqueue", "leave_queue", NULL};
	return in(a, list) || tx_needs_answer(a);
}

const char *tx_command_missing(const char *action, const json_t *body)
{
	if (!action)
		return NULL;
	if (!strcmp(action, "speak")) {
		if (!json_string_value(json_object_get(body, "payload")))
			return "payload";
		if (!json_string_value(json_object_get(body, "voice")))
			return "voice";
	} else if (!strcmp(action, "transfer") && !json_string_value(json_object_get(body, "to"))) {
		return "to";
	} else if (!strcmp(action, "streaming_start") && !json_string_value(json_object_get(body, "stream_url"))) {
		return "stream_url";
	}
	return NULL;
}
