/* llm_anthropic probe: the Messages wire format (probe_wire.c) for
 * the shared streaming probe (include/vstress/probe/llm_probe.h); its
 * functions are static, reached through the wire (the tests include
 * probe_wire.c). */
#ifndef LLM_ANTHROPIC_PROBE_H
#define LLM_ANTHROPIC_PROBE_H
#include "vstress/probe/llm_probe.h"

extern const struct llm_wire an_wire;
#endif
