/* Option helpers of the call-placing plugins (include/vstress/callphase/plugopt.h). */
#include "vstress/callphase/plugopt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vstress/standin/worldfaults.h"

void vs_popt_url(char *out, size_t len, const char *base, const char *path)
{
	size_t ul = strlen(base);

	while (ul && base[ul - 1] == '/')
		ul--;
	if (!*path)
		*out = '\0';
	else
		snprintf(out, len, "%.*s%s%s", (int)ul, base, *path == '/' ? "" : "/", path);
}

int vs_popt_scripts(const struct vs_host *h, vs_ctx *c, const char *section, const char *key,
		    struct vs_call_script ***scripts, size_t *n)
{
	char **items = NULL, err[512];
	size_t ni = vs_split_list(vs_popt_str(h, c, key), &items), before = *n;
	int rc = VS_ERROR;

	for (size_t i = 0; i < ni; i++) {
		struct vs_call_script **grown = realloc(*scripts, (*n + 1) * sizeof(*grown));
		if (!grown)
			goto out;
		*scripts = grown;
		if (vs_call_script_load(items[i], &(*scripts)[*n], err, sizeof(err)) != 0) {
			h->reason(c, "[%s] %s: %s", section, key, err);
			rc = VS_ECONFIG;
			goto out;
		}
		(*n)++;
	}
	if (*n == before) {
		h->reason(c, "[%s] %s: no caller script", section, key);
		rc = VS_ECONFIG;
		goto out;
	}
	rc = VS_OK;
out:
	free(items);
	return rc;
}

void *vs_popt_state(void **state, size_t size)
{
	return *state = calloc(1, size);
}

void vs_popt_sleep(const struct vs_host *h, vs_ctx *c, long long ms)
{
	while (ms > 0 && !h->should_stop(c)) {
		long step = ms > 100 ? 100 : (long)ms;
		struct timespec ts = {0, step * 1000000L};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		ms -= step;
	}
}

int vs_popt_tenant(const struct vs_host *h, vs_ctx *c, const char *section, const struct vs_tenant_cfg *cfg,
		   struct vs_tenant *t)
{
	char err[256];

	if (!cfg->db_url || !*cfg->db_url) {
		h->reason(c, "no database URL to provision the test tenant (set [%s] db_url, or provision = false when "
			     "routed_number %s is routed already)",
			  section, cfg->number);
		return VS_SKIP;
	}
	if (vs_tenant_create(cfg, t, err, sizeof(err)) != 0) {
		h->reason(c, "test tenant for %s: %s", cfg->number, err);
		return VS_FAIL;
	}
	h->log(c, VS_LOG_INFO, "test tenant %s (%s) routes %s", t->key, t->marker, cfg->number);
	return VS_OK;
}

int vs_popt_tenant_remove(const struct vs_host *h, vs_ctx *c, const struct vs_tenant_cfg *cfg, struct vs_tenant *t)
{
	char err[256];

	if (t->created && vs_tenant_remove(cfg, t, err, sizeof(err)) != 0) {
		h->log(c, VS_LOG_WARN, "test tenant %s (%s) not removed: %s", t->key, t->marker, err);
		return -1;
	}
	return 0;
}
