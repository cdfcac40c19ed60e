#include "registry.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"

void vs_registry_init(struct vs_registry *r)
{
	memset(r, 0, sizeof(*r));
}

static void loaded_free(struct vs_loaded *l)
{
	free(l->name);
	free(l->path);
	free(l->error);
	free(l->shadows);
	/* Handles stay open: descriptors point into them until exit, and
	 * dlclose in a forked child is pointless. */
}

void vs_registry_free(struct vs_registry *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		loaded_free(&r->p[i]);
	for (i = 0; i < r->ndirs; i++)
		free(r->dirs[i]);
	free(r->p);
	free(r->dirs);
	memset(r, 0, sizeof(*r));
}

void vs_registry_add_dir(struct vs_registry *r, const char *dir)
{
	size_t i;

	for (i = 0; i < r->ndirs; i++)
		if (!strcmp(r->dirs[i], dir))
			return;
	r->dirs = vs_xrealloc(r->dirs, (r->ndirs + 1) * sizeof(*r->dirs));
	r->dirs[r->ndirs++] = vs_xstrdup(dir);
}

size_t vs_plugin_min_size(void)
{
	return offsetof(struct vs_plugin, teardown) + sizeof(((struct vs_plugin *)0)->teardown);
}

const struct vs_option *vs_plugin_option(const struct vs_plugin *p, const char *key)
{
	const struct vs_option *o;
	size_t n;

	for (o = p->options; o && o->key; o++)
		if (!strcmp(o->key, key))
			return o;
	/* a family "prefix.*" (after exact keys: an exact key wins) */
	for (o = p->options; o && o->key; o++) {
		n = strlen(o->key);
		if (n > 2 && !strcmp(o->key + n - 2, ".*") && !strncmp(o->key, key, n - 1) && key[n - 1])
			return o;
	}
	return NULL;
}

static char *basename_noext(const char *path)
{
	const char *b = strrchr(path, '/');
	char *s = vs_xstrdup(b ? b + 1 : path);
	size_t n = strlen(s);

	if (n > 3 && !strcmp(s + n - 3, ".so"))
		s[n - 3] = '\0';
	return s;
}

/* A declared secret: variable names, "A|B" for alternatives, none empty. */
static int secret_ok(const char *s)
{
	static const char name_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
	size_t n;

	for (;;) {
		n = strspn(s, name_chars);
		if (!n)
			return 0;
		s += n;
		if (!*s)
			return 1;
		if (*s++ != '|')
			return 0;
	}
}

/* Every check the core makes before trusting a descriptor; returns a
 * malloc'd message, or NULL when the descriptor is usable. */
static char *check_desc(const struct vs_plugin *d, const char *base)
{
	const struct vs_option *o;
	const char *const *dep;

	if (d->abi_version != VS_ABI_VERSION)
		return vs_xasprintf("built for plugin ABI %u, this vstress speaks ABI %u: rebuild it against "
				    "this vstress's headers",
				    d->abi_version, VS_ABI_VERSION);
	if (d->struct_size < vs_plugin_min_size())
		return vs_xasprintf("descriptor is %u bytes, smaller than ABI %u's %zu: rebuild it",
				    d->struct_size, VS_ABI_VERSION, vs_plugin_min_size());
	if (!d->name || !*d->name)
		return vs_xasprintf("descriptor has no name");
	if (strcmp(d->name, base))
		return vs_xasprintf("descriptor name '%s' differs from the file name '%s.so'", d->name, base);
	if (!d->run)
		return vs_xasprintf("descriptor has no run hook");
	for (o = d->options; o && o->key; o++) {
		if (o->type > VS_OPT_LIST)
			return vs_xasprintf("option '%s' has an unknown type %d", o->key, (int)o->type);
		if ((o->flags & VS_OPT_REQUIRED) && o->def)
			return vs_xasprintf("option '%s' is required and has a default", o->key);
		if (!strcmp(o->key, "enabled") || !strcmp(o->key, "depends") || !strcmp(o->key, "timeout") ||
		    !strcmp(o->key, "path"))
			return vs_xasprintf("option '%s' is reserved by the core", o->key);
	}
	for (dep = d->requires; dep && *dep; dep++)
		if (!strcmp(*dep, d->name))
			return vs_xasprintf("requires itself");
	for (dep = VS_PLUGIN_HAS(d, secrets) ? d->secrets : NULL; dep && *dep; dep++)
		if (!secret_ok(*dep))
			return vs_xasprintf("secret '%s' is not a variable name (A|B for alternatives)", *dep);
	return NULL;
}

static void load_into(struct vs_loaded *l, const char *path)
{
	char *base = basename_noext(path);
	const struct vs_plugin *d;

	l->path = vs_xstrdup(path);
	l->name = base;
	l->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!l->dl) {
		l->error = vs_xasprintf("cannot load: %s (check its libraries with ldd)", dlerror());
		return;
	}
	d = dlsym(l->dl, VS_PLUGIN_SYMBOL);
	if (!d) {
		l->error = vs_xasprintf("not a vstress plugin: no '%s' symbol", VS_PLUGIN_SYMBOL);
		return;
	}
	l->error = check_desc(d, base);
	if (!l->error)
		l->desc = d;
}

struct vs_loaded *vs_registry_find(struct vs_registry *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->p[i].name, name))
			return &r->p[i];
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void vs_registry_scan(struct vs_registry *r)
{
	size_t d, i, n, len;
	DIR *dir;
	struct dirent *de;
	char **names;
	struct stat st;

	for (d = 0; d < r->ndirs; d++) {
		dir = opendir(r->dirs[d]);
		if (!dir)
			continue;
		names = NULL;
		n = 0;
		while ((de = readdir(dir))) {
			len = strlen(de->d_name);
			if (len < 4 || strcmp(de->d_name + len - 3, ".so"))
				continue;
			names = vs_xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = vs_xasprintf("%s/%s", r->dirs[d], de->d_name);
		}
		closedir(dir);
		if (n) /* names is NULL in an empty folder */
			qsort(names, n, sizeof(*names), cmp_str);
		for (i = 0; i < n; i++) {
			char *base = basename_noext(names[i]);
			struct vs_loaded *prev = vs_registry_find(r, base);

			if (stat(names[i], &st) < 0 || !S_ISREG(st.st_mode)) {
				free(base);
			} else if (prev) {
				if (!prev->shadows)
					prev->shadows = vs_xstrdup(names[i]);
				free(base);
			} else {
				free(base);
				r->p = vs_xrealloc(r->p, (r->n + 1) * sizeof(*r->p));
				memset(&r->p[r->n], 0, sizeof(r->p[r->n]));
				load_into(&r->p[r->n++], names[i]);
			}
			free(names[i]);
		}
		free(names);
	}
}

struct vs_loaded *vs_registry_load_path(struct vs_registry *r, const char *name, const char *path)
{
	struct vs_loaded *l = vs_registry_find(r, name);

	if (l) {
		loaded_free(l);
		memset(l, 0, sizeof(*l));
	} else {
		r->p = vs_xrealloc(r->p, (r->n + 1) * sizeof(*r->p));
		l = &r->p[r->n++];
		memset(l, 0, sizeof(*l));
	}
	load_into(l, path);
	if (strcmp(l->name, name)) {
		/* path= must name the plugin of its section */
		if (!l->error)
			l->error = vs_xasprintf("path %s holds plugin '%s', not '%s'", path, l->name, name);
		l->desc = NULL;
		free(l->name);
		l->name = vs_xstrdup(name);
	}
	return l;
}

const char *vs_registry_suggest(const struct vs_registry *r, const char *name)
{
	const char *best = NULL;
	int bd = 3, d;
	size_t i;

	for (i = 0; i < r->n; i++) {
		d = vs_edit_distance(name, r->p[i].name);
		if (d < bd) {
			bd = d;
			best = r->p[i].name;
		}
	}
	return best;
}
