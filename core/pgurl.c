/* Postgres connection URLs: the TCP address, and the URL re-pointed. */
#include "pgurl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Offsets of the host:port part of url: [*b, *e).  0 or -1. */
static int hostport_span(const char *url, size_t *b, size_t *e)
{
	const char *p, *auth, *end, *at, *q;

	if (!strncmp(url, "postgresql://", 13))
		auth = url + 13;
	else if (!strncmp(url, "postgres://", 11))
		auth = url + 11;
	else
		return -1;
	end = auth + strcspn(auth, "/?#");
	at = NULL;
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	p = at ? at + 1 : auth;
	if (p == end || *p == ':' || memchr(p, ',', (size_t)(end - p)))
		return -1; /* no host (unix socket) or several hosts */
	/* parameters that choose the address themselves */
	q = strchr(end, '?');
	for (; q && *q; q = strchr(q + 1, '&')) {
		const char *k = q + 1;
		if (!strncmp(k, "host=", 5) || !strncmp(k, "hostaddr=", 9) || !strncmp(k, "port=", 5))
			return -1;
	}
	*b = (size_t)(p - url);
	*e = (size_t)(end - url);
	return 0;
}

int vs_pgurl_addr(const char *url, char *host, size_t hostlen, int *port)
{
	size_t b, e, hl;
	const char *h, *colon = NULL, *close;
	char *endp;
	long v = 5432;

	if (!url || hostport_span(url, &b, &e) != 0)
		return -1;
	h = url + b;
	if (*h == '[') { /* [::1]:5432 */
		close = memchr(h, ']', e - b);
		if (!close)
			return -1;
		h++;
		hl = (size_t)(close - h);
		if (close + 1 < url + e) {
			if (close[1] != ':')
				return -1;
			colon = close + 1;
		}
	} else {
		colon = memchr(h, ':', e - b);
		hl = colon ? (size_t)(colon - h) : e - b;
	}
	if (colon) {
		v = strtol(colon + 1, &endp, 10);
		if (endp != url + e || v <= 0 || v > 65535)
			return -1;
	}
	if (!hl || hl >= hostlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)v;
	return 0;
}

char *vs_pgurl_with_addr(const char *url, const char *host, int port)
{
	char h[256];
	int p;
	size_t b, e, n;
	char *out;

	if (vs_pgurl_addr(url, h, sizeof(h), &p) != 0 || hostport_span(url, &b, &e) != 0)
		return NULL;
	n = strlen(url) + strlen(host) + 16;
	out = malloc(n);
	if (!out)
		return NULL;
	snprintf(out, n, "%.*s%s%s%s:%d%s", (int)b, url, strchr(host, ':') ? "[" : "", host,
		 strchr(host, ':') ? "]" : "", port, url + e);
	return out;
}
