/* db plugin: K connections driven by one poll() loop.  One thread keeps
 * every host call (record, count, log) on the plugin's own thread, so the
 * host needs no locking, and K is limited by sockets, not threads. */
#include "db.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

struct aconn {
	PGconn *conn;
	int busy;     /* a query is in flight */
	int internal; /* the query in flight is our ROLLBACK: results not passed on */
	int dead;
	uint64_t sent_ns;
};

struct apool {
	struct db *d;
	struct aconn *c;
	int n;
};

struct apool *apool_open(struct db *d, int n, const char *app)
{
	struct apool *p = calloc(1, sizeof(*p));
	char err[512];

	if (!p)
		return NULL;
	p->d = d;
	p->c = calloc((size_t)n, sizeof(*p->c));
	if (!p->c)
		goto fail;
	for (int i = 0; i < n; i++) {
		p->c[i].conn = db_connect(d, app, err, sizeof(err));
		if (!p->c[i].conn) {
			db_reason(d, "worker connection %d/%d: %s", i + 1, n, err);
			p->n = i;
			goto fail;
		}
		PQsetnonblocking(p->c[i].conn, 1);
		p->n = i + 1;
	}
	return p;
fail:
	apool_close(p);
	return NULL;
}

int apool_size(const struct apool *p)
{
	return p->n;
}

int apool_alive(const struct apool *p)
{
	int alive = 0;
	for (int i = 0; i < p->n; i++)
		alive += !p->c[i].dead && PQstatus(p->c[i].conn) == CONNECTION_OK;
	return alive;
}

void apool_close(struct apool *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++)
		PQfinish(p->c[i].conn);
	free(p->c);
	free(p);
}

static int send_sql(struct aconn *a, const char *sql, uint64_t now)
{
	if (!PQsendQuery(a->conn, sql)) {
		a->dead = PQstatus(a->conn) != CONNECTION_OK;
		return -1;
	}
	a->busy = 1;
	a->sent_ns = now;
	return 0;
}

/* Reads what arrived; calls back for each result and when the query ends. */
static void drain(struct apool *p, int i, const struct apool_ops *ops, void *u)
{
	struct aconn *a = &p->c[i];
	const struct vs_host *h = p->d->h;

	if (!PQconsumeInput(a->conn)) {
		db_log(p->d, VS_LOG_WARN, "worker %d: connection lost: %s", i, PQerrorMessage(a->conn));
		a->dead = 1;
		a->busy = 0;
		if (!a->internal)
			ops->done(u, i, h->now_ns() - a->sent_ns);
		return;
	}
	while (a->busy && !PQisBusy(a->conn)) {
		PGresult *r = PQgetResult(a->conn);
		if (r) {
			if (!a->internal)
				ops->result(u, i, r);
			PQclear(r);
			continue;
		}
		a->busy = 0;
		if (!a->internal)
			ops->done(u, i, h->now_ns() - a->sent_ns);
		a->internal = 0;
		/* an error inside BEGIN..COMMIT leaves the transaction open */
		if (PQtransactionStatus(a->conn) == PQTRANS_INERROR || PQtransactionStatus(a->conn) == PQTRANS_INTRANS) {
			if (send_sql(a, "ROLLBACK", h->now_ns()) == 0)
				a->internal = 1;
		}
	}
}

int apool_run(struct apool *p, const struct apool_ops *ops, void *u)
{
	const struct vs_host *h = p->d->h;
	struct pollfd *pfd = calloc((size_t)p->n, sizeof(*pfd));
	int *idx = calloc((size_t)p->n, sizeof(*idx));
	int rc = -1, stopping = 0;

	if (!pfd || !idx)
		goto out;
	for (;;) {
		int nfd = 0, busy = 0;
		if (!stopping && (ops->finished(u) || h->should_stop(p->d->c)))
			stopping = 1;
		for (int i = 0; i < p->n; i++) {
			struct aconn *a = &p->c[i];
			if (a->dead)
				continue;
			if (!a->busy && !stopping) {
				char *sql = ops->next(u, i);
				if (sql) {
					if (send_sql(a, sql, h->now_ns()) < 0) {
						db_log(p->d, VS_LOG_WARN, "worker %d: send failed: %s", i,
						       PQerrorMessage(a->conn));
						ops->done(u, i, 0);
					}
					free(sql);
				}
			}
			if (a->busy) {
				busy++;
				pfd[nfd].fd = PQsocket(a->conn);
				/* non-blocking: the query may still sit in libpq's buffer */
				pfd[nfd].events = POLLIN | (PQflush(a->conn) == 1 ? POLLOUT : 0);
				pfd[nfd].revents = 0;
				idx[nfd++] = i;
			}
		}
		if (!busy) {
			if (stopping || apool_alive(p) == 0)
				break;
			/* every worker idle but not finished: next() is waiting for time */
			poll(NULL, 0, 1);
			continue;
		}
		if (poll(pfd, (nfds_t)nfd, 100) < 0)
			continue;
		for (int k = 0; k < nfd; k++)
			if (pfd[k].revents)
				drain(p, idx[k], ops, u);
	}
	rc = 0;
out:
	free(pfd);
	free(idx);
	return rc;
}
