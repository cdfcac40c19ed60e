/* INI reading for the world: a file, or a directory of *.ini read in name
 * order; a later value of the same section/key wins.  No line length limit
 * (dialogue replies can be long). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "world/internal.h"

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int add(struct wconf *c, const char *sec, const char *key, const char *val, const char *file, int line)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct wconf_ent *ne = realloc(c->e, cap * sizeof *ne);
		if (!ne)
			return -1;
		c->e = ne;
		c->cap = cap;
	}
	struct wconf_ent *e = &c->e[c->n];
	e->section = strdup(sec);
	e->key = strdup(key);
	e->value = strdup(val);
	e->file = file;
	e->line = line;
	if (!e->section || !e->key || !e->value) {
		free(e->section);
		free(e->key);
		free(e->value);
		return -1;
	}
	c->n++;
	return 0;
}

static int load_file(struct wconf *c, const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		fprintf(stderr, "world: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char **nf = realloc(c->files, (c->nfiles + 1) * sizeof *nf);
	if (!nf || !(nf[c->nfiles] = strdup(path))) {
		if (nf)
			c->files = nf;
		fclose(fp);
		return -1;
	}
	c->files = nf;
	const char *fname = c->files[c->nfiles++];
	char sec[128] = "";
	char *line = NULL;
	size_t cap = 0;
	int ln = 0, rc = 0;
	while (getline(&line, &cap, fp) >= 0) {
		ln++;
		char *s = trim(line);
		if (!*s || *s == ';' || *s == '#')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');
			if (!e) {
				fprintf(stderr, "world: %s:%d: bad section line\n", path, ln);
				rc = -1;
				break;
			}
			*e = '\0';
			snprintf(sec, sizeof sec, "%s", trim(s + 1));
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			fprintf(stderr, "world: %s:%d: expected key = value\n", path, ln);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *v = trim(eq + 1);
		/* inline comment: " ;" or " #" */
		for (char *p = v; *p; p++) {
			if ((*p == ';' || *p == '#') && p > v && isspace((unsigned char)p[-1])) {
				*p = '\0';
				v = trim(v);
				break;
			}
		}
		if (add(c, sec, trim(s), v, fname, ln) < 0) {
			rc = -1;
			break;
		}
	}
	free(line);
	fclose(fp);
	return rc;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int wconf_load(struct wconf *c, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		fprintf(stderr, "world: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(c, path);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	char **names = NULL;
	size_t n = 0;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".ini"))
			continue;
		char **nn = realloc(names, (n + 1) * sizeof *nn);
		if (!nn) {
			rc = -1;
			break;
		}
		names = nn;
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmpstr);
	for (size_t i = 0; i < n; i++) {
		char full[4096];
		snprintf(full, sizeof full, "%s/%s", path, names[i]);
		if (rc == 0 && load_file(c, full) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

const char *wconf_get(const struct wconf *c, const char *section, const char *key)
{
	for (size_t i = c->n; i-- > 0;)
		if (!strcmp(c->e[i].section, section) && !strcmp(c->e[i].key, key))
			return c->e[i].value;
	return NULL;
}

void wconf_free(struct wconf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].section);
		free(c->e[i].key);
		free(c->e[i].value);
	}
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c->e);
	memset(c, 0, sizeof *c);
}

int w_parse_ms(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s)
		return -1;
	while (*end == ' ')
		end++;
	if (!*end || !strcmp(end, "ms"))
		*out = v;
	else if (!strcmp(end, "s"))
		*out = v * 1000.0;
	else if (!strcmp(end, "m"))
		*out = v * 60000.0;
	else if (!strcmp(end, "us"))
		*out = v / 1000.0;
	else
		return -1;
	return 0;
}
