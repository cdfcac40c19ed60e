/* LLM probe: the price table (conf.d/prices.ini).
 *
 *   [prices:openai]
 *   read = 2026-07-27           ; the date the list prices were read
 *   gpt-4o = 2.50 10.00         ; USD per 1M input tokens, per 1M output tokens
 *
 * A model matches its own key, else the longest key it starts with followed
 * by '-' (gpt-4o-2024-08-06 -> gpt-4o; gpt-4o-mini stays gpt-4o-mini).  The
 * [name:suffix] form keeps the core from reading the sections as plugins. */
#include "vstress/probe/llm_probe.h"

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

static int better(const char *key, const char *model, size_t best)
{
	size_t k = strlen(key);
	if (!strcmp(key, model))
		return 1;
	return k > best && !strncmp(key, model, k) && model[k] == '-';
}

int llm_prices_load(const char *path, const char *provider, const char *model, struct llm_price *out, char *err,
		    size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char want[96], sec[96] = "", *line = NULL;
	size_t cap = 0, best = 0;
	int ln = 0, rc = -1, in = 0, found = 0;

	memset(out, 0, sizeof(*out));
	snprintf(want, sizeof(want), "prices:%s", provider);
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, fp) >= 0) {
		ln++;
		char *s = trim(line);
		if (!*s || *s == ';' || *s == '#')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');
			if (!e || e[1]) {
				snprintf(err, errlen, "%s:%d: bad section line", path, ln);
				goto out;
			}
			*e = '\0';
			snprintf(sec, sizeof(sec), "%s", trim(s + 1));
			in = !strcmp(sec, want);
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq || !*sec) {
			snprintf(err, errlen, "%s:%d: expected key = value inside a [prices:provider] section", path, ln);
			goto out;
		}
		*eq = '\0';
		char *key = trim(s), *val = trim(eq + 1);
		char *semi = strchr(val, ';');
		if (semi)
			*semi = '\0', val = trim(val);
		if (!strcmp(key, "read") || !strcmp(key, "source") || !strcmp(key, "currency")) {
			if (in && !strcmp(key, "read"))
				snprintf(out->read, sizeof(out->read), "%s", val);
			continue;
		}
		char *end;
		errno = 0;
		double pin = strtod(val, &end);
		if (end == val || (*end != ' ' && *end != '\t' && *end != ','))
			goto bad;
		val = end + 1;
		while (*val == ' ' || *val == '\t' || *val == ',')
			val++;
		double pout = strtod(val, &end);
		if (end == val || *trim(end) || errno || pin < 0 || pout < 0)
			goto bad;
		if (in && better(key, model, best)) {
			best = !strcmp(key, model) ? (size_t)-1 : strlen(key);
			snprintf(out->model, sizeof(out->model), "%s", key);
			out->in_per_m = pin;
			out->out_per_m = pout;
			found = 1;
		}
		continue;
bad:
		snprintf(err, errlen, "%s:%d: '%s' wants two prices (USD per 1M input and output tokens)", path, ln,
			 key);
		goto out;
	}
	rc = found ? 0 : 1;
	if (!found)
		snprintf(err, errlen, "no price for %s model '%s' in %s [%s]", provider, model, path, want);
out:
	free(line);
	fclose(fp);
	return rc;
}
