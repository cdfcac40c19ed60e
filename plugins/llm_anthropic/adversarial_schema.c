/* llm_anthropic adversarial suite: a small JSON-schema subset validator
 * (type, required, properties, enum, items) and JSON extraction from a
 * model's reply. */
#include "adversarial.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const types[] = {"object", "array", "string", "number", "integer", "boolean", "null", NULL};

static int known_type(const char *t)
{
	for (size_t i = 0; types[i]; i++)
		if (!strcmp(types[i], t))
			return 1;
	return 0;
}

int adv_schema_ok(json_t *schema, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	if (!json_is_object(schema)) {
		snprintf(err, errlen, "a schema must be a JSON object");
		return -1;
	}
	json_object_foreach(schema, key, v)
	{
		if (!strcmp(key, "type")) {
			if (!json_is_string(v) || !known_type(json_string_value(v))) {
				snprintf(err, errlen, "\"type\" must be one of object, array, string, number, integer, boolean, null");
				return -1;
			}
		} else if (!strcmp(key, "required")) {
			size_t i;
			json_t *r;
			if (!json_is_array(v)) {
				snprintf(err, errlen, "\"required\" must be an array of names");
				return -1;
			}
			json_array_foreach(v, i, r) if (!json_is_string(r))
			{
				snprintf(err, errlen, "\"required\" must be an array of names");
				return -1;
			}
		} else if (!strcmp(key, "properties")) {
			const char *pk;
			json_t *ps;
			if (!json_is_object(v)) {
				snprintf(err, errlen, "\"properties\" must be an object");
				return -1;
			}
			json_object_foreach(v, pk, ps) if (adv_schema_ok(ps, err, errlen) < 0) return -1;
		} else if (!strcmp(key, "items")) {
			if (adv_schema_ok(v, err, errlen) < 0)
				return -1;
		} else if (!strcmp(key, "enum")) {
			if (!json_is_array(v) || !json_array_size(v)) {
				snprintf(err, errlen, "\"enum\" must be a non-empty array");
				return -1;
			}
		} else if (strcmp(key, "description") && strcmp(key, "title") && strcmp(key, "$schema")) {
			snprintf(err, errlen, "unsupported schema keyword \"%s\" (supported: type, required, properties, enum, items)",
				 key);
			return -1;
		}
	}
	return 0;
}

static int type_is(const char *t, const json_t *v)
{
	if (!strcmp(t, "object"))
		return json_is_object(v);
	if (!strcmp(t, "array"))
		return json_is_array(v);
	if (!strcmp(t, "string"))
		return json_is_string(v);
	if (!strcmp(t, "number"))
		return json_is_number(v);
	if (!strcmp(t, "integer"))
		return json_is_integer(v);
	if (!strcmp(t, "boolean"))
		return json_is_boolean(v);
	return json_is_null(v);
}

static int validate(const json_t *s, const json_t *v, const char *path, char *err, size_t errlen)
{
	const char *t = json_string_value(json_object_get(s, "type"));
	json_t *en = json_object_get(s, "enum"), *req = json_object_get(s, "required"),
	       *props = json_object_get(s, "properties"), *items = json_object_get(s, "items");
	char sub[256];
	size_t i;
	json_t *x;

	if (t && !type_is(t, v)) {
		snprintf(err, errlen, "%s: expected %s", path, t);
		return -1;
	}
	if (en) {
		int found = 0;
		json_array_foreach(en, i, x) found |= json_equal(x, v);
		if (!found) {
			char *d = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			snprintf(err, errlen, "%s: %.60s is not in the enum", path, d ? d : "?");
			free(d);
			return -1;
		}
	}
	if (json_is_object(v)) {
		json_array_foreach(req, i, x)
		{
			if (!json_object_get(v, json_string_value(x))) {
				snprintf(err, errlen, "%s: required property \"%s\" missing", path, json_string_value(x));
				return -1;
			}
		}
		const char *k;
		json_t *ps;
		json_object_foreach(props, k, ps)
		{
			json_t *pv = json_object_get(v, k);
			snprintf(sub, sizeof(sub), "%s.%s", path, k);
			if (pv && validate(ps, pv, sub, err, errlen) < 0)
				return -1;
		}
	}
	if (json_is_array(v) && items) {
		json_array_foreach(v, i, x)
		{
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (validate(items, x, sub, err, errlen) < 0)
				return -1;
		}
	}
	return 0;
}

int adv_validate(const json_t *schema, const json_t *v, char *err, size_t errlen)
{
	return validate(schema, v, "$", err, errlen);
}

json_t *adv_extract_json(const char *text)
{
	json_t *j;
	const char *a, *b;
	if (!text)
		return NULL;
	j = json_loads(text, JSON_DECODE_ANY, NULL);
	if (j)
		return j;
	/* the outermost {...} or [...]: also covers ```json fences and prose */
	const char *o = strchr(text, '{'), *q = strchr(text, '[');
	a = o && (!q || o < q) ? o : q;
	if (!a)
		return NULL;
	b = strrchr(text, *a == '{' ? '}' : ']');
	if (!b || b < a)
		return NULL;
	return json_loadb(a, (size_t)(b - a + 1), 0, NULL);
}

int adv_has_keyword(const char *text, const char *keywords, char *which, size_t wlen)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", keywords ? keywords : "");
	for (char *save = NULL, *k = strtok_r(buf, "|", &save); k; k = strtok_r(NULL, "|", &save)) {
		while (isspace((unsigned char)*k))
			k++;
		size_t n = strlen(k);
		while (n && isspace((unsigned char)k[n - 1]))
			k[--n] = '\0';
		if (!n)
			continue;
		for (const char *s = text; s && *s; s++)
			if (!strncasecmp(s, k, n)) {
				if (which)
					snprintf(which, wlen, "%s", k);
				return 1;
			}
	}
	return 0;
}
