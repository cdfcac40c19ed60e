/* Reading [target] signal.<name> and label options: see
 * vstress/callphase/signals.h. */
#include "vstress/callphase/signals.h"

#include "vstress/callphase/plugopt.h"

#include <stdio.h>

int vs_popt_signal(const struct vs_host *h, vs_ctx *c, const char *name, struct vs_signal *s)
{
	char key[80], err[400];

	snprintf(key, sizeof(key), "signal.%s", name);
	if (vs_signal_parse(name, h->conf(c, "target", key), s, err, sizeof(err)) != 0) {
		h->reason(c, "%s", err);
		return VS_ECONFIG;
	}
	return VS_OK;
}

int vs_popt_labels(const struct vs_host *h, vs_ctx *c, const char *section, const char *key, struct vs_signal *s)
{
	char err[400];

	if (vs_signal_parse_labels(vs_popt_str(h, c, key), s, err, sizeof(err)) != 0) {
		h->reason(c, "[%s] %s: %s", section, key, err);
		return VS_ECONFIG;
	}
	return VS_OK;
}
