/* llm_openai probe: the Chat Completions wire format (probe_wire.c) for
 * the shared streaming probe (include/vstress/probe/llm_probe.h); its
 * functions are static, reached through the wire (the tests include
 * probe_wire.c). */
#ifndef LLM_OPENAI_PROBE_H
#define LLM_OPENAI_PROBE_H
#include "vstress/probe/llm_probe.h"

extern const struct llm_wire oa_wire;
#endif
