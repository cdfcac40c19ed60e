/* The world's configuration: the resolved entries the core hands over
 * (world/main.h), one value per section/key, a later one winning.  The world
 * reads no INI file itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world/internal.h"

int wconf_add(struct wconf *c, const char *sec, const char *key, const char *val)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct wconf_ent *ne = realloc(c->e, cap * sizeof *ne);
		if (!ne)
			return -1;
		c->e = ne;
		c->cap = cap;
	}
	struct wconf_ent *e = &c->e[c->n];
	e->section = strdup(sec);
	e->key = strdup(key);
	e->value = strdup(val);
	if (!e->section || !e->key || !e->value) {
		free(e->section);
		free(e->key);
		free(e->value);
		return -1;
	}
	c->n++;
	return 0;
}

const char *wconf_get(const struct wconf *c, const char *section, const char *key)
{
	for (size_t i = c->n; i-- > 0;)
		if (!strcmp(c->e[i].section, section) && !strcmp(c->e[i].key, key))
			return c->e[i].value;
	return NULL;
}

void wconf_free(struct wconf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].section);
		free(c->e[i].key);
		free(c->e[i].value);
	}
	free(c->e);
	memset(c, 0, sizeof *c);
}

int w_parse_ms(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s)
		return -1;
	while (*end == ' ')
		end++;
	if (!*end || !strcmp(end, "ms"))
		*out = v;
	else if (!strcmp(end, "s"))
		*out = v * 1000.0;
	else if (!strcmp(end, "m"))
		*out = v * 60000.0;
	else if (!strcmp(end, "us"))
		*out = v / 1000.0;
	else
		return -1;
	return 0;
}
