/* db plugin: column-value templates of the write tables. */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *strip(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

int tmpl_parse(const char *spec, struct tmpl_col **cols, size_t *ncols, char *err, size_t errlen)
{
	char *buf = malloc(strlen(spec) + 1);
	const char *p = spec;
	int rc = -1;

	*cols = NULL;
	*ncols = 0;
	if (!buf)
		goto out;
	while (*p) {
		size_t o = 0;
		char *eq, *col;
		struct tmpl_col *n;
		/* one item up to an unescaped comma */
		for (; *p && *p != ','; p++) {
			if (*p == '\\' && p[1] == ',')
				p++;
			buf[o++] = *p;
		}
		buf[o] = '\0';
		if (*p == ',')
			p++;
		if (!*strip(buf))
			continue;
		eq = strchr(buf, '=');
		if (!eq) {
			snprintf(err, errlen, "'%s': expected col=value", strip(buf));
			goto out;
		}
		*eq = '\0';
		col = strip(buf);
		if (!*col) {
			snprintf(err, errlen, "empty column name");
			goto out;
		}
		n = realloc(*cols, (*ncols + 1) * sizeof(**cols));
		if (!n)
			goto out;
		*cols = n;
		n[*ncols].col = strdup(col);
		n[*ncols].val = strdup(strip(eq + 1));
		(*ncols)++;
	}
	rc = 0;
out:
	free(buf);
	if (rc) {
		tmpl_free(*cols, *ncols);
		*cols = NULL;
		*ncols = 0;
	}
	return rc;
}

void tmpl_free(struct tmpl_col *cols, size_t ncols)
{
	for (size_t i = 0; i < ncols; i++) {
		free(cols[i].col);
		free(cols[i].val);
	}
	free(cols);
}

/* Growable string. */
struct sb {
	char *s;
	size_t n, cap;
	int oom;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->cap + n + 1) * 2;
		char *p = realloc(b->s, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* Placeholders expand to [a-z0-9-] only, so raw sql: values stay safe. */
static void expand(struct sb *b, const char *v, const char *runid, long long n, int connidx)
{
	char tmp[96];
	while (*v) {
		if (strncmp(v, "{marker}", 8) == 0) {
			snprintf(tmp, sizeof(tmp), "vstress-%s-%lld", runid, n);
			sb_str(b, tmp);
			v += 8;
		} else if (strncmp(v, "{run}", 5) == 0) {
			sb_str(b, runid);
			v += 5;
		} else if (strncmp(v, "{n}", 3) == 0) {
			snprintf(tmp, sizeof(tmp), "%lld", n);
			sb_str(b, tmp);
			v += 3;
		} else if (strncmp(v, "{conn}", 6) == 0) {
			snprintf(tmp, sizeof(tmp), "%d", connidx);
			sb_str(b, tmp);
			v += 6;
		} else {
			sb_add(b, v, 1);
			v++;
		}
	}
}

static int add_ident(struct sb *b, PGconn *conn, const char *name)
{
	char *q = PQescapeIdentifier(conn, name, strlen(name));
	if (!q)
		return -1;
	sb_str(b, q);
	PQfreemem(q);
	return 0;
}

/* A table name may be schema-qualified: quote each part. */
static int add_table(struct sb *b, PGconn *conn, const char *name)
{
	const char *dot = strchr(name, '.');
	char part[256];
	if (!dot)
		return add_ident(b, conn, name);
	snprintf(part, sizeof(part), "%.*s", (int)(dot - name), name);
	if (add_ident(b, conn, part))
		return -1;
	sb_str(b, ".");
	return add_ident(b, conn, dot + 1);
}

char *tmpl_insert_sql(PGconn *conn, const struct wtable *t, const char *runid, long long n, int connidx,
		      const char *override_col, const char *override_sql)
{
	struct sb b = {0};
	int rc = -1;

	sb_str(&b, "INSERT INTO ");
	if (add_table(&b, conn, t->table))
		goto out;
	sb_str(&b, " (");
	for (size_t i = 0; i < t->ncols; i++) {
		if (i)
			sb_str(&b, ", ");
		if (add_ident(&b, conn, t->cols[i].col))
			goto out;
	}
	sb_str(&b, ") VALUES (");
	for (size_t i = 0; i < t->ncols; i++) {
		const char *v = t->cols[i].val;
		if (i)
			sb_str(&b, ", ");
		if (override_col && strcmp(override_col, t->cols[i].col) == 0) {
			sb_str(&b, override_sql);
		} else if (strncmp(v, "sql:", 4) == 0) {
			expand(&b, v + 4, runid, n, connidx);
		} else {
			struct sb raw = {0};
			char *lit;
			expand(&raw, v, runid, n, connidx);
			if (raw.oom) {
				free(raw.s);
				goto out;
			}
			lit = PQescapeLiteral(conn, raw.s ? raw.s : "", raw.n);
			free(raw.s);
			if (!lit)
				goto out;
			sb_str(&b, lit);
			PQfreemem(lit);
		}
	}
	sb_str(&b, ") RETURNING ");
	if (add_ident(&b, conn, t->key))
		goto out;
	sb_str(&b, "::text");
	rc = b.oom ? -1 : 0;
out:
	if (rc) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
