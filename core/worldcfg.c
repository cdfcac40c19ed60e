#include "worldcfg.h"

#include <string.h>

#include "common.h"

int vs_plugin_has_world(const struct vs_plugin *d)
{
	return d && d->struct_size >= offsetof(struct vs_plugin, world) + sizeof(d->world) && d->world;
}

static int wanted(char *const *only, const char *name)
{
	if (!only)
		return 1;
	for (; *only; only++)
		if (!strcmp(*only, name))
			return 1;
	return 0;
}

static json_t *resolve_conf(struct vs_config *c, struct vs_err *err)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < c->n; i++) {
		const struct vs_entry *e = &c->e[i];
		const char *v;

		/* only the effective entry of each key (profile overlay, later wins) */
		if (vs_config_entry(c, e->section, e->key) != e)
			continue;
		v = vs_config_get(c, e->section, e->key, err);
		if (!v) {
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, json_pack("[sss]", e->section, e->key, v));
	}
	return a;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "name")),
		      json_string_value(json_object_get(*(json_t *const *)b, "name")));
}

/* Loaded plugins with a world hook; a section's `path =` names the file
 * instead (its hook is then checked when the world loads it). */
static json_t *resolve_plugins(struct vs_config *c, struct vs_registry *r, char *const *only, json_t *unusable,
			       struct vs_err *err)
{
	json_t *a = json_array(), *sorted;
	json_t **v;
	size_t i, n;

	for (i = 0; i < c->ns; i++) {
		const char *name = c->s[i].name, *path;
		struct vs_loaded *l;
		json_t *o;
		size_t k;
		int dup = 0;

		json_array_foreach(a, k, o)
			dup |= !strcmp(json_string_value(json_object_get(o, "name")), name);
		if (dup || !wanted(only, name))
			continue;
		path = vs_config_get(c, name, "path", err);
		if (err->set)
			goto bad;
		if (!path || !*path || ((l = vs_registry_find(r, name)) && l->path && !strcmp(l->path, path)))
			continue;
		json_array_append_new(a, json_pack("{ssss}", "name", name, "path", path));
	}
	for (i = 0; i < r->n; i++) {
		struct vs_loaded *l = &r->p[i];
		json_t *o;
		size_t k;
		int dup = 0;

		json_array_foreach(a, k, o)
			dup |= !strcmp(json_string_value(json_object_get(o, "name")), l->name);
		if (dup || !wanted(only, l->name))
			continue;
		if (!l->desc)
			json_array_append_new(unusable, json_pack("{ssssss}", "name", l->name, "path", l->path, "error",
								   l->error ? l->error : "unusable"));
		else if (vs_plugin_has_world(l->desc))
			json_array_append_new(a, json_pack("{ssss}", "name", l->name, "path", l->path));
	}
	/* in name order: port_base gives the stand-ins N+1, N+2... in that order */
	n = json_array_size(a);
	v = vs_xcalloc(n ? n : 1, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(a, i));
	qsort(v, n, sizeof(*v), by_name);
	sorted = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(sorted, v[i]);
	free(v);
	json_decref(a);
	return sorted;
bad:
	json_decref(a);
	return NULL;
}

json_t *vs_worldcfg_resolve(struct vs_config *c, struct vs_registry *r, char *const *only, struct vs_err *err)
{
	json_t *conf, *plugins, *unusable = json_array();

	conf = resolve_conf(c, err);
	plugins = conf ? resolve_plugins(c, r, only, unusable, err) : NULL;
	if (!plugins) {
		json_decref(conf);
		json_decref(unusable);
		return NULL;
	}
	return json_pack("{ssso so so}", "profile", c->profile ? c->profile : "", "conf", conf, "plugins", plugins,
			 "unusable", unusable);
}

FILE *vs_worldcfg_tmpfile(const json_t *given)
{
	FILE *f = tmpfile();

	if (!f)
		return NULL;
	if (json_dumpf(given, f, JSON_COMPACT) < 0 || fflush(f) || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return NULL;
	}
	return f;
}
