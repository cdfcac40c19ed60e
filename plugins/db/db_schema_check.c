/* db plugin: the expected schema against pg_catalog (Phase 2.2).  Every
 * mismatch is its own failed check, named schema.<kind>.<object>. */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* oid and properly quoted name of a relation, or 0 when it does not exist. */
static unsigned long rel_oid(struct db *d, const char *name, char *quoted, size_t qlen)
{
	const char *params[1] = {name};
	PGresult *r = db_query(d, "SELECT to_regclass($1)::oid, to_regclass($1)::text", 1, params);
	unsigned long oid = 0;
	if (r && !PQgetisnull(r, 0, 0)) {
		oid = strtoul(PQgetvalue(r, 0, 0), NULL, 10);
		if (quoted)
			snprintf(quoted, qlen, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return oid;
}

static int check_migrations(struct db *d)
{
	const struct schema_spec *s = d->spec;
	char q[300], sql[400];
	PGresult *r;
	long long n;

	if (!s->mig_table)
		return 0;
	if (!rel_oid(d, s->mig_table, q, sizeof(q))) {
		db_check(d, "schema.migrations", VS_CHECK_FAIL, "migrations: table %s missing", s->mig_table);
		return 1;
	}
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", q);
	r = db_query(d, sql, 0, NULL);
	if (!r) {
		db_check(d, "schema.migrations", VS_CHECK_FAIL, "migrations: %s not readable", s->mig_table);
		return 1;
	}
	n = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	json_object_set_new(d->data, "migrations_applied", json_integer(n));
	if (n != s->mig_count) {
		db_check(d, "schema.migrations", VS_CHECK_FAIL, "migrations: %lld applied, expected %lld", n,
			 s->mig_count);
		return 1;
	}
	return 0;
}

static int check_columns(struct db *d, const struct schema_table *t, const char *oid)
{
	const char *params[1] = {oid};
	PGresult *r = db_query(d,
			       "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull"
			       " FROM pg_attribute a WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped",
			       1, params);
	int bad = 0;
	char name[300];

	if (!r)
		return 1;
	for (size_t i = 0; i < t->ncols; i++) {
		const struct schema_col *c = &t->cols[i];
		int row = -1;
		for (int k = 0; k < PQntuples(r); k++)
			if (strcmp(PQgetvalue(r, k, 0), c->name) == 0)
				row = k;
		if (row < 0) {
			snprintf(name, sizeof(name), "schema.column.%s.%s", t->name, c->name);
			db_check(d, name, VS_CHECK_FAIL, "missing column %s.%s", t->name, c->name);
			bad++;
			continue;
		}
		if (c->type && strcmp(c->type, PQgetvalue(r, row, 1)) != 0) {
			snprintf(name, sizeof(name), "schema.type.%s.%s", t->name, c->name);
			db_check(d, name, VS_CHECK_FAIL, "%s.%s: type %s, expected %s", t->name, c->name,
				 PQgetvalue(r, row, 1), c->type);
			bad++;
		}
		if (c->notnull >= 0 && c->notnull != (PQgetvalue(r, row, 2)[0] == 't')) {
			snprintf(name, sizeof(name), "schema.null.%s.%s", t->name, c->name);
			db_check(d, name, VS_CHECK_FAIL, "%s.%s: %s, expected %s", t->name, c->name,
				 c->notnull ? "nullable" : "not null", c->notnull ? "not null" : "nullable");
			bad++;
		}
	}
	PQclear(r);
	return bad;
}

static int check_indexes(struct db *d, const struct schema_table *t, const char *oid)
{
	const char *params[1] = {oid};
	PGresult *r = db_query(d,
			       "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
			       " WHERE i.indrelid = $1::oid",
			       1, params);
	int bad = 0;
	char name[300];

	if (!r)
		return 1;
	for (size_t i = 0; i < t->nindexes; i++) {
		int found = 0;
		const char *want = strrchr(t->indexes[i], '.') ? strrchr(t->indexes[i], '.') + 1 : t->indexes[i];
		for (int k = 0; k < PQntuples(r); k++)
			found |= strcmp(PQgetvalue(r, k, 0), want) == 0;
		if (!found) {
			snprintf(name, sizeof(name), "schema.index.%s", t->indexes[i]);
			db_check(d, name, VS_CHECK_FAIL, "missing index %s", t->indexes[i]);
			bad++;
		}
	}
	PQclear(r);
	return bad;
}

static int check_fks(struct db *d, struct schema_table *t, const char *oid)
{
	const char *params[1] = {oid};
	PGresult *r = db_query(
		d,
		"SELECT (SELECT string_agg(a.attname, ',' ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY k(n, i)"
		"        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n),"
		"       c.confrelid::text,"
		"       (SELECT string_agg(a.attname, ',' ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY k(n, i)"
		"        JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n),"
		"       c.conname, c.convalidated"
		" FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = $1::oid",
		1, params);
	int bad = 0;
	char name[300], poid[32];

	if (!r)
		return 1;
	for (size_t i = 0; i < t->nfks; i++) {
		struct schema_fk *f = &t->fks[i];
		unsigned long p = rel_oid(d, f->parent, NULL, 0);
		snprintf(poid, sizeof(poid), "%lu", p);
		f->found = 0;
		for (int k = 0; p && k < PQntuples(r) && !f->found; k++) {
			if (strcmp(PQgetvalue(r, k, 0), f->cols) || strcmp(PQgetvalue(r, k, 1), poid) ||
			    strcmp(PQgetvalue(r, k, 2), f->pcols))
				continue;
			f->found = 1;
			snprintf(f->conname, sizeof(f->conname), "%s", PQgetvalue(r, k, 3));
			if (PQgetvalue(r, k, 4)[0] != 't') {
				snprintf(name, sizeof(name), "schema.fk.%s.%s", t->name, f->cols);
				db_check(d, name, VS_CHECK_FAIL, "foreign key %s is NOT VALID (existing rows unchecked)",
					 f->display);
				bad++;
			}
		}
		if (!f->found) {
			snprintf(name, sizeof(name), "schema.fk.%s.%s", t->name, f->cols);
			db_check(d, name, VS_CHECK_FAIL, "missing foreign key %s", f->display);
			bad++;
		}
	}
	PQclear(r);
	return bad;
}

int db_schema_check(struct db *d)
{
	struct schema_spec *s = d->spec;
	size_t cols = 0, idx = 0, fks = 0;
	int bad = 0;
	char name[300], oid[32];

	bad += check_migrations(d);
	for (size_t i = 0; i < s->ntables; i++) {
		struct schema_table *t = &s->tables[i];
		unsigned long o = rel_oid(d, t->name, NULL, 0);
		cols += t->ncols;
		idx += t->nindexes;
		fks += t->nfks;
		if (!o) {
			snprintf(name, sizeof(name), "schema.table.%s", t->name);
			db_check(d, name, VS_CHECK_FAIL, "missing table %s", t->name);
			bad++;
			continue;
		}
		snprintf(oid, sizeof(oid), "%lu", o);
		bad += check_columns(d, t, oid);
		bad += check_indexes(d, t, oid);
		bad += check_fks(d, t, oid);
	}
	if (bad)
		db_check(d, "schema", VS_CHECK_FAIL, "%d mismatch%s against %s (see the schema.* checks)", bad,
			 bad == 1 ? "" : "es", d->schema_path);
	else
		db_check(d, "schema", VS_CHECK_PASS,
			 "%zu tables, %zu columns, %zu indexes, %zu foreign keys%s as in %s", s->ntables, cols, idx, fks,
			 s->mig_table ? ", migrations" : "", d->schema_path);
	return bad;
}
