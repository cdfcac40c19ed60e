/* llm_gemini probe: the streamGenerateContent wire format (probe_wire.c) for
 * the shared streaming probe (include/vstress/probe/llm_probe.h). */
#ifndef LLM_GEMINI_PROBE_H
#define LLM_GEMINI_PROBE_H
#include "vstress/probe/llm_probe.h"

extern const struct llm_wire gm_wire;
int gm_request(const struct llm_req *q, char **url, struct curl_slist **hdrs, char **body);
void gm_event(struct llm_result *r, const char *event, const char *data, size_t len);
void gm_error_body(struct llm_result *r, long status, const char *body, size_t len);
#endif
