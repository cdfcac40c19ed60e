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

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

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

int adv_load(const char *path, struct adv_suite *s, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, *sysraw = NULL;
	size_t cap = 0;
	int ln = 0, rc = -1, in_head = 0;
	struct adv_conv *cur = NULL;

	memset(s, 0, sizeof(*s));
	s->file = strdup(path);
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, fp) >= 0) {
		ln++;
		char *t = trim(line);
		if (!*t || *t == ';' || *t == '#')
			continue;
		if (*t == '[') {
			char *e = strchr(t, ']');
			if (!e || e[1]) {
				snprintf(err, errlen, "%s:%d: bad section line", path, ln);
				goto out;
			}
			*e = '\0';
			t = trim(t + 1);
			if (finish_conv(s, cur, err, errlen) < 0)
				goto out;
			cur = NULL;
			in_head = !strcmp(t, "adversarial");
			if (in_head)
				continue;
			if (strncmp(t, "conversation:", 13) || !t[13]) {
				snprintf(err, errlen, "%s:%d: unknown section [%s] (expected [adversarial] or [conversation:NAME])",
					 path, ln, t);
				goto out;
			}
			struct adv_conv *nc = realloc(s->conv, (s->nconv + 1) * sizeof(*nc));
			if (!nc)
				goto oom;
			s->conv = nc;
			cur = &s->conv[s->nconv++];
			memset(cur, 0, sizeof(*cur));
			cur->name = strdup(t + 13);
			cur->line = ln;
			continue;
		}
		char *eq = strchr(t, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected key = value", path, ln);
			goto out;
		}
		*eq = '\0';
		char *key = trim(t), *val = trim(eq + 1);
		if (in_head) {
			if (!strcmp(key, "canary")) {
				free(s->canary);
				s->canary = strdup(val);
			} else if (!strcmp(key, "system")) {
				free(sysraw);
				sysraw = strdup(val);
			} else {
				snprintf(err, errlen, "%s:%d: unknown key '%s' in [adversarial] (canary, system)", path, ln, key);
				goto out;
			}
			continue;
		}
		if (!cur) {
			snprintf(err, errlen, "%s:%d: '%s' outside a section", path, ln, key);
			goto out;
		}
		if (!strcmp(key, "turn")) {
			char **nt = realloc(cur->turns, (cur->nturns + 1) * sizeof(*nt));
			if (!nt)
				goto oom;
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
				snprintf(err, errlen, "%s:%d: schema is not valid JSON (column %d: %s)", path, ln, je.column,
					 je.text);
				goto out;
			}
			if (adv_schema_ok(cur->schema, why, sizeof(why)) < 0) {
				snprintf(err, errlen, "%s:%d: schema: %s", path, ln, why);
				goto out;
			}
		} else {
			snprintf(err, errlen, "%s:%d: unknown key '%s' in [conversation:%s] (turn, refuse, forbid, schema)",
				 path, ln, key, cur->name);
			goto out;
		}
	}
	if (finish_conv(s, cur, err, errlen) < 0)
		goto out;
	if (!s->canary || !*s->canary || !sysraw || !strstr(sysraw, "{canary}")) {
		snprintf(err, errlen, "%s: [adversarial] needs canary = ... and a system prompt containing {canary}", path);
		goto out;
	}
	if (!s->nconv) {
		snprintf(err, errlen, "%s: no [conversation:NAME] section", path);
		goto out;
	}
	s->system = replace_canary(sysraw, s->canary);
	rc = s->system ? 0 : -1;
	goto out;
oom:
	snprintf(err, errlen, "%s:%d: out of memory", path, ln);
out:
	free(sysraw);
	free(line);
	fclose(fp);
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
