#include "config.h"

#include "vstress/ini/ini_file.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

void vs_config_init(struct vs_config *c)
{
	memset(c, 0, sizeof(*c));
	c->profile = vs_xstrdup("hermetic");
}

void vs_config_free(struct vs_config *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->e[i].section);
		free(c->e[i].profile);
		free(c->e[i].key);
		free(c->e[i].value);
	}
	for (i = 0; i < c->ns; i++) {
		free(c->s[i].name);
		free(c->s[i].profile);
	}
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	for (i = 0; i < c->nscratch; i++)
		free(c->scratch[i]);
	free(c->e);
	free(c->s);
	free(c->files);
	free(c->scratch);
	free(c->profile);
	memset(c, 0, sizeof(*c));
}

static void add_section(struct vs_config *c, const char *name, const char *profile, const char *file, int line);

static int valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!(((*s >= 'a') && (*s <= 'z')) || ((*s >= 'A') && (*s <= 'Z')) || ((*s >= '0') && (*s <= '9')) ||
		      *s == '_' || *s == '-' || *s == '.'))
			return 0;
	return 1;
}

static void add_section(struct vs_config *c, const char *name, const char *profile, const char *file, int line)
{
	size_t i;

	for (i = 0; i < c->ns; i++)
		if (!strcmp(c->s[i].name, name) &&
		    ((!profile && !c->s[i].profile) || (profile && c->s[i].profile && !strcmp(profile, c->s[i].profile))))
			return;
	if (c->ns == c->caps) {
		c->caps = c->caps ? c->caps * 2 : 16;
		c->s = vs_xrealloc(c->s, c->caps * sizeof(*c->s));
	}
	c->s[c->ns].name = vs_xstrdup(name);
	c->s[c->ns].profile = profile ? vs_xstrdup(profile) : NULL;
	c->s[c->ns].file = file;
	c->s[c->ns].line = line;
	c->ns++;
}

static int add_entry(struct vs_config *c, const char *section, const char *key, const char *value, const char *file,
		     int line, struct vs_err *err)
{
	const char *colon = strchr(section, ':');
	char *base = colon ? strndup(section, (size_t)(colon - section)) : vs_xstrdup(section);
	const char *profile = colon ? colon + 1 : NULL;
	struct vs_entry *e;
	int rc = -1;

	if (!base)
		goto out;
	if (!valid_name(base) || (profile && !valid_name(profile))) {
		vs_err_set(err, "%s:%d: bad section name [%s] (letters, digits, _ - . and one ':profile')", file, line,
			   section);
		goto out;
	}
	if (!valid_name(key)) {
		vs_err_set(err, "%s:%d: bad key '%s' in [%s]", file, line, key, section);
		goto out;
	}
	add_section(c, base, profile, file, line);
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->e = vs_xrealloc(c->e, c->cap * sizeof(*c->e));
	}
	e = &c->e[c->n++];
	e->section = base;
	base = NULL;
	e->profile = profile ? vs_xstrdup(profile) : NULL;
	e->key = vs_xstrdup(key);
	e->value = vs_xstrdup(value);
	e->file = file;
	e->line = line;
	rc = 0;
out:
	free(base);
	return rc;
}

/* One item of a file (lib/ini): a [section] line records the section, so
 * one without keys is known too; a key becomes an entry. */
static int on_item(void *arg, const struct vs_ini_item *it, char *msg, size_t msglen)
{
	struct vs_config *c = arg;
	struct vs_err err = {0};
	char *name, *colon;

	if (!it->key) {
		name = vs_xstrdup(it->section);
		colon = strchr(name, ':');
		if (colon)
			*colon++ = '\0';
		add_section(c, name, colon, it->file, it->line);
		free(name);
		return 0;
	}
	if (!*it->section) {
		snprintf(msg, msglen, "%s:%d: key '%s' outside any [section]", it->file, it->line, it->key);
		return -1;
	}
	if (add_entry(c, it->section, it->key, it->value, it->file, it->line, &err) == 0)
		return 0;
	snprintf(msg, msglen, "%s", err.msg);
	return -1;
}

static const char *remember_file(struct vs_config *c, const char *path)
{
	c->files = vs_xrealloc(c->files, (c->nfiles + 1) * sizeof(*c->files));
	c->files[c->nfiles] = vs_xstrdup(path);
	return c->files[c->nfiles++];
}

static int load_file(struct vs_config *c, const char *path, struct vs_err *err)
{
	char msg[sizeof(err->msg)];

	if (vs_ini_parse_file(remember_file(c, path), on_item, c, msg, sizeof(msg)) == 0)
		return 0;
	vs_err_set(err, "%s", msg);
	return -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vs_config_load(struct vs_config *c, const char *path, struct vs_err *err)
{
	struct stat st;
	DIR *d = NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i, len;
	int rc = -1;

	if (stat(path, &st) < 0) {
		vs_err_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(c, path, err);
	d = opendir(path);
	if (!d) {
		vs_err_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".ini"))
			continue;
		names = vs_xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = vs_xasprintf("%s/%s", path, de->d_name);
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++)
		if (load_file(c, names[i], err) < 0)
			goto out;
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

int vs_config_set(struct vs_config *c, const char *assignment, struct vs_err *err)
{
	const char *eq = strchr(assignment, '='), *dot;
	char *lhs = NULL, *section = NULL;
	int rc = -1;

	if (!eq) {
		vs_err_set(err, "--set %s: expected section.key=value", assignment);
		return -1;
	}
	lhs = strndup(assignment, (size_t)(eq - assignment));
	if (!lhs)
		return -1;
	/* the section is up to the first dot: keys may hold dots ([target]
	 * env.SMART_TURN_ENABLED, signal.active_calls); section names do not */
	dot = strchr(lhs, '.');
	if (!dot || dot == lhs || !dot[1]) {
		vs_err_set(err, "--set %s: expected section.key=value", assignment);
		goto out;
	}
	section = strndup(lhs, (size_t)(dot - lhs));
	rc = add_entry(c, section, dot + 1, eq + 1, remember_file(c, "<command line>"), 0, err);
out:
	free(section);
	free(lhs);
	return rc;
}

/* The raw `extends` of profile p ([vstress:p] extends = q), or NULL. */
static const char *profile_extends(const struct vs_config *c, const char *p)
{
	const char *v = NULL;

	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].profile && !strcmp(c->e[i].profile, p) && !strcmp(c->e[i].section, "vstress") &&
		    !strcmp(c->e[i].key, "extends"))
			v = c->e[i].value;
	return v;
}

/* 1 for the active profile, 2 for the one it extends, ... (at most 4
 * deep); 0 when profile p is not active. */
static int profile_rank(const struct vs_config *c, const char *p)
{
	const char *cur = c->profile;

	for (int depth = 1; cur && *cur && depth <= 4; depth++) {
		if (!strcmp(cur, p))
			return depth;
		cur = profile_extends(c, cur);
	}
	return 0;
}

const struct vs_entry *vs_config_entry(const struct vs_config *c, const char *section, const char *key)
{
	const struct vs_entry *base = NULL, *over = NULL, *cli = NULL;
	int over_rank = 0;
	size_t i;

	for (i = 0; i < c->n; i++) {
		const struct vs_entry *e = &c->e[i];
		int r;

		if (strcmp(e->section, section) || strcmp(e->key, key))
			continue;
		if (!e->profile && e->file && !strcmp(e->file, "<command line>"))
			cli = e; /* --set beats every file, overlays included */
		else if (!e->profile)
			base = e;
		else if ((r = profile_rank(c, e->profile)) && (!over_rank || r <= over_rank)) {
			/* the nearest profile wins; within one, the later entry */
			over = e;
			over_rank = r;
		}
	}
	return cli ? cli : over ? over : base;
}

const struct vs_section *vs_config_section(const struct vs_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ns; i++)
		if (!strcmp(c->s[i].name, name))
			return &c->s[i];
	return NULL;
}

char *vs_interpolate(const char *raw, struct vs_err *err)
{
	size_t cap = strlen(raw) + 64, len = 0, need;
	char *out = vs_xmalloc(cap);
	const char *p = raw, *end, *val, *def;
	char *name;

	while (*p) {
		val = NULL;
		need = 1;
		if (p[0] == '$' && p[1] == '$') {
			val = "$";
			p += 2;
		} else if (p[0] == '$' && p[1] == '{') {
			end = strchr(p + 2, '}');
			if (!end) {
				vs_err_set(err, "unterminated ${ in '%s'", raw);
				free(out);
				return NULL;
			}
			name = strndup(p + 2, (size_t)(end - p - 2));
			if (!name) {
				free(out);
				return NULL;
			}
			def = strstr(name, ":-");
			if (def) {
				name[def - name] = '\0';
				def += 2;
			}
			val = getenv(name);
			if (!val || !*val)
				val = def ? def : "";
			/* copy now: name owns def */
			need = strlen(val);
			if (len + need + 1 > cap) {
				cap = (len + need + 1) * 2;
				out = vs_xrealloc(out, cap);
			}
			memcpy(out + len, val, need);
			len += need;
			free(name);
			p = end + 1;
			continue;
		} else {
			if (len + 2 > cap) {
				cap *= 2;
				out = vs_xrealloc(out, cap);
			}
			out[len++] = *p++;
			continue;
		}
		need = strlen(val);
		if (len + need + 1 > cap) {
			cap = (len + need + 1) * 2;
			out = vs_xrealloc(out, cap);
		}
		memcpy(out + len, val, need);
		len += need;
	}
	out[len] = '\0';
	return out;
}

const char *vs_config_get(struct vs_config *c, const char *section, const char *key, struct vs_err *err)
{
	const struct vs_entry *e = vs_config_entry(c, section, key);
	struct vs_err local = {0};
	char *v;

	if (!e)
		return NULL;
	v = vs_interpolate(e->value, &local);
	if (!v) {
		vs_err_set(err, "%s:%d: [%s] %s: %s", e->file, e->line, section, key, local.msg);
		return NULL;
	}
	if (c->nscratch == c->capscratch) {
		c->capscratch = c->capscratch ? c->capscratch * 2 : 64;
		c->scratch = vs_xrealloc(c->scratch, c->capscratch * sizeof(*c->scratch));
	}
	c->scratch[c->nscratch++] = v;
	return v;
}

void vs_config_digest(struct vs_config *c, int (*is_secret)(const char *section, const char *key, void *arg),
		      void *arg, char out[80])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0, i;
	size_t k;
	struct vs_err err = {0};

	if (!md) {
		snprintf(out, 80, "sha256:unavailable");
		return;
	}
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	/* Entries in file order; only the effective one of each key counts. */
	for (k = 0; k < c->n; k++) {
		const struct vs_entry *e = &c->e[k];
		const char *v;

		if (vs_config_entry(c, e->section, e->key) != e)
			continue;
		v = (is_secret && is_secret(e->section, e->key, arg)) ? "<secret>"
								      : vs_config_get(c, e->section, e->key, &err);
		EVP_DigestUpdate(md, e->section, strlen(e->section) + 1);
		EVP_DigestUpdate(md, e->key, strlen(e->key) + 1);
		EVP_DigestUpdate(md, v ? v : "", v ? strlen(v) + 1 : 1);
	}
	EVP_DigestFinal_ex(md, h, &hl);
	EVP_MD_CTX_free(md);
	strcpy(out, "sha256:");
	for (i = 0; i < hl && 7 + 2 * i + 2 < 80; i++)
		sprintf(out + 7 + 2 * i, "%02x", h[i]);
}
