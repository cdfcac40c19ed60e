/* What the Call Control stand-in checks of a command the agent sends
 * (POST /v2/calls/{id}/actions/{action}), as pure functions of the action
 * name and its JSON body, so the fuzz target tests/fuzz/fuzz_telnyx_command.c
 * reaches them without a world. */
#ifndef VS_TELNYX_TX_COMMAND_H
#define VS_TELNYX_TX_COMMAND_H

#include <jansson.h>

/* A command that is only valid on an answered call. */
int tx_needs_answer(const char *action);
/* A Call Control action the stand-in serves (NULL is not). */
int tx_known_action(const char *action);
/* The first required parameter the body lacks ("payload", "voice", "to",
 * "stream_url"), or NULL when the command is complete. */
const char *tx_command_missing(const char *action, const json_t *body);

#endif
