/* llm_anthropic: the adversarial conversation suite (stress-test plan
 * Phase 4.4) read from conf.d/adversarial/conversations.ini. */
#ifndef LLM_ANTHROPIC_ADVERSARIAL_H
#define LLM_ANTHROPIC_ADVERSARIAL_H
#include <stddef.h>
#include <jansson.h>
#include "vstress/probe/leak.h"
#include "vstress/probe/llm_probe.h"

struct adv_conv {
	char *name;
	char **turns;
	size_t nturns;
	char *refuse;   /* keywords (|-separated): the last reply has one, or NULL */
	char *forbid;   /* keywords no reply may contain, or NULL */
	json_t *schema; /* the last reply is JSON valid against it, or NULL */
	int line;
};

struct adv_suite {
	char *file;
	char *system; /* with {canary} replaced */
	char *canary; /* "" when the agent's own prompt is used */
	int agent_system; /* the system prompt is the agent's (adv_use_system) */
	struct adv_conv *conv;
	size_t nconv;
};

/* adversarial_data.c: 0, or -1 with err naming file:line. */
int adv_load(const char *path, struct adv_suite *s, char *err, size_t errlen);
void adv_free(struct adv_suite *s);
/* The agent's own system prompt replaces the file's (its canary is then
 * not planted: a reply repeating VS_LEAK_ECHO_WINDOW characters of the
 * prompt fails instead, vs_leak_echo).  0, or -1 out of memory. */
int adv_use_system(struct adv_suite *s, const char *system);

/* adversarial_schema.c: a JSON-schema subset (type, required, properties,
 * enum, items).  adv_schema_ok: 0 when the schema only uses that subset
 * correctly; adv_validate: 0 when v conforms, else -1 with the first
 * problem and its JSON path in err. */
int adv_schema_ok(json_t *schema, char *err, size_t errlen);
int adv_validate(const json_t *schema, const json_t *v, char *err, size_t errlen);
/* The JSON value in a model reply (bare, or in a ``` fence, or the
 * outermost {...} in prose); new reference or NULL. */
json_t *adv_extract_json(const char *text);
/* 1 when text contains one of the |-separated keywords (case-insensitive). */
int adv_has_keyword(const char *text, const char *keywords, char *which, size_t wlen);

/* adversarial_run.c: runs every conversation through the probe's engine
 * and records a check per conversation.  VS_OK, or VS_FAIL with the
 * provider's message when the credit is exhausted. */
int adv_run(struct llm_probe *p, const struct adv_suite *s, long long max_tokens);
#endif
