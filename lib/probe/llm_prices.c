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

#include "vstress/ini/ini_file.h"

static int better(const char *key, const char *model, size_t best)
{
	size_t k = strlen(key);
	if (!strcmp(key, model))
		return 1;
	return k > best && !strncmp(key, model, k) && model[k] == '-';
}

struct prices {
	const char *model;
	char want[96];
	size_t best;
	struct llm_price *out;
	int found;
};

static int on_item(void *arg, const struct vs_ini_item *it, char *err, size_t errlen)
{
	struct prices *ps = arg;
	int in = !strcmp(it->section, ps->want);
	const char *val = it->value;
	char *end;

	if (!it->key)
		return 0;
	if (!*it->section) {
		snprintf(err, errlen, "%s:%d: expected key = value inside a [prices:provider] section", it->file,
			 it->line);
		return -1;
	}
	if (!strcmp(it->key, "read") || !strcmp(it->key, "source") || !strcmp(it->key, "currency")) {
		if (in && !strcmp(it->key, "read"))
			snprintf(ps->out->read, sizeof(ps->out->read), "%s", val);
		return 0;
	}
	errno = 0;
	double pin = strtod(val, &end);
	if (end == val || (*end != ' ' && *end != '\t' && *end != ','))
		goto bad;
	val = end + 1;
	while (*val == ' ' || *val == '\t' || *val == ',')
		val++;
	double pout = strtod(val, &end);
	while (isspace((unsigned char)*end))
		end++;
	if (end == val || *end || errno || pin < 0 || pout < 0)
		goto bad;
	if (in && better(it->key, ps->model, ps->best)) {
		ps->best = !strcmp(it->key, ps->model) ? (size_t)-1 : strlen(it->key);
		snprintf(ps->out->model, sizeof(ps->out->model), "%s", it->key);
		ps->out->in_per_m = pin;
		ps->out->out_per_m = pout;
		ps->found = 1;
	}
	return 0;
bad:
	snprintf(err, errlen, "%s:%d: '%s' wants two prices (USD per 1M input and output tokens)", it->file, it->line,
		 it->key);
	return -1;
}

int llm_prices_load(const char *path, const char *provider, const char *model, struct llm_price *out, char *err,
		    size_t errlen)
{
	struct prices ps = {.model = model, .out = out};

	memset(out, 0, sizeof(*out));
	snprintf(ps.want, sizeof(ps.want), "prices:%s", provider);
	if (vs_ini_parse_file(path, on_item, &ps, err, errlen) < 0)
		return -1;
	if (!ps.found) {
		snprintf(err, errlen, "no price for %s model '%s' in %s [%s]", provider, model, path, ps.want);
		return 1;
	}
	return 0;
}
