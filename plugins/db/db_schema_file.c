/* db plugin: the expected-schema INI file (format in docs/plugins/db.md). */
#include "db.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/ini/ini_file.h"

static char *trim(char *s)
{
	char *e;
	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Lower case, single spaces, no spaces around '(' ',' ')'. */
static char *normalize(const char *in)
{
	char *out = malloc(strlen(in) + 1), *o = out;
	int space = 0;
	if (!out)
		return NULL;
	for (const char *p = in; *p; p++) {
		if (isspace((unsigned char)*p)) {
			space = o > out;
			continue;
		}
		if (space && *p != '(' && *p != ')' && *p != ',' && o[-1] != '(' && o[-1] != ',')
			*o++ = ' ';
		space = 0;
		*o++ = (char)tolower((unsigned char)*p);
	}
	*o = '\0';
	return out;
}

char *schema_canon_type(const char *t)
{
	static const struct {
		const char *alias, *canon;
	} map[] = {
		{"int8", "bigint"},
		{"bigserial", "bigint"},
		{"serial8", "bigint"},
		{"int", "integer"},
		{"int4", "integer"},
		{"serial", "integer"},
		{"serial4", "integer"},
		{"int2", "smallint"},
		{"smallserial", "smallint"},
		{"bool", "boolean"},
		{"float8", "double precision"},
		{"float", "double precision"},
		{"float4", "real"},
		{"timestamptz", "timestamp with time zone"},
		{"timestamp", "timestamp without time zone"},
		{"timetz", "time with time zone"},
		{"time", "time without time zone"},
		{"varchar", "character varying"},
		{"char", "character"},
		{"decimal", "numeric"},
	};
	char *n = normalize(t), *paren, *r;
	size_t base;

	if (!n)
		return NULL;
	paren = strchr(n, '(');
	base = paren ? (size_t)(paren - n) : strlen(n);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strlen(map[i].alias) != base || strncmp(n, map[i].alias, base) != 0)
			continue;
		if (asprintf(&r, "%s%s", map[i].canon, paren ? paren : "") < 0)
			r = NULL;
		free(n);
		return r;
	}
	return n;
}

static int add_ptr(void **arr, size_t *n, size_t elem)
{
	void *p = realloc(*arr, (*n + 1) * elem);
	if (!p)
		return -1;
	*arr = p;
	memset((char *)p + *n * elem, 0, elem);
	(*n)++;
	return 0;
}

static int parse_col(struct schema_table *t, const char *name, char *spec, char *err, size_t errlen)
{
	struct schema_col *c;
	char *s = normalize(spec);
	size_t n;
	int notnull = -1;

	if (!s)
		return -1;
	n = strlen(s);
	if (n >= 8 && strcmp(s + n - 8, "not null") == 0 && (n == 8 || s[n - 9] == ' ')) {
		notnull = 1;
		s[n >= 9 ? n - 9 : 0] = '\0';
	} else if (n >= 4 && strcmp(s + n - 4, "null") == 0 && (n == 4 || s[n - 5] == ' ')) {
		notnull = 0;
		s[n >= 5 ? n - 5 : 0] = '\0';
	}
	if (!*name) {
		snprintf(err, errlen, "empty column name");
		free(s);
		return -1;
	}
	if (add_ptr((void **)&t->cols, &t->ncols, sizeof(*t->cols))) {
		free(s);
		return -1;
	}
	c = &t->cols[t->ncols - 1];
	c->name = strdup(name);
	c->notnull = notnull;
	c->type = (*s && strcmp(s, "any") != 0) ? schema_canon_type(s) : NULL;
	free(s);
	return 0;
}

/* "tenant_id -> tenants(id)" or "a, b -> parent(x, y)" */
static int parse_fk(struct schema_table *t, const char *v, char *err, size_t errlen)
{
	char *s = normalize(v), *arrow, *open, *close, *cols, *parent;
	struct schema_fk *f;
	int rc = -1;

	if (!s)
		return -1;
	arrow = strstr(s, "->");
	open = arrow ? strchr(arrow, '(') : NULL;
	close = open ? strchr(open, ')') : NULL;
	if (!arrow || !open || !close || close[1]) {
		snprintf(err, errlen, "fk: expected 'col[,col] -> table(col[,col])'");
		goto out;
	}
	*arrow = '\0';
	*open = '\0';
	*close = '\0';
	cols = trim(s);
	if (*cols == '(' && cols[strlen(cols) - 1] == ')') {
		cols[strlen(cols) - 1] = '\0';
		cols++;
	}
	parent = trim(arrow + 2);
	if (!*cols || !*parent || !open[1]) {
		snprintf(err, errlen, "fk: expected 'col[,col] -> table(col[,col])'");
		goto out;
	}
	if (add_ptr((void **)&t->fks, &t->nfks, sizeof(*t->fks)))
		goto out;
	f = &t->fks[t->nfks - 1];
	f->cols = strdup(cols);
	f->parent = strdup(parent);
	f->pcols = strdup(open + 1);
	if (asprintf(&f->display, "%s(%s) -> %s(%s)", t->name, f->cols, f->parent, f->pcols) < 0)
		f->display = NULL;
	rc = (f->cols && f->parent && f->pcols && f->display) ? 0 : -1;
out:
	free(s);
	return rc;
}

static int parse_kv(struct schema_spec *s, int section, char *key, char *val, char *err, size_t errlen)
{
	struct schema_table *t = section >= 0 ? &s->tables[section] : NULL;

	if (section == -1) { /* [migrations] */
		if (strcmp(key, "table") == 0) {
			free(s->mig_table);
			s->mig_table = strdup(val);
		} else if (strcmp(key, "column") == 0) {
			free(s->mig_column);
			s->mig_column = strdup(val);
		} else if (strcmp(key, "count") == 0) {
			char *end;
			errno = 0;
			s->mig_count = strtoll(val, &end, 10);
			if (errno || end == val || *end || s->mig_count < 0) {
				snprintf(err, errlen, "count: '%s' is not a count", val);
				return -1;
			}
		} else {
			snprintf(err, errlen, "unknown key '%s' in [migrations] (table, column, count)", key);
			return -1;
		}
		return 0;
	}
	if (!t) {
		snprintf(err, errlen, "key '%s' outside a section", key);
		return -1;
	}
	if (strncmp(key, "column.", 7) == 0)
		return parse_col(t, key + 7, val, err, errlen);
	if (strcmp(key, "index") == 0) {
		if (!*val) {
			snprintf(err, errlen, "index: empty name");
			return -1;
		}
		if (add_ptr((void **)&t->indexes, &t->nindexes, sizeof(*t->indexes)))
			return -1;
		t->indexes[t->nindexes - 1] = strdup(val);
		return 0;
	}
	if (strcmp(key, "fk") == 0)
		return parse_fk(t, val, err, errlen);
	snprintf(err, errlen, "unknown key '%s' in [table %s] (column.NAME, index, fk)", key, t->name);
	return -1;
}

struct loader {
	struct schema_spec *s;
	int section; /* -2 none, -1 [migrations], >= 0 a table */
};

static int on_item(void *arg, const struct vs_ini_item *it, char *err, size_t errlen)
{
	struct loader *l = arg;
	char what[512] = "", *key = NULL, *val = NULL;
	int rc = -1;

	if (!it->key) {
		char *name = strdup(it->section), *t = name ? trim(name) : NULL;
		if (!t) {
			snprintf(what, sizeof(what), "out of memory");
		} else if (strcmp(t, "migrations") == 0) {
			l->section = -1;
			rc = 0;
		} else if (strncmp(t, "table ", 6) == 0 && *trim(t + 6)) {
			if (add_ptr((void **)&l->s->tables, &l->s->ntables, sizeof(*l->s->tables)) == 0) {
				l->section = (int)l->s->ntables - 1;
				l->s->tables[l->section].name = strdup(trim(t + 6));
				rc = 0;
			}
		} else {
			snprintf(what, sizeof(what), "unknown section [%s] (expected [migrations] or [table NAME])", t);
		}
		free(name);
	} else if (l->section == -2) {
		snprintf(what, sizeof(what), "key '%s' outside a section", it->key);
	} else if ((key = strdup(it->key)) && (val = strdup(it->value))) {
		rc = parse_kv(l->s, l->section, key, val, what, sizeof(what));
	}
	free(key);
	free(val);
	if (rc)
		snprintf(err, errlen, "%s:%d: %s", it->file, it->line, what[0] ? what : "out of memory");
	return rc ? -1 : 0;
}

int schema_file_load(const char *path, struct schema_spec **out, char *err, size_t errlen)
{
	struct loader l = {.s = calloc(1, sizeof(*l.s)), .section = -2};
	int rc = -1;

	*out = NULL;
	if (!l.s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	l.s->mig_count = -1;
	if (vs_ini_parse_file(path, on_item, &l, err, errlen) < 0)
		goto out;
	if (l.s->mig_table && l.s->mig_count < 0) {
		snprintf(err, errlen, "%s: [migrations] needs count", path);
		goto out;
	}
	*out = l.s;
	l.s = NULL;
	rc = 0;
out:
	schema_spec_free(l.s);
	return rc;
}

void schema_spec_free(struct schema_spec *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ntables; i++) {
		struct schema_table *t = &s->tables[i];
		for (size_t j = 0; j < t->ncols; j++) {
			free(t->cols[j].name);
			free(t->cols[j].type);
		}
		for (size_t j = 0; j < t->nindexes; j++)
			free(t->indexes[j]);
		for (size_t j = 0; j < t->nfks; j++) {
			free(t->fks[j].cols);
			free(t->fks[j].parent);
			free(t->fks[j].pcols);
			free(t->fks[j].display);
		}
		free(t->cols);
		free(t->indexes);
		free(t->fks);
		free(t->name);
	}
	free(s->tables);
	free(s->mig_table);
	free(s->mig_column);
	free(s);
}
