/* llm_anthropic: where the agent's own system prompt comes from (agent_prompt.c). */
#ifndef LLM_ANTHROPIC_AGENT_PROMPT_H
#define LLM_ANTHROPIC_AGENT_PROMPT_H
#include <stddef.h>

/* At most one of text (adversarial_system), file (agent_prompt_file) and
 * sql (agent_prompt_sql, one row whose first column is the prompt, run on
 * db_url) may be non-empty.  0 with *out NULL when none is set; 0 with
 * *out (malloc'd) and *from (the option's name) when read; -1 with err
 * naming the option (the database's own message, never its URL). */
int agent_prompt_load(const char *text, const char *file, const char *sql, const char *db_url, char **out,
		      const char **from, char *err, size_t errlen);
#endif
