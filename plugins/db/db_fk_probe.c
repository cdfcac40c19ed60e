/* db plugin: foreign keys really enforced (Phase 2.2).  For each expected
 * foreign key that exists, insert an orphan row inside a transaction that is
 * ALWAYS rolled back and expect SQLSTATE 23503 from that very constraint.
 * Other NOT NULL columns without a default get a dummy value of their type. */
#include "db.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	char s[4096];
	size_t n;
	int full;
};

static void add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int k;
	if (b->full)
		return;
	va_start(ap, fmt);
	k = vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof(b->s) - b->n)
		b->full = 1;
	else
		b->n += (size_t)k;
}

/* A value of this type for a column we do not care about; NULL: unknown. */
static int dummy(struct buf *b, const char *cat, const char *type, const char *typname)
{
	switch (cat[0]) {
	case 'N':
		add(b, "0::%s", type);
		return 0;
	case 'S':
		add(b, "'vstress-probe'::%s", type);
		return 0;
	case 'B':
		add(b, "false");
		return 0;
	case 'D':
		add(b, "now()::%s", type);
		return 0;
	case 'A':
		add(b, "'{}'::%s", type);
		return 0;
	case 'E':
		add(b, "(enum_range(NULL::%s))[1]", type);
		return 0;
	case 'U':
		if (strcmp(typname, "uuid") == 0) {
			add(b, "md5(random()::text)::uuid");
			return 0;
		}
		if (strcmp(typname, "json") == 0 || strcmp(typname, "jsonb") == 0) {
			add(b, "'{}'::%s", type);
			return 0;
		}
		return -1;
	default:
		return -1;
	}
}

static int probe_one(struct db *d, const struct schema_table *t, const struct schema_fk *f, char *why, size_t wlen)
{
	const char *params[2];
	char coid[32], child[300], parent[300], sql[600];
	PGresult *r = NULL, *cols = NULL;
	struct buf names = {0}, vals = {0};
	int rc = -1, ncol = 0, pi = 0;

	params[0] = t->name;
	r = db_query(d, "SELECT to_regclass($1)::oid, to_regclass($1)::text", 1, params);
	if (!r || PQgetisnull(r, 0, 0))
		goto out;
	snprintf(coid, sizeof(coid), "%s", PQgetvalue(r, 0, 0));
	snprintf(child, sizeof(child), "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	params[0] = f->parent;
	r = db_query(d, "SELECT to_regclass($1)::text", 1, params);
	if (!r || PQgetisnull(r, 0, 0))
		goto out;
	snprintf(parent, sizeof(parent), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	r = NULL;
	params[0] = coid;
	params[1] = f->cols;
	cols = db_query(d,
			"SELECT a.attname, t.typcategory, format_type(a.atttypid, a.atttypmod), t.typname,"
			" a.attname = ANY(string_to_array($2, ',')) AS is_fk"
			" FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
			" WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped"
			" AND (a.attname = ANY(string_to_array($2, ','))"
			"      OR (a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''))",
			2, params);
	if (!cols)
		goto out;
	for (int k = 0; k < PQntuples(cols); k++) {
		const char *name = PQgetvalue(cols, k, 0), *cat = PQgetvalue(cols, k, 1);
		const char *type = PQgetvalue(cols, k, 2), *typname = PQgetvalue(cols, k, 3);
		char *qn = PQescapeIdentifier(d->ctl, name, strlen(name));
		if (!qn)
			goto out;
		add(&names, "%s%s", ncol ? ", " : "", qn);
		PQfreemem(qn);
		add(&vals, "%s", ncol ? ", " : "");
		ncol++;
		if (PQgetvalue(cols, k, 4)[0] == 't') {
			/* the orphan: a parent key that cannot exist */
			const char *pcol = f->pcols;
			char pc[128];
			int j = 0;
			/* the parent column at the same position as this child column */
			for (const char *p = f->cols; p && *p; j++) {
				const char *e = strchr(p, ',');
				size_t l = e ? (size_t)(e - p) : strlen(p);
				if (l == strlen(name) && strncmp(p, name, l) == 0)
					break;
				p = e ? e + 1 : NULL;
			}
			for (int s = 0; s < j && pcol; s++)
				pcol = strchr(pcol, ',') ? strchr(pcol, ',') + 1 : NULL;
			snprintf(pc, sizeof(pc), "%.*s", pcol ? (int)strcspn(pcol, ",") : 0, pcol ? pcol : "");
			if (cat[0] == 'N' && *pc) {
				char *qp = PQescapeIdentifier(d->ctl, pc, strlen(pc));
				if (!qp)
					goto out;
				add(&vals, "(SELECT coalesce(min(%s), 0) - 1 FROM %s)::%s", qp, parent, type);
				PQfreemem(qp);
			} else if (cat[0] == 'S') {
				add(&vals, "'vstress-orphan-%s'::%s", d->runid, type);
			} else if (strcmp(typname, "uuid") == 0) {
				add(&vals, "md5(random()::text)::uuid");
			} else {
				snprintf(why, wlen, "no orphan value for type %s", type);
				goto out;
			}
			pi++;
		} else if (dummy(&vals, cat, type, typname)) {
			snprintf(why, wlen, "no dummy value for %s.%s of type %s", t->name, name, type);
			goto out;
		}
	}
	if (names.full || vals.full || !pi) {
		snprintf(why, wlen, "could not build the probe row");
		goto out;
	}
	rc = 0;
	r = PQexec(d->ctl, "BEGIN");
	PQclear(r);
	r = PQexec(d->ctl, "SET LOCAL statement_timeout = '5s'; SET LOCAL lock_timeout = '2s'");
	PQclear(r);
	{
		struct buf ins = {0};
		add(&ins, "INSERT INTO %s (%s) VALUES (%s)", child, names.s, vals.s);
		r = PQexec(d->ctl, ins.s);
	}
	/* whatever happened: nothing stays */
	{
		PGresult *rb = PQexec(d->ctl, "ROLLBACK");
		PQclear(rb);
	}
	if (PQresultStatus(r) == PGRES_COMMAND_OK) {
		snprintf(why, wlen, "orphan row accepted (rolled back): foreign key %s not enforced", f->display);
		rc = 1;
	} else if (strcmp(db_sqlstate(r), "23503") == 0) {
		const char *cn = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
		if (cn && strcmp(cn, f->conname) == 0) {
			snprintf(why, wlen, "orphan row rejected by %s with 23503 (rolled back)", f->conname);
			rc = 2;
		} else {
			snprintf(why, wlen, "probe row hit another foreign key (%s)", cn ? cn : "?");
			rc = -1;
		}
	} else {
		snprintf(sql, sizeof(sql), "%s", PQresultErrorMessage(r));
		sql[strcspn(sql, "\n")] = '\0';
		snprintf(why, wlen, "probe insert failed with %s: %.300s", db_sqlstate(r), sql);
		rc = -1;
	}
out:
	PQclear(r);
	PQclear(cols);
	return rc;
}

int db_fk_probe(struct db *d)
{
	char name[300], why[600];
	for (size_t i = 0; i < d->spec->ntables; i++) {
		const struct schema_table *t = &d->spec->tables[i];
		for (size_t j = 0; j < t->nfks; j++) {
			const struct schema_fk *f = &t->fks[j];
			int rc;
			snprintf(name, sizeof(name), "fk.enforced.%s.%s", t->name, f->cols);
			if (!f->found) {
				db_check(d, name, VS_CHECK_SKIP, "foreign key %s missing", f->display);
				continue;
			}
			why[0] = '\0';
			rc = probe_one(d, t, f, why, sizeof(why));
			if (rc == 2)
				db_check(d, name, VS_CHECK_PASS, "%s", why);
			else if (rc == 1)
				db_check(d, name, VS_CHECK_FAIL, "%s", why);
			else
				db_check(d, name, VS_CHECK_SKIP, "%s", why[0] ? why : "probe not possible");
		}
	}
	return 0;
}
