/* Whom a direct provider probe judges: see vstress/probe/subject.h. */
#include "vstress/probe/subject.h"

#include <string.h>

extern char **environ;

/* KEY=VALUE names a stand-in's base URL: VSTRESS_WORLD_<NAME>_HTTP or _WS. */
static const char *standin_url(const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t klen;

	if (!eq || strncmp(kv, "VSTRESS_WORLD_", 14))
		return NULL;
	klen = (size_t)(eq - kv);
	if ((klen > 19 && !memcmp(eq - 5, "_HTTP", 5)) || (klen > 17 && !memcmp(eq - 3, "_WS", 3)))
		return eq + 1;
	return NULL;
}

int vs_probe_at_standin(const char *url)
{
	const char *base;
	size_t n;
	char **e;

	if (!url || !*url)
		return 0;
	for (e = environ; e && *e; e++) {
		base = standin_url(*e);
		n = base ? strlen(base) : 0;
		/* the base itself, or the base followed by a path or query */
		if (n && !strncmp(url, base, n) && (!url[n] || url[n] == '/' || url[n] == '?' || base[n - 1] == '/'))
			return 1;
	}
	return 0;
}

int vs_probe_subject(const struct vs_host *h, vs_ctx *c, const char *url)
{
	int s = vs_probe_at_standin(url) ? VS_SUBJECT_HARNESS : VS_SUBJECT_TARGET;

	VS_SUBJECT(h, c, s);
	if (s == VS_SUBJECT_HARNESS)
		h->log(c, VS_LOG_INFO,
		       "%s is one of the world's stand-ins: this probe's checks judge vstress's own stand-in "
		       "(subject harness), not the system under test",
		       url);
	return s;
}
