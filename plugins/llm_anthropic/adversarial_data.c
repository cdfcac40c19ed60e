/* llm_anthropic adversarial suite: the data file.
 *
 *   [adversarial]
 *   canary = CANARY-...              ; planted in the system prompt
 *   system = ... {canary} ...        ; the system prompt of every conversation
 *
 *   [conversation:NAME]
 *   turn = the caller's first turn   ; repeatable, in order
 *   turn = the next turn
 *   refuse = sorry|cannot|...        ; the last reply must contain one
 *   forbid = word|word               ; no reply may contain these (the canary never)
 *   schema = {"type":"object",...}   ; the last reply must be JSON valid against it
 *
 * Every problem is a config error naming file:line. */
#include "adversarial.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/ini/ini_file.h"

static char *replace_canary(const char *sys, const char *canary)
{
	const char *at = strstr(sys, "{canary}");
	char *out = NULL;
	if (!at)
		return strdup(sys);
	if (asprintf(&out, "%.*s%s%s", (int)(at - sys), sys, canary, at + 8) < 0)
		return NULL;
	return out;
}

static int finish_conv(const struct adv_suite *s, const struct adv_conv *c, char *err, size_t errlen)
{
	if (c && !c->nturns) {
		snprintf(err, errlen, "%s:%d: [conversation:%s] has no turn", s->file, c->line, c->name);
		return -1;
	}
	return 0;
}

struct loader {
	struct adv_suite *s;
	struct adv_conv *cur;
	char *sysraw;
	int in_head;
};

static int on_section(struct loader *l, const struct vs_ini_item *it, char *err, size_t errlen)
{
	const char *t = it->section;
	if (finish_conv(l->s, l->cur, err, errlen) < 0)
		return -1;
	l->cur = NULL;
	l->in_head = !strcmp(t, "adversarial");
	if (l->in_head)
		return 0;
	if (strncmp(t, "conversation:", 13) || !t[13]) {
		snprintf(err, errlen, "%s:%d: unknown section [%s] (expected [adversarial] or [conversation:NAME])",
			 it->file, it->line, t);
		return -1;
	}
	struct adv_conv *nc = realloc(l->s->conv, (l->s->nconv + 1) * sizeof(*nc));
	if (!nc)
		return -1;
	l->s->conv = nc;
	l->cur = &l->s->conv[l->s->nconv++];
	memset(l->cur, 0, sizeof(*l->cur));
	l->cur->name = strdup(t + 13);
	l->cur->line = it->line;
	return 0;
}

static int on_item(void *arg, const struct vs_ini_item *it, char *err, size_t errlen)
{
	struct loader *l = arg;
	struct adv_conv *cur = l->cur;
	const char *key = it->key, *val = it->value;

	if (!key)
		return on_section(l, it, err, errlen);
	if (l->in_head) {
		char **dst = !strcmp(key, "canary") ? &l->s->canary : !strcmp(key, "system") ? &l->sysraw : NULL;
		if (!dst) {
			snprintf(err, errlen, "%s:%d: unknown key '%s' in [adversarial] (canary, system)", it->file,
				 it->line, key);
			return -1;
		}
		free(*dst);
		*dst = strdup(val);
		return 0;
	}
	if (!cur) {
		snprintf(err, errlen, "%s:%d: '%s' outside a section", it->file, it->line, key);
		return -1;
	}
	if (!strcmp(key, "turn")) {
		char **nt = realloc(cur->turns, (cur->nturns + 1) * sizeof(*nt));
		if (!nt)
			return -1;
		cur->turns = nt;
		cur->turns[cur->nturns++] = strdup(val);
	} else if (!strcmp(key, "refuse") || !strcmp(key, "forbid")) {
		char **dst = !strcmp(key, "refuse") ? &cur->refuse : &cur->forbid;
		free(*dst);
		*dst = strdup(val);
	} else if (!strcmp(key, "schema")) {
		json_error_t je;
		char why[256];
		json_decref(cur->schema);
		cur->schema = json_loads(val, 0, &je);
		if (!cur->schema) {
			snprintf(err, errlen, "%s:%d: schema is not valid JSON (column %d: %s)", it->file, it->line,
				 je.column, je.text);
			return -1;
		}
		if (adv_schema_ok(cur->schema, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%d: schema: %s", it->file, it->line, why);
			return -1;
		}
	} else {
		snprintf(err, errlen, "%s:%d: unknown key '%s' in [conversation:%s] (turn, refuse, forbid, schema)",
			 it->file, it->line, key, cur->name);
		return -1;
	}
	return 0;
}

int adv_load(const char *path, struct adv_suite *s, char *err, size_t errlen)
{
	struct loader l = {.s = s};
	int rc = -1;

	memset(s, 0, sizeof(*s));
	s->file = strdup(path);
	if (vs_ini_parse_file(path, on_item, &l, err, errlen) < 0 || finish_conv(s, l.cur, err, errlen) < 0)
		goto out;
	if (!s->canary || !*s->canary || !l.sysraw || !strstr(l.sysraw, "{canary}")) {
		snprintf(err, errlen, "%s: [adversarial] needs canary = ... and a system prompt containing {canary}", path);
		goto out;
	}
	if (!s->nconv) {
		snprintf(err, errlen, "%s: no [conversation:NAME] section", path);
		goto out;
	}
	s->system = replace_canary(l.sysraw, s->canary);
	rc = s->system ? 0 : -1;
out:
	free(l.sysraw);
	return rc;
}

void adv_free(struct adv_suite *s)
{
	for (size_t i = 0; i < s->nconv; i++) {
		struct adv_conv *c = &s->conv[i];
		for (size_t k = 0; k < c->nturns; k++)
			free(c->turns[k]);
		free(c->turns);
		free(c->name);
		free(c->refuse);
		free(c->forbid);
		json_decref(c->schema);
	}
	free(s->conv);
	free(s->file);
	free(s->system);
	free(s->canary);
	memset(s, 0, sizeof(*s));
}

int adv_use_system(struct adv_suite *s, const char *system)
{
	char *sys = strdup(system), *none = strdup("");

	if (!sys || !none) {
		free(sys);
		free(none);
		return -1;
	}
	free(s->system);
	free(s->canary);
	s->system = sys;
	s->canary = none;
	s->agent_system = 1;
	return 0;
}

