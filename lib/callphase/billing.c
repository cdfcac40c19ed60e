/* The world's billing events and their prices: see
 * vstress/callphase/billing.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/callphase/billing.h"
#include "vstress/ini/ini_file.h"
#include "vstress/net/httpc.h"
#include "vstress/probe/llm_probe.h"

static json_t *get_json(const char *url)
{
	char err[256], *resp = NULL;
	long st = 0;
	json_t *j = NULL;

	if (vs_httpc("GET", url, NULL, 5000, &st, &resp, err, sizeof(err)) == 0 && st == 200 && resp)
		j = json_loads(resp, 0, NULL);
	free(resp);
	return j;
}

long long vs_billing_seq(const char *control_url)
{
	char url[1200];
	json_t *j;
	long long s = -1;

	if (!control_url || !*control_url)
		return -1;
	snprintf(url, sizeof(url), "%s/_vstress/events?topic=billing&limit=0", control_url);
	j = get_json(url);
	if (json_is_integer(json_object_get(j, "last_seq")))
		s = json_integer_value(json_object_get(j, "last_seq"));
	json_decref(j);
	return s;
}

json_t *vs_billing_since(const char *control_url, long long since)
{
	json_t *all = json_array();
	char url[1200];

	for (;;) {
		json_t *j, *evs, *e;
		size_t i, n;

		snprintf(url, sizeof(url), "%s/_vstress/events?topic=billing&since=%lld&limit=1000", control_url, since);
		j = get_json(url);
		evs = json_object_get(j, "events");
		if (!json_is_array(evs)) {
			json_decref(j);
			json_decref(all);
			return NULL;
		}
		n = json_array_size(evs);
		json_array_foreach(evs, i, e) {
			long long s = json_integer_value(json_object_get(e, "seq"));
			if (s > since)
				since = s;
			json_array_append(all, e);
		}
		json_decref(j);
		if (n < 1000)
			return all;
	}
}

long long vs_billing_key(const json_t *e)
{
	const json_t *d = json_object_get(e, "data");
	const char *svc = json_string_value(json_object_get(d, "service"));

	if (svc && !strcmp(svc, "stt"))
		return json_integer_value(json_object_get(d, "open_seq"));
	return json_integer_value(json_object_get(e, "seq"));
}

static int on_speech(void *arg, const struct vs_ini_item *it, char *err, size_t errlen)
{
	struct vs_prices *sp = arg;
	const char *u = strchr(it->section, '_');
	char *end;
	double v;
	int per_char;

	if (!it->key || !u || (strncmp(it->section, "tts_", 4) && strncmp(it->section, "stt_", 4)))
		return 0;
	per_char = !strcmp(it->key, "price_per_1k_chars");
	if (!per_char && strcmp(it->key, "price_per_minute"))
		return 0;
	v = strtod(it->value, &end);
	if (end == it->value || *end || v < 0) {
		snprintf(err, errlen, "%s:%d: %s wants a price in USD", it->file, it->line, it->key);
		return -1;
	}
	if (sp->n == VS_BILLING_NPROV)
		return 0;
	snprintf(sp->name[sp->n], sizeof(sp->name[0]), "%s", u + 1);
	sp->per_char[sp->n] = per_char ? v / 1000 : 0;
	sp->per_sec[sp->n] = per_char ? 0 : v / 60;
	sp->n++;
	return 0;
}

int vs_prices_load(struct vs_prices *pr, const char *llm_path, const char *speech_path, char *err, size_t errlen)
{
	memset(pr, 0, sizeof(*pr));
	pr->llm_path = llm_path;
	pr->speech_path = speech_path;
	return vs_ini_parse_file(speech_path, on_speech, pr, err, errlen) < 0 ? -1 : 0;
}

double vs_billing_usd(const struct vs_prices *pr, const json_t *d, char *err, size_t errlen)
{
	const char *prov = json_string_value(json_object_get(d, "provider"));
	const char *svc = json_string_value(json_object_get(d, "service"));
	const char *model = json_string_value(json_object_get(d, "model"));

	if (!prov || !svc || !strcmp(svc, "open"))
		return 0;
	if (!strcmp(svc, "llm")) {
		struct llm_price lp;
		char e2[300];
		if (llm_prices_load(pr->llm_path, prov, model ? model : "", &lp, e2, sizeof(e2)) != 0) {
			snprintf(err, errlen, "%s", e2);
			return -1;
		}
		return (json_number_value(json_object_get(d, "input_tokens")) * lp.in_per_m +
			json_number_value(json_object_get(d, "output_tokens")) * lp.out_per_m) / 1e6;
	}
	for (int i = 0; i < pr->n; i++)
		if (!strcmp(pr->name[i], prov))
			return json_number_value(json_object_get(d, "characters")) * pr->per_char[i] +
			       json_number_value(json_object_get(d, "audio_seconds")) * pr->per_sec[i];
	snprintf(err, errlen, "no price for %s in %s", prov, pr->speech_path);
	return -1;
}
