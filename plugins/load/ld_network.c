/* load plugin: network impairments of the calls' media stream, for the
 * whole run (`network = jitter=20ms loss=1%`) or per stage of a stages
 * shape (`stage_network = 2: loss=5%, 4: outage=2s@5s`).  A call plays an
 * impaired copy of its script (vs_call_script_dup, the spec of
 * lib/caller/impair.c); its seed is the spec's `seed` when given, else the
 * run's, mixed with the call's global number: every call differs, a run
 * with the same seed replays exactly.  What our impairment did is reported
 * per stage next to what the agent did (ld_stages.c). */
#include "load.h"

#include <vstress/callphase/plugopt.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ld_net {
	struct vs_impair_cfg all;
	int has_all;
	struct vs_impair_cfg *stage; /* [nst] */
	unsigned char *has_stage;
	size_t nst;
	struct vs_call_script **owned; /* the impaired copies */
	size_t nowned, capowned;
};

static int parse_one(struct ld *p, const char *key, const char *spec, struct vs_impair_cfg *cfg)
{
	char err[300];

	memset(cfg, 0, sizeof(*cfg));
	if (vs_impair_parse_spec(cfg, spec, err, sizeof(err)) != 0) {
		p->h->reason(p->c, "[load] %s = %s: %s", key, spec, err);
		return -1;
	}
	if (!vs_impair_active(cfg)) {
		p->h->reason(p->c, "[load] %s = %s: impairs nothing (jitter, loss, duplicate, reorder or outage)", key,
			     spec);
		return -1;
	}
	return 0;
}

/* "2: loss=5%, 4: outage=2s@5s" (stages counted from 1). */
static int parse_stages(struct ld *p, struct ld_net *n, const char *list)
{
	char buf[1024], *save = NULL;

	if (strlen(list) >= sizeof(buf)) {
		p->h->reason(p->c, "[load] stage_network: longer than %zu characters", sizeof(buf) - 1);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(item, ':'), *end;
		long k;

		while (isspace((unsigned char)*item))
			item++;
		if (!colon) {
			p->h->reason(p->c, "[load] stage_network: \"%s\" is not STAGE: spec (e.g. 2: loss=5%%)", item);
			return -1;
		}
		*colon = '\0';
		k = strtol(item, &end, 10);
		while (isspace((unsigned char)*end))
			end++;
		if (end == item || *end || k < 1 || (size_t)k > n->nst) {
			p->h->reason(p->c, "[load] stage_network: \"%s\" is not a stage number 1..%zu (stages)", item, n->nst);
			return -1;
		}
		if (n->has_stage[k - 1]) {
			p->h->reason(p->c, "[load] stage_network: stage %ld given twice", k);
			return -1;
		}
		if (parse_one(p, "stage_network", colon + 1, &n->stage[k - 1]) != 0)
			return -1;
		n->has_stage[k - 1] = 1;
	}
	return 0;
}

int ld_network_conf(struct ld *p)
{
	const char *all = vs_popt_str(p->h, p->c, "network"), *st = vs_popt_str(p->h, p->c, "stage_network");
	struct ld_net *n;

	if (!*all && !*st)
		return VS_OK;
	if (!(n = calloc(1, sizeof(*n))))
		return VS_ERROR;
	p->net = n;
	if (*all) {
		if (parse_one(p, "network", all, &n->all) != 0)
			return VS_ECONFIG;
		n->has_all = 1;
	}
	if (*st) {
		if (p->shape.kind != LD_STAGES) {
			p->h->reason(p->c, "[load] stage_network = %s: needs a stages shape ([load] stages)", st);
			return VS_ECONFIG;
		}
		n->nst = p->shape.nst;
		n->stage = calloc(n->nst, sizeof(*n->stage));
		n->has_stage = calloc(n->nst, 1);
		if (!n->stage || !n->has_stage)
			return VS_ERROR;
		if (parse_stages(p, n, st) != 0)
			return VS_ECONFIG;
	}
	return VS_OK;
}

const struct vs_impair_cfg *ld_network_for(const struct ld *p, int stage)
{
	const struct ld_net *n = p->net;

	if (!n)
		return NULL;
	if (stage >= 0 && (size_t)stage < n->nst && n->has_stage[stage])
		return &n->stage[stage];
	return n->has_all ? &n->all : NULL;
}

const struct vs_call_script *ld_network_script(struct ld *p, const struct vs_call_script *s, int stage, size_t k)
{
	const struct vs_impair_cfg *cfg = ld_network_for(p, stage);
	struct ld_net *n = p->net;
	struct vs_call_script *d;

	if (!cfg)
		return s;
	if (n->nowned == n->capowned) {
		size_t cap = n->capowned ? n->capowned * 2 : 32;
		struct vs_call_script **g = realloc(n->owned, cap * sizeof(*g));
		if (!g)
			return NULL;
		n->owned = g;
		n->capowned = cap;
	}
	if (!(d = vs_call_script_dup(s)))
		return NULL;
	d->impair = *cfg;
	d->impair.seed = (cfg->seed ? cfg->seed : p->h->seed(p->c)) + 0x9E3779B97F4A7C15ull * (uint64_t)(k + 1);
	n->owned[n->nowned++] = d;
	return d;
}

void ld_network_free(struct ld *p)
{
	struct ld_net *n = p->net;

	if (!n)
		return;
	for (size_t i = 0; i < n->nowned; i++)
		vs_call_script_free(n->owned[i]);
	free(n->owned);
	free(p->net_batch);
	p->net_batch = NULL;
	free(n->stage);
	free(n->has_stage);
	free(n);
	p->net = NULL;
}
