#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define VS_INI_MAX_LINE 65536 /* our limit; inih's own buffer is far smaller */

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

/* Parser state: inih has no line numbers in this build, so our reader
 * counts lines and the handler reads the count. */
struct parse_state {
	struct vs_config *c;
	FILE *f;
	const char *file;
	int line;
	struct vs_err *err;
	char **longv; /* values of lines longer than inih's buffer, by index */
	size_t nlong;
};

static void add_section(struct vs_config *c, const char *name, const char *profile, const char *file, int line);

/* inih calls the handler only for keys, so sections without keys are
 * recorded here, from the raw line. */
static void note_section(struct parse_state *ps, const char *line)
{
	const char *p = line, *end;
	char *name, *colon;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '[' || !(end = strchr(p, ']')))
		return;
	name = strndup(p + 1, (size_t)(end - p - 1));
	if (!name)
		return;
	colon = strchr(name, ':');
	if (colon)
		*colon = '\0';
	add_section(ps->c, name, colon ? colon + 1 : NULL, ps->file, ps->line);
	free(name);
}

/* Debian's inih reads lines into a fixed buffer (its INI_MAX_LINE, 200).
 * A longer "key = value" line is read whole here and handed to inih as
 * "key = \x01<n>", the value kept aside; the handler swaps it back. */
#define LONG_MARK '\x01'

static char *read_rest(FILE *f, const char *head)
{
	size_t len = strlen(head), cap = len + 256;
	char *line = vs_xmalloc(cap);
	int ch;

	memcpy(line, head, len);
	while ((ch = fgetc(f)) != EOF && ch != '\n') {
		if (len + 2 > cap)
			line = vs_xrealloc(line, cap *= 2);
		line[len++] = (char)ch;
	}
	line[len] = '\0';
	return line;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int long_line(struct parse_state *ps, char *str, int num)
{
	char *line = read_rest(ps->f, str), *eq, *key, *val, *semi;
	int rc = -1;

	if (strlen(line) > VS_INI_MAX_LINE) {
		vs_err_set(ps->err, "%s:%d: line longer than %d characters", ps->file, ps->line, VS_INI_MAX_LINE);
		goto out;
	}
	eq = strpbrk(line, "=:");
	if (!eq || *trim(line) == '[' || *trim(line) == ';' || *trim(line) == '#') {
		/* A long comment is harmless; anything else long is an error. */
		if (*trim(line) == ';' || *trim(line) == '#') {
			snprintf(str, (size_t)num, ";\n");
			rc = 0;
		} else {
			vs_err_set(ps->err, "%s:%d: syntax error (expected [section] or key = value)", ps->file,
				   ps->line);
		}
		goto out;
	}
	*eq = '\0';
	key = trim(line);
	val = eq + 1;
	/* inline comments: ';' after whitespace, as inih does */
	for (semi = strchr(val, ';'); semi; semi = strchr(semi + 1, ';'))
		if (semi > val && (semi[-1] == ' ' || semi[-1] == '\t')) {
			*semi = '\0';
			break;
		}
	val = trim(val);
	if (strlen(key) + 16 >= (size_t)num) {
		vs_err_set(ps->err, "%s:%d: key too long", ps->file, ps->line);
		goto out;
	}
	ps->longv = vs_xrealloc(ps->longv, (ps->nlong + 1) * sizeof(*ps->longv));
	ps->longv[ps->nlong] = vs_xstrdup(val);
	snprintf(str, (size_t)num, "%s = %c%zu\n", key, LONG_MARK, ps->nlong);
	ps->nlong++;
	rc = 0;
out:
	free(line);
	return rc;
}

static char *reader(char *str, int num, void *stream)
{
	struct parse_state *ps = stream;
	size_t len;

	if (!fgets(str, num, ps->f))
		return NULL;
	ps->line++;
	len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n' && long_line(ps, str, num) < 0)
		snprintf(str, (size_t)num, ";\n"); /* already reported */
	note_section(ps, str);
	return str;
}

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

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *ps = user;

	if (!*section) {
		vs_err_set(ps->err, "%s:%d: key '%s' outside any [section]", ps->file, ps->line, name);
		return 0;
	}
	if (value && value[0] == LONG_MARK) {
		size_t k = strtoul(value + 1, NULL, 10);

		value = k < ps->nlong ? ps->longv[k] : "";
	}
	return add_entry(ps->c, section, name, value ? value : "", ps->file, ps->line, ps->err) == 0;
}

static const char *remember_file(struct vs_config *c, const char *path)
{
	c->files = vs_xrealloc(c->files, (c->nfiles + 1) * sizeof(*c->files));
	c->files[c->nfiles] = vs_xstrdup(path);
	return c->files[c->nfiles++];
}

static int load_file(struct vs_config *c, const char *path, struct vs_err *err)
{
	struct parse_state ps = {.c = c, .err = err};
	int rc;

	ps.f = fopen(path, "r");
	if (!ps.f) {
		vs_err_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	ps.file = remember_file(c, path);
	/* Debian's inih exposes its compile-time limits as globals. */
	ini_max_line = VS_INI_MAX_LINE;
	ini_use_stack = false;
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	rc = ini_parse_stream(reader, &ps, handler, &ps);
	fclose(ps.f);
	for (size_t i = 0; i < ps.nlong; i++)
		free(ps.longv[i]);
	free(ps.longv);
	if (rc > 0 && !err->set)
		vs_err_set(err, "%s:%d: syntax error (expected [section] or key = value)", path, rc);
	else if (rc < 0 && !err->set)
		vs_err_set(err, "%s: cannot be parsed (%d)", path, rc);
	return err->set ? -1 : 0;
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
	dot = strrchr(lhs, '.');
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

const struct vs_entry *vs_config_entry(const struct vs_config *c, const char *section, const char *key)
{
	const struct vs_entry *base = NULL, *over = NULL;
	size_t i;

	for (i = 0; i < c->n; i++) {
		const struct vs_entry *e = &c->e[i];

		if (strcmp(e->section, section) || strcmp(e->key, key))
			continue;
		if (!e->profile)
			base = e;
		else if (c->profile && !strcmp(e->profile, c->profile))
			over = e;
	}
	return over ? over : base;
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
