/* setup plugin: option text helpers. */
#include "setup.h"

#include <stdlib.h>
#include <string.h>

char *setup_expand(const char *raw)
{
	size_t cap = strlen(raw) + 1, len = 0;
	char *out = malloc(cap), *tmp;
	const char *p = raw;

	if (!out)
		return NULL;
	while (*p) {
		const char *val, *end;
		char name[256], *def, one[2] = {0, 0};
		size_t n;

		if (p[0] == '$' && p[1] == '$') {
			val = "$";
			p += 2;
		} else if (p[0] == '$' && p[1] == '{' && (end = strchr(p + 2, '}')) && (size_t)(end - p - 2) < sizeof(name)) {
			memcpy(name, p + 2, (size_t)(end - p - 2));
			name[end - p - 2] = '\0';
			def = strstr(name, ":-");
			if (def) {
				*def = '\0';
				def += 2;
			}
			val = getenv(name);
			if (!val || !*val)
				val = def ? def : "";
			p = end + 1;
		} else {
			one[0] = *p++;
			val = one;
		}
		n = strlen(val);
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			tmp = realloc(out, cap);
			if (!tmp) {
				free(out);
				return NULL;
			}
			out = tmp;
		}
		memcpy(out + len, val, n);
		len += n;
	}
	out[len] = '\0';
	return out;
}

char *setup_opt(struct setup *s, const char *key)
{
	const char *v = s->h->opt(s->c, key);
	return setup_expand(v ? v : "");
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
