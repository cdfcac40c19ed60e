/* Postgres connection URLs (postgresql://user:pw@host:port/db?params): the
 * TCP address of one, and the same URL pointed at another address (the
 * world's Postgres fault proxy, docs/world.md). */
#ifndef VSTRESS_PGURL_H
#define VSTRESS_PGURL_H

#include <stddef.h>

/* host and port of a TCP URL (port 5432 when absent).  -1 when the URL is not
 * a single TCP address: another scheme, a unix socket (no host, or a
 * host=/hostaddr=/port= parameter), several hosts, or malformed. */
int vs_pgurl_addr(const char *url, char *host, size_t hostlen, int *port);
/* The URL with its host:port replaced (credentials, database and parameters
 * kept); malloc'd, or NULL when vs_pgurl_addr would fail. */
char *vs_pgurl_with_addr(const char *url, const char *host, int port);

#endif
