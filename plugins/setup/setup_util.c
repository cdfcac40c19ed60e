/* setup plugin: option text helpers. */
#include "setup.h"

#include <stdlib.h>
#include <string.h>

char *setup_opt(struct setup *s, const char *key)
{
	const char *v = s->h->opt(s->c, key);
	/* the core has already interpolated ${VAR} in values and defaults */
	return strdup(v ? v : "");
}

char **setup_split(const char *v, char sep)
{
	size_t n = 0;
	char **out = calloc(1, sizeof(*out));
	const char *p = v ? v : "";

	if (!out)
		return NULL;
	while (*p) {
		const char *e = strchr(p, sep);
		size_t l = e ? (size_t)(e - p) : strlen(p);
		const char *b = p;
		char **grown;

		p = e ? e + 1 : p + l;
		while (l && (*b == ' ' || *b == '\t'))
			b++, l--;
		while (l && (b[l - 1] == ' ' || b[l - 1] == '\t'))
			l--;
		if (!l)
			continue;
		grown = realloc(out, (n + 2) * sizeof(*out));
		if (!grown)
			goto fail;
		out = grown;
		out[n] = strndup(b, l);
		out[n + 1] = NULL;
		if (!out[n])
			goto fail;
		n++;
	}
	return out;
fail:
	setup_strv_free(out);
	return NULL;
}

void setup_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}
