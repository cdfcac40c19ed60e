/* Options read into a plugin's state (include/vstress/callphase/optbind.h). */
#include "vstress/callphase/optbind.h"

#include <stdlib.h>
#include <string.h>

int vs_popt_int(const struct vs_host *h, vs_ctx *c, const char *section, const char *key, long long *out,
		long long min)
{
	if (h->opt_int(c, key, out) < 0)
		return -1;
	if (*out < min) {
		h->reason(c, "[%s] %s = %lld: must be at least %lld", section, key, *out, min);
		return -1;
	}
	return 0;
}

int vs_popt_ms(const struct vs_host *h, vs_ctx *c, const char *section, const char *key, long long *out)
{
	if (h->opt_ms(c, key, out) < 0)
		return -1;
	if (*out < 0) {
		h->reason(c, "[%s] %s: negative duration", section, key);
		return -1;
	}
	return 0;
}

static int read_one(const struct vs_host *h, vs_ctx *c, const char *section, const struct vs_popt_bind *b, char *base)
{
	void *f = base + b->off;

	switch (b->kind) {
	case VS_POPT_STR:
	case VS_POPT_STRIP: {
		char **s = f;
		size_t n;
		free(*s);
		if (!(*s = strdup(vs_popt_str(h, c, b->key))))
			return VS_ERROR;
		for (n = strlen(*s); b->kind == VS_POPT_STRIP && n && (*s)[n - 1] == '/';)
			(*s)[--n] = '\0';
		return VS_OK;
	}
	case VS_POPT_INT:
		if (b->min == VS_POPT_ANY)
			return h->opt_int(c, b->key, f) < 0 ? VS_ECONFIG : VS_OK;
		return vs_popt_int(h, c, section, b->key, f, b->min) ? VS_ECONFIG : VS_OK;
	case VS_POPT_MS:
		if (vs_popt_ms(h, c, section, b->key, f))
			return VS_ECONFIG;
		if (b->min > 0 && *(long long *)f < b->min) {
			h->reason(c, "[%s] %s = %lld ms: must be at least %lld ms", section, b->key, *(long long *)f,
				  b->min);
			return VS_ECONFIG;
		}
		return VS_OK;
	case VS_POPT_DOUBLE:
		if (h->opt_double(c, b->key, f) < 0)
			return VS_ECONFIG;
		if (b->min > 0 && !(*(double *)f > 0)) {
			h->reason(c, "[%s] %s = %g: must be > 0", section, b->key, *(double *)f);
			return VS_ECONFIG;
		}
		return VS_OK;
	case VS_POPT_BOOL:
		return h->opt_bool(c, b->key, f) < 0 ? VS_ECONFIG : VS_OK;
	}
	return VS_ERROR;
}

int vs_popt_read(const struct vs_host *h, vs_ctx *c, const char *section, const struct vs_popt_bind *b, void *obj)
{
	for (; b->key; b++) {
		int rc = read_one(h, c, section, b, obj);
		if (rc != VS_OK)
			return rc;
	}
	return VS_OK;
}

void vs_popt_free(const struct vs_popt_bind *b, void *obj)
{
	for (; b->key; b++)
		if (b->kind == VS_POPT_STR || b->kind == VS_POPT_STRIP) {
			char **s = (void *)((char *)obj + b->off);
			free(*s);
			*s = NULL;
		}
}

const char *vs_popt_str(const struct vs_host *h, vs_ctx *c, const char *key)
{
	const char *v = h->opt(c, key);
	return v ? v : "";
}
