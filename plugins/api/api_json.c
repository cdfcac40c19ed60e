/* api plugin: JSON comparison, dotted paths, the login template. */
#include "api.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *api_json_short(json_t *j, char *buf, size_t len)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	if (!len)
		return buf;
	if (!s) {
		snprintf(buf, len, "%s", j ? "?" : "(absent)");
		return buf;
	}
	if (strlen(s) >= len && len > 4)
		snprintf(buf, len, "%.*s...", (int)(len - 4), s);
	else
		snprintf(buf, len, "%s", s);
	free(s);
	return buf;
}

int api_json_subset(json_t *want, json_t *got, const char *path, char *msg, size_t len)
{
	char w[160], g[160];

	if (json_is_object(want) && json_is_object(got)) {
		const char *k;
		json_t *v;
		json_object_foreach(want, k, v) {
			char sub[256];
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k);
			if (!json_object_get(got, k)) {
				snprintf(msg, len, "\"%s\" missing, expected %s", sub, api_json_short(v, w, sizeof(w)));
				return 1;
			}
			if (api_json_subset(v, json_object_get(got, k), sub, msg, len))
				return 1;
		}
		return 0;
	}
	if (json_equal(want, got))
		return 0;
	snprintf(msg, len, "\"%s\" is %s, expected %s", *path ? path : "(body)", api_json_short(got, g, sizeof(g)),
		 api_json_short(want, w, sizeof(w)));
	return 1;
}

json_t *api_json_path(json_t *root, const char *dotted)
{
	char key[256];
	const char *p = dotted;

	while (root && *p) {
		size_t n = strcspn(p, ".");
		if (n >= sizeof(key) || !json_is_object(root))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		root = json_object_get(root, key);
		p += n;
		if (*p == '.')
			p++;
	}
	return root;
}

/* the JSON string literal of s without its quotes; malloc'd */
static char *escaped(const char *s)
{
	json_t *j = json_string(s);
	char *d = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	size_t n;

	json_decref(j);
	if (!d)
		return NULL;
	n = strlen(d);
	memmove(d, d + 1, n - 2);
	d[n - 2] = '\0';
	return d;
}

char *api_fill_template(const char *tmpl, const char *username, const char *password)
{
	char *u = escaped(username ? username : ""), *pw = escaped(password ? password : ""), *out = NULL;
	size_t cap, o = 0;
	const char *p;

	if (!u || !pw)
		goto out;
	cap = strlen(tmpl) + 1;
	for (p = tmpl; (p = strchr(p, '{')); p++)
		cap += strlen(u) + strlen(pw);
	out = malloc(cap);
	if (!out)
		goto out;
	for (p = tmpl; *p;) {
		if (strncmp(p, "{username}", 10) == 0) {
			memcpy(out + o, u, strlen(u));
			o += strlen(u);
			p += 10;
		} else if (strncmp(p, "{password}", 10) == 0) {
			memcpy(out + o, pw, strlen(pw));
			o += strlen(pw);
			p += 10;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
out:
	free(u);
	free(pw);
	return out;
}

int api_numeric(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}
