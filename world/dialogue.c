/* Scripted dialogue for the LLM stand-ins (conf.d/dialogue/NAME.ini):
 *   [dialogue]  default = ..., greeting = ... (reply to an empty turn)
 *   [rule:NAME] match = a|b (case-insensitive substrings) or
 *               regex = POSIX ERE (case-insensitive);
 *               reply = text; tool = name; args = {"json":1}
 * Rules are tried in file order; the first that matches answers. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vstress/ini/ini_file.h"
#include "world/internal.h"

struct wrule {
	char *name, *match, *reply, *tool, *args;
	char *re_src; /* the regex as written */
	regex_t re;
	int has_re;
};

struct wdialogue {
	char *def, *greeting;
	struct wrule *r;
	size_t n;
};

/* glibc's regcomp expands repetition into copies of the repeated tree, so
 * a short pattern such as (a{200}){200} or b++++... takes gigabytes.  A
 * rule's regex is checked first: no stacked repetition (undefined in POSIX
 * ERE), bounds of at most RE_MAX_BOUND, no back-references (exponential
 * matching), no empty alternative (glibc's matcher takes minutes on
 * ((a|||}){40,}): found by fuzz_dialogue), and at most RE_MAX_COST atoms
 * once repetition is expanded. */
#define RE_MAX_BOUND 255
#define RE_MAX_COST 4096

static long re_cost(const char **pp, int depth)
{
	const char *p = *pp;
	long total = 0, last = 0;
	int quant = 0, alt_empty = 1, bars = 0; /* an alternative has begun, nothing in it yet */

	if (depth > 32)
		return -1;
	while (*p && *p != ')') {
		long atom = 1;
		if (*p == '|') {
			if (alt_empty)
				return -1; /* an empty alternative */
			bars++;
		}
		alt_empty = *p == '|';
		if (*p == '*' || *p == '+' || *p == '?' || *p == '{') {
			long mult;
			if (quant)
				return -1;
			if (*p == '{') {
				char *end;
				long lo = strtol(p + 1, &end, 10), hi = lo;
				if (end == p + 1 || lo < 0 || lo > RE_MAX_BOUND)
					return -1; /* before lo + 1 below: strtol saturates */
				if (*end == ',') {
					const char *q = end + 1;
					hi = strtol(q, &end, 10);
					if (end == q)
						hi = lo + 1; /* {n,}: n copies and a star */
				}
				if (*end != '}' || hi < lo || hi > RE_MAX_BOUND)
					return -1;
				mult = hi ? hi : 1;
				p = end + 1;
			} else {
				mult = *p == '+' ? 2 : 1;
				p++;
			}
			total += last * (mult - 1);
			last *= mult;
			quant = 1;
		} else {
			if (*p == '(') {
				p++;
				atom = re_cost(&p, depth + 1);
				if (atom < 0)
					return -1;
				if (*p == ')')
					p++;
				atom += 1;
			} else if (*p == '[') {
				p++;
				if (*p == '^')
					p++;
				if (*p == ']')
					p++;
				while (*p && *p != ']') {
					if (p[0] == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
						const char *close = strchr(p + 2, ']');
						p = close ? close : p + strlen(p) - 1;
					}
					p++;
				}
				if (*p == ']')
					p++;
			} else if (*p == '\\') {
				if (p[1] >= '1' && p[1] <= '9')
					return -1; /* a back-reference */
				p += p[1] ? 2 : 1;
			} else {
				atom = *p == '|' ? 0 : 1;
				p++;
			}
			last = atom;
			total += atom;
			quant = 0;
		}
		if (total > RE_MAX_COST || last > RE_MAX_COST)
			return -1;
	}
	if (bars && alt_empty)
		return -1; /* a trailing empty alternative */
	*pp = p;
	return total;
}

static int re_acceptable(const char *re)
{
	const char *p = re;
	long cost, sum = 0;

	while (*p) {
		cost = re_cost(&p, 0);
		if (cost < 0 || (sum += cost) > RE_MAX_COST)
			return 0;
		if (*p == ')')
			p++; /* an unmatched ')' is an ordinary character in ERE */
	}
	return 1;
}

/* Keeps the last value of a key. */
static int set(char **dst, const char *v)
{
	char *n = strdup(v);
	if (!n)
		return -1;
	free(*dst);
	*dst = n;
	return 0;
}

/* One item of the file (lib/ini): [dialogue] keys, and [rule:NAME] keys;
 * a rule exists from its first key on, in that order. */
static int on_item(void *arg, const struct vs_ini_item *it, char *err, size_t errlen)
{
	struct wdialogue *d = arg;
	struct wrule *r = NULL;
	const char *k = it->key;
	(void)err;
	(void)errlen;
	if (!k)
		return 0;
	if (!strcmp(it->section, "dialogue")) {
		if (!strcmp(k, "default"))
			return set(&d->def, it->value);
		if (!strcmp(k, "greeting"))
			return set(&d->greeting, it->value);
		return 0;
	}
	if (strncmp(it->section, "rule:", 5))
		return 0;
	for (size_t i = 0; i < d->n && !r; i++)
		if (!strcmp(d->r[i].name, it->section + 5))
			r = &d->r[i];
	if (!r) {
		struct wrule *nr = realloc(d->r, (d->n + 1) * sizeof *nr);
		if (!nr)
			return -1;
		d->r = nr;
		r = &d->r[d->n];
		memset(r, 0, sizeof *r);
		if (!(r->name = strdup(it->section + 5)))
			return -1;
		d->n++;
	}
	char **dst = !strcmp(k, "match")   ? &r->match
		     : !strcmp(k, "reply") ? &r->reply
		     : !strcmp(k, "tool")  ? &r->tool
		     : !strcmp(k, "args")  ? &r->args
		     : !strcmp(k, "regex") ? &r->re_src
					   : NULL;
	return dst ? set(dst, it->value) : 0;
}

/* Unset values to their defaults; each rule's regex checked and compiled. */
static int finish(struct wdialogue *d, const char *path, char *err, size_t errlen)
{
	if ((!d->def || !*d->def) && set(&d->def, "Sorry, I did not catch that. Could you say it again?"))
		return -1;
	if (!d->greeting && set(&d->greeting, ""))
		return -1;
	for (size_t i = 0; i < d->n; i++) {
		struct wrule *r = &d->r[i];
		if ((!r->match && set(&r->match, "")) || (!r->reply && set(&r->reply, "")) ||
		    ((!r->args || !*r->args) && set(&r->args, "{}")))
			return -1;
		if (r->tool && !*r->tool) {
			free(r->tool);
			r->tool = NULL;
		}
		if (!r->re_src || !*r->re_src)
			continue;
		if (!re_acceptable(r->re_src)) {
			snprintf(err, errlen,
				 "%s: rule %s: regex too costly (stacked repetition, a bound over %d, a "
				 "back-reference, an empty alternative, or over %d atoms once repeated)",
				 path, r->name, RE_MAX_BOUND, RE_MAX_COST);
			return -1;
		}
		if (regcomp(&r->re, r->re_src, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
			snprintf(err, errlen, "%s: rule %s: bad regex", path, r->name);
			return -1;
		}
		r->has_re = 1;
	}
	return 0;
}

struct wdialogue *wdialogue_load(const char *path, char *err, size_t errlen)
{
	struct wdialogue *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	err[0] = '\0';
	/* NULL path: the empty dialogue (every reply the default) */
	if ((path && vs_ini_parse_file(path, on_item, d, err, errlen) < 0) ||
	    finish(d, path ? path : "(none)", err, errlen) < 0) {
		if (!err[0])
			snprintf(err, errlen, "%s: out of memory", path);
		wdialogue_free(d);
		return NULL;
	}
	return d;
}

static int substr_any(const char *alts, const char *text)
{
	char *copy = strdup(alts);
	int hit = 0;
	char *save = NULL;
	if (!copy)
		return 0;
	for (char *t = strtok_r(copy, "|", &save); t && !hit; t = strtok_r(NULL, "|", &save)) {
		while (*t == ' ')
			t++;
		size_t n = strlen(t);
		while (n && t[n - 1] == ' ')
			t[--n] = '\0';
		if (n && strcasestr(text, t))
			hit = 1;
	}
	free(copy);
	return hit;
}

void wdialogue_reply(const struct wdialogue *d, const char *user_text, struct vs_reply *out)
{
	const char *t = user_text ? user_text : "";
	memset(out, 0, sizeof *out);
	out->tool_args = "{}";
	if (!*t && d->greeting && *d->greeting) {
		out->text = d->greeting;
		out->rule = "greeting";
		return;
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct wrule *r = &d->r[i];
		int hit = (r->has_re && regexec(&r->re, t, 0, NULL, 0) == 0) || (*r->match && substr_any(r->match, t));
		if (!hit)
			continue;
		out->text = r->reply;
		out->tool = r->tool;
		out->tool_args = r->args;
		out->rule = r->name;
		return;
	}
	out->text = d->def;
	out->rule = "default";
}

void wdialogue_free(struct wdialogue *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		struct wrule *r = &d->r[i];
		free(r->name);
		free(r->match);
		free(r->reply);
		free(r->tool);
		free(r->args);
		free(r->re_src);
		if (r->has_re)
			regfree(&r->re);
	}
	free(d->r);
	free(d->def);
	free(d->greeting);
	free(d);
}
