/* llm_openai probe: the Chat Completions wire format (probe_wire.c) for
 * the shared streaming probe (include/vstress/probe/llm_probe.h). */
#ifndef LLM_OPENAI_PROBE_H
#define LLM_OPENAI_PROBE_H
#include "vstress/probe/llm_probe.h"

extern const struct llm_wire oa_wire;
int oa_request(const struct llm_req *q, char **url, struct curl_slist **hdrs, char **body);
void oa_event(struct llm_result *r, const char *event, const char *data, size_t len);
void oa_error_body(struct llm_result *r, long status, const char *body, size_t len);
#endif
