/* LLM probe: world faults for the faulted pass (hermetic only), through the
 * one fault client (vstress/standin/worldfaults.h), each with the result
 * class it should produce:
 *   faults = error:status=500:rate=0.3, stall:rate=0.2, error:status=529:after_messages=3 */
#include "vstress/probe/llm_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/standin/worldfaults.h"

static int expect_of(const json_t *f)
{
	const char *k = json_string_value(json_object_get(f, "kind"));
	json_int_t after = json_integer_value(json_object_get(f, "after_messages"));
	if (!k)
		return -1;
	if (!strcmp(k, "error")) {
		json_t *st = json_object_get(f, "status");
		long s = st ? (long)json_integer_value(st) : 500;
		int cls = llm_class_of_status(s);
		/* Anthropic's in-stream error at after_messages uses the same type */
		return cls;
	}
	if (!strcmp(k, "stall"))
		return LLM_TIMEOUT;
	if (!strcmp(k, "malformed"))
		return LLM_MALFORMED;
	if (!strcmp(k, "close") || !strcmp(k, "reset"))
		return after > 0 || !json_object_get(f, "after_messages") ? LLM_MALFORMED : LLM_NETWORK;
	if (!strcmp(k, "refuse") || !strcmp(k, "cut"))
		return LLM_NETWORK;
	if (!strcmp(k, "latency") || !strcmp(k, "trickle"))
		return LLM_OK;
	return -1;
}

int llm_faults_parse(struct llm_probe *p, json_t **out, char *err, size_t errlen)
{
	json_t *arr, *f;
	size_t i;
	*out = NULL;
	p->nfault = 0;
	if (!p->faults || !*p->faults)
		return 0;
	char why[400];
	arr = vs_wfaults_parse(p->faults, p->w->standin, why, sizeof(why));
	if (!arr) {
		snprintf(err, errlen, "faults: %s", why);
		return -1;
	}
	json_array_foreach(arr, i, f)
	{
		int cls = expect_of(f);
		if (cls < 0) {
			snprintf(err, errlen, "faults: item %zu has no known kind", i + 1);
			json_decref(arr);
			return -1;
		}
		if (p->nfault < sizeof(p->fault) / sizeof(p->fault[0])) {
			struct llm_fault *lf = &p->fault[p->nfault++];
			char *d = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
			snprintf(lf->label, sizeof(lf->label), "%s", d ? d : "?");
			free(d);
			lf->expect = cls;
		}
	}
	*out = arr;
	return 0;
}

int llm_faults_install(struct llm_probe *p, json_t *faults, char *err, size_t errlen)
{
	char why[400];
	if (vs_wfaults_post(p->control_url, faults, &p->fault_ids, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "world control %s: %s", p->control_url, why);
		return -1;
	}
	return 0;
}

void llm_faults_remove(struct llm_probe *p)
{
	int left;
	if (!p->fault_ids)
		return;
	left = vs_wfaults_remove(p->control_url, p->fault_ids); /* frees the ids */
	p->fault_ids = NULL;
	if (left)
		p->h->log(p->c, VS_LOG_WARN, "could not remove %d world fault(s) at %s", left, p->control_url);
}
